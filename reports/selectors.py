"""Reads of the Reports page: every section's numbers, from rollups and today's events.

Counting rules, the same in rollups and live events: a step of the funnel counts *carts*, each
cart once per day and step (a shopper who opens the checkout five times a day started it once
that day); payments count *attempts* (events). Each page reads one "cube" (``cube``): days
before ``RollupState.rolled_up_to`` from ``DailyRollup``, later ones from ``Event`` grouped at
the same grain, and every section sums its rows, so a report is as fast over a year as over a
day, still shows the last minutes, and reads the same before and after the rollup job.

The recovery and A/B sections read the recovery app's messages and enrolments (far fewer rows
than events). Money is summed in the base currency, converted with the recorded rates.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Case, Count, F, Q, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from checkout.models import Order, OrderStatus
from recovery.models import FlowEnrollment, FlowStepVariant, RecoveryMessage
from reports.models import ROLLUP_DIMENSIONS, DailyRollup, Event, EventKind, RollupState
from reports.recording import to_base
from reports.stats import TestResult, compare, required_sample, wilson_interval

READ_DB = "reports"  # the router's hint: ``reports.routers.ReportsRouter`` maps it


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
    state = RollupState.objects.using(_db()).filter(pk=1).first()
    return state.rolled_up_to if state else dt.date.min


def _db() -> str:
    from reports.routers import reports_alias

    return reports_alias()


@contextmanager
def reading() -> Iterator[None]:
    """One read-only transaction for a page's queries. On PostgreSQL without JIT compilation:
    a report's aggregates cost enough to trigger it, and compiling takes longer (about 30 ms a
    query) than it saves on a day's events."""
    db = _db()
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
    db = _db()
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


def _rate(part: float, whole: float) -> float | None:
    return part / whole if whole else None


# --- funnel -----------------------------------------------------------------------------------

FUNNEL_STEPS = (
    EventKind.CART_CREATED, EventKind.CHECKOUT_STARTED, EventKind.CONTACT_ENTERED,
    EventKind.PAYMENT_STARTED, EventKind.ORDER_PLACED,
)  # fmt: skip


def funnel_step_labels() -> list[str]:
    return [_("Carts"), _("Checkout started"), _("Contact entered"), _("Payment started"),
            _("Orders")]  # fmt: skip


@dataclass(frozen=True)
class FunnelRow:
    label: str
    counts: list[int]

    @property
    def drops(self) -> list[int | None]:
        """Carts lost at each step (None for the first)."""
        return [None] + [max(a - b, 0) for a, b in zip(self.counts, self.counts[1:], strict=False)]

    @property
    def step_rates(self) -> list[float | None]:
        return [None] + [_rate(b, a) for a, b in zip(self.counts, self.counts[1:], strict=False)]

    @property
    def conversion(self) -> float | None:
        """Orders per cart."""
        return _rate(self.counts[-1], self.counts[0])

    @property
    def abandonment(self) -> float | None:
        """Checkouts started that did not end in an order."""
        started = self.counts[1]
        return _rate(started - self.counts[-1], started) if started else None


def funnel(filters: ReportFilters, *, by: str | None = None) -> list[FunnelRow]:
    """The whole funnel (``by`` None) or one row per value of ``by`` ("country", "device")."""
    counts = event_counts(filters, kinds=FUNNEL_STEPS, by=[by] if by else [])
    if by is None:
        return [FunnelRow(_("All"), [counts.get((k,), {}).get("carts", 0) for k in FUNNEL_STEPS])]
    values = sorted({key[1] for key in counts})
    rows = [
        FunnelRow(str(value or "—"),
                  [counts.get((k, value), {}).get("carts", 0) for k in FUNNEL_STEPS])
        for value in values
    ]  # fmt: skip
    return sorted(rows, key=lambda row: (-row.counts[0], row.label))


# --- payments ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FailureRow:
    label: str
    attempts: int
    failures: int

    @property
    def rate(self) -> float | None:
        return _rate(self.failures, self.attempts)


def payment_failures(filters: ReportFilters, *, by: str) -> list[FailureRow]:
    """Attempts and failures per ``by`` ("payment_method", "country" or "day")."""
    counts = event_counts(filters, kinds=[EventKind.PAYMENT_STARTED, EventKind.PAYMENT_FAILED],
                          by=[by])  # fmt: skip
    values = sorted({key[1] for key in counts}, key=lambda v: (v is None, str(v)))
    rows = [
        FailureRow(
            str(value) if value not in (None, "") else "—",
            counts.get((EventKind.PAYMENT_STARTED, value), {}).get("events", 0),
            counts.get((EventKind.PAYMENT_FAILED, value), {}).get("events", 0),
        )
        for value in values
    ]
    if by == "day":
        return rows
    return sorted(rows, key=lambda row: (-row.attempts, row.label))


