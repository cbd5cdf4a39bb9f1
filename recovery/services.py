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
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from cart.models import Cart, CartLine, CartStatus
from recovery import latest_carts
from recovery.models import LatestAbandonment, RecoveryMessage
from recovery.signals import cart_restored, carts_abandoned
from shop.models import Market


@dataclass(frozen=True)
class DetectionResult:
    abandoned: int
    expired: int
    purged: int


def detect_abandoned_carts(*, now: datetime | None = None) -> DetectionResult:
    """Abandon, expire and purge: never a loop over carts.

    Two overlapping runs are harmless: each statement only matches carts still active (or still
    abandoned), and sets the same values; PostgreSQL re-checks a row another run changed.
    """
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        abandoned, customer_ids, cart_ids = _abandon_in_one_statement(now)
    else:
        abandoned, customer_ids, cart_ids = _abandon_market_by_market(now)
    latest_carts.refresh(customer_ids)
    if cart_ids:
        carts_abandoned.send(sender=Cart, cart_ids=cart_ids)
    expire_before = now - timedelta(days=settings.RECOVERY_EXPIRE_AFTER_DAYS)
    with transaction.atomic():
        # A guest's cart is abandoned after its last activity: that bound finds it in the
        # index of last activity (the index of abandonment times holds customers' carts only).
        expired = Cart.objects.filter(
            Q(customer__isnull=False) | Q(last_activity_at__lt=expire_before),
            status=CartStatus.ABANDONED, abandoned_at__lt=expire_before,
        ).update(status=CartStatus.EXPIRED)
        if expired:  # a customer's latest abandoned cart is older: so are all the others
            LatestAbandonment.objects.filter(abandoned_at__lt=expire_before).delete()
    purged = purge_anonymous_carts(now=now)
    return DetectionResult(abandoned=abandoned, expired=expired, purged=purged)


# One statement for every market. ``idle``: each market's idle carts, found in the partial
# index ``cart_active_idle`` (market, last activity) of active carts with that market's own
# cut-off (a lateral join, kept from being flattened by OFFSET 0, so each market reads one index
# range, and a run with nothing new reads empty ranges); materialized, so that their lines are
# looked up once for all markets. The UPDATE's own conditions are those PostgreSQL checks again
# on a row that another run or a cart write changed meanwhile.
_IDLE = """
    SELECT i.id, m.abandonment_cutoff_minutes AS cutoff
      FROM shop_market AS m,
           LATERAL (SELECT a.id FROM cart_cart AS a
                     WHERE a.status = %(active)s AND a.market_id = m.id
                       AND a.last_activity_at
                           < %(now)s - make_interval(mins => m.abandonment_cutoff_minutes)
                    OFFSET 0) AS i
"""
# Whether any cart with lines is idle: the same index ranges, stopping at the first such cart.
_ANY_IDLE = f"""
SELECT EXISTS (SELECT 1 FROM ({_IDLE}) AS idle
                WHERE EXISTS (SELECT 1 FROM cart_cartline AS l WHERE l.cart_id = idle.id))
"""
_ABANDON = f"""
WITH idle AS MATERIALIZED ({_IDLE}), abandoned AS (
    UPDATE cart_cart AS c
       SET status = %(abandoned)s, was_abandoned = true,
           abandoned_at = c.last_activity_at + make_interval(mins => idle.cutoff)
      FROM idle
     WHERE c.id = idle.id
       AND c.status = %(active)s
       AND c.last_activity_at + make_interval(mins => idle.cutoff) < %(now)s
       AND EXISTS (SELECT 1 FROM cart_cartline AS l WHERE l.cart_id = c.id)
    RETURNING c.id, c.customer_id
)
SELECT count(*), array_agg(DISTINCT customer_id) FILTER (WHERE customer_id IS NOT NULL),
       array_agg(id)
  FROM abandoned
"""


def abandon_parameters(now: datetime) -> dict:
    return {"abandoned": CartStatus.ABANDONED, "active": CartStatus.ACTIVE, "now": now}


def _abandon_in_one_statement(now: datetime) -> tuple[int, list[int], list[int]]:
    """The run with nothing new (most runs of the every-minute job) stops after reading empty
    index ranges; the planner would otherwise prepare joins over every cart and line."""
    parameters = abandon_parameters(now)
    with connection.cursor() as cursor:
        cursor.execute(_ANY_IDLE, parameters)
        if not cursor.fetchone()[0]:
            return 0, [], []
        cursor.execute(_ABANDON, parameters)
        count, customer_ids, cart_ids = cursor.fetchone()
    return count, customer_ids or [], cart_ids or []


def _abandon_market_by_market(now: datetime) -> tuple[int, list[int], list[int]]:
    """Other databases (SQLite for the demo): one UPDATE per market (markets are few)."""
    has_lines = Exists(CartLine.objects.filter(cart=OuterRef("pk")))
    abandoned, customer_ids, cart_ids = 0, set(), []
    for market_id, cutoff in Market.objects.values_list("pk", "abandonment_cutoff_minutes"):
        cutoff_delta = timedelta(minutes=cutoff)
        with transaction.atomic():
            idle = Cart.objects.filter(
                market_id=market_id, status=CartStatus.ACTIVE,
                last_activity_at__lt=now - cutoff_delta,
            ).filter(has_lines)  # fmt: skip
            customer_ids |= set(idle.exclude(customer=None).values_list("customer_id", flat=True))
            cart_ids += list(idle.values_list("pk", flat=True))
            abandoned += idle.update(
                status=CartStatus.ABANDONED,
                abandoned_at=F("last_activity_at") + cutoff_delta,
                was_abandoned=True,
            )
    return abandoned, sorted(customer_ids), cart_ids


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


def restore_cart_from_message(*, message_id: int, cart_token: str) -> Cart | None:
    """A restore link was followed: count the message's click and tell the reports; the open
    cart of the link, or None when it was ordered or is gone."""
    RecoveryMessage.objects.filter(pk=message_id, clicked_at__isnull=True).update(
        clicked_at=timezone.now()
    )
    cart = Cart.objects.filter(token=cart_token).first()
    if cart is None or cart.status not in {CartStatus.ACTIVE, CartStatus.ABANDONED}:
        return None
    cart_restored.send(sender=Cart, cart=cart, message_id=message_id)
    return cart
