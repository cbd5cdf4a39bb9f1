"""Stable A/B and holdout choices (``recovery.variants``)."""

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recovery.variants import in_holdout, pick, variant_key


@given(st.integers(min_value=1, max_value=10**9), st.text(min_size=1, max_size=20))
def test_the_same_customer_gets_the_same_variant_every_time(customer_id, tested):
    key = variant_key(customer_id, tested)
    weighted = [("A", 1), ("B", 1), ("C", 2)]
    assert pick(key, weighted) == pick(key, list(weighted))
    assert pick(key, weighted) in {"A", "B", "C"}


def test_weights_split_customers_in_proportion():
    counts = Counter(pick(variant_key(n, "step:7"), [("A", 3), ("B", 1)]) for n in range(20_000))
    assert counts["A"] + counts["B"] == 20_000
    assert 0.72 < counts["A"] / 20_000 < 0.78  # 75 % expected; ±3 % is > 10 sigma here


def test_a_variant_without_weight_gets_nobody_and_no_weight_at_all_is_an_error():
    assert {pick(variant_key(n, "s"), [("A", 0), ("B", 5)]) for n in range(500)} == {"B"}
    with pytest.raises(ValueError):
        pick("k", [("A", 0)])


def test_holdout_keeps_the_share_asked_for_and_is_stable_per_flow():
    held = [in_holdout(customer_id=n, flow_id=3, percent=10) for n in range(20_000)]
    assert 0.085 < sum(held) / 20_000 < 0.115
    assert held == [in_holdout(customer_id=n, flow_id=3, percent=10) for n in range(20_000)]
    assert not any(in_holdout(customer_id=n, flow_id=3, percent=0) for n in range(1000))
    other_flow = [in_holdout(customer_id=n, flow_id=4, percent=10) for n in range(20_000)]
    assert held != other_flow  # each flow draws its own control group
