"""The frequency cap: at most ``RECOVERY_CAP_MESSAGES`` recovery messages per customer in
``RECOVERY_CAP_DAYS`` days, whatever sent them (flows, newsletters, staff). Checked right before
a message leaves (``recovery.sending``), so a message over the cap is recorded as skipped
(``SkipReason.CAPPED``), never sent. Two senders working on the same customer at the same
instant may each see the count before the other's message: the cap can be passed by one then.
A message the shopper asked for (their cart saved by e-mail, ``RecoveryMessage.requested``) is
neither capped nor counted: it is an answer, not a reminder.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count

from recovery.models import MessageStatus, RecoveryMessage

COUNTED = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.UNDELIVERABLE)


def window_start(now: datetime) -> datetime:
    return now - timedelta(days=settings.RECOVERY_CAP_DAYS)


def recent_counts(customer_ids: Iterable[int], now: datetime) -> Counter:
    """Messages each customer was sent within the window. One query."""
    rows = (RecoveryMessage.objects
            .filter(customer_id__in=set(customer_ids), status__in=COUNTED,
                    sent_at__gte=window_start(now), requested=False)
            .values_list("customer_id").annotate(n=Count("pk")).order_by())  # fmt: skip
    return Counter(dict(rows))


class Cap:
    """The cap over one batch: counts what was sent before and what this batch sends."""

    def __init__(self, customer_ids: Iterable[int], now: datetime) -> None:
        self.limit = settings.RECOVERY_CAP_MESSAGES
        self.counts = recent_counts(customer_ids, now) if self.limit else Counter()

    def allows(self, customer_id: int) -> bool:
        """Whether one more message may go to this customer (and count it if so)."""
        if not self.limit:  # 0: no cap
            return True
        if self.counts[customer_id] >= self.limit:
            return False
        self.counts[customer_id] += 1
        return True
