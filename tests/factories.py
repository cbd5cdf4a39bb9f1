"""factory_boy factories for the shared domain: markets, catalog, customers."""

from decimal import Decimal

import factory
from django.conf import settings
from moneyed import Money

from shop.models import Customer, Market, MarketCountry, Product, TaxRate, Variant, VariantPrice


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
