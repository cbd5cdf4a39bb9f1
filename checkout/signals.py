"""The order's mails are queued (never sent in the request): its confirmation, the payment
received (offline methods) and the cancellation of an unpaid order."""

from __future__ import annotations

import logging

import django_rq
from django.dispatch import receiver
from redis.exceptions import RedisError
from rq import Retry

from checkout.jobs import send_order_confirmation, send_order_expired, send_payment_received
from checkout.services import order_confirmed, order_expired, order_paid

logger = logging.getLogger(__name__)


def _queue(job, order) -> None:
    """The order is committed already: if the queue is down, the shopper still sees the page,
    and ``send_missing_confirmations`` (cron) sends the mail later."""
    try:
        django_rq.get_queue("mail").enqueue(
            job, order.pk, retry=Retry(max=3, interval=[10, 60, 300]), job_timeout=120
        )
    except RedisError:
        logger.exception("Could not queue %s for order %s", job.__name__, order.number)


@receiver(order_confirmed, dispatch_uid="checkout_queue_confirmation")
def queue_confirmation(sender, order, **kwargs) -> None:
    _queue(send_order_confirmation, order)


@receiver(order_paid, dispatch_uid="checkout_queue_payment_received")
def queue_payment_received(sender, order, **kwargs) -> None:
    _queue(send_payment_received, order)


@receiver(order_expired, dispatch_uid="checkout_queue_order_expired")
def queue_order_expired(sender, order, **kwargs) -> None:
    _queue(send_order_expired, order)
