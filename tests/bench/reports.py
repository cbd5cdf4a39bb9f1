"""Reports benchmark: `make bench-reports` (`.venv/bin/python tests/bench/reports.py`). Prints
figures; asserts nothing (the numbers themselves are tested in tests/test_reports*.py).

1. The Reports page over BENCH_CARTS (1,000,000) carts and BENCH_EVENTS (10,000,000) events
   spread over 90 days, plus BENCH_ENROLMENTS (100,000) flow enrolments with one A/B-tested
   message each: the rollup job over the 89 finished days (once), then the page for the last
   30 days (the default range: 29 days from rollups, today live) rendered through Django's
   test client as a superuser, BENCH_REQUESTS (30) times after one warm-up: p50 / p95 and
   statements. For contrast, the same selectors reading only live events (no rollups), once.
2. What recording costs the shopper: adding a unit to a cart (``cart.services.add_line``) and
   placing an order (``checkout.services.submit_order``, the market's default method,
   card on the sandbox page: no network) BENCH_WRITES (300)
   times each with events on and off (``REPORTS_EVENTS``), in process: CPU ms and wall ms
   per operation (p50) and statements.

PostgreSQL: DATABASE_URL if it is a postgres URL (an empty database), otherwise a throwaway
cluster (port BENCH_PG_PORT if free) removed at the end. Redis: the embedded one.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.bench.pg import ThrowawayPostgres  # noqa: E402
from tests.bench.recovery import insert  # noqa: E402  (fills columns the schema adds)

CARTS = int(os.environ.get("BENCH_CARTS", "1000000"))
EVENTS = int(os.environ.get("BENCH_EVENTS", "10000000"))
ENROLMENTS = int(os.environ.get("BENCH_ENROLMENTS", "100000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "30"))
WRITES = int(os.environ.get("BENCH_WRITES", "300"))
DAYS = 90
PG_SETTINGS = ["fsync=off", "shared_buffers=1GB", "max_wal_size=4GB", "checkpoint_timeout=30min",
               "work_mem=64MB"]  # fmt: skip
STARTED = time.perf_counter()


def progress(text: str) -> None:
    print(f"[{time.perf_counter() - STARTED:7.1f}s] {text}", flush=True)


def setup_django(workdir: Path) -> None:
    import django
    from django.core.management import call_command

    os.environ.setdefault("SECRET_KEY", "bench-only-key")
    os.environ["DEBUG"] = ""
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    os.environ["SECURE_COOKIES"] = "0"
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ["STATIC_ROOT"] = str(workdir / "static")
    os.environ["SHOP_VAR_DIR"] = str(workdir / "var")
    os.environ["DJANGO_SETTINGS_MODULE"] = "shop.settings"
    django.setup()
    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0, stdout=io.StringIO())
    call_command("collectstatic", verbosity=0, interactive=False)


# --- data -------------------------------------------------------------------------------------

CARTS_SQL = """
INSERT INTO cart_cart (token, market_id, country, region, currency, language, status, device,
                       created_at, updated_at, last_activity_at, was_abandoned)
SELECT gen_random_uuid(), m.ids[k], m.countries[k], '', m.currencies[k], m.languages[k],
       'converted', (ARRAY['mobile', 'desktop', 'tablet', 'mobile'])[1 + mod(i, 4)],
       at, at, at, false
FROM (SELECT %(ids)s::bigint[] AS ids, %(countries)s::text[] AS countries,
             %(currencies)s::text[] AS currencies, %(languages)s::text[] AS languages) AS m,
     LATERAL (SELECT i, 1 + mod(i, cardinality(m.ids)) AS k,
                     now() - (mod(i, %(days)s) || ' days')::interval
                           - random() * interval '1 day' AS at
              FROM generate_series(0, %(count)s - 1) AS i) AS g
"""

# Event i belongs to cart (first + i mod carts) and copies its dimensions; kinds in funnel-like
# shares (per 200 events): 20 created, 50 added, 40 viewed, 24 checkout, 16 contact,
# 10 shipping, 12 payment started, 3 failed, 8 orders, 2 refused, 10 abandoned, 2 restored,
# 2 recovered, 1 feedback. Times spread over the 90 days like the carts'.
EVENTS_SQL = """
INSERT INTO reports_event (kind, created_at, cart_id, market_id, country, currency, language,
                           device, payment_method, failure_category, cause, detail, amount,
                           base_amount)
