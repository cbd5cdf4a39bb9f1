"""Request glue shared by the cart page and the API: which cart, which activity."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from cart.devices import device_class
from cart.models import Cart
from cart.pricing import CartPricing, empty_cart, price_cart
from cart.selectors import cart_for_request, item_count
from cart.services import Activity, cart_viewed, create_cart


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


_CART = "_shop_cart"
_UNREAD = object()
_PRICING = "_shop_cart_pricing"


def current_cart(request: HttpRequest, *, create: bool = False) -> Cart | None:
    """The shopper's open cart (session or ``X-Cart-Token``); created on the first write.

    Read once per request: the view, the header's item count and the API share it.
    """
    request = getattr(request, "_request", request)  # a DRF request: the Django one under it
    cart = getattr(request, _CART, _UNREAD)
    if cart is _UNREAD:
        cart = cart_for_request(request)
    if cart is None and create:
        cart = create_cart(activity=activity_for(request), customer=customer_of(request))
        if not request.headers.get(settings.CART_TOKEN_HEADER):
            request.session[settings.CART_SESSION_KEY] = str(cart.token)
    setattr(request, _CART, cart)
    return cart


def price_for_request(request: HttpRequest, cart: Cart | None, **options) -> CartPricing:
    """Price the request's cart (an empty one when there is none) in the request's locale, and
    keep the result for the page header: a request prices its cart once."""
    pricing = price_cart(cart or empty_cart(request.shop), request.shop, **options)
    remember_pricing(request, pricing)
    if cart is not None and cart.pk and request.method == "GET":  # the page, or the API's GET
        cart_viewed.send(sender=Cart, cart=cart, pricing=pricing)
    return pricing


def remember_pricing(request: HttpRequest, pricing: CartPricing) -> None:
    """The view priced the request's cart: the header counts its items from this."""
    setattr(getattr(request, "_request", request), _PRICING, pricing)


def item_count_for_request(request: HttpRequest) -> int:
    """Units in the request's cart, for the header: from the pricing when the view priced the
    cart, else one query (once per request)."""
    request = getattr(request, "_request", request)
    pricing = getattr(request, _PRICING, None)
    if pricing is not None:
        return pricing.item_count
    if not hasattr(request, "_shop_item_count"):
        request._shop_item_count = item_count(current_cart(request))
    return request._shop_item_count
