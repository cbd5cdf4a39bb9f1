"""Web benchmark: `make bench`. Prints figures; asserts nothing (query counts are in the tests).

1. Query counts of the pricing function at 1, 10 and 100 lines, in process.
2. The requests of issue 8 through gunicorn (2 sync workers) on PostgreSQL, with DEBUG off on
   the demo data, under a load tool with 8 keep-busy clients (wrk with tests/bench/load.lua;
   a Python load generator if wrk is missing): cart page at 1 and 10 lines, the cart API,
   adding one unit by form and by API, the checkout page at 3 lines, and the floor
   (``/health/``: one query through the same middleware). For each: CPU ms per request of the
   gunicorn master and workers plus the PostgreSQL postmaster and backends (from /proc, before
   and after the run, divided by the requests served), SQL statements of one warm request (in
   process, same database), req/s, p50 and p99 latency, errors (any answer but 2xx/3xx), and
   throughput and CPU against the floor's.
3. Memory of each gunicorn worker after warm-up and after BENCH_MEMORY_REQUESTS (20,000)
   requests of the cart page.
4. Bytes of the checkout page's first load.

BENCH_SECONDS (15) per scenario after BENCH_WARMUP (3) seconds of warm-up; BENCH_CLIENTS (8);
BENCH_LOAD=python forces the Python load generator; BENCH_PORT (8444) for gunicorn,
BENCH_PG_PORT (5444) for the throwaway cluster (any free port if taken); BENCH_MAX_ADD_RATE
(600 adds/s) sizes the carts of the add scenarios. CPU ms per request is the figure that other
load on the machine disturbs least; req/s and latencies swing with it.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[0] = str(ROOT)  # not tests/bench: its profile.py would shadow the standard library's

from tests.bench import stack  # noqa: E402
from tests.bench.pg import children, free_port, proc_cpu, rss_mib, tree_cpu  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
WARMUP = float(os.environ.get("BENCH_WARMUP", "3"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
THREADS = 2 if CLIENTS >= 2 else 1
WORKERS = 2
MEMORY_REQUESTS = int(os.environ.get("BENCH_MEMORY_REQUESTS", "20000"))
WEB_PORT = int(os.environ.get("BENCH_PORT", "8444"))
WRK = shutil.which("wrk") if os.environ.get("BENCH_LOAD") != "python" else None
LOAD_SCRIPT = Path(__file__).with_name("load.lua")
STARTED = time.perf_counter()


def progress(text: str) -> None:
    print(f"[{time.perf_counter() - STARTED:7.1f}s] {text}", file=sys.stderr, flush=True)


# --- 1. Pricing queries in process -----------------------------------------------------------


def pricing_queries() -> list[tuple[int, int, int, bool, int]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from moneyed import Money

    from cart.models import Cart, CartLine
    from cart.pricing import price_cart
    from shop.locale import ShopLocale
    from shop.models import Market, Product, Variant

    market = Market.objects.get(countries__country="DE")
    locale = ShopLocale(language="de", country="DE", currency=market.currency, market=market)
    product = Product.objects.filter(active=True).first()
    variants = list(Variant.objects.filter(active=True)[:100])
    for i in range(len(variants), 100):  # enough distinct variants for 100 lines
        variants.append(
            Variant.objects.create(product=product, sku=f"BENCH-{i}", price=Money(9, "EUR"),
                                   stock_quantity=1000)  # fmt: skip
        )
    from shop import config

    def cart_of(size: int) -> Cart:
        cart = Cart.objects.create(market=market, country="DE", currency=market.currency,
                                   language="de")  # fmt: skip
        CartLine.objects.bulk_create(
            CartLine(cart=cart, variant=v, quantity=1, unit_price_seen=Money(1, market.currency))
            for v in variants[:size]
        )
        return cart

    results = []
    for size in (1, 10, 100):
        cart = cart_of(size)
        config.clear_local()  # a process that has not read the configuration yet
        with CaptureQueriesContext(connection) as cold:
            price_cart(cart, locale)
        with CaptureQueriesContext(connection) as captured:  # warm: every later request
            pricing = price_cart(cart, locale)
        with CaptureQueriesContext(connection) as bare:
            price_cart(cart, locale, with_suggestions=False)
        suggested = bool(pricing.free_shipping and not pricing.free_shipping.unlocked)
        results.append((size, len(captured), len(bare), suggested, len(cold)))
    return results


# --- The server and what it costs ------------------------------------------------------------


class Gunicorn:
    def __init__(self, port: int) -> None:
        self.port = port
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "shop.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", str(WORKERS), "--worker-class", "sync", "--log-level", "warning"],
            cwd=ROOT, env=dict(os.environ),
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited")
            if len(self.workers()) == WORKERS and self._answers():
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def _answers(self) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            conn.request("GET", stack.FLOOR)
            return conn.getresponse().status == 200
        except OSError:
            return False

    def workers(self) -> list[int]:
        return sorted(children(self.process.pid))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Meter:
    """CPU seconds so far of gunicorn (master, workers, reaped workers), PostgreSQL (postmaster,
    backends) and Redis."""

    def __init__(self, server: Gunicorn, postmaster: int | None, redis: int | None) -> None:
        self.server, self.postmaster, self.redis = server, postmaster, redis

    def settle(self) -> None:
        """Wait until the server has served what the load tool left outstanding."""
        last = tree_cpu(self.server.process.pid)
        for _ in range(150):
            time.sleep(0.2)
            now = tree_cpu(self.server.process.pid)
            if now == last:
                return
            last = now

    def read(self) -> dict[str, float | None]:
        self.settle()
        return {
            "web": tree_cpu(self.server.process.pid),
            "db": tree_cpu(self.postmaster) if self.postmaster else None,
            "redis": sum(proc_cpu(self.redis)[:2]) if self.redis else None,
        }


# --- Load ------------------------------------------------------------------------------------


def lua_string(text: str) -> str:
    if not text.isascii():
        raise ValueError(f"not ASCII: {text!r}")
    return json.dumps(text)  # JSON's escapes of ASCII text are Lua's


def wrk_load(port: int, requests: list[stack.Request], seconds: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="shop-bench-wrk-") as tmp:
        entries = []
        for r in requests:
            headers = {**r.headers, "Host": f"127.0.0.1:{port}"}
            items = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
            body = lua_string(r.body) if r.body else "nil"
            entries.append(f"{{{lua_string(r.method)}, {lua_string(r.path)}, {{{items}}}, {body}}}")
        requests_file = Path(tmp) / "requests.lua"
        requests_file.write_text("return {\n" + ",\n".join(entries) + "\n}\n")
        out = Path(tmp) / "out.json"
        env = {**os.environ, "BENCH_REQUESTS_FILE": str(requests_file), "BENCH_WRK_OUT": str(out),
               "BENCH_THREADS": str(THREADS)}  # fmt: skip
        subprocess.run([WRK, "-t", str(THREADS), "-c", str(CLIENTS), "-d", f"{int(seconds)}s",
                        "--timeout", "30s", "-s", str(LOAD_SCRIPT), f"http://127.0.0.1:{port}/"],
                       check=True, env=env, stdout=subprocess.DEVNULL)  # fmt: skip
        data = json.loads(out.read_text())
    return {
        "requests": data["requests"], "seconds": data["duration_us"] / 1e6,
        "p50_ms": data["p50_us"] / 1000, "p99_ms": data["p99_us"] / 1000,
        "socket_errors": data["connect"] + data["read"] + data["write"] + data["timeout"],
        "classes": {k: data[f"s{k}xx"] for k in (2, 3, 4, 5)},
        # wrk stops with a request outstanding on each connection: the server still serves it
        "in_flight": CLIENTS,
    }  # fmt: skip


def python_load(port: int, requests: list[stack.Request], seconds: float) -> dict:
    """The same rotation as load.lua with CLIENTS threads, if wrk is not installed."""
    latencies: list[float] = []
    classes = {2: 0, 3: 0, 4: 0, 5: 0}
    socket_errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(index: int) -> None:
        nonlocal socket_errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < deadline:
            r = requests[index % len(requests)]
            index += CLIENTS
            started = time.perf_counter()
            try:
                conn.request(r.method, r.path, body=r.body.encode() or None, headers=r.headers)
                response = conn.getresponse()
                response.read()
            except OSError:
                conn.close()
                with lock:
                    socket_errors += 1
                continue
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                classes[min(max(response.status // 100, 2), 5)] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies), "seconds": wall,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else 0.0,
        "p99_ms": latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000 if latencies else 0.0,
        "socket_errors": socket_errors, "classes": classes, "in_flight": 0,
    }  # fmt: skip


def load(port: int, requests: list[stack.Request], seconds: float) -> dict:
    return (wrk_load if WRK else python_load)(port, requests, seconds)


def measure(server: Gunicorn, meter: Meter, scenario: stack.Scenario) -> dict:
    """Warm up, then one measured run with the CPU read before and after."""
    warm = load(server.port, scenario.requests, WARMUP)
    before = meter.read()
    figures = load(server.port, scenario.requests, SECONDS)
    after = meter.read()
    served = max(figures["requests"] + figures["in_flight"], 1)
    cpu = {k: (after[k] - before[k]) * 1000 / served if before[k] is not None else None
           for k in before}  # fmt: skip
    expected = scenario.expect // 100
    classes = figures["classes"]
    return {
        **figures, "name": scenario.name, "key": scenario.key, "cpu": cpu,
        "cpu_ms": cpu["web"] + (cpu["db"] or 0.0), "rps": figures["requests"] / figures["seconds"],
        "errors": classes[4] + classes[5] + figures["socket_errors"],
        "unexpected": sum(n for c, n in classes.items() if c in (2, 3) and c != expected),
        "statements": scenario.statements,
        "answered": warm["classes"][expected] + classes[expected],  # warm-up included
        "in_flight": warm["in_flight"] + figures["in_flight"],
    }  # fmt: skip


def memory(server: Gunicorn, scenario: stack.Scenario, rate: float) -> dict:
    """RSS of each worker after warm-up (every scenario has run) and after MEMORY_REQUESTS
    more of the cart page, sent in runs of at most a minute sized by ``rate`` (req/s)."""
    workers = server.workers()
    before = {pid: rss_mib(pid) for pid in workers}
    served = errors = 0
    while served < MEMORY_REQUESTS:
        seconds = min(60, max(1, (MEMORY_REQUESTS - served) / max(rate, 1) * 1.02 + 0.5))
        figures = load(server.port, scenario.requests, seconds)
        served += figures["requests"]
        errors += figures["classes"][4] + figures["classes"][5] + figures["socket_errors"]
        rate = figures["requests"] / figures["seconds"]
        progress(f"memory: {served} requests, {rate:.1f} req/s")
    after_workers = server.workers()
    after = {pid: rss_mib(pid) for pid in after_workers if pid in before}
    return {"before": before, "after": after, "restarted": after_workers != workers,
            "requests": served, "errors": errors}


# --- 4. Page weight --------------------------------------------------------------------------


def page_weight(port: int, request: stack.Request) -> list[tuple[str, int, int]]:
    """Bytes of the checkout page's first load: (resource, raw, gzip). Same-host resources."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", request.path, headers=request.headers)
    response = conn.getresponse()
    html = response.read()
    rows = [("checkout HTML", len(html), len(gzip.compress(html)))]
    for url in dict.fromkeys(re.findall(rb'(?:src|href)="(/[^"]+\.(?:css|js|svg))"', html)):
        if url.startswith(b"/media/"):
            continue
        conn.request("GET", url.decode())
        data = conn.getresponse().read()
        rows.append((url.decode(), len(data), len(gzip.compress(data))))
    conn.close()
    return rows


