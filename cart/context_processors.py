"""The item count shown in every page's header."""

from __future__ import annotations

from django.http import HttpRequest

from cart.http import item_count_for_request


def cart_summary(request: HttpRequest) -> dict:
    """The count is computed only if the page shows it, from the pricing when there is one."""
    if not hasattr(request, "session"):
        return {"cart_item_count": 0}
    return {"cart_item_count": lambda: item_count_for_request(request)}
