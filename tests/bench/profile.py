"""Where the milliseconds go: `make profile`. Prints figures; asserts nothing.

In this process, on the stack of `make bench` (a throwaway PostgreSQL with the demo data, DEBUG
off; ``BENCH_DATABASE=sqlite`` for SQLite), each scenario of issue 8 is sent through Django's
test client (the full middleware stack, no sockets, no gunicorn): warmed up, then
BENCH_PROFILE_REQUESTS (200) requests timed without a profiler (CPU ms per request with
``time.process_time``, and wall ms), then as many under cProfile. Per scenario it prints the
statements of one warm request and the top 15 functions by cumulative time in the project's code
and in libraries (the request plumbing that encloses nearly everything is left out), and the
profiled time by the module where it is spent itself.

cProfile's clock is the wall clock (waiting for the database shows up in the driver's calls);
``BENCH_PROFILE_CLOCK=cpu`` profiles CPU time only. Under the profiler every call costs more,
so its milliseconds are larger than the unprofiled ones: compare shares, not milliseconds.
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[0] = str(ROOT)  # not tests/bench: this file would shadow the standard `profile`

import cProfile  # noqa: E402
import pstats  # noqa: E402

from tests.bench import stack  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_PROFILE_REQUESTS", "200"))
WARM = 20
TOP = 15
ENTRY_FILES = ("views.py", "api.py", "middleware.py")  # where requests enter the project
CLOCK = time.process_time if os.environ.get("BENCH_PROFILE_CLOCK") == "cpu" else None
PROJECT_DIRS = ("shop", "cart", "checkout", "recovery")


def in_project(filename: str) -> Path | None:
    """The path of a file of the project's code relative to the root, else None (installed
    libraries, the standard library, built-ins, the tests)."""
    path = Path(filename)
    if path.is_absolute() and path.is_relative_to(ROOT):
        relative = path.relative_to(ROOT)
        if relative.parts and relative.parts[0] in PROJECT_DIRS:
            return relative
    return None


def kind(filename: str) -> str:
    return "project" if in_project(filename) else "library"


def where(key: tuple[str, int, str]) -> str:
    """A function as ``module path:line name``, short."""
    filename, line, name = key
    if filename == "~":
        return name
    path = Path(filename)
    if in_project(filename):
        short = str(in_project(filename))
    elif "site-packages" in path.parts:
        short = "/".join(path.parts[path.parts.index("site-packages") + 1 :])
    else:
        short = "/".join(path.parts[-2:])
    return f"{short}:{line} {name}"


def module_of(key: tuple[str, int, str]) -> str:
    """The package a function's own time is booked to: django.db, cart.pricing, psycopg ..."""
    filename, _, name = key
    if filename == "~":  # "<method 'append' of 'list' objects>", "<built-in method time.time>"
        if name.startswith("<method '") and name.count("'") >= 4:
            return f"built-in: {name.split(chr(39))[3]} methods"
        if name.startswith("<built-in method "):
            return "built-in: " + name.removeprefix("<built-in method ").split(".")[0]
        return "built-in: other"
    path = Path(filename)
    if in_project(filename):
        return ".".join(in_project(filename).with_suffix("").parts[:2])
    if "site-packages" in path.parts:
        parts = path.parts[path.parts.index("site-packages") + 1 :]
        depth = 2 if parts[0] in ("django", "rest_framework") and len(parts) > 2 else 1
        return ".".join(Path(*parts[:depth]).with_suffix("").parts)
    return "stdlib: " + path.stem


def timed(browser, scenario: stack.Scenario, requests) -> tuple[float, float]:
    """(CPU ms, wall ms) per request of REQUESTS requests, the scenario's rotation."""
    cpu, wall = time.process_time(), time.perf_counter()
    for request in itertools.islice(requests, REQUESTS):
        response = stack.send(browser, request)
        assert response.status_code == scenario.expect, (scenario.name, response.status_code)
    return ((time.process_time() - cpu) * 1000 / REQUESTS,
            (time.perf_counter() - wall) * 1000 / REQUESTS)  # fmt: skip


def profiled(browser, requests) -> pstats.Stats:
    profiler = cProfile.Profile(CLOCK) if CLOCK else cProfile.Profile()
    batch = list(itertools.islice(requests, REQUESTS))
    profiler.enable()
    for request in batch:
        stack.send(browser, request)
    profiler.disable()
    return pstats.Stats(profiler)