# --- Report ----------------------------------------------------------------------------------


def versions() -> str:
    from importlib.metadata import version

    wrk = "Python load generator (wrk not found: apt-get install wrk)"
    if WRK:
        found = subprocess.run([WRK, "--version"], capture_output=True, text=True)
        wrk = (found.stdout + found.stderr).split("Copyright")[0].strip()
    return (f"Python {platform.python_version()}, Django {version('django')}, "
            f"gunicorn {version('gunicorn')}; load: {wrk}")  # fmt: skip


def commit() -> str:
    found = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h (%cs)"],
                           capture_output=True, text=True)  # fmt: skip
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "-uno"],
                           capture_output=True, text=True).stdout.strip()  # fmt: skip
    return found.stdout.strip() + (" with uncommitted changes" if dirty else "")


def report(context: dict, counts, results: list[dict], mem: dict, weight, checks) -> None:
    print(f"\n== make bench: finished {time.strftime('%Y-%m-%d %H:%M %Z')}, commit "
          f"{context['commit']}")  # fmt: skip
    print(f"Machine: {os.cpu_count()} CPUs, {platform.platform()}; load average "
          f"{context['load_before']} at the start, {context['load_after']} at the end. "
          "Shared with other work when the load average exceeds 0: req/s and latencies swing "
          "with it, CPU ms per request much less.")  # fmt: skip
    print(f"Stack: {context['database']}; gunicorn {WORKERS} sync workers; Redis "
          f"{'at REDIS_URL' if not context['redis_pid'] else 'embedded'}; DEBUG off; demo data.")
    print(f"Versions: {context['versions']}")

    print("\n1. Pricing queries by number of cart lines (price_cart, in process, warm process)")
    if isinstance(counts, str):
        print(f"  not measured: {counts}")
    else:
        for size, count, bare, suggested, cold in counts:
            note = ("incl. add-on suggestions (below free shipping)" if suggested
                    else "free shipping")  # fmt: skip
            print(f"  {size:>3} lines: {count} queries ({note}); {bare} without suggestions; "
                  f"{cold} in a process that has not read the configuration yet")  # fmt: skip

    print(f"\n2. Through gunicorn on loopback: {CLIENTS} keep-busy clients, {int(SECONDS)} s per "
          f"scenario after {int(WARMUP)} s warm-up")  # fmt: skip
    print("   CPU ms/req = gunicorn master + workers + PostgreSQL postmaster + backends "
          "(utime+stime+cutime+cstime from /proc, read when the server is idle again) / "
          "requests served (answered + those outstanding when the load tool stopped, which the "
          "server still serves); web, db, redis: its parts "
          "(Redis not in the sum). stmts: SQL statements of one warm request, in process on the "
          "same database (fewest-most of 3). errors: answers other than 2xx/3xx, and socket "
          "errors.")  # fmt: skip
    floor = next(r for r in results if r["key"] == "floor")
    head = ("request", "CPU ms/req", "web", "db", "redis", "stmts", "req/s", "p50 ms",
            "p99 ms", "requests", "errors", "req/s % floor", "CPU × floor")  # fmt: skip
    line = "  {:<40} {:>10} {:>6} {:>6} {:>6} {:>6} {:>7} {:>7} {:>7} {:>8} {:>6} {:>13} {:>11}"
    print(line.format(*head))
    for r in results:
        low, high = r["statements"]
        stmts = str(low) if low == high else f"{low}-{high}"
        redis = r["cpu"]["redis"]
        print(line.format(
            r["name"][:40], f"{r['cpu_ms']:.1f}", f"{r['cpu']['web']:.1f}",
            f"{r['cpu']['db']:.1f}" if r["cpu"]["db"] is not None else "-",
            f"{redis:.2f}" if redis is not None else "-", stmts, f"{r['rps']:.1f}",
            f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}", r["requests"], r["errors"],
            f"{100 * r['rps'] / floor['rps']:.1f} %" if floor["rps"] else "-",
            f"{r['cpu_ms'] / floor['cpu_ms']:.1f}" if floor["cpu_ms"] else "-",
        ))  # fmt: skip
    for r in results:
        if r["unexpected"]:
            print(f"  ! {r['name']}: {r['unexpected']} answers of another class than expected "
                  "(a redirect instead of a page, or a page instead of a redirect)")  # fmt: skip
    for name, answered, in_flight, units, fullest in checks:
        note = "" if units >= answered and fullest < 99 else "  ! units were refused"
        print(f"  {name}: {units} units added for {answered} answers and up to {in_flight} "
              f"requests outstanding when the load stopped (warm-up included); fullest line "
              f"{fullest}{note}")  # fmt: skip

    print(f"\n3. Worker memory (RSS): cart page, 1 line, {mem['requests']} requests "
          f"({mem['errors']} errors)")  # fmt: skip
    for pid, before in mem["before"].items():
        if pid in mem["after"]:
            after = mem["after"][pid]
            print(f"  worker {pid}: {before:.1f} MiB after warm-up, {after:.1f} MiB after, "
                  f"{100 * (after - before) / before:+.1f} %")  # fmt: skip
        else:
            print(f"  worker {pid}: {before:.1f} MiB after warm-up; restarted since")
    if mem["restarted"]:
        print("  ! a worker was restarted during the run")

    print("\n4. Checkout page, first load (bytes; images are lazy product thumbnails, not counted)")
    for name, raw, packed in weight:
        print(f"  {name:<40} {raw:>8} raw {packed:>7} gzip")
    print(f"  {'total':<40} {sum(r for _, r, _ in weight):>8} raw "
          f"{sum(p for _, _, p in weight):>7} gzip")  # fmt: skip