def failure_categories(filters: ReportFilters) -> list[tuple[str, int]]:
    from reports.models import FailureCategory

    counts = event_counts(filters, kinds=[EventKind.PAYMENT_FAILED], by=["failure_category"])
    labels = dict(FailureCategory.choices)
    rows = [(str(labels.get(key[1], key[1] or "—")), value["events"])
            for key, value in counts.items()]  # fmt: skip
    return sorted(rows, key=lambda row: (-row[1], row[0]))


# --- why carts are lost -----------------------------------------------------------------------

CAUSE_KINDS = (EventKind.CART_VIEWED, EventKind.CHECKOUT_REFUSED, EventKind.PAYMENT_FAILED,
               EventKind.FEEDBACK_GIVEN)  # fmt: skip


@dataclass(frozen=True)
class CauseRow:
    market: str
    cause: str
    carts: int


def lost_cart_causes(filters: ReportFilters) -> list[CauseRow]:
    """Recorded causes, carts per market and cause (payment failures by category, shoppers'
    answers by answer), ranked within each market."""
    from reports.models import Cause, FailureCategory
    from shop.selectors import markets_by_id

    counts = event_counts(filters, kinds=CAUSE_KINDS,
                          by=["market_id", "cause", "failure_category", "answer"])
    causes, categories = dict(Cause.choices), dict(FailureCategory.choices)
    markets = markets_by_id()
    merged: dict[tuple[str, str], int] = defaultdict(int)
    for key, value in counts.items():
        market_id, cause, category = key[1], key[2], key[3]
        if not cause:
            continue
        label = str(causes.get(cause, cause))
        if category:
            label = f"{label}: {categories.get(category, category)}"
        elif cause == Cause.SHOPPER_ANSWER and key[4]:
            label = f"{label}: {key[4]}"
        market = markets.get(market_id)
        merged[(market.name if market else "—", label)] += value["carts"]
    rows = [CauseRow(market, cause, carts) for (market, cause), carts in merged.items()]
    return sorted(rows, key=lambda row: (row.market, -row.carts, row.cause))


# --- recovery ---------------------------------------------------------------------------------


def _orders_in_base(order_ids: Iterable[int]) -> tuple[int, Decimal]:
    ids = set(order_ids)
    if not ids:
        return 0, Decimal(0)
    orders = (
        Order.objects.using(_db()).filter(pk__in=ids).exclude(status=OrderStatus.CANCELLED)
        .values_list("total", "currency")
    )  # fmt: skip
    count, revenue = 0, Decimal(0)
    for total, currency in orders:
        count += 1
        revenue += to_base(total, currency) or Decimal(0)
    return count, revenue


@dataclass(frozen=True)
class MessageRow:
    source: str
    messages: int
    sent: int
    delivered: int
    opened: int
    clicked: int
    orders: int
    revenue: Decimal


@dataclass
class RecoverySummary:
    abandoned_carts: int
    abandoned_value: Decimal
    recovered_orders: int
    recovered_revenue: Decimal
    returned_by_itself: int
    base_currency: str
    messages: list[MessageRow] = field(default_factory=list)

    @property
    def recovery_rate(self) -> float | None:
        return _rate(self.recovered_orders, self.abandoned_carts)


def _messages(filters: ReportFilters):
    return RecoveryMessage.objects.using(_db()).filter(
        filters.on_carts("cart__"), created_at__gte=filters.start(), created_at__lt=filters.end()
    )


