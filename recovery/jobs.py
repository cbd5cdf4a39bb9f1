"""Recurring jobs of recovery (RQ cron, see ``settings.SHOP_CRON_JOBS``)."""

from __future__ import annotations

import logging

from recovery.services import detect_abandoned_carts

logger = logging.getLogger(__name__)


def detect_abandoned_carts_job() -> dict:
    result = detect_abandoned_carts()
    logger.info("Abandonment detection: %s", result)
    return {"abandoned": result.abandoned, "expired": result.expired, "purged": result.purged}


def run_flows_job() -> dict:
    """Every minute: stop, enrol, write and queue the automated flows' due steps."""
    from recovery.flows import run_flows

    result = run_flows()
    logger.info("Recovery flows: %s", result)
    return {"stopped": result.stopped, "enrolled": result.enrolled, "written": result.written,
            "queued": result.queued}  # fmt: skip
