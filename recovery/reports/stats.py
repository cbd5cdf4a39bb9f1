"""The statistics of the A/B and holdout sections, from ``scipy.stats``.

- Conversion's 95 % interval: Wilson's score interval (``binomtest(...).proportion_ci(method=
  "wilson")``). Unlike the textbook normal interval it stays inside [0, 1] and keeps its
  coverage for the small counts and rates near 0 that recovery messages have.
- Whether variants differ: Pearson's chi-square test of independence on the variants ×
  (ordered, not ordered) table, without continuity correction (``chi2_contingency``). It takes
  two or more variants; for two it is exactly the two-sided two-proportion z-test (chi² = z²).
  When a 2 × 2 table has an expected count below 5 the chi-square approximation is poor, and
  Fisher's exact test (``fisher_exact``) is used instead.
- The minimum sample before a winner is named: the size per variant that detects a lift from a
  5 % to a 7.5 % order rate (a half more: what a good subject or incentive does to a typical
  recovery e-mail's conversion) with a two-sided 5 % test and 80 % power: 1,471 per variant
  (``minimum_sample``). Below it a "significant" p-value is mostly noise from peeking early,
  so the report says "not enough data yet" (``settings.REPORTS_AB_MIN_SAMPLE`` overrides it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.conf import settings
from scipy import stats

ALPHA = 0.05


def wilson_interval(successes: int, trials: int) -> tuple[float, float] | None:
    if trials <= 0:
        return None
    interval = stats.binomtest(successes, trials).proportion_ci(0.95, method="wilson")
    return float(interval.low), float(interval.high)


@dataclass(frozen=True)
class TestResult:
    test: str  # "chi-square" or "fisher"
    p_value: float | None

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA


def compare(rows: list[tuple[int, int]]) -> TestResult:
    """Whether the order rates of ``(orders, recipients)`` per variant differ."""
    table = [[k, n - k] for k, n in rows if n > 0]
    if len(table) < 2:
        return TestResult("chi-square", None)
    column_totals = [sum(row[0] for row in table), sum(row[1] for row in table)]
    if 0 in column_totals:  # everyone or no one ordered: nothing to tell apart
        return TestResult("chi-square", 1.0)
    if len(table) == 2:
        expected = stats.contingency.expected_freq(table)
        if expected.min() < 5:
            return TestResult("fisher", float(stats.fisher_exact(table).pvalue))
    result = stats.chi2_contingency(table, correction=False)
    return TestResult("chi-square", float(result.pvalue))


def minimum_sample(base_rate: float = 0.05, lift: float = 0.5, power: float = 0.8) -> int:
    """Recipients per variant to detect ``base_rate`` → ``base_rate × (1 + lift)``."""
    p1, p2 = base_rate, base_rate * (1 + lift)
    mean = (p1 + p2) / 2
    z_alpha = stats.norm.ppf(1 - ALPHA / 2)
    z_power = stats.norm.ppf(power)
    root = z_alpha * math.sqrt(2 * mean * (1 - mean)) + z_power * math.sqrt(
        p1 * (1 - p1) + p2 * (1 - p2)
    )
    return math.ceil(root**2 / (p2 - p1) ** 2)


def required_sample() -> int:
    return int(getattr(settings, "REPORTS_AB_MIN_SAMPLE", 0) or minimum_sample())
