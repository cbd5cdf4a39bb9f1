"""Each customer's latest abandoned cart, kept in ``LatestAbandonment`` for the customer list.

The list filters and sorts 100,000 customers by "has an abandoned cart", its time and value.
Computing those with subqueries per customer costs a probe per row of every page before the
one shown, and the paginator's count probes them all; one row per customer read in a join is an
indexed scan. The row is refreshed where carts change: detection (set-based, for the customers
whose carts it abandoned or expired), and a cart saved through the ORM (``recovery.signals``:
a write that makes it active again, an order, a merge). Refreshing is idempotent, so two
detection runs or two saves at once write the same row.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from cart.models import CartStatus
from recovery.models import LatestAbandonment

CHUNK = 2000

# The latest abandoned cart of each customer (of the ``{only}`` ones), valued in the database.
_RANKED = """
SELECT customer_id, id, abandoned_at, currency, value FROM (
    SELECT c.customer_id, c.id, c.abandoned_at, c.currency,
           (SELECT COALESCE(SUM(l.quantity * l.unit_price_seen), 0)
              FROM cart_cartline l WHERE l.cart_id = c.id) AS value,
           ROW_NUMBER() OVER (PARTITION BY c.customer_id
                              ORDER BY c.abandoned_at DESC, c.id DESC) AS n
      FROM cart_cart c
     WHERE c.status = %s AND c.customer_id IS NOT NULL AND c.abandoned_at IS NOT NULL {only}
) ranked WHERE n = 1
"""
_UPSERT = """
INSERT INTO recovery_latestabandonment (customer_id, cart_id, abandoned_at, currency, value)
{ranked}
ON CONFLICT (customer_id) DO UPDATE SET cart_id = excluded.cart_id,
    abandoned_at = excluded.abandoned_at, currency = excluded.currency, value = excluded.value
"""
_DELETE_GONE = """
DELETE FROM recovery_latestabandonment
 WHERE {only} NOT EXISTS (
     SELECT 1 FROM cart_cart c WHERE c.customer_id = recovery_latestabandonment.customer_id
        AND c.status = %s AND c.abandoned_at IS NOT NULL)
"""


def refresh(customer_ids: Iterable[int | None]) -> None:
    """Recompute the rows of these customers from their carts (a few statements per 2,000)."""
    ids = sorted({pk for pk in customer_ids if pk is not None})
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        marks = ", ".join(["%s"] * len(chunk))
        with transaction.atomic(), connection.cursor() as cursor:
            ranked = _RANKED.format(only=f"AND c.customer_id IN ({marks})")
            cursor.execute(_UPSERT.format(ranked=ranked), [CartStatus.ABANDONED, *chunk])
            cursor.execute(_DELETE_GONE.format(only=f"customer_id IN ({marks}) AND"),
                           [*chunk, CartStatus.ABANDONED])  # fmt: skip


def rebuild() -> None:
    """Recompute every row (after loading carts straight into the database, e.g. demo data)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_UPSERT.format(ranked=_RANKED.format(only="")), [CartStatus.ABANDONED])
        cursor.execute(_DELETE_GONE.format(only=""), [CartStatus.ABANDONED])


def forget_cart(cart_id: int) -> int | None:
    """The customer whose latest abandoned cart this was, if any (to refresh after a change)."""
    return (
        LatestAbandonment.objects.filter(cart_id=cart_id).values_list("customer_id", flat=True)
        .first()
    )  # fmt: skip
