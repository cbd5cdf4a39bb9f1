"""Writing to the outbox and sending from it.

``queue_message`` writes the row (and, if asked, a single-use voucher for the customer) and
queues a job after commit; ``send_message`` is that job. It locks the row, skips what must not
be sent (no consent where the market needs it, unsubscribed, cart already ordered, no contact)
and records why, sends, and records the outcome. A failure keeps the row queued with its reason
until ``RECOVERY_MAX_ATTEMPTS``; RQ retries it with back-off. Delivery is at least once: a
worker killed after the mail server accepted a message but before the row was saved may send it
again; a worker killed earlier loses nothing (``requeue_stale_messages`` picks the row up).
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import timedelta
from decimal import Decimal

import django_rq
from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape
from redis.exceptions import RedisError
from rq import Retry

from cart.models import Cart, CartStatus, Voucher, VoucherKind
from cart.pricing import locale_for_cart, price_cart
from checkout.models import Order
from recovery.channels import ChannelError, send_email, send_sms
from recovery.links import open_pixel_url, restore_url, unsubscribe_url
from recovery.models import Channel, MessageStatus, RecoveryMessage, SkipReason
from shop.consent import skip_reason_for
from shop.models import Customer
from shop.money import format_money

logger = logging.getLogger(__name__)
PLACEHOLDERS = ("first_name", "cart_items", "cart_total", "restore_link", "voucher_code",
                "unsubscribe_link")  # fmt: skip


PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(template: str, values: dict[str, str]) -> str:
    """Replace ``{first_name}``-style placeholders we know; any other brace stays as typed."""
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), template)


def create_voucher(*, customer: Customer, kind: str, percentage: Decimal | None,
                   valid_days: int) -> Voucher:  # fmt: skip
    """A single-use voucher that only this customer can use."""
    return Voucher.objects.create(
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
) -> RecoveryMessage:
    """Write the message to the outbox once per ``key`` and queue its sending after commit."""
    customer = cart.customer
    message, created = RecoveryMessage.objects.get_or_create(
        key=key,
        defaults={
            "customer": customer, "cart": cart, "channel": channel, "subject": subject,
            "body": body, "voucher": voucher, "created_by": created_by,
            "language": customer.language or cart.language or settings.LANGUAGE_CODE,
        },
    )  # fmt: skip
    if created:
        transaction.on_commit(lambda: enqueue(message.pk))
    return message


def enqueue(message_id: int) -> None:
    try:
        django_rq.get_queue("mail").enqueue(
            send_message, message_id, retry=Retry(max=settings.RECOVERY_MAX_ATTEMPTS - 1,
                                                  interval=[30, 120, 600]),
            job_timeout=120,
        )  # fmt: skip
    except RedisError:  # the row stays queued; requeue_stale_messages sends it later
        logger.exception("Could not queue recovery message %s", message_id)


def skip_reason(message: RecoveryMessage) -> str:
    customer = message.customer
    cart = message.cart
    if customer.unsubscribed_at is not None:
        return SkipReason.UNSUBSCRIBED
    market = cart.market if cart else None
    if reason := skip_reason_for(customer, message.channel, market):  # shop/consent.py
        return reason
    if cart is None or cart.status in {CartStatus.CONVERTED, CartStatus.RECOVERED,
                                       CartStatus.MERGED}:  # fmt: skip
        return SkipReason.ORDERED
    since = cart.abandoned_at or cart.last_activity_at
    if Order.objects.filter(customer=customer, created_at__gte=since).exclude(
        status="cancelled"
    ).exists() or cart.orders.exclude(status="cancelled").exists():
        return SkipReason.ORDERED  # bought since, with this cart or another
    if message.channel == Channel.EMAIL and not customer.email:
        return SkipReason.NO_CONTACT
    if message.channel == Channel.SMS and not customer.phone:
        return SkipReason.NO_CONTACT
    return ""


def send_message(message_id: int, connection=None) -> str:
    """The job: send one outbox row, once. Returns its final status. A batch passes its open
    mail ``connection``. The row's newsletter is marked done when it was its last."""
    try:
        return _send_message(message_id, connection)
    finally:
        from recovery.campaigns import finish_if_done

        finish_if_done([message_id])