SELECT kind, c.created_at + (mod(i, 7) || ' hours')::interval, c.id, c.market_id, c.country,
       c.currency, c.language, c.device,
       CASE WHEN kind IN ('payment_started', 'payment_failed', 'order_placed')
            THEN (ARRAY['card', 'paypal', 'pix', 'bank_transfer'])[1 + mod(i, 4)] ELSE '' END,
       CASE WHEN kind = 'payment_failed'
            THEN (ARRAY['declined', 'cancelled', 'expired', 'provider_error'])[1 + mod(i, 4)]
            ELSE '' END,
       CASE WHEN kind = 'payment_failed' THEN 'payment_failed'
            WHEN kind = 'checkout_refused'
            THEN (ARRAY['out_of_stock', 'total_changed', 'no_shipping', 'method_missing'])
                 [1 + mod(i, 4)]
            WHEN kind = 'cart_viewed' AND mod(i, 10) = 0 THEN 'price_changed'
            WHEN kind = 'feedback_given' THEN 'shopper_answer' ELSE '' END,
       CASE WHEN kind = 'feedback_given' THEN 'shipping_cost' ELSE '' END,
       40 + mod(i, 60), 40 + mod(i, 60)
FROM (SELECT i, %(first)s + mod(i, %(carts)s) AS cart_id,
             CASE WHEN r < 20 THEN 'cart_created' WHEN r < 70 THEN 'product_added'
                  WHEN r < 110 THEN 'cart_viewed' WHEN r < 134 THEN 'checkout_started'
                  WHEN r < 150 THEN 'contact_entered' WHEN r < 160 THEN 'shipping_chosen'
                  WHEN r < 172 THEN 'payment_started' WHEN r < 175 THEN 'payment_failed'
                  WHEN r < 183 THEN 'order_placed' WHEN r < 185 THEN 'checkout_refused'
                  WHEN r < 195 THEN 'cart_abandoned' WHEN r < 197 THEN 'cart_restored'
                  WHEN r < 199 THEN 'cart_recovered' ELSE 'feedback_given' END AS kind
      FROM (SELECT i, mod(i * 7, 200) AS r FROM generate_series(%(start)s, %(stop)s) AS i) s
     ) AS e