def main() -> None:
    if not WRK:
        print("wrk not found: using the Python load generator (its own CPU competes with the "
              "server's; install wrk with `apt-get install wrk` for the figures of record)",
              file=sys.stderr)  # fmt: skip
    context = {"load_before": ", ".join(f"{x:.1f}" for x in os.getloadavg()),
               "commit": commit(), "versions": versions()}  # fmt: skip
    shop = stack.Stack()
    server = None
    try:
        shop.start()
        context["database"], context["redis_pid"] = shop.database, shop.redis_pid
        progress(f"{shop.database}: migrated, demo loaded")
        try:
            counts = pricing_queries()
        except Exception as error:  # the pricing function's signature may change
            counts = f"{type(error).__name__}: {error}"
        scenarios = stack.prepare(int((SECONDS + WARMUP) * stack.MAX_ADD_RATE), progress)
        for scenario in scenarios:
            stack.count_statements(scenario)
        writes = {s.key: stack.units_in(s.tokens)[0] for s in scenarios if s.tokens}
        from django.db import connections

        connections.close_all()
        server = Gunicorn(free_port(WEB_PORT))
        meter = Meter(server, shop.postmaster, shop.redis_pid)
        progress(f"gunicorn on port {server.port}, workers {server.workers()}")
        results = []
        for scenario in scenarios:
            results.append(measure(server, meter, scenario))
            r = results[-1]
            progress(f"{scenario.name}: {r['cpu_ms']:.1f} CPU ms/req, {r['rps']:.1f} req/s, "
                     f"{r['errors']} errors")  # fmt: skip
        checks = []  # every add answered as expected added one unit
        for scenario, result in zip(scenarios, results, strict=True):
            if scenario.tokens:
                units, fullest = stack.units_in(scenario.tokens)
                checks.append((scenario.name, result["answered"], result["in_flight"],
                               units - writes[scenario.key], fullest))  # fmt: skip
        connections.close_all()
        progress(f"memory: {MEMORY_REQUESTS} requests of the cart page")
        mem = memory(server, scenarios[0], results[0]["rps"])
        weight = page_weight(server.port, next(s for s in scenarios
                                               if s.key == "checkout3").requests[0])  # fmt: skip
    finally:
        if server:
            server.stop()
        shop.stop()
    context["load_after"] = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    report(context, counts, results, mem, weight, checks)


if __name__ == "__main__":
    main()
