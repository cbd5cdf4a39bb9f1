"""Sending outbox rows in batches: claim, load once, decide, render once per language, send.

A batch (a newsletter's RQ job, or one message's) costs a fixed number of queries for loading,
whatever its size: the rows with their customers, carts and markets; the orders that make a row
"already ordered"; vouchers; skips by reason; the carts' pricing (``cart.pricing.price_carts``)
per language. Each message then costs its mail and one autocommitted ``UPDATE`` that records
it sent. No transaction is open across an SMTP round trip.

At least once, and no duplicate beyond the message in flight: a job first *claims* its rows
(``job_id``, ``heartbeat_at``) so a second job for the same rows sends nothing, beats every few
seconds while it sends, and records each message as sent right after the mail server accepted
it. A worker killed mid-batch leaves its unsent rows queued with a heartbeat that stops;
``requeue_stale_messages`` (cron, every minute) queues them again once the lease has run out
(``RECOVERY_SENDER_LEASE_SECONDS``, one minute), and rows whose job vanished from Redis: within
two minutes of the crash. Only the message in flight at the kill may arrive twice.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

import django_rq
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import connection as db
from django.db.models import Q
from django.utils import timezone, translation
from redis.exceptions import RedisError
from rq.job import Job, JobStatus

from cart.models import CartStatus, Voucher
from cart.pricing import CartPricing, locale_for_cart, price_cart, price_carts
from checkout.models import Order
from recovery import mime
from recovery.channels import send_sms, send_whatsapp
from recovery.frequency import Cap
from recovery.gateways.base import UNCONFIRMED
from recovery.incentives import give_flow_vouchers
from recovery.models import (
    Campaign,
    CampaignStatus,
    Channel,
    MessageStatus,
    RecoveryMessage,
    SkipReason,
)
from recovery.quiet_hours import wait_until
from recovery.rendering import Renderer
from shop.consent import skip_reason_for
from shop.locale import language_tag

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
CLOSED = {CartStatus.CONVERTED, CartStatus.RECOVERED, CartStatus.MERGED}


def skip_reason(message: RecoveryMessage, ordered_since: bool) -> str:
    """Why ``message`` must not be sent, or "". ``ordered_since``: the customer ordered since
    the cart was abandoned (with any cart), or someone ordered from this cart."""
    customer, cart = message.customer, message.cart
    if customer.unsubscribed_at is not None:
        return SkipReason.UNSUBSCRIBED
    reason = skip_reason_for(customer, message.channel, cart.market if cart else None)
    # A message the shopper asked for (their cart saved by e-mail) needs no marketing consent;
    # an unsubscribe from its channel still stops it.
    if reason == SkipReason.NO_CONSENT and message.requested:
        reason = None
    if reason:  # no consent for the channel, or unsubscribed from this channel alone
        return reason
    if cart is None or cart.status in CLOSED or ordered_since:
        return SkipReason.ORDERED
    if message.enrollment_id:
        reason = flow_stop_reason(message)
        if reason:
            return reason
    if message.channel == Channel.EMAIL and not customer.email:
        return SkipReason.NO_CONTACT
    if message.channel in (Channel.SMS, Channel.WHATSAPP) and not customer.phone:
        return SkipReason.NO_CONTACT
    return ""


def flow_stop_reason(message: RecoveryMessage) -> str:
    """Why a flow's message must not leave any more, or "": its enrolment stopped, its flow
    was switched off, the cart changed since (the shopper came back), or it is the control
    group's."""
    enrollment, cart = message.enrollment, message.cart
    if enrollment.holdout:
        return SkipReason.HOLDOUT
    if not enrollment.flow.active:
        return SkipReason.FLOW_OFF
    if enrollment.stopped_at is not None:
        return enrollment.stop_reason or SkipReason.CART_CHANGED
    if cart.status != CartStatus.ABANDONED or cart.abandoned_at != enrollment.abandoned_at:
        return SkipReason.CART_CHANGED
    return ""


def lease() -> timedelta:
    return timedelta(seconds=settings.RECOVERY_SENDER_LEASE_SECONDS)


def _current_job_id() -> str | None:
    from rq import get_current_job

    job = get_current_job()
    return job.id if job is not None else None


