"""Signed, expiring links in recovery messages: restore the cart, open pixel, unsubscribe, and
"why did you leave?" (``feedback``).

Each token names the message it came from (for open and click tracking and for attributing a
recovered order) and is signed with the project's secret, so a tampered or expired link is
refused.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

RESTORE_SALT = "recovery.restore"
OPEN_SALT = "recovery.open"
UNSUBSCRIBE_SALT = "recovery.unsubscribe"
FEEDBACK_SALT = "recovery.feedback"


def _absolute(path: str) -> str:
    return settings.SHOP_BASE_URL.rstrip("/") + path


def sign(data: dict, salt: str) -> str:
    return signing.dumps(data, salt=salt)


def restore_url(message) -> str:
    token = signing.dumps({"m": message.pk, "c": str(message.cart.token)}, salt=RESTORE_SALT)
    return _absolute(reverse("recovery:restore", kwargs={"token": token}))


def open_pixel_url(message) -> str:
    token = signing.dumps({"m": message.pk}, salt=OPEN_SALT)
    return _absolute(reverse("recovery:open", kwargs={"token": token}))


def unsubscribe_url(message) -> str:
    token = signing.dumps({"m": message.pk, "u": message.customer_id}, salt=UNSUBSCRIBE_SALT)
    return _absolute(reverse("recovery:unsubscribe", kwargs={"token": token}))


def feedback_token(message) -> str:
    """The message, its cart and the abandonment it was written for (so an answer given after
    the cart was abandoned again is not counted against the newer abandonment)."""
    cart = message.cart
    abandoned = cart.abandoned_at.isoformat() if cart is not None and cart.abandoned_at else ""
    return sign({"m": message.pk, "c": message.cart_id, "a": abandoned}, FEEDBACK_SALT)


def feedback_url(message) -> str:
    return _absolute(reverse("recovery:feedback", kwargs={"token": feedback_token(message)}))


def read(token: str, salt: str, max_age: timedelta) -> dict | None:
    """The token's data, or None when it is tampered with or expired."""
    try:
        return signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return None
