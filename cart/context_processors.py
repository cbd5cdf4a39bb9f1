"""The item count shown in every page's header."""

from __future__ import annotations

from django.http import HttpRequest

from cart.selectors import cart_for_request, item_count


def cart_summary(request: HttpRequest) -> dict:
    if not hasattr(request, "session"):
        return {"cart_item_count": 0}
    return {"cart_item_count": item_count(cart_for_request(request))}
