"""The Reports page's numbers on a known world (tests/reports_world.py), live and rolled up."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from django.utils import timezone

from recovery.reports import cube, recovery_selectors, selectors
from recovery.reports.cube import ReportFilters
from recovery.reports.rollups import roll_up
from tests import reports_world


@pytest.fixture
def world(db, rates):
    return reports_world.build(rates)


def today_filters(**kwargs) -> ReportFilters:
    today = timezone.localdate()
    return ReportFilters(date_from=today, date_to=today, **kwargs)


def funnel_numbers(rows):
    return {row.label: row.counts for row in rows}


def test_funnel_counts_carts_at_each_step_overall_per_country_and_device(world):
    filters = today_filters()
    (overall,) = selectors.funnel(filters)
    assert overall.counts == [20, 11, 10, 8, 5]
    assert overall.drops == [None, 9, 1, 2, 3]
    assert overall.step_rates[1:] == [11 / 20, 10 / 11, 8 / 10, 5 / 8]
    assert overall.conversion == 5 / 20
    assert overall.abandonment == 6 / 11
    assert funnel_numbers(selectors.funnel(filters, by="country")) == {
        "DE": [10, 6, 5, 4, 3], "BR": [6, 3, 3, 2, 1], "FR": [4, 2, 2, 2, 1],
    }  # fmt: skip
    assert funnel_numbers(selectors.funnel(filters, by="device")) == {
        "mobile": [16, 9, 8, 6, 4], "desktop": [4, 2, 2, 2, 1],
    }  # fmt: skip


def test_filters_narrow_the_funnel_to_a_market_country_device_or_language(world):
    assert selectors.funnel(today_filters(market_id=world.br.pk))[0].counts == [6, 3, 3, 2, 1]
    assert selectors.funnel(today_filters(country="FR"))[0].counts == [4, 2, 2, 2, 1]
    assert selectors.funnel(today_filters(device="desktop"))[0].counts == [4, 2, 2, 2, 1]
    assert selectors.funnel(today_filters(language="de"))[0].counts == [10, 6, 5, 4, 3]
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    empty = ReportFilters(date_from=yesterday, date_to=yesterday)
    assert selectors.funnel(empty)[0].counts == [0, 0, 0, 0, 0]


def test_payment_failures_per_method_country_category_and_day(world):
    filters = today_filters()
    by_method = {r.label: (r.attempts, r.failures) for r in
                 selectors.payment_failures(filters, by="payment_method")}  # fmt: skip
    assert by_method == {"card": (6, 2), "pix": (2, 1)}
    by_country = {r.label: (r.attempts, r.failures, r.rate) for r in
                  selectors.payment_failures(filters, by="country")}  # fmt: skip
    assert by_country == {"DE": (4, 1, 0.25), "FR": (2, 1, 0.5), "BR": (2, 1, 0.5)}
    assert selectors.failure_categories(filters) == [
        ("Cancelled by the shopper", 1), ("Declined", 1), ("Expired unpaid", 1),
    ]  # fmt: skip
    (day,) = selectors.payment_failures(filters, by="day")
    assert (day.label, day.attempts, day.failures) == (str(timezone.localdate()), 8, 3)


def test_why_carts_are_lost_is_ranked_per_market(world):
    rows = [(r.market, r.cause, r.carts) for r in selectors.lost_cart_causes(today_filters())]
    assert rows == [
        ("Brasil", "Payment failed: Expired unpaid", 1),
        ("Brasil", "Shipping not available", 1),
        ("EU", "Price changed since added", 2),
        ("EU", "Out of stock at checkout", 1),
        ("EU", "Payment failed: Cancelled by the shopper", 1),
        ("EU", "Payment failed: Declined", 1),
        ("EU", "The shopper's own answer: too expensive", 1),
    ]


def test_recovery_counts_messages_recovered_orders_and_revenue_in_the_base_currency(world):
    summary = recovery_selectors.recovery_summary(today_filters())
    assert summary.abandoned_carts == 240
    assert summary.abandoned_value == Decimal("9600.000")
    assert summary.recovered_orders == 25
    assert summary.recovered_revenue == Decimal("1010.000")  # 24 × 40 EUR + 309.65 BRL
    assert summary.recovery_rate == 25 / 240
    assert summary.returned_by_itself == 2  # the control group's orders, never "recovered"
    assert summary.base_currency == "EUR"
    rows = {r.source: (r.messages, r.sent, r.delivered, r.opened, r.clicked, r.orders, r.revenue)
            for r in summary.messages}  # fmt: skip
    assert rows == {
        "Flow “Reminder”, step 1 (email)": (200, 200, 193, 80, 35, 25, Decimal("1010.000")),
        "Newsletter “Winter” (email)": (10, 10, 0, 4, 1, 0, Decimal(0)),
        "Manual message (email)": (2, 2, 0, 1, 0, 0, Decimal(0)),
    }


def test_holdout_shows_the_revenue_the_flow_adds_beyond_carts_that_came_back(world):
    (row,) = recovery_selectors.holdout(today_filters())
    assert (row.flow, row.treated, row.treated_orders, row.control, row.control_orders) == (
        "Reminder", 200, 25, 40, 2)
    assert row.treated_revenue == Decimal("1010.000")
    assert row.control_revenue == Decimal("80.000")
    assert row.incremental_orders == pytest.approx((25 / 200 - 2 / 40) * 200)  # 15
    assert row.incremental_revenue == Decimal("610.00")  # (1010/200 − 80/40) × 200
    assert row.result.test == "fisher"  # the control expects fewer than 5 orders
    assert not row.result.significant


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_ab_test_per_variant_with_wilson_interval_and_chi_square_verdict(world):
    (test,) = recovery_selectors.ab_tests(today_filters())
    assert test.title == "Flow “Reminder”, step 1"
    rows = {r.label: (r.recipients, r.opens, r.clicks, r.orders, r.revenue) for r in test.variants}
    assert rows == {"A": (100, 30, 10, 5, Decimal("200.000")),
                    "B": (100, 50, 25, 20, Decimal("810.000"))}  # fmt: skip
    a, b = test.variants
    assert (a.conversion, b.conversion) == (0.05, 0.20)
    assert a.interval == pytest.approx(wilson(5, 100))
    assert b.interval == pytest.approx(wilson(20, 100))
    # chi-square without correction = the two-proportion z-test: z = 3.207, p = 0.00134
    pooled = 25 / 200
    z = (0.20 - 0.05) / math.sqrt(pooled * (1 - pooled) * (2 / 100))
    assert test.result.test == "chi-square"
    assert test.result.p_value == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert test.result.significant
    # significant, but 100 recipients per variant are below the minimum sample (1,471)
    assert test.minimum_sample == 1471
    assert test.winner is None
    assert "not enough data yet" in test.verdict


def test_ab_test_names_the_winner_once_the_minimum_sample_is_reached(world, settings):
    settings.REPORTS_AB_MIN_SAMPLE = 100
    (test,) = recovery_selectors.ab_tests(today_filters())
    assert test.winner.label == "B"
    assert test.verdict.startswith("Variant B wins (p = 0.001)")


def test_rolled_up_days_give_the_same_report_as_live_events(world):
    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    live = _everything(today_filters())
    assert roll_up(today=tomorrow) == 1  # today is finished as far as the job knows
    assert cube.rolled_up_to() == tomorrow
    assert _everything(today_filters()) == live
    assert roll_up(today=tomorrow) == 0  # nothing new


def _everything(filters):
    return (
        [row.counts for row in selectors.funnel(filters, by="country")],
        [(r.label, r.attempts, r.failures) for r in selectors.payment_failures(filters, by="day")],
        selectors.failure_categories(filters),
        [(r.market, r.cause, r.carts) for r in selectors.lost_cart_causes(filters)],
        recovery_selectors.recovery_summary(filters).abandoned_value,
    )
