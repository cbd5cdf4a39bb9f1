"""After an order is placed, its confirmation e-mail is queued (never sent in the request)."""

from __future__ import annotations

import logging

import django_rq
from django.dispatch import receiver
from redis.exceptions import RedisError
from rq import Retry

from checkout.jobs import send_order_confirmation
from checkout.services import order_confirmed

logger = logging.getLogger(__name__)


@receiver(order_confirmed, dispatch_uid="checkout_queue_confirmation")
def queue_confirmation(sender, order, **kwargs) -> None:
    """Queue the mail. The order is committed already: if the queue is down, the shopper still
    gets the confirmation page, and ``send_missing_confirmations`` (cron) sends it later."""
    try:
        django_rq.get_queue("mail").enqueue(
            send_order_confirmation,
            order.pk,
            retry=Retry(max=3, interval=[10, 60, 300]),
            job_timeout=120,
        )
    except RedisError:
        logger.exception("Could not queue the confirmation of order %s", order.number)