def claim(message_ids: list[int], job_id: str) -> list[RecoveryMessage]:
    """Take the queued rows no live sender holds; load them with what sending reads."""
    now = timezone.now()
    RecoveryMessage.objects.filter(pk__in=message_ids, status=MessageStatus.QUEUED).filter(
        Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - lease()) | Q(job_id=job_id)
    ).update(job_id=job_id, heartbeat_at=now)
    messages = list(
        RecoveryMessage.objects.filter(pk__in=message_ids, status=MessageStatus.QUEUED,
                                       job_id=job_id)
        .select_related("customer", "cart__market", "voucher", "enrollment__flow")
        .order_by("pk")
    )  # fmt: skip
    # Each newsletter once (with a row each, its list of selected customers would be read
    # again for every message).
    campaigns = Campaign.objects.only(
        "pk", "voucher_kind", "voucher_percentage", "voucher_days", "status"
    ).prefetch_related("variants").in_bulk({m.campaign_id for m in messages if m.campaign_id})
    for message in messages:
        if message.campaign_id:
            message.campaign = campaigns[message.campaign_id]
    return messages


def _ordered_since(messages: list[RecoveryMessage]) -> set[int]:
    """Ids of the messages whose customer ordered since the cart was abandoned, or whose cart
    was ordered from. One query."""
    customer_ids = {m.customer_id for m in messages}
    cart_ids = {m.cart_id for m in messages if m.cart_id}
    orders = defaultdict(list)
    ordered_carts = set()
    for customer_id, cart_id, created_at in (
        Order.objects.filter(Q(customer_id__in=customer_ids) | Q(cart_id__in=cart_ids))
        .exclude(status="cancelled").values_list("customer_id", "cart_id", "created_at")
    ):  # fmt: skip
        orders[customer_id].append(created_at)
        ordered_carts.add(cart_id)
    result = set()
    for message in messages:
        cart = message.cart
        if cart is None:
            continue
        since = cart.abandoned_at or cart.last_activity_at
        if cart.pk in ordered_carts or any(at >= since for at in orders[message.customer_id]):
            result.add(message.pk)
    return result


def _record_skips(skipped: dict[str, list[int]]) -> None:
    for reason, ids in skipped.items():
        RecoveryMessage.objects.filter(pk__in=ids, status=MessageStatus.QUEUED).update(
            status=MessageStatus.SKIPPED, skip_reason=reason, heartbeat_at=None
        )


def _wait_for_morning(later: dict[datetime, list[int]]) -> None:
    """Rows due in their customer's quiet hours go back to waiting, with no job, until then
    (``recovery.flows.queue_flow_messages`` and ``requeue_stale_messages`` queue them)."""
    for morning, ids in later.items():
        RecoveryMessage.objects.filter(pk__in=ids, status=MessageStatus.QUEUED).update(
            not_before=morning, job_id="", heartbeat_at=None)  # fmt: skip


def _give_vouchers(messages: list[RecoveryMessage]) -> None:
    """A single-use voucher for each message of a newsletter that offers one (two queries)."""
    offers = {m.pk: m.campaign.incentive(m.variant) for m in messages if m.campaign_id}
    needing = [m for m in messages if m.campaign_id and offers[m.pk][0]
               and m.voucher_id is None]  # fmt: skip
    if not needing:
        return
    from recovery.outbox import new_voucher

    vouchers = Voucher.objects.bulk_create([
        new_voucher(customer=m.customer, kind=offers[m.pk][0], percentage=offers[m.pk][1],
                    valid_days=m.campaign.voucher_days)
        for m in needing
    ])  # fmt: skip
    for message, voucher in zip(needing, vouchers, strict=True):
        message.voucher = voucher
    RecoveryMessage.objects.bulk_update(needing, ["voucher"])


def _pricings(messages: list[RecoveryMessage]) -> dict[int, CartPricing | Exception]:
    """Each cart priced once, in its message's language (product names are translated)."""
    by_language: dict[str, dict] = defaultdict(dict)
    for message in messages:
        by_language[message.language][message.cart_id] = message.cart
    result: dict[int, CartPricing | Exception] = {}
    for language, carts in by_language.items():
        with translation.override(language):
            try:
                result.update(price_carts(list(carts.values())))
            except Exception:  # noqa: BLE001  (one cart's missing rate must not stop the rest)
                for cart in carts.values():
                    try:
                        result[cart.pk] = price_cart(cart, locale_for_cart(cart),
                                                     with_suggestions=False)  # fmt: skip
                    except Exception as error:  # noqa: BLE001  (recorded on its message)
                        result[cart.pk] = error
    return result


