"""Background jobs of the checkout (RQ, queue "mail"): the order confirmation e-mail."""

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
    once, never zero times).
    """
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


def send_missing_confirmations(older_than_minutes: int = 5) -> int:
    """Cron: queue the confirmations that never left (queue down when the order was placed)."""
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
    queue = django_rq.get_queue("mail")
    for order_id in ids:
        queue.enqueue(send_order_confirmation, order_id, job_timeout=120)
    return len(ids)


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
