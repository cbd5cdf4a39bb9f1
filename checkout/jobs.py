"""Background jobs of the checkout: the order's mails (RQ queue "mail": confirmation, payment
received, cancelled unpaid) and the expiry of unpaid orders (cron, queue "default").

Each mail is sent at most once: the order's row lock and its ``*_sent_at`` marker make a
retried or duplicated job send nothing a second time.

A worker killed while sending leaves its mail unsent. The job holds a lease in Redis while it
works (``CONFIRMATION_LEASE_SECONDS``, a minute); ``send_missing_confirmations`` runs every
minute and queues again every mail due for more than a minute whose lease is gone and whose
requeued job is not already waiting: within two minutes of a crash. Only the mail in flight at
the kill may arrive twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from checkout.models import Order, OrderStatus
from checkout.selectors import order_for_confirmation
from shop.locale import language_tag

logger = logging.getLogger(__name__)


def _send_once(order_id: int, *, marker: str, template: str, when) -> bool:
    """Mail ``template`` (``checkout/email/<template>_subject.txt``, ``.txt``, ``.html``) in the
    order's language, if ``when(order)`` and ``marker`` is still empty; then set ``marker``.

    A job killed after sending but before saving may send it twice (at least once, never zero
    times). A lease in Redis tells the requeue cron that a worker is on it.
    """
    _hold_lease(marker, order_id)
    try:
        return _send_once_locked(order_id, marker=marker, template=template, when=when)
    finally:
        _release_lease(marker, order_id)


def _send_once_locked(order_id: int, *, marker: str, template: str, when) -> bool:
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None or getattr(order, marker) is not None or not when(order):
            return False
        with translation.override(order.language):
            context = _context(order)
            subject = render_to_string(f"checkout/email/{template}_subject.txt", context).strip()
            text = render_to_string(f"checkout/email/{template}.txt", context)
            html = render_to_string(f"checkout/email/{template}.html", context)
        message = EmailMultiAlternatives(
            subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[order.email],
            headers={"Content-Language": language_tag(order.language)},
        )
        message.attach_alternative(html, "text/html")
        message.send()
        setattr(order, marker, timezone.now())
        order.save(update_fields=[marker])
    logger.info("Sent the %s mail of order %s", template, order.number)
    return True


def send_order_confirmation(order_id: int) -> bool:
    """Mail the confirmation in the order's language and currency, once (not for an order
    cancelled before it left: its payment failed)."""
    return _send_once(
        order_id, marker="confirmation_sent_at", template="confirmation",
        when=lambda order: order.status != OrderStatus.CANCELLED,
    )  # fmt: skip


def send_payment_received(order_id: int) -> bool:
    """Tell the shopper who paid by transfer, Pix or cash that the money arrived, once."""
    return _send_once(
        order_id, marker="payment_mail_sent_at", template="payment_received",
        when=lambda order: order.status == OrderStatus.PAID,
    )  # fmt: skip


def send_order_expired(order_id: int) -> bool:
    """Tell the shopper the unpaid order was cancelled and the items wait in the cart, once."""
    return _send_once(
        order_id, marker="expiry_mail_sent_at", template="expired",
        when=lambda order: order.status == OrderStatus.CANCELLED and order.expired_at is not None,
    )  # fmt: skip


def expire_unpaid_orders(limit: int = 500) -> int:
    """Cron (every minute): cancel the orders whose payment window has passed; their stock
    and vouchers go back, their carts reopen as abandoned, their shoppers are told.

    Reads only unpaid orders through a partial index; each order is expired in its own
    transaction under its row lock, so a payment confirmed at the same moment wins or loses
    cleanly, and two overlapping runs expire each order once.
    """
    from checkout.services import expire_unpaid_order

    now = timezone.now()
    ids = list(
        Order.objects.filter(status=OrderStatus.PENDING_PAYMENT, payment_due_at__lt=now)
        .order_by("payment_due_at")
        .values_list("pk", flat=True)[:limit]
    )
    expired = sum(expire_unpaid_order(order=Order(pk=pk), now=now) for pk in ids)
    if expired:
        logger.info("Expired %d unpaid orders", expired)
    return expired


def send_missing_confirmations(older_than_minutes: int = 1) -> int:
    """Cron, every minute: queue the order mails that never left (the queue was down when they
    were due, or a worker was killed while sending), unless a worker is on one now."""
    import django_rq

    now = timezone.now()
    ids = list(
        Order.objects.filter(
            confirmation_sent_at__isnull=True,
            created_at__lt=now - timedelta(minutes=older_than_minutes),
            created_at__gt=now - timedelta(days=2),
        )
        .filter(
            Q(status__in=[OrderStatus.PAID, OrderStatus.CONFIRMED])
            | Q(status=OrderStatus.PENDING_PAYMENT, payments__instructions__has_key="kind")
        )
        .values_list("pk", flat=True)
        .distinct()[:500]
    )
    paid = list(
        Order.objects.filter(
            status=OrderStatus.PAID, payment_mail_sent_at__isnull=True,
            paid_at__lt=now - timedelta(minutes=older_than_minutes),
            paid_at__gt=now - timedelta(days=2), payments__instructions__has_key="kind",
        ).values_list("pk", flat=True).distinct()[:500]
    )  # fmt: skip
    expired = list(
        Order.objects.filter(
            expiry_mail_sent_at__isnull=True,
            expired_at__lt=now - timedelta(minutes=older_than_minutes),
            expired_at__gt=now - timedelta(days=2),
        ).values_list("pk", flat=True)[:500]
    )  # fmt: skip
    queue = django_rq.get_queue("mail")
    queued = 0
    for job, marker, order_ids in (
        (send_order_confirmation, "confirmation_sent_at", ids),
        (send_payment_received, "payment_mail_sent_at", paid),
        (send_order_expired, "expiry_mail_sent_at", expired),
    ):
        for order_id in _not_in_hand(queue.connection, marker, order_ids):
            queue.enqueue(job, order_id, job_timeout=120,
                          job_id=_requeue_job_id(marker, order_id))  # fmt: skip
            queued += 1
    return queued


def _lease_key(marker: str, order_id: int) -> str:
    return f"checkout:mail-lease:{marker}:{order_id}"


def _hold_lease(marker: str, order_id: int) -> None:
    """Tell the requeue cron that a worker is on this mail (expires by itself if killed)."""
    import django_rq
    from redis.exceptions import RedisError

    try:
        django_rq.get_connection("mail").set(_lease_key(marker, order_id), "1",
                                             ex=settings.CONFIRMATION_LEASE_SECONDS)  # fmt: skip
    except RedisError:  # only the cron's view suffers: it may queue a harmless second job
        logger.warning("No mail lease for order %s: Redis refused", order_id)


def _release_lease(marker: str, order_id: int) -> None:
    import django_rq
    from redis.exceptions import RedisError

    try:
        django_rq.get_connection("mail").delete(_lease_key(marker, order_id))
    except RedisError:  # it expires by itself
        pass


def _requeue_job_id(marker: str, order_id: int) -> str:
    return f"checkout-requeue-{marker}-{order_id}"


def _not_in_hand(redis, marker: str, order_ids: list[int]) -> list[int]:
    """The orders whose mail no worker holds a lease on and no requeued job waits for."""
    from rq.job import Job, JobStatus

    if not order_ids:
        return []
    leases = redis.mget([_lease_key(marker, order_id) for order_id in order_ids])
    jobs = Job.fetch_many([_requeue_job_id(marker, order_id) for order_id in order_ids],
                          connection=redis)  # fmt: skip
    waiting = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
    return [order_id for order_id, lease, job in zip(order_ids, leases, jobs, strict=True)
            if lease is None and (job is None or job.get_status(refresh=False) not in waiting)]




def _context(order: Order) -> dict:
    from checkout.links import confirmation_url

    detailed = order_for_confirmation(order.number, token="", session_numbers=[order.number])
    return {
        "order": detailed,
        "payment": detailed.payments.first(),
        "shop_name": settings.SHOP_NAME,
        "order_url": settings.SHOP_BASE_URL.rstrip("/") + confirmation_url(order),
        "cart_url": settings.SHOP_BASE_URL.rstrip("/") + reverse("cart:page"),  # in its language
        "shop": None,
        # Japanese greets by family name ("山田様"); elsewhere the first name is friendlier.
        "greeting_name": (detailed.customer.last_name if order.language == "ja"
                          else detailed.customer.first_name),  # fmt: skip
    }
