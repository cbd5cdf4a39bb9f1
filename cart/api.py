"""Cart JSON API (``/api/v1/cart/``) for headless shops and the cart page's own script.

The cart is the session's (browsers) or the one named by the ``X-Cart-Token`` header (apps);
the first write creates it and the response carries its token. Every answer is the whole
``CartPricing``, the same the cart page shows. Bad input is a 400 with field errors, an unknown
SKU a 404; a session-based write needs the CSRF token like any form.
"""

from __future__ import annotations

from django.conf import settings
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from cart import services
from cart.http import activity_for, current_cart, price_for_request
from cart.serializers import (
    AddLineSerializer,
    CartPricingSerializer,
    QuantitySerializer,
    VoucherSerializer,
)
from cart.services import CartError, UnknownVariant
from cart.throttles import CART_WRITE_THROTTLES

CART_TOKEN = OpenApiParameter(
    settings.CART_TOKEN_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="The cart's token, for apps without a session cookie.",
)


class CsrfUnlessTokenHeader(BasePermission):
    """Writes that rely on the session cookie must carry the CSRF token. Apps name their cart in
    a header, or send no cookie at all to start one: a forged cross-site request cannot reach a
    cart through them."""

    def has_permission(self, request, view) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        if request.headers.get(settings.CART_TOKEN_HEADER):
            return True
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return True
        check = CsrfViewMiddleware(lambda req: None)
        check.process_request(request._request)
        reason = check.process_view(request._request, None, (), {})
        if reason:
            raise PermissionDenied(f"CSRF failed: {reason.reason_phrase}")
        return True


class CartAPIView(APIView):
    authentication_classes: list = []
    permission_classes = [CsrfUnlessTokenHeader]
    throttle_classes = CART_WRITE_THROTTLES  # writes per client; reads are not counted

    def respond(self, request, cart, code=status.HTTP_200_OK) -> Response:
        """The whole priced cart; a service that changed it left ``cart`` as it wrote it."""
        pricing = price_for_request(request, cart)
        data = CartPricingSerializer(
            pricing, context={"cart": cart, "country": request.shop.country}
        ).data
        response = Response(data, status=code)
        if cart is not None:
            response[settings.CART_TOKEN_HEADER] = str(cart.token)
        return response

    def run(self, change) -> None:
        try:
            change()
        except UnknownVariant as error:
            raise NotFound({error.field: error.messages}) from None
        except CartError as error:
            if error.code == "unknown_line":
                raise NotFound({error.field: error.messages}) from None
            raise ValidationError({error.field: error.messages}) from None

    def validated(self, serializer_class, request):
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def cart_or_404(self, request):
        cart = current_cart(request)
        if cart is None:
            raise NotFound({"cart": [_("No cart.")]})
        return cart


class CartView(CartAPIView):
    @extend_schema(
        parameters=[CART_TOKEN], responses=CartPricingSerializer, summary="Read the cart"
    )
    def get(self, request):
        return self.respond(request, current_cart(request))

    @extend_schema(parameters=[CART_TOKEN], responses=CartPricingSerializer, summary="Empty it")
    def delete(self, request):
        cart = self.cart_or_404(request)
        self.run(lambda: services.clear_cart(cart=cart, activity=activity_for(request)))
        return self.respond(request, cart)


class LinesView(CartAPIView):
    @extend_schema(
        parameters=[CART_TOKEN],
        request=AddLineSerializer,
        responses={201: CartPricingSerializer},
        summary="Add a variant by SKU",
    )
    def post(self, request):
        data = self.validated(AddLineSerializer, request)
        cart = current_cart(request, create=True)
        self.run(
            lambda: services.add_line(
                cart=cart, sku=data["sku"], quantity=data["quantity"],
                activity=activity_for(request),
            )
        )  # fmt: skip
        return self.respond(request, cart, status.HTTP_201_CREATED)


class LineView(CartAPIView):
    @extend_schema(
        parameters=[CART_TOKEN],
        request=QuantitySerializer,
        responses=CartPricingSerializer,
        summary="Change a line's quantity",
    )
    def patch(self, request, line_id: int):
        data = self.validated(QuantitySerializer, request)
        cart = self.cart_or_404(request)
        self.run(
            lambda: services.set_quantity(
                cart=cart, line_id=line_id, quantity=data["quantity"],
                activity=activity_for(request),
            )
        )  # fmt: skip
        return self.respond(request, cart)

    @extend_schema(parameters=[CART_TOKEN], responses=CartPricingSerializer, summary="Remove")
    def delete(self, request, line_id: int):
        cart = self.cart_or_404(request)
        self.run(
            lambda: services.remove_line(cart=cart, line_id=line_id, activity=activity_for(request))
        )
        return self.respond(request, cart)


class VoucherView(CartAPIView):
    @extend_schema(
        parameters=[CART_TOKEN],
        request=VoucherSerializer,
        responses=CartPricingSerializer,
        summary="Apply a voucher",
    )
    def post(self, request):
        data = self.validated(VoucherSerializer, request)
        cart = current_cart(request, create=True)
        self.run(
            lambda: services.apply_voucher(
                cart=cart, code=data["code"], activity=activity_for(request)
            )
        )
        return self.respond(request, cart)

    @extend_schema(parameters=[CART_TOKEN], responses=CartPricingSerializer, summary="Remove it")
    def delete(self, request):
        cart = self.cart_or_404(request)
        self.run(lambda: services.remove_voucher(cart=cart, activity=activity_for(request)))
        return self.respond(request, cart)
