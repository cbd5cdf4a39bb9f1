"""Recovery benchmark: `.venv/bin/python tests/bench/recovery.py`. Prints figures; asserts
nothing (behaviour and query counts are in the tests).

1. Detection: ``detect_abandoned_carts()`` over BENCH_CARTS (1,000,000) carts of one line each,
   spread over the demo markets, 30% of them idle past their market's cut-off; then a second
   run with nothing left to do.
2. The admin customer list with BENCH_CUSTOMERS (100,000) customers, 10% registered, with carts
   abandoned over the last 60 days: filtered (abandoned cart = yes, guests, last 30 days) and
   unfiltered, rendered through Django's test client as a superuser: p50 / p95 latency and the
   number of queries.
3. A recovery newsletter to BENCH_RECIPIENTS (10,000; "10000,100000" runs both sizes, adding
   consenting customers for the larger one) customers through a loopback SMTP server (a
   subprocess that accepts and counts): ``start_campaign`` and ``send_batch`` for each of its
   batches, in this process (one worker) and in two worker processes, against the reference: a
   loop building each personalised message with Django's EmailMultiAlternatives and sending it
   over one connection, no database (the targets: one worker >= 50% of its rate, two workers
   >= 1.8x one); and a bare smtplib loop resending prebuilt bytes (the SMTP server's ceiling).
   With the CPU time per message of the sending side, PostgreSQL and the SMTP server.
   BENCH_PROFILE=1 prints a cProfile of the first batch of each campaign.

BENCH_CARTS, BENCH_CUSTOMERS, BENCH_RECIPIENTS and BENCH_LIST_REQUESTS (30) make a smaller run;
the full one takes about ten minutes on two cores (twenty with 100,000 recipients).

PostgreSQL: DATABASE_URL if it is a postgres URL (an empty database; rows are added to it),
otherwise a throwaway cluster (initdb / pg_ctl as the postgres user, fsync off) that is removed
at the end. Redis: REDIS_URL if set, otherwise the embedded one on a temporary socket.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.bench.pg import ThrowawayPostgres, proc_cpu, tree_cpu  # noqa: E402

CARTS = int(os.environ.get("BENCH_CARTS", "1000000"))
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "100000"))
# Newsletter sizes, comma-separated: "10000,100000" runs both (the second adds customers).
SIZES = [int(n) for n in os.environ.get("BENCH_RECIPIENTS", "10000").split(",") if n.strip()]
LIST_REQUESTS = int(os.environ.get("BENCH_LIST_REQUESTS", "30"))
STALE_TENTHS = 3  # carts i with i % 10 < 3 are idle past their market's cut-off: 30%
# A production-like server on a small machine; fsync off because the cluster is thrown away.
PG_SETTINGS = ["fsync=off", "shared_buffers=1GB", "max_wal_size=4GB", "checkpoint_timeout=30min"]
FIRST_NAMES = ["Anna", "Jürgen", "Zoë", "João", "Łukasz", "Yuki", "Fatima", "Li", "Emma", "Noah"]
PRICE_SCALE = {"JPY": 150, "CNY": 7, "BRL": 5, "PLN": 4, "SAR": 4, "AED": 4}
STARTED = time.perf_counter()
LOAD_AT_START = ", ".join(f"{value:.1f}" for value in os.getloadavg())


def progress(text: str) -> None:
    print(f"[{time.perf_counter() - STARTED:7.1f}s] {text}", flush=True)


# --- Services: PostgreSQL, Redis, SMTP -------------------------------------------------------


class CountingSMTP:
    """The loopback SMTP server of the tests in a subprocess (so it does not share our GIL),
    counting what it accepts. Ask it with ``counts()``: (messages, bytes)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--smtp-server"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, cwd=ROOT,
        )  # fmt: skip
        self.port = int(self.process.stdout.readline())

    def counts(self) -> tuple[int, int]:
        self.process.stdin.write("count\n")
        self.process.stdin.flush()
        messages, size = self.process.stdout.readline().split()
        return int(messages), int(size)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()


def smtp_server_main() -> None:
    """The subprocess of ``CountingSMTP``: prints its port, then answers each line of stdin
    with the messages and bytes accepted so far."""
    from tests.smtp_server import _Server

    class Counting(_Server):
        count = 0
        size = 0

        def received(self, mail) -> None:
            with self._lock:
                self.count += 1
                self.size += len(mail.data)

    server = Counting()
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()  # fmt: skip
    print(server.server_address[1], flush=True)
    for _line in sys.stdin:
        with server._lock:
            print(server.count, server.size, flush=True)
    server.shutdown()