_MARK_SENT = (
    "UPDATE recovery_recoverymessage SET status = %s, sent_at = %s, failure_reason = '', "
    "attempts = attempts + 1, heartbeat_at = NULL, provider_message_id = %s WHERE id = %s"
)


def _mark_sent(message_id: int, provider_message_id: str = "") -> None:
    with db.cursor() as cursor:
        cursor.execute(_MARK_SENT, [MessageStatus.SENT, timezone.now(),
                                    provider_message_id[:100], message_id])  # fmt: skip


def _mark_failed(message: RecoveryMessage, error: BaseException) -> str:
    """Count the attempt and keep the reason: queued for a later attempt, or failed for good
    (the last attempt; or at once when the gateway says a retry cannot help: undeliverable
    for a number that cannot receive the channel, failed for any other refusal)."""
    attempts = message.attempts + 1
    reason = str(error)[:255] or error.__class__.__name__
    if getattr(error, "undeliverable", False):
        status = MessageStatus.UNDELIVERABLE
    elif getattr(error, "permanent", False) or attempts >= settings.RECOVERY_MAX_ATTEMPTS:
        status = MessageStatus.FAILED
    else:
        status = MessageStatus.QUEUED
    RecoveryMessage.objects.filter(pk=message.pk).update(
        status=status, attempts=attempts, failure_reason=reason, heartbeat_at=None
    )
    message.status, message.attempts, message.failure_reason = status, attempts, reason
    return status


def _email(message: RecoveryMessage, content: dict[str, str]) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=content["subject"], body=content["text"], from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.customer.email],
        headers={"List-Unsubscribe": f"<{content['unsubscribe_link']}>",
                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                 "Content-Language": language_tag(message.language)},
    )  # fmt: skip
    email.attach_alternative(content["html"], "text/html")
    return email


class _Heart:
    """Tells claimers and the requeue cron that this job is alive, every few seconds, and
    learns which rows are still its own (a requeue may have given them to another job)."""

    def __init__(self, job_id: str, ids: list[int]) -> None:
        self.job_id, self.ids = job_id, ids
        self.every = max(0.5, settings.RECOVERY_SENDER_LEASE_SECONDS / 6)
        self.next = time.monotonic() + self.every
        self.mine = set(ids)

    def beat(self, done: set[int]) -> None:
        if time.monotonic() < self.next:
            return
        self.next = time.monotonic() + self.every
        waiting = [pk for pk in self.ids if pk not in done]
        RecoveryMessage.objects.filter(pk__in=waiting, job_id=self.job_id,
                                       status=MessageStatus.QUEUED).update(
            heartbeat_at=timezone.now())  # fmt: skip
        self.mine = set(RecoveryMessage.objects.filter(
            pk__in=waiting, job_id=self.job_id, status=MessageStatus.QUEUED,
        ).values_list("pk", flat=True))  # fmt: skip


