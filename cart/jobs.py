"""Background jobs of the cart (RQ): deleting carts past their expiry.

Recovery marks an abandoned cart *expired* after ``RECOVERY_EXPIRE_AFTER_DAYS``; nothing reads
it after that, and it holds what a shopper once looked at. A nightly cron job
(``SHOP_CRON_JOBS``) deletes expired carts idle for ``CART_DELETE_AFTER_DAYS`` more (0 by
default: as soon as they expire); a cart that led to an order is kept.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cart.models import Cart, CartLine, CartStatus

logger = logging.getLogger(__name__)
BATCH = 5_000


def delete_expired_carts() -> int:
    """Delete expired carts idle past ``CART_DELETE_AFTER_DAYS``, in batches so
    that no transaction holds many locks. Returns how many carts were deleted."""
    cutoff = timezone.now() - timedelta(days=settings.CART_DELETE_AFTER_DAYS)
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                Cart.objects.filter(
                    status=CartStatus.EXPIRED,
                    last_activity_at__lt=cutoff,
                    orders__isnull=True,
                ).values_list("pk", flat=True)[:BATCH]
            )
            if not ids:
                break
            CartLine.objects.filter(cart_id__in=ids).delete()
            Cart.objects.filter(pk__in=ids).delete()
        total += len(ids)
    logger.info("Deleted %s expired carts", total)
    return total