class CpuMeter:
    """CPU seconds used so far by the sending side (this process and its reaped children: the
    worker processes), the SMTP server, and PostgreSQL when it is our throwaway cluster (the
    postmaster, its live backends and the backends it reaped)."""

    def __init__(self, smtp: CountingSMTP, cluster: ThrowawayPostgres | None) -> None:
        self.smtp_pid = smtp.process.pid
        self.postmaster = None
        if cluster is not None:
            self.postmaster = cluster.postmaster_pid()

    def postgres(self) -> float | None:
        return None if self.postmaster is None else tree_cpu(self.postmaster)

    def read(self) -> dict[str, float | None]:
        times = os.times()
        return {
            "sender": times.user + times.system + times.children_user + times.children_system,
            "postgres": self.postgres(), "smtp": sum(proc_cpu(self.smtp_pid)[:2]),
        }  # fmt: skip

    @staticmethod
    def per_message(before: dict, after: dict, count: int) -> dict[str, float | None]:
        """Milliseconds of CPU per message, by side."""
        return {key: (after[key] - before[key]) * 1000 / max(count, 1)
                if before[key] is not None else None for key in before}  # fmt: skip


# --- Django and the data ---------------------------------------------------------------------


def setup_django(workdir: Path, smtp_port: int) -> None:
    import django
    from django.core.management import call_command

    os.environ.setdefault("SECRET_KEY", "bench-only-key")
    os.environ["DEBUG"] = ""
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    os.environ["SECURE_COOKIES"] = "0"
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ["STATIC_ROOT"] = str(workdir / "static")
    os.environ["SHOP_VAR_DIR"] = str(workdir / "var")
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.smtp.EmailBackend"
    os.environ["EMAIL_HOST"] = "127.0.0.1"
    os.environ["EMAIL_PORT"] = str(smtp_port)
    os.environ["DJANGO_SETTINGS_MODULE"] = "shop.settings"  # not the tests' (mail to memory)
    django.setup()
    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0, stdout=io.StringIO())
    call_command("collectstatic", verbosity=0, interactive=False)


def markets() -> list[tuple[int, str, str, int, str]]:
    """Active demo markets: (id, currency, language, cut-off minutes, first country)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT m.id, m.currency, m.default_language, m.abandonment_cutoff_minutes, "
            "min(c.country) FROM shop_market m JOIN shop_marketcountry c ON c.market_id = m.id "
            "WHERE m.active GROUP BY m.id ORDER BY m.id"
        )
        return cursor.fetchall()


def market_params(now) -> dict:
    rows = markets()
    return {
        "ids": [r[0] for r in rows], "currencies": [r[1] for r in rows],
        "languages": [r[2] for r in rows], "cutoffs": [r[3] for r in rows],
        "countries": [r[4] for r in rows],
        "scales": [PRICE_SCALE.get(r[1], 1) for r in rows], "now": now,
    }  # fmt: skip


def variant_ids() -> list[int]:
    from shop.models import Variant

    return list(Variant.objects.filter(active=True, product__active=True)
                .order_by("pk").values_list("pk", flat=True))  # fmt: skip


INSERT_INTO = re.compile(r"INSERT INTO (\w+) \(([^)]*)\)")
FIRST_FROM = re.compile(r"\n\s*FROM ")


def insert(cursor, sql: str, params: dict, **values: str) -> None:
    """Run an ``INSERT INTO table (columns) SELECT ... FROM ...``, adding ``values`` (SQL by
    column) for columns the model has, and every other NOT NULL column with a constant default
    at the model's default: the schema may grow columns this script does not know about."""
    from django.apps import apps
    from django.db import connection

    table, listed = INSERT_INTO.search(sql).groups()
    given = {name.strip() for name in listed.split(",")} | {"id"}
    model = next(m for m in apps.get_models() if m._meta.db_table == table)
    columns, expressions, params = [], [], dict(params)
    for field in model._meta.concrete_fields:
        if field.column in given or field.primary_key:
            continue
        if field.column in values:
            columns.append(field.column)
            expressions.append(values[field.column])
        elif not field.null and (
            (field.has_default() and not callable(field.default))
            or (not field.has_default() and field.empty_strings_allowed)  # "" for text
        ):
            columns.append(field.column)
            expressions.append(f"%(default_{field.column})s")
            params[f"default_{field.column}"] = field.get_db_prep_save(field.get_default(),
                                                                        connection)  # fmt: skip
    if columns:
        head = INSERT_INTO.search(sql)
        sql = f"{sql[: head.end() - 1]}, {', '.join(columns)}){sql[head.end():]}"
        cut = FIRST_FROM.search(sql, head.end()).start()
        sql = f"{sql[:cut]}, {', '.join(expressions)}{sql[cut:]}"
    cursor.execute(sql, params)


