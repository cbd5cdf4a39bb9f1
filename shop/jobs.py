"""Background jobs of the shared domain, run by RQ workers."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


def update_exchange_rates(backend_path: str | None = None) -> int:
    """Fetch today's rates with the configured backend into django-money's tables.

    Scheduled daily by ``shop.cron``; returns how many rates were stored.
    """
    backend = import_string(backend_path or settings.EXCHANGE_BACKEND)()
    backend.update_rates(base_currency=settings.BASE_CURRENCY)
    from djmoney.contrib.exchange.models import Rate

    from shop import config

    config.changed()  # the rates were written in bulk, without model signals

    count = Rate.objects.filter(backend_id=backend.name).count()
    logger.info("Stored %s exchange rates from %s", count, backend.name)
    return count


def clear_expired_sessions() -> None:
    """Cron (nightly): delete expired sessions, which the database backend never does itself
    (each visitor with a cart or a sign-in leaves a row)."""
    from django.core.management import call_command

    call_command("clearsessions")
