"""factory_boy factories: markets, catalog, customers; shipping, payment, carts, vouchers."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.conf import settings
from django.utils import timezone
from moneyed import Money

from cart.models import Cart, CartLine, Promotion, Voucher, VoucherCurrency
from shop.models import (
    Customer,
    Market,
    MarketCountry,
    PaymentMethod,
    Product,
    ShippingMethod,
    ShippingZone,
    TaxRate,
    TrustBadge,
    Variant,
    VariantPrice,
)


class MarketFactory(factory.django.DjangoModelFactory):
    """A market; pass ``countries=["DE", "AT"]`` to add its countries."""

    class Meta:
        model = Market
        skip_postgeneration_save = True  # the countries hook saves rows of its own

    name = factory.Sequence(lambda n: f"Market {n}")
    code = factory.Sequence(lambda n: f"market-{n}")
    currency = "EUR"
    default_language = "en"
    prices_include_tax = True
    price_rounding = "none"
    # No quiet hours unless a test sets them: an SMS test must not wait for the morning when
    # the suite happens to run at night (tests/test_recovery_flows.py sets them).
    quiet_hours_start = None
    quiet_hours_end = None
    active = True

    @factory.post_generation
    def countries(self, create, extracted, **kwargs):
        for code in extracted or ():
            MarketCountryFactory(market=self, country=code)


class MarketCountryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MarketCountry

    market = factory.SubFactory(MarketFactory)
    country = "DE"


class TaxRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxRate

    market = factory.SubFactory(MarketFactory)
    country = "DE"
    region = ""
    tax_class = "standard"
    rate = Decimal("19")
    name = "VAT"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n:03d}")
    slug = factory.Sequence(lambda n: f"product-{n:03d}")
    description = "A thing worth having."
    tax_class = "standard"
    active = True


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    price = factory.LazyFunction(lambda: Money("10.00", settings.BASE_CURRENCY))
    track_stock = True
    stock_quantity = 10
    active = True


class VariantPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VariantPrice

    variant = factory.SubFactory(VariantFactory)
    price = factory.LazyFunction(lambda: Money("9.99", "USD"))


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    email = factory.Sequence(lambda n: f"shopper{n}@example.com")
    first_name = "Alex"
    last_name = factory.Sequence(lambda n: f"Shopper{n}")
    language = "en"
    country = "DE"


# --- Cart: markets' shipping and payment rules, carts, vouchers, promotions ----------------------


class ShippingZoneFactory(factory.django.DjangoModelFactory):
    """A zone of a market; ``countries=[]`` (the default) covers all the market's countries."""

    class Meta:
        model = ShippingZone

    market = factory.SubFactory(MarketFactory)
    name = factory.Sequence(lambda n: f"Zone {n}")
    countries = factory.LazyFunction(list)


class ShippingMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingMethod

    zone = factory.SubFactory(ShippingZoneFactory)
    name = factory.Sequence(lambda n: f"Shipping {n}")
    carrier = "DHL"
    price = Decimal("4.90")
    free_shipping_threshold = None
    min_delivery_days = 2
    max_delivery_days = 3
    tracked = True
    active = True


class PaymentMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentMethod

    market = factory.SubFactory(MarketFactory)
    code = "card"
    fee = Decimal("0")
    active = True


class TrustBadgeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrustBadge

    market = factory.SubFactory(MarketFactory)
    kind = "secure_payment"
    text = "Secure payment"


class CartFactory(factory.django.DjangoModelFactory):
    """A cart; by default in its market's currency, for the market's first country."""

    class Meta:
        model = Cart

    market = factory.SubFactory(MarketFactory)
    country = "DE"
    currency = factory.LazyAttribute(lambda cart: cart.market.currency if cart.market else "EUR")
    language = "en"


def _shown_price(line) -> Money:
    from cart.pricing import locale_for_cart
    from shop.prices import variant_unit_price
    from shop.selectors import price_context

    context = price_context(locale_for_cart(line.cart), region=line.cart.region)
    return variant_unit_price(line.variant, context).shown


class CartLineFactory(factory.django.DjangoModelFactory):
    """A line whose price seen is the variant's current shown price in the cart's locale, as if
    just added; pass ``unit_price_seen`` to simulate a price change since."""

    class Meta:
        model = CartLine

    cart = factory.SubFactory(CartFactory)
    variant = factory.SubFactory(VariantFactory)
    quantity = 1
    unit_price_seen = factory.LazyAttribute(_shown_price)


class VoucherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Voucher

    code = factory.Sequence(lambda n: f"SAVE{n:03d}")
    kind = "percentage"
    percentage = Decimal("10")
    active = True


class VoucherCurrencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VoucherCurrency

    voucher = factory.SubFactory(VoucherFactory, kind="fixed", percentage=None)
    currency = "EUR"
    amount_off = Decimal("5")
    minimum_order = None


class PromotionFactory(factory.django.DjangoModelFactory):
    """A running promotion (started an hour ago, ends in a day); ``products=[...]`` limits it."""

    class Meta:
        model = Promotion
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Sale {n}")
    percentage = Decimal("20")
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    active = True

    @factory.post_generation
    def products(self, create, extracted, **kwargs):
        if create and extracted:
            self.products.set(extracted)
