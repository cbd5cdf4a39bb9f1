"""Recurring jobs of recovery (RQ cron, see ``settings.SHOP_CRON_JOBS``)."""

from __future__ import annotations

import logging

from recovery.services import detect_abandoned_carts

logger = logging.getLogger(__name__)


def detect_abandoned_carts_job() -> dict:
    result = detect_abandoned_carts()
    logger.info("Abandonment detection: %s", result)
    return {"abandoned": result.abandoned, "expired": result.expired, "purged": result.purged}