JOIN cart_cart AS c ON c.id = e.cart_id
"""


def market_params() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT m.id, m.currency, m.default_language, min(c.country) FROM shop_market m "
            "JOIN shop_marketcountry c ON c.market_id = m.id WHERE m.active GROUP BY m.id "
            "ORDER BY m.id"
        )
        rows = cursor.fetchall()
    return {"ids": [r[0] for r in rows], "currencies": [r[1] for r in rows],
            "languages": [r[2] for r in rows], "countries": [r[3] for r in rows]}  # fmt: skip


def generate() -> list[tuple[str, float]]:
    from django.db import connection

    timings = []

    def step(name, sql, params):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            insert(cursor, sql, params)
        timings.append((name, time.perf_counter() - started))
        progress(f"{name} in {timings[-1][1]:.1f} s")

    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute("SELECT coalesce(max(id), 0) FROM cart_cart")
        after = cursor.fetchone()[0]
    step("1,000,000 carts" if CARTS == 1_000_000 else f"{CARTS} carts", CARTS_SQL,
         market_params() | {"count": CARTS, "days": DAYS})  # fmt: skip
    chunk = 2_000_000
    started = time.perf_counter()
    for start in range(0, EVENTS, chunk):
        with connection.cursor() as cursor:
            insert(cursor, EVENTS_SQL, {"first": after + 1, "carts": CARTS, "start": start,
                                        "stop": min(start + chunk, EVENTS) - 1})  # fmt: skip
        progress(f"events: {min(start + chunk, EVENTS):,}")
    timings.append((f"{EVENTS:,} events", time.perf_counter() - started))
    # The shop appends events in time order, so a day's events sit together in the table; the
    # rows above were inserted cart by cart, which scatters each day over every page of it.
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("CLUSTER reports_event USING event_created_at")
    timings.append(("events put in time order (CLUSTER)", time.perf_counter() - started))
    progress(f"clustered in {timings[-1][1]:.1f} s")
    started = time.perf_counter()
    generate_recovery(after)
    timings.append((f"{ENROLMENTS:,} enrolments and messages", time.perf_counter() - started))
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in ("cart_cart", "reports_event", "shop_customer", "recovery_flowenrollment",
                      "recovery_recoverymessage"):  # fmt: skip
            cursor.execute(f"VACUUM ANALYZE {table}")
    timings.append(("vacuum analyze", time.perf_counter() - started))
    return timings


def generate_recovery(after: int) -> None:
    """ENROLMENTS customers, each with a cart of the generated ones enrolled in one flow (10 %
    control), and for the others one message of the A/B-tested first step."""
    import datetime as dt

    from django.db import connection

    from recovery.models import Flow, FlowStep, FlowStepVariant

    flow = Flow.objects.create(name="Bench flow", holdout_percent=10, active=True)
    step = FlowStep.objects.create(flow=flow, position=1, delay=dt.timedelta(hours=1))
    FlowStepVariant.objects.create(step=step, label="A")
    FlowStepVariant.objects.create(step=step, label="B")
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM shop_customer")
        first_customer = cursor.fetchone()[0] + 1
        insert(cursor, """
            INSERT INTO shop_customer (email, language, country, marketing_consent, created_at)
            SELECT 'bench-r' || i || '@example.com', 'en', 'DE', true, now()
            FROM generate_series(1, %(n)s) AS i
        """, {"n": ENROLMENTS})  # fmt: skip
        insert(cursor, """
            INSERT INTO recovery_flowenrollment (flow_id, cart_id, customer_id, abandoned_at,
                holdout, stop_reason, created_at)
            SELECT %(flow)s, %(after)s + i, %(customer)s + i - 1, c.created_at, mod(i, 10) = 0,
                   '', c.created_at
            FROM generate_series(1, %(n)s) AS i JOIN cart_cart c ON c.id = %(after)s + i
        """, {"flow": flow.pk, "after": after, "customer": first_customer, "n": ENROLMENTS})
        insert(cursor, """
            INSERT INTO recovery_recoverymessage (key, customer_id, cart_id, channel, language,
                subject, body, status, skip_reason, failure_reason, attempts, created_by,
                created_at, sent_at, opened_at, clicked_at, job_id, flow_step_id,
                enrollment_id, variant, provider_message_id)
            SELECT 'bench:' || e.id, e.customer_id, e.cart_id, 'email', 'en', 'S', 'B', 'sent',
                   '', '', 1, '', e.abandoned_at + interval '1 hour',
                   e.abandoned_at + interval '1 hour',
                   CASE WHEN mod(e.id, 3) = 0 THEN e.abandoned_at + interval '2 hours' END,
                   CASE WHEN mod(e.id, 9) = 0 THEN e.abandoned_at + interval '3 hours' END,
                   '', %(step)s, e.id, CASE WHEN mod(e.id, 2) = 0 THEN 'A' ELSE 'B' END, ''
            FROM recovery_flowenrollment e WHERE e.flow_id = %(flow)s AND NOT e.holdout
        """, {"flow": flow.pk, "step": step.pk})  # fmt: skip


# --- figure 1: the page -------------------------------------------------------------------------


def report_page() -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from recovery.reports import recovery_selectors
    from recovery.reports.cube import ReportFilters
    from recovery.reports.rollups import roll_up
    from recovery.reports.tables import build_tables

    today = timezone.localdate()
    filters = ReportFilters(today - timezone.timedelta(days=29), today)
    started = time.perf_counter()
    build_tables(filters)
    recovery_selectors.ab_tests(filters)
    live_only = time.perf_counter() - started
    progress(f"report from live events only (no rollups): {live_only * 1000:.0f} ms")

    started = time.perf_counter()
    days = roll_up()
    rollup_seconds = time.perf_counter() - started
    from recovery.reports.models import DailyRollup

    rollup_rows = DailyRollup.objects.count()
    progress(f"rollup job: {days} days, {rollup_rows:,} rows in {rollup_seconds:.1f} s")

    user = get_user_model().objects.create_superuser("bench-reports", "bench@example.com", "x")
    client = Client()
    client.force_login(user)
    url = "/admin/reports/report/"
    assert client.get(url).status_code == 200  # warm-up
    times, cpu = [], []
    for _ in range(REQUESTS):
        with StatementCounter() as queries:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        assert response.status_code == 200
    times.sort()
    return {
        "live_only_ms": live_only * 1000, "rollup_days": days, "rollup_rows": rollup_rows,
        "rollup_s": rollup_seconds, "p50_ms": statistics.median(times) * 1000,
        "p95_ms": times[max(int(len(times) * 0.95) - 1, 0)] * 1000, "statements": queries.count,
        "cpu_ms": statistics.median(cpu) * 1000,
    }  # fmt: skip


# --- figure 2: what recording costs the shopper -------------------------------------------------


def writes() -> list[tuple[str, bool, float, float, int]]:
    from django.conf import settings

    from cart.pricing import locale_for_cart, price_cart
    from cart.services import Activity, add_line, create_cart
    from checkout.services import CheckoutData, submit_order
    from shop.locale import ShopLocale
    from shop.models import Market, Variant
    from tests.checkout_world import ADDRESSES, PHONES

    market = Market.objects.filter(countries__country="DE").first()
    skus = list(Variant.objects.filter(active=True, product__active=True)
                .values_list("sku", flat=True)[:20])  # fmt: skip
    Variant.objects.filter(sku__in=skus).update(stock_quantity=10_000_000)
    locale = ShopLocale(language="de", country="DE", currency=market.currency, market=market)
    activity = Activity(locale=locale, device="mobile")
    settings.PAYMENT_SANDBOX = True  # the market's default method (card) on the sandbox page
    results = []
    for on in (False, True, False, True):  # alternated: the machine's load drifts
        settings.REPORTS_EVENTS = on
        cpu, wall, statements = [], [], 0
        carts = []
        for n in range(WRITES):
            cart = create_cart(activity=activity)
            add_line(cart=cart, sku=skus[n % len(skus)], quantity=1, activity=activity)
            carts.append(cart)
            with StatementCounter() as queries:
                c0, w0 = time.process_time(), time.perf_counter()
                add_line(cart=cart, sku=skus[(n + 1) % len(skus)], quantity=1, activity=activity)
                cpu.append(time.process_time() - c0)
                wall.append(time.perf_counter() - w0)
            statements = queries.count
        results.append(("cart add", on, statistics.median(cpu) * 1000,
                        statistics.median(wall) * 1000, statements))  # fmt: skip
        cpu, wall = [], []
        for n, cart in enumerate(carts):
            pricing = price_cart(cart, locale_for_cart(cart), with_suggestions=False)
            data = CheckoutData(
                email=f"bench-w{on}-{n}-{time.time_ns()}@example.com", phone=PHONES["DE"],
                address={**ADDRESSES["DE"], "country_code": "DE"},
                shipping_method_id=pricing.shipping.method_id if pricing.shipping else None,
                payment_method=pricing.payment_method, expected_total=pricing.total.amount,
                marketing_consent=True,
            )  # fmt: skip
            with StatementCounter() as queries:
                c0, w0 = time.process_time(), time.perf_counter()
                submit_order(cart=cart, locale=locale_for_cart(cart), data=data,
                             activity=activity, return_url=lambda order: "/")  # fmt: skip
                cpu.append(time.process_time() - c0)
                wall.append(time.perf_counter() - w0)
            statements = queries.count
        results.append(("placement", on, statistics.median(cpu) * 1000,
                        statistics.median(wall) * 1000, statements))  # fmt: skip
        progress(f"writes with events {'on' if on else 'off'} done")
    return results


class StatementCounter:
    """Statements sent on the default connection (``connection.execute_wrapper``): unlike
    CaptureQueriesContext it keeps no log, so it has no limit."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        from django.db import connection

        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)


