"""Reads of the Reports page's recovery sections: messages and what they brought back, the
holdout's incremental revenue and A/B tests. They read the recovery app's messages and
enrolments (far fewer rows than events); money is summed in the base currency, converted with
the recorded rates."""


from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from checkout.models import Order, OrderStatus
from recovery.models import FlowEnrollment, FlowStepVariant, RecoveryMessage
from recovery.reports.cube import ReportFilters, event_counts, ratio, report_db
from recovery.reports.models import EventKind
from recovery.reports.recording import to_base
from recovery.reports.stats import TestResult, compare, required_sample, wilson_interval

# --- recovery ---------------------------------------------------------------------------------


def _orders_in_base(order_ids: Iterable[int]) -> tuple[int, Decimal]:
    ids = set(order_ids)
    if not ids:
        return 0, Decimal(0)
    orders = (
        Order.objects.using(report_db()).filter(pk__in=ids).exclude(status=OrderStatus.CANCELLED)
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
        return ratio(self.recovered_orders, self.abandoned_carts)


def _messages(filters: ReportFilters):
    return RecoveryMessage.objects.using(report_db()).filter(
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
    return FlowEnrollment.objects.using(report_db()).filter(
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
        return ratio(self.treated_orders, self.treated)

    @property
    def control_rate(self) -> float | None:
        return ratio(self.control_orders, self.control)

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
        return ratio(self.orders, self.recipients)

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
        for step_id, label, is_active in FlowStepVariant.objects.using(report_db())
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
