"""Writing events: one INSERT per happening, nothing read.

The receivers (``recovery.reports.receivers``) pass what the service had at hand: the cart (market,
country, currency, language and device are its fields) or, where only the order or payment is
at hand, the cart's id; then the INSERT copies the cart's fields in the same statement
(``INSERT ... SELECT``), so the shopper's request still pays one statement. Amounts are kept in
the cart's currency and in the base currency, converted with the rates the shop recorded
(``shop.selectors.exchange_rates``, kept in the process: no query).

``settings.REPORTS_EVENTS = False`` turns recording off (the benchmark compares both).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.utils import timezone
from djmoney.contrib.exchange.models import get_default_backend_name

from recovery.reports.models import Event
from shop.selectors import exchange_rates

_CHUNK = 5000


def enabled() -> bool:
    return getattr(settings, "REPORTS_EVENTS", True)


def to_base(amount: Decimal | None, currency: str) -> Decimal | None:
    """``amount`` of ``currency`` in the base currency, or None without a recorded rate."""
    if amount is None:
        return None
    base, rates = exchange_rates()
    if currency == base:
        return Decimal(amount)
    rate = rates.get(currency)
    if not rate:
        return None
    return (Decimal(amount) / Decimal(rate)).quantize(Decimal("0.001"))


def record(kind: str, *, cart, amount: Decimal | None = None, currency: str = "",
           **fields) -> None:  # fmt: skip
    """One event about ``cart`` (a ``Cart`` whose fields are loaded)."""
    if not enabled():
        return
    currency = currency or cart.currency
    Event.objects.create(
        kind=kind, cart_id=cart.pk, market_id=cart.market_id, country=str(cart.country or ""),
        currency=currency or "", language=cart.language or "", device=cart.device or "",
        amount=amount, base_amount=to_base(amount, currency), **fields,
    )  # fmt: skip


_COLUMNS = (
    "kind", "created_at", "payment_method", "failure_category", "cause", "detail", "amount",
    "base_amount",
)  # fmt: skip


def record_for_cart_id(kind: str, *, cart_id: int, amount: Decimal | None = None,
                       currency: str = "", **fields) -> None:  # fmt: skip
    """One event about the cart with id ``cart_id``, its fields copied in the same statement."""
    if not enabled() or cart_id is None:
        return
    values = {
        "kind": kind, "created_at": timezone.now(), "payment_method": "", "failure_category": "",
        "cause": "", "detail": "", "amount": amount,
        "base_amount": to_base(amount, currency) if currency else None,
    }  # fmt: skip
    values.update(fields)
    quote = connection.ops.quote_name
    names = ", ".join(quote(name) for name in _COLUMNS)
    placeholders = ", ".join(["%s"] * len(_COLUMNS))
    currency_sql = "%s" if currency else "c.currency"
    params = [values[name] for name in _COLUMNS]
    if currency:
        params.append(currency)
    params.append(cart_id)
    sql = (
        f"INSERT INTO {quote(Event._meta.db_table)} ({names}, cart_id, market_id, country, "
        f"currency, language, device) SELECT {placeholders}, c.id, c.market_id, c.country, "
        f"{currency_sql}, c.language, c.device FROM cart_cart AS c WHERE c.id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def record_for_carts(kind: str, *, cart_ids: Iterable[int]) -> int:
    """One event per cart (a batch job's carts: detection), with each cart's value (its lines
    at the prices the shopper saw) in its currency and in the base currency. One statement (on
    SQLite one per chunk of carts): the carts, their lines summed by one grouped join (not a sum
    per cart) and the recorded rates joined once (a batch job's process may not have them in
    memory; the shopper's paths use that copy instead)."""
    if not enabled():
        return 0
    ids = list(cart_ids)
    backend = get_default_backend_name()
    quote = connection.ops.quote_name
    now = timezone.now()
    written = 0
    # PostgreSQL takes every id as one array parameter: one statement, planned once. SQLite has
    # no arrays, so it gets chunks of placeholders.
    on_postgresql = connection.vendor == "postgresql"
    chunks = [ids] if on_postgresql else [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]
    for chunk in chunks:
        if not chunk:
            continue
        where, params = (("c.id = ANY(%s)", [chunk]) if on_postgresql
                         else (f"c.id IN ({', '.join(['%s'] * len(chunk))})", chunk))  # fmt: skip
        sql = (
            "WITH picked AS (SELECT c.id, c.market_id, c.country, c.currency, c.language, "
            f"c.device FROM cart_cart AS c WHERE {where}), "
            "totals AS (SELECT l.cart_id, SUM(l.quantity * l.unit_price_seen) AS value "
            "FROM cart_cartline AS l JOIN picked AS p ON p.id = l.cart_id GROUP BY l.cart_id), "
            "rates AS (SELECT r.currency, r.value FROM exchange_rate AS r "
            "WHERE r.backend_id = %s), "
            "base AS (SELECT b.base_currency FROM exchange_exchangebackend AS b WHERE b.name = %s) "
            f"INSERT INTO {quote(Event._meta.db_table)} (kind, created_at, payment_method, "
            "failure_category, cause, detail, cart_id, market_id, country, currency, language, "
            "device, amount, base_amount) "
            "SELECT %s, %s, '', '', '', '', c.id, c.market_id, c.country, c.currency, "
            "c.language, c.device, t.value, ROUND(t.value / (CASE WHEN c.currency = "
            "(SELECT base_currency FROM base) THEN 1 ELSE r.value END), 3) "
            "FROM picked AS c LEFT JOIN totals AS t ON t.cart_id = c.id "
            "LEFT JOIN rates AS r ON r.currency = c.currency"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, backend, backend, kind, now])
            written += cursor.rowcount
    return written