def main() -> None:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = Path(tempfile.mkdtemp(prefix="shop-bench-reports-"))
    cluster = redis_process = None
    try:
        database_url = os.environ.get("DATABASE_URL", "")
        if database_url.startswith(("postgres://", "postgresql://")):
            database = "DATABASE_URL"
        else:
            port = int(os.environ.get("BENCH_PG_PORT", "0")) or None
            cluster = ThrowawayPostgres(port=port, settings=PG_SETTINGS)
            os.environ["DATABASE_URL"] = cluster.start()
            database = f"throwaway cluster ({cluster.version}, {', '.join(PG_SETTINGS)})"
        progress(f"PostgreSQL: {database}")
        from shop import embedded_redis

        redis_process = embedded_redis.start(workdir / "redis.sock")
        os.environ["REDIS_URL"] = f"unix://{workdir / 'redis.sock'}?db=0"
        setup_django(workdir)
        progress("migrated, demo loaded")
        timings = generate()
        page = report_page()
        costs = writes()
        print()
        print(f"Reports benchmark, load average at start {os.getloadavg()[0]:.1f}, {database}")
        for name, seconds in timings:
            print(f"  generated {name} in {seconds:.1f} s")
        print(f"  rollup job: {page['rollup_days']} finished days, {page['rollup_rows']:,} rows, "
              f"{page['rollup_s']:.1f} s")
        print(f"  Reports page, last 30 days (29 from rollups, today live), {REQUESTS} requests:"
              f" p50 {page['p50_ms']:.0f} ms, p95 {page['p95_ms']:.0f} ms (Django's CPU p50 "
              f"{page['cpu_ms']:.0f} ms), {page['statements']} statements")
        print(f"  same selectors from live events only: {page['live_only_ms']:.0f} ms")
        print("  writes (p50 per operation, in process): name, events, CPU ms, wall ms, stmts")
        for name, on, cpu, wall, statements in costs:
            print(f"    {name:10} {'on ' if on else 'off'}  {cpu:6.2f}  {wall:6.2f}  {statements}")
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass
        if redis_process:
            from shop import embedded_redis

            embedded_redis.stop(redis_process)
        if cluster:
            cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
