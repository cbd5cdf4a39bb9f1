"""Flow scheduler benchmark: `.venv/bin/python tests/bench/flows.py` (or `make bench-flows`).
Prints figures; asserts nothing (behaviour and the constant query count are in
tests/test_recovery_flows.py).

BENCH_FLOW_CARTS (1,000,000) carts, of which BENCH_FLOW_ABANDONED (300,000) are abandoned by as
many customers over the last four days, the rest active guests' carts; one flow over every
market with three steps (e-mail after 1 h, SMS after 24 h, e-mail after 72 h; a 10 % control
group). Then ``recovery.flows`` as the every-minute job runs it, phase by phase, with the time
and the number of statements of each:

1. the first run: stops (nothing to stop), enrols the 300,000 abandonments, writes every step
   due (a day's worth of abandonments per step: a step more than a day late is not sent), and
   queues the rows for the workers (RQ jobs of 200 in Redis; no worker runs);
2. the same minute again: nothing new;
3. the next minute: the carts abandoned in that minute.

PostgreSQL: DATABASE_URL if it is a postgres URL (an empty database), otherwise a throwaway
cluster removed at the end. Redis: REDIS_URL if set, otherwise the embedded one.
BENCH_PROFILE=1 prints a cProfile of the first run.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.bench.pg import ThrowawayPostgres  # noqa: E402
from tests.bench.recovery import (  # noqa: E402
    PG_SETTINGS,
    insert,
    market_params,
    progress,
    setup_django,
)

CARTS = int(os.environ.get("BENCH_FLOW_CARTS", "1000000"))
ABANDONED = int(os.environ.get("BENCH_FLOW_ABANDONED", "300000"))


def generate(now) -> None:
    """The carts: active guests' carts, and customers' carts abandoned over four days."""
    from django.db import connection

    params = market_params(now) | {"guests": CARTS - ABANDONED, "abandoned": ABANDONED}
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        insert(cursor, """
            INSERT INTO cart_cart (token, market_id, country, region, currency, language, status,
                                   device, created_at, updated_at, last_activity_at)
            SELECT gen_random_uuid(), (%(ids)s::bigint[])[k], (%(countries)s::text[])[k], '',
                   (%(currencies)s::text[])[k], (%(languages)s::text[])[k], 'active', 'mobile',
                   %(now)s - interval '1 hour', %(now)s, %(now)s - random() * interval '20 minutes'
            FROM (SELECT i, 1 + mod(i, cardinality(%(ids)s::bigint[])) AS k
                  FROM generate_series(0, %(guests)s - 1) AS i) AS g
        """, params)  # fmt: skip
        progress(f"{CARTS - ABANDONED} active guest carts")
        insert(cursor, """
            INSERT INTO shop_customer (email, first_name, last_name, phone, language, country,
                                       marketing_consent, sms_consent, created_at)
            SELECT 'flow-' || i || '@example.test', 'Bench', 'Flow' || i,
                   '+4915100' || lpad(i::text, 6, '0'), (%(languages)s::text[])[k],
                   (%(countries)s::text[])[k], true, true, %(now)s - interval '100 days'
            FROM (SELECT i, 1 + mod(i, cardinality(%(ids)s::bigint[])) AS k
                  FROM generate_series(0, %(abandoned)s - 1) AS i) AS g
        """, params)  # fmt: skip
        insert(cursor, """
            INSERT INTO cart_cart (token, customer_id, market_id, country, region, currency,
                                   language, status, device, created_at, updated_at,
                                   last_activity_at, abandoned_at)
            SELECT gen_random_uuid(), c.id, m.id, c.country, '', m.currency, c.language,
                   'abandoned', 'desktop', a.at - interval '2 hours', a.at,
                   a.at - interval '1 hour', a.at
            FROM shop_customer c
            JOIN shop_marketcountry mc ON mc.country = c.country
            JOIN shop_market m ON m.id = mc.market_id,
            LATERAL (SELECT %(now)s::timestamptz - interval '1 second'
                            - random() * interval '96 hours' + c.id * interval '0') AS a(at)
            WHERE c.email LIKE 'flow-%%@example.test'
        """, params, was_abandoned="true")  # fmt: skip
        progress(f"{ABANDONED} customers with an abandoned cart")
        for table in ("shop_customer", "cart_cart"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def bench_flow(now):
    from django.utils import translation

    from recovery.models import Channel, Flow, FlowStep, FlowStepText, FlowStepVariant

    Flow.objects.update(active=False)  # the demo's flows
    flow = Flow.objects.create(name="Bench", active=True, holdout_percent=10,
                               activated_at=now - timedelta(days=5))  # fmt: skip
    for position, hours, channel in ((1, 1, Channel.EMAIL), (2, 24, Channel.SMS),
                                     (3, 72, Channel.EMAIL)):  # fmt: skip
        step = FlowStep.objects.create(flow=flow, position=position, channel=channel,
                                       delay=timedelta(hours=hours))  # fmt: skip
        variant = FlowStepVariant.objects.create(step=step, label="A")
        with translation.override("en"):
            FlowStepText.objects.create(variant=variant, language="en", subject="Your cart",
                                        body="{first_name}: {restore_link}")  # fmt: skip
    return flow


def phase(name: str, func, **kwargs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        result = func(**kwargs)
    elapsed = time.perf_counter() - started
    progress(f"  {name}: {elapsed:.2f} s, {len(queries)} statements, result {result}")
    return elapsed, len(queries), result


def run(label: str, now) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from recovery import flows
    from shop.models import Market

    progress(f"{label}:")
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        active = flows.active_flows()
        phase("stop", flows.stop_enrollments, now=now, flows=active)
        rows = 0
        for flow in active:
            rows += phase("enrol", flows.enrol, flow=flow, now=now)[2]
        markets = Market.objects.in_bulk()
        for flow in active:
            for step in flow.steps.all():
                rows += phase(f"write step {step.position} ({step.channel}, {step.delay})",
                              flows.write_due_step, step=step, now=now,
                              markets=markets)[2]  # fmt: skip
        if rows >= flows.ANALYZE_AFTER:  # as run_flows does after a large run
            phase("analyze", lambda: connection.cursor().execute(
                "ANALYZE recovery_flowenrollment, recovery_recoverymessage"))
        phase("queue", flows.queue_flow_messages, now=now)
    progress(f"  total: {time.perf_counter() - started:.2f} s, {len(queries)} statements")


def main() -> None:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = Path(tempfile.mkdtemp(prefix="shop-bench-flows-"))
    cluster = redis_process = None
    try:
        if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
            cluster = ThrowawayPostgres(settings=PG_SETTINGS)
            os.environ["DATABASE_URL"] = cluster.start()
        if not os.environ.get("REDIS_URL"):
            from shop import embedded_redis

            redis_process = embedded_redis.start(workdir / "redis.sock")
            os.environ["REDIS_URL"] = f"unix://{workdir / 'redis.sock'}?db=0"
        setup_django(workdir, 2525)
        progress("migrated, demo loaded")
        from django.utils import timezone

        from recovery.models import FlowEnrollment, MessageStatus, RecoveryMessage

        now = timezone.now()
        generate(now)
        bench_flow(now)
        if os.environ.get("BENCH_PROFILE"):
            sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]
            sys.modules.pop("profile", None)  # tests/bench/profile.py is not the stdlib's
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.runcall(run, f"first run ({ABANDONED:,} new abandonments)", now)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
        else:
            run(f"first run ({ABANDONED:,} new abandonments)", now)
        run("the same minute again (nothing new)", now)
        run("the next minute", now + timedelta(minutes=1))
        rows = RecoveryMessage.objects.filter(flow_step__isnull=False)
        progress(f"enrolments {FlowEnrollment.objects.count()}, of them control group "
                 f"{FlowEnrollment.objects.filter(holdout=True).count()}; rows "
                 f"{rows.count()}: queued {rows.filter(status=MessageStatus.QUEUED).count()}, "
                 f"skipped (control group) {rows.filter(status=MessageStatus.SKIPPED).count()}, "
                 f"waiting for the morning {rows.filter(not_before__gt=now).count()}")
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001  (Django may not be set up yet)
            pass
        if redis_process:
            from shop import embedded_redis

            embedded_redis.stop(redis_process)
        if cluster:
            cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
