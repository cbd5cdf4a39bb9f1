"""Checkout JSON API: quote, set contact, place order (``Idempotency-Key`` header).

Same rules as the checkout page: the quote is the cart's pricing for a country, shipping and
payment method; placing needs the total the shopper was shown and refuses if it changed.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from cart.api import CART_TOKEN, CartAPIView
from cart.http import activity_for, current_cart, signed_in_user
from cart.pricing import price_cart
from cart.selectors import cart_token_from_request
from cart.serializers import CartPricingSerializer
from cart.services import CartError, attach_contact, set_region
from cart.throttles import CONTACT_THROTTLES, PLACE_ORDER_THROTTLES
from checkout.addresses import validate_address
from checkout.links import payment_return_url
from checkout.selectors import order_of_cart_token
from checkout.services import (
    CheckoutData,
    CheckoutError,
    Submission,
    TotalChanged,
    scoped_key,
    start_payment,
    submit_order,
)

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=True,
    description="Any unique string per order attempt; a retry with the same key returns the "
    "same order.",
)  # fmt: skip


class QuoteSerializer(serializers.Serializer):
    country = serializers.CharField(max_length=2, required=False)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    region = serializers.CharField(
        max_length=10, required=False, allow_blank=True,
        help_text="State or province code (US, CA): sales tax depends on it.",
    )  # fmt: skip
    shipping_method = serializers.IntegerField(required=False, allow_null=True)
    payment_method = serializers.CharField(max_length=20, required=False, allow_blank=True)


class ContactSerializer(serializers.Serializer):
    email = serializers.EmailField()
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    marketing_consent = serializers.BooleanField(required=False, allow_null=True, default=None)
    sms_consent = serializers.BooleanField(
        required=False, allow_null=True, default=None,
        help_text="Recovery and offers by SMS. Where SMS needs its own consent (US, opt-in "
        "markets) only this field counts for SMS; omitted: not asked.",
    )  # fmt: skip


class PlaceOrderSerializer(ContactSerializer):
    address = serializers.DictField(child=serializers.CharField(allow_blank=True))
    shipping_method = serializers.IntegerField()
    payment_method = serializers.CharField(max_length=20)
    expected_total = serializers.DecimalField(max_digits=14, decimal_places=3)


class PaymentActionSerializer(serializers.Serializer):
    status = serializers.CharField()
    redirect_url = serializers.CharField(allow_blank=True, help_text="Send the shopper here.")
    instructions = serializers.DictField(help_text="What to pay and how (Pix, transfer, COD).")


class OrderSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField()
    total = serializers.DecimalField(max_digits=14, decimal_places=3)
    currency = serializers.CharField()
    payment_method = serializers.CharField()
    delivery_from = serializers.DateField()
    delivery_to = serializers.DateField()
    payment = PaymentActionSerializer(read_only=True, required=False)


class QuoteView(CartAPIView):
    @extend_schema(parameters=[CART_TOKEN], request=QuoteSerializer,
                   responses=CartPricingSerializer, summary="Price the checkout")  # fmt: skip
    def post(self, request):
        data = self.validated(QuoteSerializer, request)
        cart = self.cart_or_404(request)
        if "region" in data:
            set_region(cart=cart, region=data["region"], activity=activity_for(request))
        country = (data.get("country") or request.shop.country).upper()
        if country not in request.shop_markets:
            raise ValidationError({"country": [_("We do not ship to this country.")]})
        locale = request.shop
        if country != locale.country:
            market = request.shop_markets[country]
            from shop.locale import ShopLocale

            locale = ShopLocale(language=locale.language, country=country,
                                currency=market.currency, market=market)  # fmt: skip
        pricing = price_cart(
            cart, locale, shipping_method_id=data.get("shipping_method"),
            payment_method=data.get("payment_method") or None, with_suggestions=False,
        )  # fmt: skip
        return Response(
            CartPricingSerializer(pricing, context={"cart": cart, "country": country}).data
        )


class ContactView(CartAPIView):
    throttle_classes = CONTACT_THROTTLES
    @extend_schema(parameters=[CART_TOKEN], request=ContactSerializer,
                   responses={204: None}, summary="Save the shopper's contact early")  # fmt: skip
    def post(self, request):
        data = self.validated(ContactSerializer, request)
        cart = current_cart(request, create=True)
        self.run(
            lambda: attach_contact(
                cart=cart, email=data["email"], phone=data.get("phone", ""),
                first_name=data.get("first_name", ""), last_name=data.get("last_name", ""),
                marketing_consent=data.get("marketing_consent"),
                sms_consent=data.get("sms_consent"), activity=activity_for(request),
                signed_in_user=signed_in_user(request),
            )
        )  # fmt: skip
        return Response(status=status.HTTP_204_NO_CONTENT)


class PlaceOrderView(CartAPIView):
    """Placement is throttled per client and per e-mail (``PLACE_ORDER_THROTTLES``), but a retry
    of an attempt already placed is answered without counting: it creates nothing."""

    @extend_schema(
        parameters=[CART_TOKEN, IDEMPOTENCY_KEY],
        request=PlaceOrderSerializer,
        responses={201: OrderSerializer, 409: None, 429: None},
        summary="Place the order",
    )
    def post(self, request):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key or len(key) > 80:
            raise ValidationError(
                {"Idempotency-Key": [_("Send a unique Idempotency-Key header.")]}
            )
        data = self.validated(PlaceOrderSerializer, request)
        placed = order_of_cart_token(cart_token_from_request(request))
        if placed is not None and placed.idempotency_key == scoped_key(placed.cart, key):
            return self.answer(request, placed)
        self.throttle(request, PLACE_ORDER_THROTTLES)
        cart = self.cart_or_404(request)
        market = request.shop.market
        phone_required = bool(market and market.phone_required) or data["payment_method"] == "cod"
        try:
            address = validate_address(
                data["address"], request.shop.country, phone_required=phone_required
            )
        except DjangoValidationError as error:
            raise ValidationError({"address": error.message_dict}) from None
        try:
            submitted = submit_order(
                cart=cart, locale=request.shop, activity=activity_for(request),
                signed_in_user=signed_in_user(request), idempotency_key=key,
                return_url=lambda order: payment_return_url(request, order),
                data=CheckoutData(
                    email=data["email"], phone=address.get("phone", data.get("phone", "")),
                    address=address, shipping_method_id=data["shipping_method"],
                    payment_method=data["payment_method"],
                    expected_total=data["expected_total"],
                    marketing_consent=data.get("marketing_consent"),
                    sms_consent=data.get("sms_consent"),
                ),
            )  # fmt: skip
        except TotalChanged as changed:
            body = CartPricingSerializer(
                changed.pricing,
                context={"cart": cart, "country": request.shop.country},
            ).data
            return Response(
                {"expected_total": [changed.message], "pricing": body},
                status=status.HTTP_409_CONFLICT,
            )
        except CheckoutError as error:
            raise ValidationError({error.field: [error.message]}) from None
        except CartError as error:
            raise ValidationError({error.field: error.messages}) from None
        return Response(self.order_body(submitted), status=status.HTTP_201_CREATED)

    def get_throttles(self):
        return []  # counted in post(), once the request is known not to be a retry

    def throttle(self, request, throttle_classes) -> None:
        for throttle_class in throttle_classes:
            throttle = throttle_class()
            if not throttle.allow_request(request, self):
                self.throttled(request, throttle.wait())

    def answer(self, request, order) -> Response:
        """A retry of an order placed already: the same order and payment."""
        try:
            payment, start = start_payment(
                order=order, return_url=payment_return_url(request, order)
            )
        except CheckoutError as error:
            raise ValidationError({error.field: [error.message]}) from None
        submitted = Submission(order=order, payment=payment, start=start)
        return Response(self.order_body(submitted), status=status.HTTP_201_CREATED)

    @staticmethod
    def order_body(submitted: Submission) -> dict:
        """The order and what the shopper does next to pay (the same on a retry)."""
        body = OrderSerializer(submitted.order).data
        body["payment"] = {
            "status": submitted.payment.status,
            "redirect_url": submitted.start.redirect_url,
            "instructions": submitted.start.instructions,
        }
        return body
