"""Reads of carts: finding the shopper's cart, the header count."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest

from cart.models import Cart, CartStatus
from shop.selectors import markets_by_id

OPEN_STATUSES = (CartStatus.ACTIVE, CartStatus.ABANDONED)


def cart_token_from_request(request: HttpRequest) -> str | None:
    """An app sends its cart token in a header; a browser has it in its session."""
    header = request.headers.get(settings.CART_TOKEN_HEADER)
    if header:
        return header.strip()
    return request.session.get(settings.CART_SESSION_KEY)


def open_cart(token: str | None) -> Cart | None:
    """The open cart with this token. One query; its market comes from the configuration cache,
    its customer is read only when asked for."""
    try:
        token_uuid = uuid.UUID(str(token))
    except ValueError:  # none, or a malformed token from a client
        return None
    cart = Cart.objects.filter(token=token_uuid, status__in=OPEN_STATUSES).first()
    if cart is not None and cart.market_id is not None:
        market = markets_by_id().get(cart.market_id)
        if market is not None:
            cart.market = market
    return cart


def cart_for_request(request: HttpRequest) -> Cart | None:
    return open_cart(cart_token_from_request(request))


def item_count(cart: Cart | None) -> int:
    """Units in the cart, for the header. One query."""
    if cart is None:
        return 0
    return cart.lines.aggregate(total=Sum("quantity"))["total"] or 0


def open_cart_of_customer(customer_id: int) -> Cart | None:
    return (
        Cart.objects.filter(customer_id=customer_id, status__in=OPEN_STATUSES)
        .order_by("-last_activity_at")
        .first()
    )
