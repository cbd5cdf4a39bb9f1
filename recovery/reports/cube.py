"""What every section of the Reports page sums: the event "cube" of a date range and filters.

Counting rules, the same in rollups and live events: a step of the funnel counts *carts*, each
cart once per day and step (a shopper who opens the checkout five times a day started it once
that day); payments count *attempts* (events). Each page reads one cube: days before
``RollupState.rolled_up_to`` from ``DailyRollup`` (summed over the range by the database), later
ones from ``Event`` grouped at the same grain, so a report is as fast over a year as over a
day, still shows the last minutes, and reads the same before and after the rollup job.
"""


from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connections, transaction
from django.db.models import Case, Count, F, Q, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from recovery.reports.models import ROLLUP_DIMENSIONS, DailyRollup, Event, EventKind, RollupState


@dataclass(frozen=True)
class ReportFilters:
    date_from: dt.date
    date_to: dt.date
    market_id: int | None = None
    country: str = ""
    device: str = ""
    language: str = ""
    # What one page's sections share (the event cube), read once per filters object.
    _memo: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def on_events(self) -> Q:
        q = Q()
        if self.market_id:
            q &= Q(market_id=self.market_id)
        for name in ("country", "device", "language"):
            if getattr(self, name):
                q &= Q(**{name: getattr(self, name)})
        return q

    def on_carts(self, prefix: str) -> Q:
        q = Q()
        if self.market_id:
            q &= Q(**{f"{prefix}market_id": self.market_id})
        for name in ("country", "device", "language"):
            if getattr(self, name):
                q &= Q(**{f"{prefix}{name}": getattr(self, name)})
        return q

    def start(self) -> dt.datetime:
        return _day_start(self.date_from)

    def end(self) -> dt.datetime:
        return _day_start(self.date_to + dt.timedelta(days=1))


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def rolled_up_to() -> dt.date:
    state = RollupState.objects.using(report_db()).filter(pk=1).first()
    return state.rolled_up_to if state else dt.date.min


def report_db() -> str:
    from recovery.reports.routers import reports_alias

    return reports_alias()


@contextmanager
def reading() -> Iterator[None]:
    """One read-only transaction for a page's queries. On PostgreSQL without JIT compilation:
    a report's aggregates cost enough to trigger it, and compiling takes longer (about 30 ms a
    query) than it saves on a day's events."""
    db = report_db()
    with transaction.atomic(using=db):
        if connections[db].vendor == "postgresql":
            with connections[db].cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        yield


CUBE_COLUMNS = ("day", *ROLLUP_DIMENSIONS, "answer")


def cube(filters: ReportFilters, *, daily: bool = False) -> list[dict]:
    """Every count of the range at the rollups' grain (market × country × device × language ×
    kind × method × failure × cause × answer), summed over the rolled-up days by the database,
    and today's events grouped the same way (per day): three small queries shared by every
    section of a page, whatever the range. ``daily``: the payment kinds per day instead, for
    the trend. The sections sum these rows, so a report reads the same whether its days are
    rolled up or not."""
    key = "daily" if daily else "cube"
    if key in filters._memo:
        return filters._memo[key]
    watermark = rolled_up_to()
    db = report_db()
    rows: list[dict] = []
    if filters.date_from < watermark:
        rolled = DailyRollup.objects.using(db).filter(
            filters.on_events(), day__gte=filters.date_from, day__lte=filters.date_to,
            day__lt=watermark,
        )  # fmt: skip
        if daily:
            rolled = rolled.filter(kind__in=PAYMENT_KINDS).values("day", "kind")
        else:
            rolled = rolled.values(*ROLLUP_DIMENSIONS, "answer")
        rows += list(
            rolled.annotate(events=Sum("events"), carts=Sum("carts"), amount=Sum("base_amount"))
            .order_by()
        )  # fmt: skip
    live_from = filters.start()
    if watermark > dt.date.min:
        live_from = max(live_from, _day_start(watermark))
    if live_from < filters.end():
        if "live" not in filters._memo:
            filters._memo["live"] = _live_cube(filters, live_from, db)
        rows += filters._memo["live"]
    filters._memo[key] = rows
    return rows


PAYMENT_KINDS = (EventKind.PAYMENT_STARTED, EventKind.PAYMENT_FAILED)


def _live_cube(filters: ReportFilters, live_from: dt.datetime, db: str) -> list[dict]:
    """Events from ``live_from`` at the cube's grain. Carts are counted in two steps, per cart
    and then per group (hash aggregates), which PostgreSQL runs in about two thirds of the
    time of a COUNT(DISTINCT), whose sort dominates a day's events."""
    answer = Case(When(kind=EventKind.FEEDBACK_GIVEN, then=F("detail")), default=Value(""))
    per_cart = (
        Event.objects.using(db)
        .filter(filters.on_events(), created_at__gte=live_from, created_at__lt=filters.end())
        .annotate(day=TruncDate("created_at"), answer=answer)
        .values(*CUBE_COLUMNS, "cart_id")
        .annotate(n=Count("id"), a=Sum("base_amount"))
        .order_by()
    )
    inner, params = per_cart.query.sql_with_params()
    columns = ", ".join(CUBE_COLUMNS)
    sql = (f"SELECT {columns}, SUM(n), COUNT(cart_id), SUM(a) FROM ({inner}) AS per_cart "
           f"GROUP BY {columns}")  # fmt: skip
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    rows = []
    width = len(CUBE_COLUMNS)
    for values in fetched:
        row = dict(zip(CUBE_COLUMNS, values[:width], strict=True))
        if isinstance(row["day"], str):  # SQLite gives the text of the date
            row["day"] = dt.date.fromisoformat(row["day"])
        events, carts, amount = values[width:]
        row["events"], row["carts"] = int(events), int(carts)
        row["amount"] = Decimal(str(amount)).quantize(Decimal("0.001")) if amount else Decimal(0)
        rows.append(row)
    return rows


def event_counts(filters: ReportFilters, *, kinds: Iterable[str],
                 by: Iterable[str] = ()) -> dict[tuple, dict[str, Decimal | int]]:  # fmt: skip
    """``(kind, *by values) -> {"events", "carts", "amount"}`` summed from the cube. ``by``
    names columns of the cube ("day", "country", "payment_method", ...). Carts are counted once
    per day and group of the cube's grain."""
    kinds, by = set(kinds), list(by)
    totals: dict[tuple, dict] = defaultdict(lambda: {"events": 0, "carts": 0,
                                                     "amount": Decimal(0)})  # fmt: skip
    daily = "day" in by
    if daily and not kinds <= set(PAYMENT_KINDS):
        raise ValueError("counts per day are kept for payments only")
    for row in cube(filters, daily=daily):
        if row["kind"] not in kinds:
            continue
        entry = totals[(row["kind"], *(row[name] for name in by))]
        entry["events"] += row["events"] or 0
        entry["carts"] += row["carts"] or 0
        entry["amount"] += row["amount"] or Decimal(0)
    return dict(totals)


def ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None
