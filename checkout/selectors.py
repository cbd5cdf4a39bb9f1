"""Reads of the checkout: consent wording per market, orders for their confirmation page."""

from __future__ import annotations

from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from checkout.models import Order, OrderLine, Payment
from shop.models import Market

CONFIRMATION_SALT = "checkout.confirmation"
CONFIRMATION_MAX_AGE = 60 * 60 * 24 * 30


def consent_text(market: Market | None, *, sms_apart: bool = False) -> str:
    """What the shopper agrees to receive, said plainly next to the box. ``sms_apart``: SMS has
    its own box (``sms_consent_text``), so this one speaks of e-mail only."""
    if sms_apart:
        return _(
            "Send me offers, new arrivals and a reminder if I leave items in my cart, by e-mail. "
            "I can unsubscribe at any time."
        )
    return _(
        "Send me offers, new arrivals and a reminder if I leave items in my cart, by e-mail "
        "(and SMS if I give my phone). I can unsubscribe at any time."
    )


def sms_consent_text() -> str:
    return _(
        "Send me offers and a reminder if I leave items in my cart by SMS to the phone number "
        "I give. Message and data rates may apply; reply STOP to stop."
    )


def order_of_cart_token(token: str | None) -> Order | None:
    """The live order placed from the cart with this token, if any."""
    if not token:
        return None
    try:
        return (
            Order.objects.filter(cart__token=token)
            .exclude(status="cancelled")
            .order_by("-created_at")
            .first()
        )
    except (ValueError, ValidationError):  # not a UUID
        return None


def order_for_confirmation(number: str, *, token: str, session_numbers: list[str]) -> Order | None:
    """The order if this visitor may see it: placed in this session, or a signed link."""
    allowed = number in session_numbers
    if not allowed and token:
        try:
            allowed = (
                signing.loads(token, salt=CONFIRMATION_SALT, max_age=CONFIRMATION_MAX_AGE).get(
                    "order"
                )
                == number
            )
        except signing.BadSignature:
            allowed = False
    if not allowed:
        return None
    return (
        Order.objects.select_related("customer", "market")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
            Prefetch("payments", queryset=Payment.objects.order_by("-created_at")),
        )
        .filter(number=number)
        .first()
    )
