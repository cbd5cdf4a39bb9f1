"""Daily rollups of the events, kept by RQ cron (``settings.SHOP_CRON_JOBS``).

``roll_up`` sums every finished day from the watermark (``RollupState.rolled_up_to``) to
yesterday into ``DailyRollup``, one INSERT ... SELECT per day, then moves the watermark, in one
transaction: the report reads a day either from rollups or live, never both, never neither.
A day is rolled up once; events are appended with the time they happen, so a finished day does
not change afterwards.
"""

from __future__ import annotations

import datetime as dt

from django.db import connections, transaction
from django.db.models import Min
from django.utils import timezone

from recovery.reports.models import ROLLUP_DIMENSIONS, DailyRollup, Event, EventKind, RollupState

# The job reads the events where they are written: a replica may lag behind the day's end.
PRIMARY = "default"


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def roll_up_day(day: dt.date) -> int:
    """Replace ``day``'s rollups with the sums of its events in one INSERT ... SELECT (a day
    of a busy shop is hundreds of thousands of events: none of them passes through Python);
    the number of rows written."""
    DailyRollup.objects.using(PRIMARY).filter(day=day).delete()
    dimensions = ", ".join(ROLLUP_DIMENSIONS)
    answer = "CASE WHEN kind = %s THEN detail ELSE '' END"
    sql = (
        f"INSERT INTO {DailyRollup._meta.db_table} (day, {dimensions}, answer, events, carts, "
        f"base_amount) SELECT %s, {dimensions}, {answer}, COUNT(*), COUNT(DISTINCT cart_id), "
        f"COALESCE(SUM(base_amount), 0) FROM {Event._meta.db_table} "
        f"WHERE created_at >= %s AND created_at < %s GROUP BY {dimensions}, {answer}"
    )
    feedback = EventKind.FEEDBACK_GIVEN.value
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute(sql, [day, feedback, _day_start(day),
                             _day_start(day + dt.timedelta(days=1)), feedback])  # fmt: skip
        return cursor.rowcount


def roll_up(*, today: dt.date | None = None) -> int:
    """Roll up every finished day not rolled up yet; the number of days."""
    today = today or timezone.localdate()
    with transaction.atomic(using=PRIMARY):
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



