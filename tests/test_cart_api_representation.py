"""The cart API builds its JSON directly (``cart.serializers.pricing_json``) for speed; it must be
exactly what DRF's generic walk over the declared fields gives, which the OpenAPI schema
describes."""

from decimal import Decimal

from rest_framework import serializers

from cart.serializers import CartPricingSerializer
from tests import factories


def generic(pricing, context) -> dict:
    serializer = CartPricingSerializer(pricing, context=context)
    return serializers.Serializer.to_representation(serializer, pricing)


def test_the_direct_json_equals_drfs_for_a_cart_with_everything(cart_world):
    w = cart_world
    voucher = factories.VoucherFactory(code="TEN", kind="percentage", percentage=Decimal("10"))
    factories.PromotionFactory(name="Week", percentage=Decimal("15"),
                               products=[w.shirt_m.product])  # fmt: skip
    cart = w.cart(w.eu, "DE", (w.shirt_m, 2), (w.cookbook, 1), voucher=voucher)
    w.de_standard.free_shipping_threshold = Decimal("500")
    w.de_standard.save()
    for _ in range(3):
        factories.VariantFactory()
    from cart.pricing import price_cart

    pricing = price_cart(cart, w.locale(w.eu, "DE"), payment_method="paypal")
    context = {"cart": cart, "country": "DE"}

    fast = CartPricingSerializer(pricing, context=context).data

    assert pricing.discounts and pricing.free_shipping and pricing.lines
    assert dict(fast) == generic(pricing, context)


def test_the_direct_json_equals_drfs_for_an_empty_cart_in_an_added_tax_market(cart_world):
    from cart.pricing import empty_cart, price_cart

    w = cart_world
    locale = w.locale(w.us, "US")
    pricing = price_cart(empty_cart(locale), locale)
    context = {"cart": None, "country": "US"}

    assert dict(CartPricingSerializer(pricing, context=context).data) == generic(pricing, context)
