"""Request glue shared by the cart page and the API: which cart, which activity."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from cart.devices import device_class
from cart.models import Cart
from cart.selectors import cart_for_request
from cart.services import Activity, create_cart


def activity_for(request: HttpRequest) -> Activity:
    return Activity(
        locale=request.shop, device=device_class(request.headers.get("User-Agent", ""))
    )


def signed_in_user(request: HttpRequest):
    """The Django user behind the request (DRF requests included), or None."""
    user = getattr(getattr(request, "_request", request), "user", None)
    return user if user is not None and user.is_authenticated else None


def customer_of(request: HttpRequest):
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return getattr(user, "customer", None)
    return None


def current_cart(request: HttpRequest, *, create: bool = False) -> Cart | None:
    """The shopper's open cart (session or ``X-Cart-Token``); created on the first write."""
    cart = cart_for_request(request)
    if cart is None and create:
        cart = create_cart(activity=activity_for(request), customer=customer_of(request))
        if not request.headers.get(settings.CART_TOKEN_HEADER):
            request.session[settings.CART_SESSION_KEY] = str(cart.token)
    return cart