def recovery_summary(filters: ReportFilters) -> RecoverySummary:
    abandoned = event_counts(filters, kinds=[EventKind.CART_ABANDONED]).get(
        (EventKind.CART_ABANDONED,), {"carts": 0, "amount": Decimal(0)}
    )
    rows = (
        _messages(filters).values(
            "flow_step__flow__name", "flow_step__position", "campaign__name", "channel",
        )
        .annotate(
            total=Count("id"),
            sent=Count("id", filter=Q(sent_at__isnull=False)),
            delivered=Count("id", filter=Q(delivered_at__isnull=False)),
            opened=Count("id", filter=Q(opened_at__isnull=False)),
            clicked=Count("id", filter=Q(clicked_at__isnull=False)),
        )
    )  # fmt: skip
    orders_by_source: dict[tuple, set[int]] = defaultdict(set)
    for key in _messages(filters).filter(recovered_order__isnull=False).values(
        "flow_step__flow__name", "flow_step__position", "campaign__name", "channel",
        "recovered_order_id",
    ):  # fmt: skip
        source = (key["flow_step__flow__name"], key["flow_step__position"],
                  key["campaign__name"], key["channel"])  # fmt: skip
        orders_by_source[source].add(key["recovered_order_id"])
    messages = []
    for row in rows:
        source = (row["flow_step__flow__name"], row["flow_step__position"],
                  row["campaign__name"], row["channel"])  # fmt: skip
        orders, revenue = _orders_in_base(orders_by_source.get(source, ()))
        messages.append(MessageRow(
            _source_label(*source), row["total"], row["sent"], row["delivered"], row["opened"],
            row["clicked"], orders, revenue,
        ))  # fmt: skip
    messages.sort(key=lambda row: row.source)
    recovered, revenue = _orders_in_base(
        order_id for ids in orders_by_source.values() for order_id in ids
    )
    return RecoverySummary(
        abandoned_carts=abandoned["carts"], abandoned_value=abandoned["amount"],
        recovered_orders=recovered, recovered_revenue=revenue,
        returned_by_itself=returned_by_itself(filters),
        base_currency=settings.BASE_CURRENCY, messages=messages,
    )  # fmt: skip


def _source_label(flow: str | None, position: int | None, campaign: str | None,
                  channel: str) -> str:  # fmt: skip
    if flow:
        return _("Flow “%(flow)s”, step %(position)s (%(channel)s)") % {
            "flow": flow, "position": position, "channel": channel}  # fmt: skip
    if campaign:
        return _("Newsletter “%(name)s” (%(channel)s)") % {"name": campaign, "channel": channel}
    return _("Manual message (%(channel)s)") % {"channel": channel}


def _enrollments(filters: ReportFilters):
    return FlowEnrollment.objects.using(_db()).filter(
        filters.on_carts("cart__"), abandoned_at__gte=filters.start(),
        abandoned_at__lt=filters.end(),
    )  # fmt: skip


def returned_by_itself(filters: ReportFilters) -> int:
    """Enrolled carts ordered without any message sent for them: the control group's orders
    and those ordered before the first step. Never counted as recovered."""
    return (
        _enrollments(filters).filter(order__isnull=False)
        .exclude(order__status=OrderStatus.CANCELLED)
        .exclude(messages__sent_at__isnull=False)
        .values("pk").distinct().count()
    )  # fmt: skip


@dataclass(frozen=True)
class HoldoutRow:
    flow: str
    treated: int
    treated_orders: int
    treated_revenue: Decimal
    control: int
    control_orders: int
    control_revenue: Decimal
    result: TestResult

    @property
    def treated_rate(self) -> float | None:
        return _rate(self.treated_orders, self.treated)

    @property
    def control_rate(self) -> float | None:
        return _rate(self.control_orders, self.control)

    @property
    def incremental_orders(self) -> float | None:
        if not self.treated or not self.control:
            return None
        return (self.treated_rate - self.control_rate) * self.treated

    @property
    def incremental_revenue(self) -> Decimal | None:
        if not self.treated or not self.control:
            return None
        per_treated = self.treated_revenue / self.treated
        per_control = self.control_revenue / self.control
        return ((per_treated - per_control) * self.treated).quantize(Decimal("0.01"))


def holdout(filters: ReportFilters) -> list[HoldoutRow]:
    """Per flow with a control group: what its messages add beyond carts that came back by
    themselves (orders and revenue per enrolled cart, treated against control)."""
    groups: dict[tuple[str, bool], dict] = defaultdict(lambda: {"n": 0, "orders": set()})
    enrollments = _enrollments(filters)
    # Counted in the database; only the few enrolments with an order come back as rows.
    for row in enrollments.values("flow__name", "holdout").annotate(n=Count("id")).order_by():
        groups[(row["flow__name"], row["holdout"])]["n"] = row["n"]
    for row in enrollments.filter(order__isnull=False).values("flow__name", "holdout",
                                                               "order_id"):  # fmt: skip
        groups[(row["flow__name"], row["holdout"])]["orders"].add(row["order_id"])
    result = []
    for flow in sorted({name for name, _holdout in groups}):
        treated, control = groups.get((flow, False)), groups.get((flow, True))
        if control is None or treated is None:
            continue
        t_orders, t_revenue = _orders_in_base(treated["orders"])
        c_orders, c_revenue = _orders_in_base(control["orders"])
        result.append(HoldoutRow(
            flow, treated["n"], t_orders, t_revenue, control["n"], c_orders, c_revenue,
            compare([(t_orders, treated["n"]), (c_orders, control["n"])]),
        ))  # fmt: skip
    return result


