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


class InstalmentSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    amount = MoneySerializer()


class PaymentOptionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    fee = MoneySerializer()
    available = serializers.BooleanField()
    min_order = MoneySerializer(allow_null=True)
    max_order = MoneySerializer(allow_null=True)
    max_instalments = serializers.IntegerField()
    instalments = InstalmentSerializer(many=True)


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

    def to_representation(self, pricing) -> dict:
        """The same JSON as DRF's generic walk over the fields above (a test holds the two
        equal), built directly: DRF copies every nested field for each serializer it makes,
        which cost more than pricing the cart."""
        return pricing_json(pricing, self.context)


_DATETIME = serializers.DateTimeField()
_DATE = serializers.DateField()
_PROGRESS = serializers.DecimalField(max_digits=4, decimal_places=2)
_RATE = serializers.DecimalField(max_digits=6, decimal_places=3)


def pricing_json(pricing, context: dict) -> dict:
    language, country = get_language(), context.get("country")

    def money(value):
        if value is None:
            return None
        return {"amount": str(value.amount), "currency": str(value.currency),
                "formatted": format_money(value, language, country)}  # fmt: skip

    def when(value):
        return None if value is None else _DATETIME.to_representation(value)

    def shipping(option):
        if option is None:
            return None
        return {
            "id": option.method_id, "name": str(option.name), "carrier": str(option.carrier),
            "price": money(option.price), "regular_price": money(option.regular_price),
            "is_free": option.is_free, "tracked": option.tracked,
            "delivery_from": _DATE.to_representation(option.delivery_from),
            "delivery_to": _DATE.to_representation(option.delivery_to),
        }  # fmt: skip

    cart = context.get("cart")
    free = pricing.free_shipping
    return {
        "token": str(cart.token) if cart is not None else None,
        "currency": str(pricing.currency),
        "country": str(pricing.country),
        "language": str(pricing.language),
        "prices_include_tax": pricing.prices_include_tax,
        "item_count": pricing.item_count,
        "lines": [
            {
                "id": line.line_id, "sku": str(line.sku), "product_name": str(line.product_name),
                "product_slug": str(line.product_slug),
                "attributes": [{"name": name, "value": value, "swatch": swatch}
                               for name, value, swatch in line.attributes],
                "image_url": None if line.image_url is None else str(line.image_url),
                "quantity": line.quantity, "unit_price": money(line.unit_price),
                "line_total": money(line.line_total), "added_at": when(line.added_at),
                "stock_state": line.stock_state, "stock_available": line.stock_available,
                "price_changed": line.price_changed, "price_seen": money(line.price_seen),
            }
            for line in pricing.lines
        ],  # fmt: skip
        "subtotal": money(pricing.subtotal),
        "discounts": [
            {"kind": d.kind, "label": str(d.label), "amount": money(d.amount),
             "ends_at": when(d.ends_at), "code": str(d.code)}
            for d in pricing.discounts
        ],  # fmt: skip
        "discount": money(pricing.discount),
        "shipping_options": [shipping(option) for option in pricing.shipping_options],
        "shipping": shipping(pricing.shipping),
        "shipping_price": money(pricing.shipping_price),
        "tax": money(pricing.tax),
        "tax_included": pricing.tax_included,
        "tax_known": pricing.tax_known,
        "tax_rate": _RATE.to_representation(pricing.tax_rate),
        "duties": money(pricing.duties),
        "duty_mode": pricing.duty_mode,
        "duties_prepaid": pricing.duties_prepaid,
        "payment_fee": money(pricing.payment_fee),
        "payment_method": str(pricing.payment_method),
        "total": money(pricing.total),
        "free_shipping": None if free is None else {
            "threshold": money(free.threshold), "missing": money(free.missing),
            "progress": _PROGRESS.to_representation(free.progress), "unlocked": free.unlocked,
        },  # fmt: skip
        "payment_options": [
            {"code": str(o.code), "name": str(o.name), "fee": money(o.fee),
             "available": o.available, "min_order": money(o.min_order),
             "max_order": money(o.max_order), "max_instalments": o.max_instalments,
             "instalments": [{"count": i.count, "amount": money(i.amount)}
                             for i in o.instalments]}
            for o in pricing.payment_options
        ],  # fmt: skip
        "trust_badges": [{"kind": str(b.kind), "text": str(b.text)} for b in pricing.trust_badges],
        "voucher_code": str(pricing.voucher_code),
        "voucher_error": str(pricing.voucher_error),
        "promotion_ends_at": when(pricing.promotion_ends_at),
        "suggestions": [
            {"sku": str(item.sku), "product_name": str(item.product_name),
             "product_slug": str(item.product_slug),
             "image_url": None if item.image_url is None else str(item.image_url),
             "price": money(item.price)}
            for item in pricing.suggestions
        ],  # fmt: skip
        "warnings": [str(warning) for warning in pricing.warnings],
        "can_check_out": pricing.can_check_out,
    }


class QuantityField(serializers.IntegerField):
    """A whole number from 1 to ``CART_MAX_LINE_QUANTITY``, refused with the cart's own message
    (the one the cart page shows next to its field), not DRF's generic one."""

    def __init__(self, **kwargs) -> None:
        super().__init__(min_value=1, max_value=settings.CART_MAX_LINE_QUANTITY, **kwargs)

    def to_internal_value(self, data) -> int:
        from cart.services import CartError, parse_quantity

        try:
            return parse_quantity(data)
        except CartError as error:
            raise serializers.ValidationError(error.messages[0], code=error.code) from None


class AddLineSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = QuantityField(default=1)


class QuantitySerializer(serializers.Serializer):
    quantity = QuantityField()


class VoucherSerializer(serializers.Serializer):
    # Blank passes through so the service answers with the shop's own "Enter a voucher code."
    code = serializers.CharField(max_length=40, allow_blank=True)


class ErrorSerializer(serializers.Serializer):
    """Field name -> list of messages, as DRF reports validation errors."""

    detail = serializers.CharField(required=False)
