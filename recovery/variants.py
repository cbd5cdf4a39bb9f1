"""Stable choices per customer: which A/B variant a customer gets, and whether a flow keeps
them in its control group (holdout).

A choice hashes a stable key (the customer and what is being tested), so the same customer
gets the same variant on every run, worker and retry, and no assignment needs to be stored
before the message is written. Weights split the hash space in proportion.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def bucket(key: str, size: int = 10_000) -> int:
    """A number in ``[0, size)``, the same for the same key on every machine."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % size


def pick(key: str, weighted: Sequence[tuple[str, int]]) -> str:
    """The label chosen for ``key`` among ``(label, weight)`` pairs (weights > 0 only)."""
    choices = [(label, weight) for label, weight in weighted if weight > 0]
    if not choices:
        raise ValueError("no variant with a positive weight")
    total = sum(weight for _, weight in choices)
    point = bucket(key, total * 1000) / 1000
    for label, weight in choices:
        if point < weight:
            return label
        point -= weight
    return choices[-1][0]  # pragma: no cover (floating point at the edge)


def variant_key(customer_id: int, tested: str) -> str:
    """The key of a customer for one test: ``tested`` names the step or newsletter."""
    return f"variant:{tested}:customer:{customer_id}"


def in_holdout(*, customer_id: int, flow_id: int, percent: int) -> bool:
    """Whether the flow keeps this customer out (control group): stable per customer and flow."""
    if percent <= 0:
        return False
    return bucket(f"holdout:flow:{flow_id}:customer:{customer_id}") < percent * 100