LINES_SQL = """
INSERT INTO cart_cartline (cart_id, variant_id, quantity, unit_price_seen,
                           unit_price_seen_currency, added_at, updated_at)
SELECT c.id, (%(variants)s::bigint[])[1 + mod(c.id + j, %(n_variants)s)], 1 + mod(c.id + j, 3),
       (9.99 + mod(c.id * 7 + j, 90)) * coalesce(
           ((%(scales)s::int[])[array_position(%(ids)s::bigint[], c.market_id)]), 1),
       c.currency, c.last_activity_at - make_interval(mins => 5 * j), c.last_activity_at
FROM cart_cart c, generate_series(0, %(extra)s) AS j
WHERE c.id > %(after)s AND j <= mod(c.id, %(extra)s + 1)
"""


def generate_carts(now) -> int:
    """CARTS guest carts with one line each, market by market in turn; carts i with
    i % 10 < 3 idle past the market's cut-off (up to 14 days more), the others idle for
    at most half of it. Returns how many are past the cut-off."""
    from django.db import connection

    params = market_params(now) | {"count": CARTS}
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute("SELECT coalesce(max(id), 0) FROM cart_cart")
        after = cursor.fetchone()[0]
        insert(cursor, """
            INSERT INTO cart_cart (token, market_id, country, region, currency, language, status,
                                   device, created_at, updated_at, last_activity_at)
            SELECT gen_random_uuid(), ids[k], countries[k], '', currencies[k], languages[k],
                   'active', (ARRAY['mobile', 'desktop', 'tablet', 'mobile'])[1 + mod(i, 4)],
                   seen_at - interval '2 hours', seen_at, seen_at
            FROM (
                SELECT i, k, ids, countries, currencies, languages,
                       CASE WHEN mod(i, 10) < %(stale)s
                            THEN now - make_interval(mins => cutoffs[k] + 1)
                                 - random() * interval '14 days'
                            ELSE now - random() * make_interval(mins => cutoffs[k] / 2)
                       END AS seen_at
                FROM (SELECT %(ids)s::bigint[] AS ids, %(countries)s::text[] AS countries,
                             %(currencies)s::text[] AS currencies,
                             %(languages)s::text[] AS languages, %(cutoffs)s::int[] AS cutoffs,
                             %(now)s::timestamptz AS now) AS p,
                     LATERAL (SELECT i, 1 + mod(i, cardinality(p.ids)) AS k
                              FROM generate_series(0, %(count)s - 1) AS i) AS g
            ) AS rows
        """, params | {"stale": STALE_TENTHS})  # fmt: skip
        variants = variant_ids()
        lines = {"variants": variants, "n_variants": len(variants), "extra": 0, "after": after}
        insert(cursor, LINES_SQL, params | lines)
    return (CARTS // 10) * STALE_TENTHS + min(CARTS % 10, STALE_TENTHS)


def generate_customers(now, count: int = CUSTOMERS, prefix: str = "bench-",
                       all_consent: bool = False) -> None:  # fmt: skip
    """``count`` customers (every 10th registered, 80% with marketing consent, 2% unsubscribed;
    or all consenting, for a newsletter larger than the list's customers) in the markets'
    countries, each with an abandoned cart of 1-3 lines abandoned in the last 60 days; every
    4th with a second, older or newer, abandoned cart. Then each customer's latest abandoned
    cart for the customer list, as detection keeps it."""
    from django.db import connection

    from recovery import latest_carts

    params = market_params(now) | {"count": count, "names": FIRST_NAMES, "prefix": prefix,
                                   "like": prefix + "%@example.test",
                                   "consent": 5 if all_consent else 4,
                                   "unsubscribed": -1 if all_consent else 3}  # fmt: skip
    variants = variant_ids()
    with connection.cursor() as cursor:
        insert(cursor, """
            INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,
                                   is_staff, is_active, date_joined)
            SELECT '!', false, %(prefix)s || i, '', 'Bench' || i,
                   %(prefix)s || i || '@example.test',
                   false, true, %(now)s
            FROM generate_series(0, %(count)s - 1) AS i WHERE mod(i, 10) = 0
        """, params)  # fmt: skip
        insert(cursor, """
            INSERT INTO shop_customer (email, first_name, last_name, phone, language, country,
                                       marketing_consent, consent_at, consent_source,
                                       unsubscribed_at, created_at, user_id)
            SELECT %(prefix)s || i || '@example.test',
                   (%(names)s::text[])[1 + mod(i, cardinality(%(names)s::text[]))],
                   'Bench' || i, '', languages[k], countries[k], mod(i, 5) <> %(consent)s,
                   CASE WHEN mod(i, 5) <> %(consent)s THEN %(now)s - interval '90 days' END,
                   CASE WHEN mod(i, 5) <> %(consent)s THEN 'checkout' ELSE '' END,
                   CASE WHEN mod(i, 50) = %(unsubscribed)s THEN %(now)s - interval '1 day' END,
                   %(now)s - interval '100 days' + make_interval(secs => i), u.id
            FROM (SELECT i, 1 + mod(i, cardinality(%(ids)s::bigint[])) AS k,
                         %(languages)s::text[] AS languages, %(countries)s::text[] AS countries
                  FROM generate_series(0, %(count)s - 1) AS i) AS g
            LEFT JOIN auth_user u ON u.username = %(prefix)s || i
        """, params)  # fmt: skip
        cursor.execute("SELECT coalesce(max(id), 0) FROM cart_cart")
        after = cursor.fetchone()[0]
        insert(cursor, """
            INSERT INTO cart_cart (token, customer_id, market_id, country, region, currency,
                                   language, status, device, created_at, updated_at,
                                   last_activity_at, abandoned_at)
            SELECT gen_random_uuid(), c.id, m.id, c.country, '', m.currency, c.language,
                   'abandoned', 'desktop', t.idle_since - interval '2 hours', t.abandoned,
                   t.idle_since, t.abandoned
            FROM shop_customer c
            JOIN shop_marketcountry mc ON mc.country = c.country
            JOIN shop_market m ON m.id = mc.market_id,
            LATERAL (SELECT a.abandoned,
                            a.abandoned - make_interval(mins => m.abandonment_cutoff_minutes)
                                AS idle_since
                     FROM (SELECT %(now)s::timestamptz - interval '1 minute'
                                  - random() * interval '60 days' AS abandoned
                           FROM generate_series(1, CASE WHEN mod(c.id, 4) = 0 THEN 2 ELSE 1 END)
                          ) AS a
                    ) AS t
            WHERE c.email LIKE %(like)s
        """, params, was_abandoned="true")  # fmt: skip
        lines = {"variants": variants, "n_variants": len(variants), "extra": 2, "after": after}
        insert(cursor, LINES_SQL, params | lines)
    latest_carts.rebuild()


def analyze() -> None:
    """What autovacuum would have done by the time such tables exist in production."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("auth_user", "shop_customer", "cart_cart", "cart_cartline",
                      "recovery_latestabandonment"):
            cursor.execute(f"VACUUM ANALYZE {table}")


# --- Figure 1: detection ---------------------------------------------------------------------


def detection() -> list[tuple[str, float, object]]:
    from recovery.services import detect_abandoned_carts

    runs = []
    for name in ("first run", "second run (nothing new)"):
        started = time.perf_counter()
        result = detect_abandoned_carts()
        runs.append((name, time.perf_counter() - started, result))
        progress(f"detection {name}: {runs[-1][1]:.2f} s, {result}")
    return runs


# --- Figure 2: the admin customer list -------------------------------------------------------


def customer_list() -> tuple[list[dict], int, float]:
    """The list's figures: first the filtered list right after detection turned 300,000 carts
    abandoned (the planner's statistics are stale), then ``VACUUM ANALYZE`` as autovacuum
    would soon do, and every scenario again. Returns them, the matching customers and the
    seconds the vacuum took."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from recovery.selectors import customers_abandoned_between, with_abandoned_cart_filter
    from shop.models import Customer

    user = get_user_model().objects.create_superuser("bench-admin", "bench-admin@example.test",
                                                     "bench-password")  # fmt: skip
    today = timezone.localdate()
    matching = customers_abandoned_between(
        with_abandoned_cart_filter(Customer.objects.filter(user__isnull=True), True),
        today - timedelta(days=29), today,
    ).count()  # fmt: skip
    base = "/admin/shop/customer/"
    filtered = base + "?abandoned_cart=yes&type=guest&abandoned_within=30"
    page = min(20, max(1, -(-matching // 50)))  # a page further on, if there are that many
    scenarios = [
        ("abandoned=yes, guests, last 30 days", filtered),
        (f"abandoned=yes, guests, last 30 days, page {page}", f"{filtered}&p={page}"),
        ("unfiltered", base),
        ("unfiltered, page 20", f"{base}?p=20"),
    ]
    results = [list_figures(user, "filtered, right after detection (stale stats)", filtered)]
    started = time.perf_counter()
    analyze()
    vacuum = time.perf_counter() - started
    progress(f"vacuum analyze after detection in {vacuum:.1f} s")
    results += [list_figures(user, name, url) for name, url in scenarios]
    return results, matching, vacuum


def list_figures(user, name: str, url: str) -> dict:
    """Query count (one request) and latency (LIST_REQUESTS requests) of one admin page."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    for _ in range(2):  # warm-up: templates, translations, the database's caches
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {response.status_code}")
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    captured = list(queries.captured_queries)  # before the next request resets the log
    latencies = []
    for _ in range(LIST_REQUESTS):
        started = time.perf_counter()
        client.get(url)
        latencies.append(time.perf_counter() - started)
    latencies.sort()
    slowest = max(captured, key=lambda q: float(q["time"]))
    result = {
        "name": name, "queries": len(captured), "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[max(0, round(len(latencies) * 0.95) - 1)] * 1000,
        "slowest_ms": float(slowest["time"]) * 1000, "size": len(response.content),
    }  # fmt: skip
    progress(f"customer list {name}: p50 {result['p50_ms']:.0f} ms")
    return result


# --- Figure 3: a campaign against a bare SMTP loop -------------------------------------------


def recipient_ids(count: int) -> list[int]:
    """``count`` consenting customers with abandoned carts: the list's customers first, then
    more generated for a newsletter larger than them."""
    from django.utils import timezone

    from shop.models import Customer

    def eligible():
        return list(
            Customer.objects.filter(email__startswith="bench", marketing_consent=True,
                                    unsubscribed_at__isnull=True)
            .order_by("pk").values_list("pk", flat=True)[:count]
        )  # fmt: skip

    ids = eligible()
    if len(ids) < count:
        started = time.perf_counter()
        prefix = f"bench{count}-"
        generate_customers(timezone.now(), count - len(ids), prefix, all_consent=True)
        analyze()
        progress(f"{count - len(ids):,} more customers for {count:,} recipients in "
                 f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        ids = eligible()
    return ids


def new_campaign(name: str, ids: list[int]):
    from django.conf import settings
    from django.utils import translation

    from recovery.forms import default_body, default_subject
    from recovery.models import AudienceType, Campaign, CampaignText

    campaign = Campaign.objects.create(name=name, audience=AudienceType.BOTH, customer_ids=ids,
                                       created_by="bench")  # fmt: skip
    for code, _label in settings.LANGUAGES:
        with translation.override(code):
            CampaignText.objects.create(campaign=campaign, language=code,
                                        subject=default_subject(), body=default_body())  # fmt: skip
    return campaign


PROFILE = os.environ.get("BENCH_PROFILE", "")


def send_batches(batches: list[list[int]]) -> dict[str, int]:
    """One worker: ``send_batch`` for each batch in turn (a worker process runs this). With
    BENCH_PROFILE=1 the first batch runs under cProfile and its top functions are printed."""
    from django.db import connections

    from recovery.campaigns import send_batch

    outcome: Counter = Counter()
    try:
        for index, batch in enumerate(batches):
            if index == 0 and PROFILE:
                import cProfile
                import pstats

                profile = cProfile.Profile()
                outcome.update(profile.runcall(send_batch, batch))
                report = io.StringIO()
                stats = pstats.Stats(profile, stream=report).sort_stats("cumulative")
                stats.print_stats(30)
                print(f"\nProfile of one batch of {len(batch)} messages, by cumulative time:\n"
                      + report.getvalue(), flush=True)  # fmt: skip
                continue
            outcome.update(send_batch(batch))
    finally:
        connections.close_all()
    return dict(outcome)


def run_campaign(smtp: CountingSMTP, meter: CpuMeter, ids: list[int], workers: int) -> dict:
    import multiprocessing

    import django_rq
    from django.db import connections

    from recovery.campaigns import BATCH_SIZE, start_campaign
    from recovery.campaigns import progress as campaign_progress
    from recovery.models import MessageStatus, RecoveryMessage

    campaign = new_campaign(f"Bench newsletter, {workers} worker(s)", ids)
    queue = django_rq.get_queue("mail")
    queue.empty()
    before, cpu_before = smtp.counts(), meter.read()
    started = time.perf_counter()
    queued = start_campaign(campaign=campaign)
    started_at = time.perf_counter()
    # The batches start_campaign queued as RQ jobs, run here instead of by an RQ worker.
    batches = [job.args[0] for job in queue.get_jobs()]
    queue.empty()
    if sum(map(len, batches)) != queued:  # Redis refused: cut the rows ourselves
        rows = list(RecoveryMessage.objects.filter(campaign=campaign, status=MessageStatus.QUEUED)
                    .order_by("pk").values_list("pk", flat=True))  # fmt: skip
        batches = [rows[i : i + BATCH_SIZE] for i in range(0, len(rows), BATCH_SIZE)]
    if workers == 1:
        outcome = send_batches(batches)
    else:
        connections.close_all()  # each worker process opens its own
        pool = multiprocessing.get_context("fork").Pool(workers)
        try:
            parts = pool.map(send_batches, [batches[w::workers] for w in range(workers)])
            pool.close()
        finally:
            pool.terminate()
            pool.join()  # reaped, so their CPU time counts
        outcome = dict(sum((Counter(part) for part in parts), Counter()))
    outcome = {str(status): count for status, count in outcome.items()}
    elapsed = time.perf_counter() - started
    after = smtp.counts()
    delivered, size = after[0] - before[0], after[1] - before[1]
    connections.close_all()  # so a worker's backend has exited and its CPU time is counted
    cpu = CpuMeter.per_message(cpu_before, meter.read(), queued)
    result = {
        "cpu": cpu,
        "workers": workers, "queued": queued, "batches": len(batches),
        "start_s": started_at - started, "total_s": elapsed, "delivered": delivered,
        "avg_bytes": size / delivered if delivered else 0, "outcome": outcome,
        "progress": campaign_progress(campaign),
    }  # fmt: skip
    progress(f"campaign with {workers} worker(s): {queued} messages in {elapsed:.1f} s")
    return result


def bare_message(size: int) -> bytes:
    """A text + HTML message of about ``size`` bytes, like the campaign's, with a placeholder
    recipient."""
    from email import policy
    from email.message import EmailMessage

    def build(html_chars: int) -> bytes:
        message = EmailMessage(policy=policy.SMTP)
        message["Subject"] = "You left something in your cart"
        message["From"] = "shop@localhost"
        message["To"] = "RCPT-PLACEHOLDER"
        message["List-Unsubscribe"] = "<http://127.0.0.1:8000/r/u/abcdefghijklmnop/>"
        text = "Hello Anna,\n\nyou left these items in your cart:\n1 x Linen shirt - 49.99 EUR\n"
        message.set_content(text * 4)
        line = "<p>Hello Anna, you left these items in your cart: Linen shirt</p>\n"
        html = (line * (html_chars // len(line) + 1))[:html_chars]
        message.add_alternative(html, subtype="html")
        return message.as_bytes()

    html_chars = max(100, size // 2)
    return build(max(100, html_chars + size - len(build(html_chars))))


def bare_loop(smtp: CountingSMTP, meter: CpuMeter, count: int, size: int, runs: int = 3) -> dict:
    """``count`` prebuilt messages of ``size`` bytes over one smtplib connection, three times
    (a run takes seconds, so a moment of other load would skew it): the median run."""
    template = bare_message(size)
    repeats, runs = runs, []
    for _ in range(repeats):
        before, cpu_before = smtp.counts(), meter.read()
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", smtp.port) as client:
            for i in range(count):
                to = f"bare-{i}@example.test"
                client.sendmail("shop@localhost", [to], template.replace(b"RCPT-PLACEHOLDER",
                                                                         to.encode()))  # fmt: skip
        elapsed = time.perf_counter() - started
        after = smtp.counts()
        delivered = after[0] - before[0]
        size_seen = (after[1] - before[1]) / delivered if delivered else 0
        runs.append({"total_s": elapsed, "delivered": delivered, "avg_bytes": size_seen,
                     "cpu": CpuMeter.per_message(cpu_before, meter.read(), count)})  # fmt: skip
    runs.sort(key=lambda run: run["total_s"])
    times = ", ".join(f"{run['total_s']:.2f}" for run in runs)
    progress(f"bare loop: {count} messages, {repeats} run(s) in {times} s")
    label = f"median of three runs: {times}" if repeats == 3 else f"one run: {times}"
    return runs[len(runs) // 2] | {"runs": label}


def django_loop(smtp: CountingSMTP, meter: CpuMeter, count: int, size: int) -> dict:
    """For reference: as the bare loop, but each message built by Django
    (``EmailMultiAlternatives``, text and HTML) and sent over one ``mailers.default``
    connection: what building a MIME message costs, without the outbox, pricing or rendering."""
    from django.core.mail import EmailMultiAlternatives, mailers

    line = "<p>Hello Anna, you left these items in your cart: Linen shirt</p>\n"
    html = (line * (size // 2 // len(line) + 1))[: size // 2]
    text = ("Hello Anna,\n\nyou left these items in your cart:\n1 x Linen shirt - 49.99 EUR\n"
            * max(1, size // 4 // 80))  # fmt: skip
    headers = {"List-Unsubscribe": "<http://127.0.0.1:8000/r/u/abcdefghijklmnop/>",
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}  # fmt: skip
    before, cpu_before = smtp.counts(), meter.read()
    started = time.perf_counter()
    with mailers.default as connection:
        for i in range(count):
            message = EmailMultiAlternatives(
                subject="You left something in your cart", body=text, to=[f"dj-{i}@example.test"],
                headers=headers,
            )  # fmt: skip
            message.attach_alternative(html, "text/html")
            connection.send_messages([message])
    elapsed = time.perf_counter() - started
    after = smtp.counts()
    delivered = after[0] - before[0]
    progress(f"Django-built loop: {count} messages in {elapsed:.1f} s")
    return {"total_s": elapsed, "delivered": delivered,
            "cpu": CpuMeter.per_message(cpu_before, meter.read(), count),
            "avg_bytes": (after[1] - before[1]) / delivered if delivered else 0}  # fmt: skip


# --- Main ------------------------------------------------------------------------------------


def main() -> None:
    # Clean up on Ctrl-C (even when started with SIGINT ignored, as `cmd &` in a script) and
    # on SIGTERM alike: both unwind through the finally below.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = Path(tempfile.mkdtemp(prefix="shop-bench-recovery-"))
    cluster = redis_process = smtp = None
    try:
        database_url = os.environ.get("DATABASE_URL", "")
        if database_url.startswith(("postgres://", "postgresql://")):
            database = "DATABASE_URL"
        else:
            cluster = ThrowawayPostgres(settings=PG_SETTINGS)
            os.environ["DATABASE_URL"] = cluster.start()
            database = f"throwaway cluster ({cluster.bin.parent.name}, {', '.join(PG_SETTINGS)})"
        progress(f"PostgreSQL: {database}")
        if not os.environ.get("REDIS_URL"):
            from shop import embedded_redis

            redis_process = embedded_redis.start(workdir / "redis.sock")
            os.environ["REDIS_URL"] = f"unix://{workdir / 'redis.sock'}?db=0"
        smtp = CountingSMTP()
        setup_django(workdir, smtp.port)
        progress("migrated, demo loaded")
        figures(smtp, CpuMeter(smtp, cluster), database)
    finally:
        if smtp:
            smtp.stop()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django may not be set up yet
            pass
        if redis_process:
            from shop import embedded_redis

            embedded_redis.stop(redis_process)
        if cluster:
            cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def figures(smtp: CountingSMTP, meter: CpuMeter, database: str) -> None:
    from django.utils import timezone

    from cart.models import Cart, CartLine

    now = timezone.now()
    timings = []
    stale = 0
    for name, step in (("carts", generate_carts), ("customers", generate_customers),
                       ("vacuum analyze", lambda now: analyze())):  # fmt: skip
        started = time.perf_counter()
        stale = step(now) or stale
        timings.append((name, time.perf_counter() - started))
        progress(f"{name} in {timings[-1][1]:.1f} s")
    carts, lines = Cart.objects.count(), CartLine.objects.count()

    runs = detection()
    listing, matching, vacuum = customer_list()
    newsletters = []
    for size in SIZES:
        ids = recipient_ids(size)
        one = run_campaign(smtp, meter, ids, workers=1)
        size_of = round(one["avg_bytes"])
        bare = bare_loop(smtp, meter, len(ids), size_of, runs=3 if size <= 20_000 else 1)
        built = django_loop(smtp, meter, len(ids), size_of)
        two = run_campaign(smtp, meter, ids, workers=2)
        newsletters.append((ids, bare, built, one, two))

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"\nRecovery benchmark on PostgreSQL ({database}), {os.cpu_count()} CPUs; load "
          f"average at the start {LOAD_AT_START}, at the end {load} (other work skews figures)")
    print(f"\nData: {CARTS:,} guest carts of one line ({stale:,} past their market's cut-off) "
          f"and {CUSTOMERS:,} customers (10% registered) with carts abandoned over 60 days; "
          f"{carts:,} carts and {lines:,} lines in all")  # fmt: skip
    for name, seconds in timings:
        print(f"  {name:<16} {seconds:7.1f} s")
    print(f"  {'total':<16} {sum(s for _, s in timings):7.1f} s")

    print(f"\n1. detect_abandoned_carts() over {carts:,} carts")
    for name, seconds, result in runs:
        print(f"  {name:<26} {seconds:7.2f} s  abandoned {result.abandoned:,}, "
              f"expired {result.expired:,}, purged {result.purged:,}")  # fmt: skip
    print(f"  (expected abandoned: {stale:,} generated carts, plus any demo cart past its cut-off)")

    print(f"\n2. Admin customer list, {CUSTOMERS:,} generated customers, {matching:,} match the "
          f"filter; test client as a superuser, {LIST_REQUESTS} requests each, 50 a page")
    header = ("scenario", "queries", "p50 ms", "p95 ms", "slowest query ms", "KB")
    print("  {:<46} {:>7} {:>8} {:>8} {:>17} {:>6}".format(*header))
    for index, r in enumerate(listing):
        if index == 1:
            print(f"  -- VACUUM ANALYZE, as autovacuum would soon do: {vacuum:.1f} s")
        print(f"  {r['name']:<46} {r['queries']:>7} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} "
              f"{r['slowest_ms']:>17.1f} {r['size'] / 1024:>6.0f}")  # fmt: skip

    for ids, bare, built, one, two in newsletters:
        newsletter_figures(ids, bare, built, one, two)


def newsletter_figures(ids, bare, built, one, two) -> None:
    print(f"\n3. Newsletter to {len(ids):,} recipients through a loopback SMTP server "
          "(subprocess)")  # fmt: skip
    bare_rate = bare["delivered"] / bare["total_s"]
    built_rate = built["delivered"] / built["total_s"]
    rows = [("bare smtplib loop, one connection (*)", bare, None),
            ("reference: Django-built messages, one conn.", built, None)]  # fmt: skip
    for run in (one, two):
        workers, batches = run["workers"], run["batches"]
        name = (f"campaign, {workers} worker{'s' if workers > 1 else ''} "
                f"({batches} batch{'es' if batches != 1 else ''})")  # fmt: skip
        rows.append((name, run, run["start_s"]))
    header = ("", "total s", "start s", "delivered", "bytes/msg", "msg/s", "/ref.", "/bare",
              "sender", "postgres", "smtp")  # fmt: skip
    print(" " * 101 + "CPU ms per message")
    print("  {:<43} {:>7} {:>7} {:>9} {:>9} {:>7} {:>6} {:>6} {:>7} {:>8} {:>6}".format(*header))
    for name, run, start in rows:
        rate = run["delivered"] / run["total_s"]
        start_text = f"{start:.2f}" if start is not None else "-"
        cpu = [f"{v:.2f}" if v is not None else "n/a" for v in run["cpu"].values()]
        print(f"  {name:<43} {run['total_s']:>7.2f} {start_text:>7} {run['delivered']:>9,} "
              f"{run['avg_bytes']:>9,.0f} {rate:>7.1f} {rate / built_rate:>6.1%} "
              f"{rate / bare_rate:>6.1%} {cpu[0]:>7} {cpu[1]:>8} {cpu[2]:>6}")  # fmt: skip
    for run in (one, two):
        print(f"  {run['workers']} worker(s): outcome {run['outcome']}, outbox {run['progress']}")
    one_rate = one["delivered"] / one["total_s"]
    two_rate = two["delivered"] / two["total_s"]
    print(f"  one worker / the Django-built reference: {one_rate / built_rate:.1%} (target >= 50%);"
          f" two workers / one: {two_rate / one_rate:.2f}x (target >= 1.8x)")  # fmt: skip
    print(f"  (*) {bare['runs']} s")
    print("  /ref. = throughput / the Django-built loop's (each message built with "
          "EmailMultiAlternatives,\n  one connection, no database), measured in this run; "
          "/bare = / the bare smtplib loop's (prebuilt\n  bytes). A campaign's throughput "
          "counts start_campaign and all batches.")


if __name__ == "__main__":
    if sys.argv[1:] == ["--smtp-server"]:
        smtp_server_main()
    else:
        main()