def send_messages(message_ids: list[int], *, job_id: str | None = None,
                  connection=None) -> dict[int, str]:  # fmt: skip
    """Send what is still queued among ``message_ids``, each once. Returns each claimed row's
    final status (queued: failed this time, to be retried)."""
    job_id = job_id or _current_job_id() or f"direct-{uuid.uuid4().hex}"
    messages = claim(message_ids, job_id)
    if not messages:
        return {}
    ordered = _ordered_since(messages)
    outcome: dict[int, str] = {}
    skipped: dict[str, list[int]] = defaultdict(list)
    sending = []
    now = timezone.now()
    cap = Cap({m.customer_id for m in messages}, now)
    later: dict[datetime, list[int]] = defaultdict(list)
    for message in messages:
        reason = skip_reason(message, message.pk in ordered)
        morning = None if reason else wait_until(
            now, message.channel, message.cart.market, message.cart.country
            or (message.customer.country.code if message.customer.country else ""),
            message.cart.region)  # fmt: skip
        if morning is not None:  # quiet hours: not skipped, it waits (not counted in the cap)
            later[morning].append(message.pk)
        elif not reason and not message.requested and not cap.allows(message.customer_id):
            reason = SkipReason.CAPPED
        if reason:
            skipped[reason].append(message.pk)
            outcome[message.pk] = MessageStatus.SKIPPED
        elif morning is None:
            sending.append(message)
    _record_skips(skipped)
    _wait_for_morning(later)
    if sending:
        _give_vouchers(sending)
        give_flow_vouchers(sending)
        pricings = _pricings(sending)
        if connection is None and any(m.channel == Channel.EMAIL for m in sending):
            connection = mailers.default
            try:
                connection.open()
            except Exception as error:  # noqa: BLE001  (the mail server is down: each row waits)
                for message in sending:
                    if message.channel == Channel.EMAIL:
                        outcome[message.pk] = _mark_failed(message, error)
                # SMS and WhatsApp do not need the mail server.
                others = [m for m in sending if m.channel != Channel.EMAIL]
                _send_each(others, pricings, None, job_id, outcome)
            else:
                try:
                    _send_each(sending, pricings, connection, job_id, outcome)
                finally:
                    connection.close()
        else:
            _send_each(sending, pricings, connection, job_id, outcome)
    finish_if_done({m.campaign_id for m in messages} - {None})
    return outcome


class _Mailer:
    """Hands e-mails to ``connection``: over Django's SMTP backend as bytes built by
    ``recovery.mime`` when it can, else as Django's ``EmailMultiAlternatives``."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.smtp = None
        if isinstance(connection, SmtpBackend) and connection.connection is not None:
            self.smtp = connection.connection
            self.envelope_from = connection.prep_address(settings.DEFAULT_FROM_EMAIL)
            self.sender = mime.sender_header(settings.DEFAULT_FROM_EMAIL)
            if self.sender is None:
                self.smtp = None

    def send(self, message: RecoveryMessage, content: dict[str, str]) -> None:
        data = None
        if self.smtp is not None:
            data = mime.build(
                sender=self.sender, to=message.customer.email, subject=content["subject"],
                text=content["text"], html=content["html"],
                headers={"List-Unsubscribe": f"<{content['unsubscribe_link']}>",
                         "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                         "Content-Language": language_tag(message.language)},
            )  # fmt: skip
        if data is None:
            self.connection.send_messages([_email(message, content)])
        else:
            self.smtp.sendmail(self.envelope_from, [message.customer.email], data)


def _send_each(messages, pricings, connection, job_id: str, outcome: dict[int, str]) -> None:
    renderer = Renderer()
    mailer = _Mailer(connection)
    heart = _Heart(job_id, [m.pk for m in messages])
    done: set[int] = set()
    for message in messages:
        heart.beat(done)
        if message.pk not in heart.mine:  # taken over by a requeued job: it sends this one
            continue
        try:
            pricing = pricings[message.cart_id]
            if isinstance(pricing, Exception):
                raise pricing
            content = renderer.render(message, pricing)
            provider_message_id = _dispatch(message, content, mailer)
        except Exception as error:  # noqa: BLE001  (kept with its reason; retried later)
            logger.warning("Recovery message %s not sent: %s", message.pk, error)
            outcome[message.pk] = _mark_failed(message, error)
        else:
            _mark_sent(message.pk, provider_message_id)
            outcome[message.pk] = MessageStatus.SENT
        done.add(message.pk)


# --- channel dispatch (SMS and WhatsApp through recovery.gateways) ------------------------------


def _unconfirmed_since(message: RecoveryMessage) -> datetime | None:
    """When the row was written, if its last attempt got no answer from the gateway (the
    message may have left): the gateway looks for it before sending again."""
    if message.attempts and message.failure_reason.startswith(UNCONFIRMED):
        return message.created_at
    return None


def _dispatch(message: RecoveryMessage, content: dict[str, str], mailer: _Mailer) -> str:
    """Hand the message to its channel; return the gateway's id for it ("" for e-mail)."""
    if message.channel == Channel.SMS:
        return send_sms(to=message.customer.phone, text=content["sms_text"][:600],
                        unconfirmed_since=_unconfirmed_since(message))  # fmt: skip
    if message.channel == Channel.WHATSAPP:
        return send_whatsapp(
            to=message.customer.phone, language=message.language,
            parameters=[content.get(name, "") for name in settings.WHATSAPP_TEMPLATE_PARAMETERS],
            preview=content["body"][:1024],
        )  # fmt: skip
    mailer.send(message, content)
    return ""


