"""API shapes. Input serializers validate; output serializers describe ``CartPricing`` for the
OpenAPI schema and turn it into JSON (amounts as decimal strings plus the localized text)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shop.money import format_money


class MoneySerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=3, coerce_to_string=True)
    currency = serializers.CharField()
    formatted = serializers.CharField(help_text="As the shopper's locale writes it.")

    def to_representation(self, money):
        if money is None:
            return None
        country = self.context.get("country")
        return {
            "amount": str(money.amount),
            "currency": str(money.currency),
            "formatted": format_money(money, get_language(), country),
        }


class AttributeSerializer(serializers.Serializer):
    name = serializers.CharField()
    value = serializers.CharField()
    swatch = serializers.CharField(allow_blank=True)

    def to_representation(self, item):
        name, value, swatch = item
        return {"name": name, "value": value, "swatch": swatch}


class LineSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="line_id")
    sku = serializers.CharField()
    product_name = serializers.CharField()
    product_slug = serializers.CharField()
    attributes = AttributeSerializer(many=True)
    image_url = serializers.CharField(allow_null=True)
    quantity = serializers.IntegerField()
    unit_price = MoneySerializer()
    line_total = MoneySerializer()
    added_at = serializers.DateTimeField()
    stock_state = serializers.ChoiceField(["in_stock", "low", "insufficient", "out_of_stock"])
    stock_available = serializers.IntegerField(allow_null=True)
    price_changed = serializers.BooleanField()
    price_seen = MoneySerializer(allow_null=True)


class DiscountSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(["promotion", "voucher"])
    label = serializers.CharField()
    amount = MoneySerializer()
    ends_at = serializers.DateTimeField(allow_null=True)
    code = serializers.CharField(allow_blank=True)


class ShippingOptionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="method_id")
    name = serializers.CharField()
    carrier = serializers.CharField()
    price = MoneySerializer()
    regular_price = MoneySerializer()
    is_free = serializers.BooleanField()
    tracked = serializers.BooleanField()
    delivery_from = serializers.DateField()
    delivery_to = serializers.DateField()


class PaymentOptionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    fee = MoneySerializer()
    available = serializers.BooleanField()
    min_order = MoneySerializer(allow_null=True)
    max_order = MoneySerializer(allow_null=True)
    max_instalments = serializers.IntegerField()


class FreeShippingSerializer(serializers.Serializer):
    threshold = MoneySerializer()
    missing = MoneySerializer()
    progress = serializers.DecimalField(max_digits=4, decimal_places=2)
    unlocked = serializers.BooleanField()


class SuggestionSerializer(serializers.Serializer):
    sku = serializers.CharField()
    product_name = serializers.CharField()
    product_slug = serializers.CharField()
    image_url = serializers.CharField(allow_null=True)
    price = MoneySerializer()


class TrustBadgeSerializer(serializers.Serializer):
    kind = serializers.CharField()
    text = serializers.CharField()


class CartPricingSerializer(serializers.Serializer):
    token = serializers.SerializerMethodField()
    currency = serializers.CharField()
    country = serializers.CharField()
    language = serializers.CharField()
    prices_include_tax = serializers.BooleanField()
    item_count = serializers.IntegerField()
    lines = LineSerializer(many=True)
    subtotal = MoneySerializer()
    discounts = DiscountSerializer(many=True)
    discount = MoneySerializer()
    shipping_options = ShippingOptionSerializer(many=True)
    shipping = ShippingOptionSerializer(allow_null=True)
    shipping_price = MoneySerializer()
    tax = MoneySerializer()
    tax_included = serializers.BooleanField()
    tax_known = serializers.BooleanField()
    tax_rate = serializers.DecimalField(max_digits=6, decimal_places=3)
    duties = MoneySerializer()
    duty_mode = serializers.ChoiceField(["none", "ddp", "dap"])
    duties_prepaid = serializers.BooleanField()
    payment_fee = MoneySerializer()
    payment_method = serializers.CharField(allow_blank=True)
    total = MoneySerializer()
    free_shipping = FreeShippingSerializer(allow_null=True)
    payment_options = PaymentOptionSerializer(many=True)
    trust_badges = TrustBadgeSerializer(many=True)
    voucher_code = serializers.CharField(allow_blank=True)
    voucher_error = serializers.CharField(allow_blank=True)
    promotion_ends_at = serializers.DateTimeField(allow_null=True)
    suggestions = SuggestionSerializer(many=True)
    warnings = serializers.ListField(child=serializers.CharField())
    can_check_out = serializers.BooleanField()

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_token(self, pricing) -> str | None:
        cart = self.context.get("cart")
        return str(cart.token) if cart is not None else None


class AddLineSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(
        min_value=1, max_value=settings.CART_MAX_LINE_QUANTITY, default=1
    )


class QuantitySerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=settings.CART_MAX_LINE_QUANTITY)


class VoucherSerializer(serializers.Serializer):
    # Blank passes through so the service answers with the shop's own "Enter a voucher code."
    code = serializers.CharField(max_length=40, allow_blank=True)


class ErrorSerializer(serializers.Serializer):
    """Field name -> list of messages, as DRF reports validation errors."""

    detail = serializers.CharField(required=False)
