"""Background jobs of the checkout (RQ, queue "mail"): the order confirmation e-mail.

A worker killed while sending leaves its order unconfirmed. The job holds a lease in Redis
while it works (``CONFIRMATION_LEASE_SECONDS``, a minute); ``send_missing_confirmations`` runs
every minute and queues again every unconfirmed order older than a minute whose lease is gone
and whose requeued job is not already waiting: within two minutes of a crash. The row lock and
``confirmation_sent_at`` keep a second job from sending twice; only the mail in flight at the
kill may arrive twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from checkout.models import Order, OrderStatus
from checkout.selectors import order_for_confirmation

logger = logging.getLogger(__name__)


def send_order_confirmation(order_id: int) -> bool:
    """Mail the confirmation in the order's language and currency, once.

    The row lock and ``confirmation_sent_at`` make a retried or duplicated job send nothing
    a second time; a job killed after sending but before saving may send it twice (at least
    once, never zero times). A lease in Redis tells the requeue cron a worker is on it.
    """
    _hold_lease(order_id)
    try:
        return _send_order_confirmation(order_id)
    finally:
        _release_lease(order_id)


def _send_order_confirmation(order_id: int) -> bool:
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None or order.confirmation_sent_at is not None:
            return False
        if order.status == OrderStatus.CANCELLED:  # payment failed: nothing to confirm
            return False
        with translation.override(order.language):
            context = _context(order)
            subject = render_to_string("checkout/email/confirmation_subject.txt", context).strip()
            text = render_to_string("checkout/email/confirmation.txt", context)
            html = render_to_string("checkout/email/confirmation.html", context)
        message = EmailMultiAlternatives(
            subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[order.email]
        )
        message.attach_alternative(html, "text/html")
        message.send()
        order.confirmation_sent_at = timezone.now()
        order.save(update_fields=["confirmation_sent_at"])
    logger.info("Sent the confirmation of order %s", order.number)
    return True


def _lease_key(order_id: int) -> str:
    return f"checkout:confirmation-lease:{order_id}"


def _lease_seconds() -> int:
    return getattr(settings, "CONFIRMATION_LEASE_SECONDS", 60)


def _hold_lease(order_id: int) -> None:
    """Tell the requeue cron that a worker is on this order (expires by itself if killed)."""
    import django_rq
    from redis.exceptions import RedisError

    try:
        django_rq.get_connection("mail").set(_lease_key(order_id), "1", ex=_lease_seconds())
    except RedisError:  # only the cron's view suffers: it may queue a harmless second job
        logger.warning("No confirmation lease for order %s: Redis refused", order_id)


def _release_lease(order_id: int) -> None:
    import django_rq
    from redis.exceptions import RedisError

    try:
        django_rq.get_connection("mail").delete(_lease_key(order_id))
    except RedisError:  # it expires by itself
        pass


def _requeue_job_id(order_id: int) -> str:
    return f"checkout-confirmation-requeue-{order_id}"


def send_missing_confirmations(older_than_minutes: int = 1) -> int:
    """Cron, every minute: queue the confirmations that never left (queue down when the order
    was placed, or a worker killed while sending), unless a worker is on it now."""
    import django_rq
    from rq.job import Job, JobStatus

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
    if not ids:
        return 0
    queue = django_rq.get_queue("mail")
    redis = queue.connection
    leased = redis.mget([_lease_key(order_id) for order_id in ids])
    waiting = Job.fetch_many([_requeue_job_id(order_id) for order_id in ids], connection=redis)
    pending = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
    queued = 0
    for order_id, lease, job in zip(ids, leased, waiting, strict=True):
        if lease is not None or (job is not None and job.get_status(refresh=False) in pending):
            continue
        queue.enqueue(send_order_confirmation, order_id, job_timeout=120,
                      job_id=_requeue_job_id(order_id))  # fmt: skip
        queued += 1
    return queued


def _context(order: Order) -> dict:
    from checkout.links import confirmation_url

    detailed = order_for_confirmation(order.number, token="", session_numbers=[order.number])
    return {
        "order": detailed,
        "payment": detailed.payments.first(),
        "shop_name": settings.SHOP_NAME,
        "order_url": settings.SHOP_BASE_URL.rstrip("/") + confirmation_url(order),
        "shop": None,
        # Japanese greets by family name ("山田様"); elsewhere the first name is friendlier.
        "greeting_name": (detailed.customer.last_name if order.language == "ja"
                          else detailed.customer.first_name),  # fmt: skip
    }
