"""Writes of the Reports page: ending an A/B test with its winner."""

from __future__ import annotations

from recovery.flows import end_test
from recovery.models import FlowStep, FlowStepVariant


class ReportActionError(ValueError):
    """A refused staff action; the message is translated."""


def end_ab_test(*, step: FlowStep, winner_label: str) -> FlowStepVariant:
    """End a flow step's A/B test: only ``winner_label`` stays active, so every customer gets it
    from now on (the flows' own rule, ``recovery.flows.end_test``)."""
    try:
        return end_test(step=step, winner_label=winner_label)
    except ValueError as error:
        raise ReportActionError(str(error)) from None
