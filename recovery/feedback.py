""""Why did you leave?": the answer a shopper gives through the link in a recovery message.

Every message carries a signed, expiring link (``recovery.links.feedback_token``) that names the
message, its cart and the abandonment it was written for; each reason in the mail is that link
with the reason added, so one click opens the page with the answer chosen. The page stores the
answer on a POST (a GET writes nothing: mail scanners open links), which its script sends at
once; without JavaScript the shopper confirms with one button. One answer per abandonment: a
second one replaces the first. ``leave_feedback_given`` tells the reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from recovery.links import FEEDBACK_SALT, read
from recovery.models import LeaveFeedback, LeaveReason, RecoveryMessage
from recovery.signals import leave_feedback_given

MAX_TEXT = 1000


@dataclass(frozen=True)
class FeedbackLink:
    """What a valid link names: the message, and the abandonment it was written for."""

    message: RecoveryMessage
    abandoned_at: datetime


def max_age() -> timedelta:
    return timedelta(days=settings.RECOVERY_LINK_MAX_AGE_DAYS)


def read_link(token: str) -> FeedbackLink | None:
    """The link's message and abandonment, or None when the token is forged or expired, or its
    message or cart is gone."""
    data = read(token, FEEDBACK_SALT, max_age())
    if data is None:
        return None
    message = (RecoveryMessage.objects.select_related("cart").filter(pk=data.get("m"))
               .exclude(cart=None).first())  # fmt: skip
    if message is None or message.cart_id != data.get("c"):
        return None
    cart = message.cart
    abandoned_at = parse_datetime(data.get("a") or "") or cart.abandoned_at or cart.last_activity_at
    return FeedbackLink(message=message, abandoned_at=abandoned_at)


def answer_for(link: FeedbackLink) -> LeaveFeedback | None:
    return LeaveFeedback.objects.filter(cart_id=link.message.cart_id,
                                        abandoned_at=link.abandoned_at).first()  # fmt: skip


def record_leave_feedback(*, link: FeedbackLink, reason: str, text: str = "",
                          language: str) -> LeaveFeedback:  # fmt: skip
    """Store the answer for the link's abandonment, or replace the one given before; then send
    ``leave_feedback_given`` (after commit)."""
    if reason not in LeaveReason.values:
        raise ValueError(f"unknown reason {reason!r}")
    text = text.strip()[:MAX_TEXT] if reason == LeaveReason.OTHER else ""
    message = link.message
    values = {"reason": reason, "text": text, "language": language, "message": message,
              "customer_id": message.customer_id, "updated_at": timezone.now()}  # fmt: skip
    # One transaction of its own, and a concurrent first answer is found, not duplicated.
    feedback, _ = LeaveFeedback.objects.update_or_create(
        cart_id=message.cart_id, abandoned_at=link.abandoned_at, defaults=values
    )
    transaction.on_commit(
        lambda: leave_feedback_given.send(sender=LeaveFeedback, feedback=feedback)
    )
    return feedback
