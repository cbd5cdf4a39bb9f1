"""Writes of the Reports page: ending an A/B test with its winner."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from recovery.models import FlowStep, FlowStepVariant


class ReportActionError(ValueError):
    """A refused staff action; the message is translated."""


def end_ab_test(*, step: FlowStep, winner_label: str) -> FlowStepVariant:
    """End a flow step's A/B test: only ``winner_label`` stays active, so every customer gets it
    from now on. The recovery flows' own service does it where it exists (``recovery.flows.
    end_test``); this is the same rule for a tree without it."""
    try:
        from recovery.flows import end_test
    except ImportError:
        end_test = None
    if end_test is not None:
        try:
            return end_test(step=step, winner_label=winner_label)
        except ValueError as error:
            raise ReportActionError(str(error)) from None
    with transaction.atomic():
        variants = FlowStepVariant.objects.select_for_update().filter(step=step)
        winner = variants.filter(label=winner_label).first()
        if winner is None:
            raise ReportActionError(
                _("This step has no variant “%(label)s”.") % {"label": winner_label}
            )
        FlowStepVariant.objects.filter(step=step).exclude(pk=winner.pk).update(active=False)
        if not winner.active or winner.weight == 0:
            winner.active, winner.weight = True, winner.weight or 1
            winner.save(update_fields=["active", "weight"])
    return winner
