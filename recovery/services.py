"""Abandonment detection: set-based updates, safe to run twice at once.

A cart is *abandoned* when it is active, has lines, and saw no activity for its market's
cut-off. Placement (``checkout.services``) turns an abandoned cart into *recovered*; any cart
write (``cart.services``) turns it back to *active*. Abandoned carts older than the retention
period expire; guest carts nobody can be contacted about are deleted after their own period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from cart.models import Cart, CartLine, CartStatus
from shop.models import Market


@dataclass(frozen=True)
class DetectionResult:
    abandoned: int
    expired: int
    purged: int


def detect_abandoned_carts(*, now: datetime | None = None) -> DetectionResult:
    """One UPDATE per market (markets are few; carts are many): never a loop over carts.

    Two overlapping runs are harmless: each UPDATE only matches carts still active, and sets
    the same values.
    """
    now = now or timezone.now()
    has_lines = Exists(CartLine.objects.filter(cart=OuterRef("pk")))
    abandoned = 0
    for market_id, cutoff in Market.objects.values_list("pk", "abandonment_cutoff_minutes"):
        cutoff_delta = timedelta(minutes=cutoff)
        abandoned += (
            Cart.objects.filter(
                market_id=market_id,
                status=CartStatus.ACTIVE,
                last_activity_at__lt=now - cutoff_delta,
            )
            .filter(has_lines)
            .update(
                status=CartStatus.ABANDONED,
                abandoned_at=F("last_activity_at") + cutoff_delta,
                was_abandoned=True,
            )
        )
    expired = Cart.objects.filter(
        status=CartStatus.ABANDONED,
        abandoned_at__lt=now - timedelta(days=settings.RECOVERY_EXPIRE_AFTER_DAYS),
    ).update(status=CartStatus.EXPIRED)
    purged = purge_anonymous_carts(now=now)
    return DetectionResult(abandoned=abandoned, expired=expired, purged=purged)


@transaction.atomic
def purge_anonymous_carts(*, now: datetime) -> int:
    """Delete carts of shoppers who never gave a contact, after
    ``RECOVERY_GUEST_RETENTION_DAYS``: they cannot be recovered and keep no order."""
    stale = Cart.objects.filter(
        customer__isnull=True,
        status__in=[CartStatus.ACTIVE, CartStatus.ABANDONED, CartStatus.EXPIRED, CartStatus.MERGED],
        last_activity_at__lt=now - timedelta(days=settings.RECOVERY_GUEST_RETENTION_DAYS),
    ).exclude(orders__isnull=False)
    ids = list(stale.values_list("pk", flat=True)[:10_000])
    if not ids:
        return 0
    CartLine.objects.filter(cart_id__in=ids).delete()
    deleted, _ = Cart.objects.filter(pk__in=ids).delete()
    return deleted