# --- A/B tests --------------------------------------------------------------------------------


@dataclass(frozen=True)
class VariantRow:
    label: str
    recipients: int
    opens: int
    clicks: int
    orders: int
    revenue: Decimal
    active: bool

    @property
    def conversion(self) -> float | None:
        return _rate(self.orders, self.recipients)

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.orders, self.recipients)


@dataclass(frozen=True)
class AbTest:
    title: str
    step_id: int | None
    campaign_id: int | None
    variants: list[VariantRow]
    result: TestResult
    minimum_sample: int

    @property
    def enough_data(self) -> bool:
        return all(row.recipients >= self.minimum_sample for row in self.variants)

    @property
    def winner(self) -> VariantRow | None:
        """The best variant, named only with enough data and a significant difference."""
        if not (self.enough_data and self.result.significant):
            return None
        return max(self.variants, key=lambda row: row.conversion or 0)

    @property
    def ended(self) -> bool:
        return self.step_id is not None and sum(row.active for row in self.variants) <= 1

    @property
    def verdict(self) -> str:
        if self.result.p_value is None:
            return _("Not enough data yet.")
        if not self.result.significant:
            return _("No significant difference (p = %(p).3f).") % {"p": self.result.p_value}
        if not self.enough_data:
            return _("Difference significant (p = %(p).3f), but fewer than %(n)s recipients "
                     "per variant: not enough data yet to name a winner.") % {
                "p": self.result.p_value, "n": self.minimum_sample}  # fmt: skip
        return _("Variant %(label)s wins (p = %(p).3f).") % {
            "label": self.winner.label, "p": self.result.p_value}  # fmt: skip


def ab_tests(filters: ReportFilters) -> list[AbTest]:
    """Every flow step and newsletter whose messages in the range carry variant labels."""
    sent = _messages(filters).exclude(variant="").filter(sent_at__isnull=False)
    group = ("flow_step_id", "flow_step__flow__name", "flow_step__position", "campaign_id",
             "campaign__name", "variant")  # fmt: skip
    tests: dict[tuple, dict[str, dict]] = defaultdict(dict)
    titles: dict[tuple, str] = {}
    # Counted in the database; only the messages followed by an order come back as rows.
    counted = sent.values(*group).annotate(
        n=Count("id"), opens=Count("id", filter=Q(opened_at__isnull=False)),
        clicks=Count("id", filter=Q(clicked_at__isnull=False)),
    ).order_by()  # fmt: skip
    for m in counted:
        key = (m["flow_step_id"], m["campaign_id"])
        if m["flow_step_id"]:
            titles[key] = _("Flow “%(flow)s”, step %(position)s") % {
                "flow": m["flow_step__flow__name"], "position": m["flow_step__position"]}
        else:
            titles[key] = _("Newsletter “%(name)s”") % {"name": m["campaign__name"]}
        tests[key][m["variant"]] = {"n": m["n"], "opens": m["opens"], "clicks": m["clicks"],
                                    "orders": set()}  # fmt: skip
    ordered = sent.filter(Q(enrollment__order__isnull=False) | Q(recovered_order__isnull=False))
    for m in ordered.values("flow_step_id", "campaign_id", "variant", "recovered_order_id",
                            "enrollment__order_id"):  # fmt: skip
        row = tests[(m["flow_step_id"], m["campaign_id"])][m["variant"]]
        row["orders"].add(m["enrollment__order_id"] or m["recovered_order_id"])
    active = {
        (step_id, label): is_active
        for step_id, label, is_active in FlowStepVariant.objects.using(_db())
        .filter(step_id__in=[key[0] for key in tests if key[0]])
        .values_list("step_id", "label", "active")
    }
    minimum = required_sample()
    result = []
    for key in sorted(tests, key=lambda k: titles[k]):
        rows = []
        for label in sorted(tests[key]):
            data = tests[key][label]
            orders, revenue = _orders_in_base(data["orders"])
            rows.append(VariantRow(label, data["n"], data["opens"], data["clicks"], orders,
                                   revenue, active.get((key[0], label), True)))  # fmt: skip
        if len(rows) < 2:
            continue
        result.append(AbTest(titles[key], key[0], key[1], rows,
                             compare([(row.orders, row.recipients) for row in rows]),
                             minimum))  # fmt: skip
    return result
