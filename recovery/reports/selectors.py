"""Reads of the Reports page's event sections: the funnel, payment failures and why carts are
lost, summed from the cube (``recovery.reports.cube``)."""


from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.utils.translation import gettext as _

from recovery.reports.cube import ReportFilters, event_counts, ratio
from recovery.reports.models import EventKind

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
        return [None] + [ratio(b, a) for a, b in zip(self.counts, self.counts[1:], strict=False)]

    @property
    def conversion(self) -> float | None:
        """Orders per cart."""
        return ratio(self.counts[-1], self.counts[0])

    @property
    def abandonment(self) -> float | None:
        """Checkouts started that did not end in an order."""
        started = self.counts[1]
        return ratio(started - self.counts[-1], started) if started else None


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
        return ratio(self.failures, self.attempts)


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
    from recovery.reports.models import FailureCategory

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
    from recovery.reports.models import Cause, FailureCategory
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
