"""The Reports page's tables: one description per table, shown as HTML and downloaded as CSV.

A table holds raw values (ints, ratios, Decimals) and each column's kind; the template formats
them for the staff member's language, the CSV writes them plainly (ratios as decimals) so a
spreadsheet can compute with them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from recovery.reports import recovery_selectors, selectors
from recovery.reports.cube import ReportFilters

TEXT, INT, RATE, MONEY, INTERVAL = "text", "int", "rate", "money", "interval"


@dataclass
class Column:
    title: str
    kind: str = INT


@dataclass
class Table:
    slug: str
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)

    def cells(self):
        """Rows of (kind, value) pairs, for the template."""
        kinds = [column.kind for column in self.columns]
        return [list(zip(kinds, row, strict=True)) for row in self.rows]


def _funnel_table(slug: str, title: str, first: str, rows) -> Table:
    labels = selectors.funnel_step_labels()
    columns = [Column(first, TEXT)]
    for index, label in enumerate(labels):
        columns.append(Column(label))
        if index:
            columns.append(Column(_("Drop before “%(step)s”") % {"step": label}))
    columns += [Column(_("Conversion"), RATE), Column(_("Checkout abandonment"), RATE)]
    table = Table(slug, title, columns)
    for row in rows:
        values = [row.label]
        for index, count in enumerate(row.counts):
            values.append(count)
            if index:
                values.append(row.drops[index])
        values += [row.conversion, row.abandonment]
        table.rows.append(values)
    return table


def _failure_table(slug: str, title: str, first: str, rows) -> Table:
    table = Table(slug, title, [Column(first, TEXT), Column(_("Attempts")), Column(_("Failed")),
                                Column(_("Failure rate"), RATE)])  # fmt: skip
    table.rows = [[r.label, r.attempts, r.failures, r.rate] for r in rows]
    return table


def build_tables(filters: ReportFilters) -> dict[str, Table]:
    """Every table of the page, by slug, in the page's order."""
    tables: dict[str, Table] = {}

    def add(table: Table) -> None:
        tables[table.slug] = table

    add(_funnel_table("funnel", _("Funnel"), _("All carts"), selectors.funnel(filters)))
    add(_funnel_table("funnel_country", _("Funnel per country"), _("Country"),
                      selectors.funnel(filters, by="country")))  # fmt: skip
    add(_funnel_table("funnel_device", _("Funnel per device"), _("Device"),
                      selectors.funnel(filters, by="device")))  # fmt: skip
    add(_failure_table("payments_method", _("Payment failures per method"), _("Method"),
                       selectors.payment_failures(filters, by="payment_method")))  # fmt: skip
    add(_failure_table("payments_country", _("Payment failures per country"), _("Country"),
                       selectors.payment_failures(filters, by="country")))  # fmt: skip
    add(_failure_table("payments_day", _("Payment failures per day"), _("Day"),
                       selectors.payment_failures(filters, by="day")))  # fmt: skip
    categories = Table("payments_category", _("Failure categories"),
                       [Column(_("Category"), TEXT), Column(_("Failed payments"))])  # fmt: skip
    categories.rows = [list(row) for row in selectors.failure_categories(filters)]
    add(categories)
    causes = Table("causes", _("Why carts are lost"),
                   [Column(_("Market"), TEXT), Column(_("Cause"), TEXT), Column(_("Carts"))])
    causes.rows = [[r.market, r.cause, r.carts] for r in selectors.lost_cart_causes(filters)]
    add(causes)

    summary = recovery_selectors.recovery_summary(filters)
    base = summary.base_currency
    recovery = Table("recovery", _("Recovery"), [Column(_("Measure"), TEXT),
                                                  Column(_("Value"), TEXT)])  # fmt: skip
    recovery.rows = [
        [_("Abandoned carts"), summary.abandoned_carts],
        [_("Abandoned value (%(currency)s)") % {"currency": base}, summary.abandoned_value],
        [_("Recovered orders"), summary.recovered_orders],
        [_("Recovered revenue (%(currency)s)") % {"currency": base}, summary.recovered_revenue],
        [_("Recovery rate"), summary.recovery_rate],
        [_("Returned by itself (ordered without a message)"), summary.returned_by_itself],
    ]
    recovery.columns[1].kind = "mixed"
    add(recovery)
    messages = Table("messages", _("Messages"), [
        Column(_("Source"), TEXT), Column(_("Messages")), Column(_("Sent")),
        Column(_("Delivered")), Column(_("Opened")), Column(_("Clicked")), Column(_("Orders")),
        Column(_("Revenue (%(currency)s)") % {"currency": base}, MONEY),
    ])  # fmt: skip
    messages.rows = [[r.source, r.messages, r.sent, r.delivered, r.opened, r.clicked, r.orders,
                      r.revenue] for r in summary.messages]  # fmt: skip
    add(messages)
    holdout = Table("holdout", _("Incremental revenue against the control group"), [
        Column(_("Flow"), TEXT), Column(_("Carts messaged")), Column(_("Their orders")),
        Column(_("Order rate"), RATE), Column(_("Control carts")), Column(_("Control orders")),
        Column(_("Control order rate"), RATE), Column(_("Incremental orders"), MONEY),
        Column(_("Incremental revenue (%(currency)s)") % {"currency": base}, MONEY),
        Column(_("p-value"), MONEY),
    ])  # fmt: skip
    for r in recovery_selectors.holdout(filters):
        holdout.rows.append([
            r.flow, r.treated, r.treated_orders, r.treated_rate, r.control, r.control_orders,
            r.control_rate,
            None if r.incremental_orders is None else Decimal(str(round(r.incremental_orders, 1))),
            r.incremental_revenue,
            None if r.result.p_value is None else Decimal(str(round(r.result.p_value, 4))),
        ])  # fmt: skip
    add(holdout)
    return tables


def ab_tables(tests) -> list[tuple[object, Table]]:
    """One table per A/B test, slug ``ab_<n>``."""
    result = []
    # xgettext:no-python-format
    interval = _("95 % interval")
    for index, test in enumerate(tests, start=1):
        table = Table(f"ab_{index}", test.title, [
            Column(_("Variant"), TEXT), Column(_("Recipients")), Column(_("Opens")),
            Column(_("Clicks")), Column(_("Orders")), Column(_("Revenue"), MONEY),
            Column(_("Conversion"), RATE), Column(interval, INTERVAL),
        ])  # fmt: skip
        table.rows = [[r.label, r.recipients, r.opens, r.clicks, r.orders, r.revenue,
                       r.conversion, r.interval] for r in test.variants]  # fmt: skip
        result.append((test, table))
    return result


def _plain(kind: str, value) -> str:
    if value is None:
        return ""
    if kind == INTERVAL:
        return f"{value[0]:.4f}–{value[1]:.4f}"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def as_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column.title for column in table.columns])
    for row in table.rows:
        writer.writerow([_plain(c.kind, v) for c, v in zip(table.columns, row, strict=True)])
    return out.getvalue()
