"""Daily rollups of the events, kept by RQ cron (``settings.SHOP_CRON_JOBS``).

``roll_up`` sums every finished day from the watermark (``RollupState.rolled_up_to``) to
yesterday into ``DailyRollup``, one INSERT ... SELECT per day, then moves the watermark, in one
transaction: the report reads a day either from rollups or live, never both, never neither.
A day is rolled up once; events are appended with the time they happen, so a finished day does
not change afterwards.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count, Min, Sum
from django.utils import timezone

from reports.models import ROLLUP_DIMENSIONS, DailyRollup, Event, RollupState

# The job reads the events where they are written: a replica may lag behind the day's end.
PRIMARY = "default"


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def roll_up_day(day: dt.date) -> int:
    """Replace ``day``'s rollups with the sums of its events; the number of rows written."""
    DailyRollup.objects.filter(day=day).delete()
    rows = (
        Event.objects.using(PRIMARY).filter(created_at__gte=_day_start(day),
                             created_at__lt=_day_start(day + dt.timedelta(days=1)))  # fmt: skip
        .values(*ROLLUP_DIMENSIONS)
        .annotate(events=Count("id"), carts=Count("cart_id", distinct=True),
                  amount=Sum("base_amount"))  # fmt: skip
        .order_by()
    )
    return len(DailyRollup.objects.bulk_create(
        [DailyRollup(day=day, events=row.pop("events"), carts=row.pop("carts"),
                     base_amount=row.pop("amount") or 0, **row) for row in rows],
        batch_size=2000,
    ))  # fmt: skip


def roll_up(*, today: dt.date | None = None) -> int:
    """Roll up every finished day not rolled up yet; the number of days."""
    today = today or timezone.localdate()
    with transaction.atomic():
        state = RollupState.objects.select_for_update().filter(pk=1).first()
        if state is None:
            first = Event.objects.using(PRIMARY).aggregate(first=Min("created_at"))["first"]
            start = timezone.localtime(first).date() if first else today
            state = RollupState.objects.create(pk=1, rolled_up_to=start)
        day = state.rolled_up_to
        days = 0
        while day < today:
            roll_up_day(day)
            day += dt.timedelta(days=1)
            days += 1
        if days:
            state.rolled_up_to = day
            state.save(update_fields=["rolled_up_to"])
    return days


def roll_up_job() -> int:
    """The cron job (hourly: a missed run is caught up by the next)."""
    return roll_up()



