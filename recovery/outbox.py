"""Writing to the outbox, and the one-message job.

``queue_message`` writes the row (and, if asked, a single-use voucher for the customer) and
queues a job after commit; ``send_message`` is that job, a batch of one
(``recovery.sending``): it skips what must not be sent (no consent where the market needs it,
unsubscribed, cart already ordered, no contact) and records why, sends, and records the
outcome. A failure keeps the row queued with its reason until ``RECOVERY_MAX_ATTEMPTS``; RQ
retries it with back-off. A gateway's refusal that no retry can change (an invalid number, bad
credentials: ``recovery.gateways.base``) ends the row at once, undeliverable or failed.
Delivery is at least once: a worker killed after the mail server (or gateway) accepted a
message but before the row was saved may send it again; a worker killed earlier loses nothing
(``requeue_stale_messages`` picks the row up within two minutes).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from decimal import Decimal

import django_rq
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from redis.exceptions import RedisError
from rq import Retry

from cart.models import Cart, Voucher, VoucherKind
from cart.pricing import locale_for_cart, price_cart
from recovery.models import MessageStatus, RecoveryMessage
from recovery.rendering import Renderer, fill  # noqa: F401  (fill: placeholders, for callers)
from recovery.sending import requeue_stale_messages, send_messages  # noqa: F401  (cron path)
from shop.models import Customer

logger = logging.getLogger(__name__)
PLACEHOLDERS = ("first_name", "cart_items", "cart_total", "restore_link", "voucher_code",
                "unsubscribe_link", "feedback_link")  # fmt: skip


def create_voucher(*, customer: Customer, kind: str, percentage: Decimal | None,
                   valid_days: int) -> Voucher:  # fmt: skip
    """A single-use voucher that only this customer can use."""
    voucher = new_voucher(customer=customer, kind=kind, percentage=percentage,
                          valid_days=valid_days)  # fmt: skip
    voucher.save()
    return voucher


def new_voucher(*, customer: Customer, kind: str, percentage: Decimal | None,
                valid_days: int) -> Voucher:  # fmt: skip
    """The voucher of :func:`create_voucher`, unsaved (a batch saves many in one query)."""
    return Voucher(
        code="R-" + uuid.uuid4().hex[:8].upper(),
        kind=kind,
        percentage=percentage if kind == VoucherKind.PERCENTAGE else None,
        valid_until=timezone.now() + timedelta(days=valid_days),
        usage_limit=1,
        once_per_customer=True,
        customer=customer,
    )


@transaction.atomic
def queue_message(
    *,
    key: str,
    cart: Cart,
    channel: str,
    subject: str,
    body: str,
    voucher: Voucher | None = None,
    created_by: str = "",
    requested: bool = False,
) -> RecoveryMessage:
    """Write the message to the outbox once per ``key`` and queue its sending after commit.
    ``requested``: the shopper asked for it (no marketing consent needed, see the model)."""
    customer = cart.customer
    job_id = uuid.uuid4().hex
    message, created = RecoveryMessage.objects.get_or_create(
        key=key,
        defaults={
            "customer": customer, "cart": cart, "channel": channel, "subject": subject,
            "body": body, "voucher": voucher, "created_by": created_by, "job_id": job_id,
            "requested": requested,
            "language": customer.language or cart.language or settings.LANGUAGE_CODE,
        },
    )  # fmt: skip
    if created:
        transaction.on_commit(lambda: enqueue(message.pk, job_id=job_id))
    return message


def enqueue(message_id: int, job_id: str | None = None) -> None:
    try:
        django_rq.get_queue("mail").enqueue(
            send_message, message_id, retry=Retry(max=settings.RECOVERY_MAX_ATTEMPTS - 1,
                                                  interval=[30, 120, 600]),
            job_timeout=120, job_id=job_id,
        )  # fmt: skip
    except RedisError:  # the row stays queued; requeue_stale_messages sends it later
        logger.exception("Could not queue recovery message %s", message_id)


def send_message(message_id: int, connection=None) -> str:
    """The job: send one outbox row, once. Returns its final status; raises when this attempt
    failed and another will follow (so RQ retries it). A caller may pass an open mail
    ``connection``."""
    outcome = send_messages([message_id], connection=connection)
    if message_id not in outcome:  # sent, skipped or failed before, or held by a live sender
        row = RecoveryMessage.objects.filter(pk=message_id).values_list("status", flat=True)
        return row.first() or "missing"
    status = outcome[message_id]
    if status == MessageStatus.QUEUED:
        reason = RecoveryMessage.objects.filter(pk=message_id).values_list(
            "failure_reason", flat=True).first()  # fmt: skip
        raise RuntimeError(f"recovery message {message_id} failed: {reason}")
    return status


def rendered(message: RecoveryMessage) -> dict[str, str]:
    """Subject, text and HTML of a message in the customer's language (also the preview)."""
    cart = message.cart
    with translation.override(message.language):
        pricing = price_cart(cart, locale_for_cart(cart), with_suggestions=False)
    return Renderer().render(message, pricing)