def _send_message(message_id: int, connection=None) -> str:
    with transaction.atomic():
        message = (
            RecoveryMessage.objects.select_for_update(of=("self",))
            .select_related("customer", "cart__market", "cart__customer", "voucher", "campaign")
            .filter(pk=message_id)
            .first()
        )
        if message is None or message.status != MessageStatus.QUEUED:
            return message.status if message else "missing"
        reason = skip_reason(message)
        if reason:
            message.status, message.skip_reason = MessageStatus.SKIPPED, reason
            message.save(update_fields=["status", "skip_reason"])
            return message.status
        message.attempts += 1
        campaign = message.campaign
        if campaign is not None and campaign.voucher_kind and message.voucher_id is None:
            message.voucher = create_voucher(
                customer=message.customer, kind=campaign.voucher_kind,
                percentage=campaign.voucher_percentage, valid_days=campaign.voucher_days,
            )  # fmt: skip
            message.save(update_fields=["voucher"])
        try:
            _deliver(message, connection)
        except (ChannelError, OSError, ValueError, LookupError) as error:  # LookupError: no rate
            message.failure_reason = str(error)[:255] or error.__class__.__name__
            if message.attempts >= settings.RECOVERY_MAX_ATTEMPTS:
                message.status = MessageStatus.FAILED
            message.save(update_fields=["status", "failure_reason", "attempts"])
            if message.status == MessageStatus.FAILED:
                return message.status
            failed = True
        else:
            failed = False
            message.status, message.sent_at = MessageStatus.SENT, timezone.now()
            message.failure_reason = ""
            message.save(update_fields=["status", "sent_at", "failure_reason", "attempts"])
    if failed:  # outside the transaction, so the attempt and its reason are saved
        raise RuntimeError(f"recovery message {message_id} failed: {message.failure_reason}")
    return message.status


def rendered(message: RecoveryMessage) -> dict[str, str]:
    """Subject, text and HTML of a message in the customer's language (also the preview)."""
    cart = message.cart
    with translation.override(message.language):
        pricing = price_cart(cart, locale_for_cart(cart), with_suggestions=False)
        money = lambda amount: format_money(amount, pricing.language, pricing.country)  # noqa: E731
        items = "\n".join(f"{line.quantity} × {line.product_name}"
                          + (f" ({', '.join(v for _, v, _ in line.attributes)})"
                             if line.attributes else "")
                          + f" — {money(line.line_total)}" for line in pricing.lines)  # fmt: skip
        values = {
            "first_name": message.customer.first_name,
            "cart_items": items,
            "cart_total": money(pricing.total),
            "restore_link": restore_url(message) if message.pk else "",
            "voucher_code": message.voucher.code if message.voucher else "",
            "unsubscribe_link": unsubscribe_url(message) if message.pk else "",
        }
        subject = " ".join(fill(message.subject, values).split())  # a mail header is one line
        text = fill(message.body, values)
        html_values = {key: escape(value) for key, value in values.items()}
        html_body = fill(escape(message.body), html_values).replace("\n", "<br>\n")
        base = settings.SHOP_BASE_URL.rstrip("/")
        lines = [
            {"quantity": line.quantity, "name": line.product_name, "attributes": line.attributes,
             "total": money(line.line_total),
             "image": base + line.image_url if line.image_url else ""}
            for line in pricing.lines
        ]  # fmt: skip
        context = {"message": message, "lines": lines, "body_html": html_body,
                   "values": values, "shop_name": settings.SHOP_NAME,
                   "open_pixel": open_pixel_url(message) if message.pk else ""}  # fmt: skip
        html = render_to_string("recovery/email/message.html", context)
        body = text
        text = render_to_string("recovery/email/message.txt", {**context, "body_text": body})
    return {"subject": subject, "text": text, "html": html, "body": body}


def _deliver(message: RecoveryMessage, connection=None) -> None:
    content = rendered(message)
    if message.channel == Channel.SMS:
        send_sms(to=message.customer.phone, text=content["body"][:600])
        return
    with translation.override(message.language):
        unsubscribe = unsubscribe_url(message)
    send_email(
        to=message.customer.email,
        subject=content["subject"],
        text=content["text"],
        html=content["html"],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        connection=connection,
    )


def requeue_stale_messages(older_than_minutes: int = 10) -> int:
    """Cron: queue again the rows a killed worker or a down Redis left queued."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    ids = list(
        RecoveryMessage.objects.filter(status=MessageStatus.QUEUED, created_at__lt=cutoff)
        .values_list("pk", flat=True)[:1000]
    )
    for message_id in ids:
        enqueue(message_id)
    return len(ids)