def finish_if_done(campaign_ids: set[int]) -> None:
    """A newsletter whose rows are all sent, skipped or failed is done."""
    for campaign_id in campaign_ids:
        waiting = RecoveryMessage.objects.filter(campaign_id=campaign_id,
                                                 status=MessageStatus.QUEUED)  # fmt: skip
        if not waiting.exists():
            Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.SENDING).update(
                status=CampaignStatus.DONE
            )


# --- queueing and requeueing -------------------------------------------------------------------


def enqueue_batches(ids: list[int], *, size: int = BATCH_SIZE,
                    func: str = "recovery.campaigns.send_batch") -> int:  # fmt: skip
    """Queue ``ids`` in batches; each row names its batch's job (for the requeue cron)."""
    queue = django_rq.get_queue("mail")
    queued = 0
    for start in range(0, len(ids), size):
        batch = ids[start : start + size]
        job_id = uuid.uuid4().hex
        RecoveryMessage.objects.filter(pk__in=batch, status=MessageStatus.QUEUED).update(
            job_id=job_id, heartbeat_at=None
        )
        try:
            queue.enqueue(func, batch, job_id=job_id, job_timeout=1800)
        except RedisError:  # the rows name a job that does not exist: the cron queues them
            logger.exception("Could not queue a batch of recovery messages")
            return queued
        queued += len(batch)
    return queued


PENDING = {JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


def _gone(job_ids: set[str], now: datetime) -> set[str]:
    """The job ids that no job in Redis will run: missing, ended, or started by a worker that
    has not claimed its rows within the lease."""
    ids = sorted(job_ids)
    jobs = Job.fetch_many(ids, connection=django_rq.get_connection("mail")) if ids else []
    gone = set()
    for job_id, job in zip(ids, jobs, strict=True):
        if job is None:
            gone.add(job_id)
            continue
        status = job.get_status(refresh=False)
        if status in PENDING:
            continue
        started = job.started_at
        if status == JobStatus.STARTED and started and (
            timezone.make_aware(started, timezone.UTC) if timezone.is_naive(started) else started
        ) > now - lease():
            continue
        gone.add(job_id)
    return gone


def requeue_stale_messages(older_than_minutes: int | None = None) -> int:
    """Cron, every minute: queue again the rows a killed worker left (its heartbeat stopped for
    the lease) and the rows whose job is gone from Redis (queued for at least a minute).
    ``older_than_minutes`` replaces both waits (0: at once, for tests and staff)."""
    now = timezone.now()
    if older_than_minutes is None:
        stale_after, waited = lease(), timedelta(minutes=1)
    else:
        stale_after = waited = timedelta(minutes=older_than_minutes)
    queued = RecoveryMessage.objects.filter(status=MessageStatus.QUEUED).filter(
        Q(not_before__isnull=True) | Q(not_before__lte=now))  # quiet hours: not before morning
    abandoned = set(queued.filter(heartbeat_at__lt=now - stale_after + timedelta(microseconds=1))
                    .values_list("pk", flat=True)[:10_000])  # fmt: skip
    waiting = queued.filter(heartbeat_at__isnull=True, created_at__lt=now - waited
                            + timedelta(microseconds=1))  # fmt: skip
    job_ids = set(waiting.values_list("job_id", flat=True).distinct()[:1000])
    try:
        gone = _gone(job_ids, now)
    except RedisError:
        logger.exception("Redis is down: the rows stay queued until the next run")
        return 0
    orphans = set(waiting.filter(job_id__in=gone).values_list("pk", flat=True)[:10_000])
    ids = sorted(abandoned | orphans)
    return enqueue_batches(ids)


__all__ = ["BATCH_SIZE", "requeue_stale_messages", "send_messages"]
