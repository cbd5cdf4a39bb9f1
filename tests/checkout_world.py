"""A shop for the checkout tests: the cart tests' markets (``tests/cart_world.py``) plus what a
checkout needs on top, and helpers to place orders the way the checkout page and API do.

Additions to :class:`~tests.cart_world.CartWorld`:

======  ========  ===========  =====================================  ========================
market  currency  tax          shipping                               payment
======  ========  ===========  =====================================  ========================
eu      EUR       as in the    as in the cart world                   as in the cart world,
                  cart world                                          plus bank transfer
sa      SAR       15 %         Aramex 25.00 (2-4 days)                cash on delivery up to
        included                                                      1000 (fee 10), card
======  ========  ===========  =====================================  ========================

Use it through a module's own fixture (no import of fixtures across modules)::

    @pytest.fixture
    def world(cart_world):
        return CheckoutWorld()
"""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property

from cart.models import Cart
from cart.pricing import CartPricing, locale_for_cart, price_cart
from checkout.models import Order
from checkout.services import CheckoutData, place_order
from shop.models import Customer, Market
from tests import factories
from tests.cart_world import CartWorld

D = Decimal

# A valid shipping address per country, as a shopper types it (names, street, city, region,
# postcode), and a valid mobile number there (cash on delivery needs one).
ADDRESSES: dict[str, dict[str, str]] = {
    "BR": {"first_name": "Maria", "last_name": "Silva", "street_address": "Av. Paulista, 1000",
           "city": "São Paulo", "country_area": "SP", "postal_code": "01310-100"},
    "DE": {"first_name": "Anna", "last_name": "Schmidt", "street_address": "Unter den Linden 1",
           "city": "Berlin", "postal_code": "10117"},
    "AT": {"first_name": "Lukas", "last_name": "Huber", "street_address": "Ringstraße 1",
           "city": "Wien", "postal_code": "1010"},
    "US": {"first_name": "Jane", "last_name": "Doe", "street_address": "1 Infinite Loop",
           "city": "Cupertino", "country_area": "CA", "postal_code": "95014"},
    "JP": {"first_name": "太郎", "last_name": "山田", "street_address": "千代田区千代田1-1",
           "country_area": "東京都", "postal_code": "100-0001"},
    "GB": {"first_name": "John", "last_name": "Smith", "street_address": "10 Downing Street",
           "city": "London", "postal_code": "SW1A 1AA"},
    "SA": {"first_name": "Fahd", "last_name": "Al-Saud", "street_address": "King Fahd Road 1",
           "city": "Riyadh", "postal_code": "11564"},
}  # fmt: skip
PHONES = {"BR": "+55 11 91234-5678", "DE": "+49 1512 3456789", "AT": "+43 664 1234567",
          "US": "+1 408 555 0123", "JP": "+81 90-1234-5678", "SA": "+966 50 123 4567",
          "GB": "+44 7400 123456"}  # fmt: skip
# The language a shopper of each market's country checks out in.
LANGUAGES = {"GB": "en", "BR": "pt-br", "DE": "de", "AT": "de", "US": "en", "JP": "ja", "SA": "ar"}


class CheckoutWorld(CartWorld):
    """Cart world markets and catalog, plus the SA market and bank transfer in the eu market."""

    @cached_property
    def eu(self) -> Market:
        market = CartWorld.eu.func(self)
        factories.PaymentMethodFactory(market=market, code="bank_transfer", position=4)
        return market

    @cached_property
    def sa(self) -> Market:
        market = factories.MarketFactory(name="Saudi Arabia", code="sa", currency="SAR",
                                         default_language="ar", countries=["SA"])  # fmt: skip
        factories.TaxRateFactory(market=market, country="SA", rate=D("15"), name="VAT")
        zone = factories.ShippingZoneFactory(market=market, name="Saudi Arabia")
        factories.ShippingMethodFactory(zone=zone, name="Aramex", carrier="Aramex",
                                        price=D("25.00"), min_delivery_days=2,
                                        max_delivery_days=4)  # fmt: skip
        factories.PaymentMethodFactory(market=market, code="cod", fee=D("10"),
                                       max_order_amount=D("1000"), position=0)  # fmt: skip
        factories.PaymentMethodFactory(market=market, code="card", position=1)
        factories.TrustBadgeFactory(market=market, kind="secure_payment", text="دفع آمن")
        return market

    def market_of(self, country: str) -> Market:
        return {"BR": self.br, "DE": self.eu, "AT": self.eu, "US": self.us, "JP": self.jp,
                "SA": self.sa, "GB": self.gb, "CH": self.ch}[country]  # fmt: skip

    def checkout_cart(self, country: str, *lines, language: str | None = None, **fields) -> Cart:
        """A cart in ``country``'s market and language holding ``(variant, quantity)`` lines."""
        return self.cart(self.market_of(country), country, *lines,
                         language=language or LANGUAGES[country], **fields)  # fmt: skip

    def quote(self, cart: Cart, payment_method: str, shipping_method_id=None, *,
              region: str | None = None) -> CartPricing:  # fmt: skip
        """What the checkout page shows the shopper now (real time, as ``place_order`` prices),
        once the address's state is chosen: ``region`` (by default the state of the country's
        address in :data:`ADDRESSES`) is set on the cart as the page does; ``""`` for none."""
        if region is None:
            region = ADDRESSES.get(str(cart.country), {}).get("country_area", "")
        Cart.objects.filter(pk=cart.pk).update(region=region)
        cart.refresh_from_db()
        return price_cart(cart, locale_for_cart(cart), shipping_method_id=shipping_method_id,
                          payment_method=payment_method, with_suggestions=False)  # fmt: skip

    def data(self, pricing: CartPricing, payment_method: str, *, email="shopper@example.com",
             expected_total: Decimal | None = None, **address) -> CheckoutData:  # fmt: skip
        """What the shopper typed, for a cart priced as ``pricing``: its country's address."""
        country = pricing.country
        full = {**ADDRESSES[country], "phone": PHONES[country], "country_code": country, **address}
        return CheckoutData(
            email=email,
            phone=full["phone"],
            address=full,
            shipping_method_id=pricing.shipping.method_id if pricing.shipping else None,
            payment_method=payment_method,
            expected_total=pricing.total.amount if expected_total is None else expected_total,
        )

    def customer(self, email: str = "shopper@example.com", **fields) -> Customer:
        existing = Customer.objects.filter(email=email).first()
        return existing or factories.CustomerFactory(email=email, **fields)

    def place(self, cart: Cart, payment_method: str = "card", *, pricing: CartPricing | None = None,
              customer: Customer | None = None, idempotency_key: str | None = None,
              **data) -> Order:  # fmt: skip
        """Place ``cart`` as the shopper who saw ``pricing`` (by default: the price now)."""
        pricing = pricing or self.quote(cart, payment_method)
        return place_order(
            cart=cart,
            locale=locale_for_cart(cart),
            data=self.data(pricing, payment_method, **data),
            customer=customer or self.customer(),
            idempotency_key=idempotency_key,
        )


def mail_settings(port: int) -> dict:
    """``settings.MAILERS`` for Django's SMTP backend talking to a loopback server."""
    return {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                        "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10}}}  # fmt: skip


__all__ = ["ADDRESSES", "LANGUAGES", "PHONES", "CheckoutWorld", "mail_settings"]