def plumbing(entries: dict) -> set:
    """Library functions that call, at any depth, the project's views and middleware: the
    handler and middleware chain, which enclose nearly the whole request."""
    entries_by_key = {key: value[4] for key, value in entries.items()}
    todo = [key for key in entries if in_project(key[0]) and key[0].endswith(ENTRY_FILES)]
    found: set = set()
    while todo:
        for caller in entries_by_key.get(todo.pop(), {}):
            if caller not in found:
                found.add(caller)
                todo.append(caller)
    return {key for key in found if not in_project(key[0])}


def print_profile(scenario: stack.Scenario, stats: pstats.Stats, cpu: float, wall: float) -> None:
    entries = stats.stats  # key -> (primitive calls, calls, own time, cumulative, callers)
    total = sum(own for _, _, own, _, _ in entries.values())
    per = 1000 / REQUESTS
    low, high = scenario.statements
    print(f"\n== {scenario.name}: {cpu:.1f} CPU ms per request in process ({wall:.1f} ms wall), "
          f"{low if low == high else f'{low}-{high}'} statements; under cProfile "
          f"{total * per:.1f} ms per request")  # fmt: skip
    head = "     share  ms/req  calls/req  function"
    row = "    {:>5.1f} % {:>7.2f} {:>10.1f}  {}"
    print(f"  Project code, top {TOP} by cumulative time")
    print(head)
    ranked = sorted(entries.items(), key=lambda item: -item[1][3])
    mine = [(k, v) for k, v in ranked if kind(k[0]) == "project"][:TOP]
    for key, (_, calls, _, cumulative, _) in mine:
        print(row.format(100 * cumulative / total, cumulative * per, calls / REQUESTS, where(key)))
    print(f"  Libraries, top {TOP} by cumulative time (leaving out the handler and middleware "
          "chain that call the project's views and middleware)")  # fmt: skip
    print(head)
    skip = plumbing(entries)
    theirs = [(k, v) for k, v in ranked if kind(k[0]) == "library" and k not in skip][:TOP]
    for key, (_, calls, _, cumulative, _) in theirs:
        print(row.format(100 * cumulative / total, cumulative * per, calls / REQUESTS, where(key)))
    by_module: dict[str, float] = defaultdict(float)
    for key, (_, _, own, _, _) in entries.items():
        by_module[module_of(key)] += own
    print(f"  Own time by module, top {TOP}")
    for module, own in sorted(by_module.items(), key=lambda item: -item[1])[:TOP]:
        print(f"    {100 * own / total:>5.1f} % {own * per:>7.2f}  {module}")


def main() -> None:
    started = time.perf_counter()
    shop = stack.Stack(allow_sqlite=True)
    try:
        shop.start()
        print(f"[{time.perf_counter() - started:6.1f}s] {shop.database}: migrated, demo loaded",
              file=sys.stderr, flush=True)  # fmt: skip
        scenarios = stack.prepare(3 * REQUESTS + 2 * WARM,
                                  lambda text: print(text, file=sys.stderr, flush=True))
        clock = "CPU time" if CLOCK else "wall clock"
        print(f"== make profile: {time.strftime('%Y-%m-%d %H:%M %Z')}, {shop.database}, DEBUG "
              f"off, demo data; {REQUESTS} requests per scenario through Django's test client "
              f"(in process: no sockets, no gunicorn); cProfile on the {clock}; load average "
              f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} (a shared machine: CPU ms "
              "are steadier than wall ms).")  # fmt: skip
        summary = []
        # One client for all: its handler loads the middleware (WhiteNoise scans the static
        # files) on its first request. Every request carries its own cookies.
        browser = stack.client(enforce_csrf_checks=True)
        for scenario in scenarios:
            stack.count_statements(scenario)
            requests = itertools.cycle(scenario.requests)
            for request in itertools.islice(requests, WARM):
                stack.send(browser, request)
            cpu, wall = timed(browser, scenario, requests)
            stats = profiled(browser, requests)
            print_profile(scenario, stats, cpu, wall)
            summary.append((scenario.name, cpu, wall, scenario.statements))
            print(f"[{time.perf_counter() - started:6.1f}s] {scenario.name} profiled",
                  file=sys.stderr, flush=True)  # fmt: skip
        floor_cpu = summary[-1][1]
        print("\n== Summary (in process)")
        print(f"  {'request':<40} {'CPU ms/req':>10} {'wall ms':>8} {'stmts':>6} {'× floor':>8}")
        for name, cpu, wall, (low, high) in summary:
            stmts = str(low) if low == high else f"{low}-{high}"
            print(f"  {name:<40} {cpu:>10.1f} {wall:>8.1f} {stmts:>6} {cpu / floor_cpu:>8.1f}")
    finally:
        shop.stop()


if __name__ == "__main__":
    main()
