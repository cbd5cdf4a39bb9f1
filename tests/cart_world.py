"""A small shop for the cart tests: markets with their rules and a catalog, created on first use.

Net catalog prices are in EUR (the base currency); the recorded ECB rates convert them
(USD 1.1587, BRL 6.1930, JPY 180.12, GBP 0.8812, CHF 0.9321, BHD 0.435671 per EUR).

======  ========  ===========  =====================================  ========================
market  currency  tax          shipping                               payment
======  ========  ===========  =====================================  ========================
eu      EUR       DE 19 / 7 %  DE: Standard 4.90 (free from 50,       card; PayPal 0.35 fee;
        included  AT 20 / 10 % 2-3 days), Express 12.90 (1 day)       Klarna 10-1500;
                               AT: Austria Standard 6.90 (3-5 days)   cash on delivery up to 300
us      USD       by state:    Ground 5.99 (free from 75, 3-5 days),  card; Klarna from 35
        added     CA 7.25 %,   2nd Day 14.99 (2 days)
                  NY 8.875 %
                  (NY taxes
                  shipping)
br      BRL x.99  17 %         PAC 19.90 (free from 299, 3-6 days),   Pix; boleto from 10;
        included               SEDEX 39.90 (1-2 days)                 card in 12 instalments
gb      GBP       20 %,        Royal Mail 3.95 (2-4 days)             card
        included  DDP duties 12 % from 135
ch      CHF       8.1 %,       Post CH 9.00 (3-5 days)                card
        included  DAP duties 10 % from 50
jp      JPY       10 %         Yamato 800 (free from 8000, 2-3 days)  card; konbini
bh      BHD       10 %         Aramex 2.500 (free from 30, 3-4 days)  card
======  ========  ===========  =====================================  ========================
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import cached_property

from django.utils import timezone
from moneyed import Money

from cart.models import Cart
from cart.pricing import CartPricing, locale_for_cart, price_cart
from shop.locale import ShopLocale
from shop.models import Market
from tests import factories

D = Decimal
# A Wednesday morning in the shop's time zone, before the dispatch cut-off (14:00).
NOW = timezone.make_aware(datetime(2026, 11, 25, 10, 0))


class CartWorld:
    """Markets and products for cart tests. Each market is created the first time it is read."""

    def locale(self, market: Market, country: str, *, language: str = "en") -> ShopLocale:
        return ShopLocale(language=language, country=country, currency=market.currency,
                          market=market)  # fmt: skip

    def cart(self, market: Market, country: str, *lines, **fields) -> Cart:
        """A saved cart in ``market`` for ``country`` holding ``(variant, quantity)`` lines."""
        cart = factories.CartFactory(market=market, country=country, **fields)
        for variant, quantity in lines:
            factories.CartLineFactory(cart=cart, variant=variant, quantity=quantity)
        return cart

    def price(self, cart: Cart, **kwargs) -> CartPricing:
        """``price_cart`` in the cart's own locale, at :data:`NOW` unless ``now`` is given."""
        kwargs.setdefault("now", NOW)
        return price_cart(cart, locale_for_cart(cart), **kwargs)

    # --- markets ------------------------------------------------------------------------------

    @cached_property
    def eu(self) -> Market:
        market = factories.MarketFactory(name="Eurozone", code="eu", currency="EUR",
                                         countries=["DE", "AT"])  # fmt: skip
        for country, standard, reduced in (("DE", "19", "7"), ("AT", "20", "10")):
            factories.TaxRateFactory(market=market, country=country, rate=D(standard))
            factories.TaxRateFactory(market=market, country=country, tax_class="reduced",
                                     rate=D(reduced))  # fmt: skip
        germany = factories.ShippingZoneFactory(market=market, name="Germany", countries=["DE"])
        self.de_standard = factories.ShippingMethodFactory(
            zone=germany, name="Standard", carrier="DHL", price=D("4.90"),
            free_shipping_threshold=D("50"), min_delivery_days=2, max_delivery_days=3,
        )  # fmt: skip
        self.de_express = factories.ShippingMethodFactory(
            zone=germany, name="Express", carrier="DHL Express", price=D("12.90"),
            min_delivery_days=1, max_delivery_days=1,
        )  # fmt: skip
        austria = factories.ShippingZoneFactory(market=market, name="Austria", countries=["AT"])
        factories.ShippingMethodFactory(
            zone=austria, name="Austria Standard", carrier="Post AT", price=D("6.90"),
            min_delivery_days=3, max_delivery_days=5,
        )  # fmt: skip
        factories.PaymentMethodFactory(market=market, code="card", position=0)
        factories.PaymentMethodFactory(market=market, code="paypal", fee=D("0.35"), position=1)
        factories.PaymentMethodFactory(market=market, code="klarna", min_order_amount=D("10"),
                                       max_order_amount=D("1500"), position=2)  # fmt: skip
        factories.PaymentMethodFactory(market=market, code="cod", max_order_amount=D("300"),
                                       fee=D("2.00"), position=3)  # fmt: skip
        factories.TrustBadgeFactory(market=market, kind="secure_payment", text="Secure payment")
        factories.TrustBadgeFactory(market=market, kind="returns", text="30-day free returns")
        return market

    @cached_property
    def us(self) -> Market:
        market = factories.MarketFactory(name="United States", code="us", currency="USD",
                                         prices_include_tax=False, countries=["US"])  # fmt: skip
        # California does not tax shipping stated separately; New York does.
        factories.TaxRateFactory(market=market, country="US", region="CA", rate=D("7.25"),
                                 name="Sales tax", taxes_shipping=False)  # fmt: skip
        factories.TaxRateFactory(market=market, country="US", region="NY", rate=D("8.875"),
                                 name="Sales tax")  # fmt: skip
        zone = factories.ShippingZoneFactory(market=market, name="Contiguous US")
        factories.ShippingMethodFactory(
            zone=zone, name="Ground", carrier="USPS", price=D("5.99"),
            free_shipping_threshold=D("75"), min_delivery_days=3, max_delivery_days=5,
        )  # fmt: skip
        factories.ShippingMethodFactory(
            zone=zone, name="2nd Day", carrier="UPS", price=D("14.99"),
            min_delivery_days=2, max_delivery_days=2,
        )  # fmt: skip
        factories.PaymentMethodFactory(market=market, code="card")
        factories.PaymentMethodFactory(market=market, code="klarna", min_order_amount=D("35"))
        return market

    @cached_property
    def br(self) -> Market:
        market = factories.MarketFactory(name="Brasil", code="br", currency="BRL",
                                         default_language="pt-br", price_rounding="x99",
                                         countries=["BR"])  # fmt: skip
        factories.TaxRateFactory(market=market, country="BR", rate=D("17"), name="ICMS")
        zone = factories.ShippingZoneFactory(market=market, name="Brasil")
        factories.ShippingMethodFactory(
            zone=zone, name="PAC", carrier="Correios", price=D("19.90"),
            free_shipping_threshold=D("299"), min_delivery_days=3, max_delivery_days=6,
        )  # fmt: skip
        factories.ShippingMethodFactory(
            zone=zone, name="SEDEX", carrier="Correios", price=D("39.90"),
            min_delivery_days=1, max_delivery_days=2,
        )  # fmt: skip
        factories.PaymentMethodFactory(market=market, code="pix")
        factories.PaymentMethodFactory(market=market, code="boleto", min_order_amount=D("10"))
        factories.PaymentMethodFactory(market=market, code="card_instalments", max_instalments=12)
        factories.TrustBadgeFactory(market=market, kind="secure_payment", text="Compra segura")
        return market

    @cached_property
    def gb(self) -> Market:
        market = factories.MarketFactory(name="United Kingdom", code="gb", currency="GBP",
                                         duty_mode="ddp", duty_rate=D("12"),
                                         duty_de_minimis=D("135"), countries=["GB"])  # fmt: skip
        factories.TaxRateFactory(market=market, country="GB", rate=D("20"))
        zone = factories.ShippingZoneFactory(market=market, name="UK")
        factories.ShippingMethodFactory(zone=zone, name="Royal Mail", carrier="Royal Mail",
                                        price=D("3.95"), min_delivery_days=2,
                                        max_delivery_days=4)  # fmt: skip
        factories.PaymentMethodFactory(market=market, code="card")
        return market

    @cached_property
    def ch(self) -> Market:
        market = factories.MarketFactory(name="Schweiz", code="ch", currency="CHF",
                                         duty_mode="dap", duty_rate=D("10"),
                                         duty_de_minimis=D("50"), countries=["CH"])  # fmt: skip
        factories.TaxRateFactory(market=market, country="CH", rate=D("8.1"))
        zone = factories.ShippingZoneFactory(market=market, name="Schweiz")
        factories.ShippingMethodFactory(zone=zone, name="Post CH", carrier="Swiss Post",
                                        price=D("9.00"), min_delivery_days=3,
                                        max_delivery_days=5)  # fmt: skip
        factories.PaymentMethodFactory(market=market, code="card")
        return market

    @cached_property
    def jp(self) -> Market:
        market = factories.MarketFactory(name="Japan", code="jp", currency="JPY",
                                         default_language="ja", countries=["JP"])  # fmt: skip
        factories.TaxRateFactory(market=market, country="JP", rate=D("10"))
        zone = factories.ShippingZoneFactory(market=market, name="Japan")
        factories.ShippingMethodFactory(zone=zone, name="Takkyubin", carrier="Yamato",
                                        price=D("800"), free_shipping_threshold=D("8000"),
                                        min_delivery_days=2, max_delivery_days=3)  # fmt: skip
        factories.PaymentMethodFactory(market=market, code="card")
        factories.PaymentMethodFactory(market=market, code="konbini", fee=D("190"))
        return market

    @cached_property
    def bh(self) -> Market:
        market = factories.MarketFactory(name="Bahrain", code="bh", currency="BHD",
                                         countries=["BH"])  # fmt: skip
        factories.TaxRateFactory(market=market, country="BH", rate=D("10"))
        zone = factories.ShippingZoneFactory(market=market, name="Bahrain")
        factories.ShippingMethodFactory(zone=zone, name="Aramex", carrier="Aramex",
                                        price=D("2.500"), free_shipping_threshold=D("30"),
                                        min_delivery_days=3, max_delivery_days=4)  # fmt: skip
        factories.PaymentMethodFactory(market=market, code="card")
        return market

    # --- catalog --------------------------------------------------------------------------------

    @cached_property
    def shirt(self):
        """Linen Shirt, standard rate: SHIRT-M 10.00 net (10 in stock), SHIRT-L 12.00 (3 left)."""
        product = factories.ProductFactory(name="Linen Shirt", slug="linen-shirt")
        factories.VariantFactory(product=product, sku="SHIRT-M", price=Money("10.00", "EUR"),
                                 stock_quantity=10, position=1)  # fmt: skip
        factories.VariantFactory(product=product, sku="SHIRT-L", price=Money("12.00", "EUR"),
                                 stock_quantity=3, position=2)  # fmt: skip
        return product

    @cached_property
    def shirt_m(self):
        return self.shirt.variants.get(sku="SHIRT-M")

    @cached_property
    def shirt_l(self):
        return self.shirt.variants.get(sku="SHIRT-L")

    @cached_property
    def cookbook(self):
        """A book at the reduced rate: 20.00 net, 50 in stock."""
        product = factories.ProductFactory(name="Cookbook", slug="cookbook", tax_class="reduced")
        return factories.VariantFactory(product=product, sku="BOOK", price=Money("20.00", "EUR"),
                                        stock_quantity=50)  # fmt: skip

    @cached_property
    def gift_card(self):
        """Untracked stock: a digital gift card, 25.00 net."""
        product = factories.ProductFactory(name="Gift card", slug="gift-card")
        return factories.VariantFactory(product=product, sku="GIFT", price=Money("25.00", "EUR"),
                                        track_stock=False, stock_quantity=0)  # fmt: skip
