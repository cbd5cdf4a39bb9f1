"""Cart benchmark: `make bench`. Prints figures; asserts nothing (query counts are in tests).

1. Query counts of the pricing function at 1, 10 and 100 lines, in process.
2. Throughput and latency of add-to-cart (API) and cart view (API and HTML page) through a real
   gunicorn server on loopback, on the demo data, with a few concurrent keep-alive clients.

Uses a throwaway SQLite database unless DATABASE_URL is set.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
WORKDIR = Path(tempfile.mkdtemp(prefix="shop-bench-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{WORKDIR / 'bench.sqlite3'}")
os.environ.setdefault("SECRET_KEY", "bench-only-key")
os.environ["DEBUG"] = ""
os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
os.environ["SECURE_COOKIES"] = "0"
os.environ["MEDIA_ROOT"] = str(WORKDIR / "media")
os.environ["STATIC_ROOT"] = str(WORKDIR / "static")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "4"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "400"))


def setup_database() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)


def query_counts() -> list[tuple[int, int, int, bool]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from moneyed import Money

    from cart.models import Cart, CartLine
    from cart.pricing import price_cart
    from shop.models import Market, Product, Variant

    market = Market.objects.get(countries__country="DE")
    from shop.locale import ShopLocale

    locale = ShopLocale(language="de", country="DE", currency=market.currency, market=market)
    product = Product.objects.filter(active=True).first()
    variants = list(Variant.objects.filter(active=True)[:100])
    for i in range(len(variants), 100):  # enough distinct variants for 100 lines
        variants.append(
            Variant.objects.create(product=product, sku=f"BENCH-{i}", price=Money(9, "EUR"),
                                   stock_quantity=1000)  # fmt: skip
        )
    results = []
    for size in (1, 10, 100):
        cart = Cart.objects.create(market=market, country="DE", currency=market.currency,
                                   language="de")  # fmt: skip
        CartLine.objects.bulk_create(
            CartLine(cart=cart, variant=v, quantity=1, unit_price_seen=Money(1, market.currency))
            for v in variants[:size]
        )
        with CaptureQueriesContext(connection) as captured:
            pricing = price_cart(cart, locale)
        with CaptureQueriesContext(connection) as bare:
            price_cart(cart, locale, with_suggestions=False)
        suggested = bool(pricing.free_shipping and not pricing.free_shipping.unlocked)
        results.append((size, len(captured), len(bare), suggested))
    return results


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "shop.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--log-level", "warning"],  # fmt: skip
        cwd=ROOT,
        env=dict(os.environ),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def load(port: int, name: str, make_request) -> dict:
    """Run REQUESTS requests over CLIENTS keep-alive connections; return the figures."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    per_client = REQUESTS // CLIENTS

    def client(index: int) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        state: dict = {}
        measured = 0
        while measured < per_client:
            method, path, body, headers, *flags = make_request(index, measured, state)
            counted = flags[0] if flags else True
            started = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            elapsed = time.perf_counter() - started
            if response.status >= 400:
                with lock:
                    errors += 1
            elif "token" not in state and response.getheader("X-Cart-Token"):
                state["token"] = response.getheader("X-Cart-Token")
            state["last"] = payload
            state["last_token"] = response.getheader("X-Cart-Token")
            if counted:
                measured += 1
                with lock:
                    latencies.append(elapsed)
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
        "name": name,
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
    }


def page_weight(port: int) -> list[tuple[str, int, int]]:
    """Bytes of the checkout page's first load: (resource, raw, gzip). Same-host resources."""
    import gzip
    import re

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Accept-Language": "de"}
    body = json.dumps({"sku": first_sku(), "quantity": 1})
    conn.request("POST", "/api/v1/cart/lines/?country=DE", body=body,
                 headers={**headers, "Content-Type": "application/json"})  # fmt: skip
    response = conn.getresponse()
    response.read()
    token = response.getheader("X-Cart-Token")
    conn.request("GET", "/de/checkout/?country=DE", headers={**headers, "X-Cart-Token": token})
    html = conn.getresponse().read()
    rows = [("checkout HTML", len(html), len(gzip.compress(html)))]
    for url in re.findall(rb'(?:src|href)="(/[^"]+\.(?:css|js|svg))"', html):
        conn.request("GET", url.decode())
        data = conn.getresponse().read()
        rows.append((url.decode(), len(data), len(gzip.compress(data))))
    conn.close()
    return rows


def first_sku() -> str:
    from shop.models import Variant

    return Variant.objects.filter(active=True, product__active=True).values_list(
        "sku", flat=True
    )[0]


def main() -> None:
    setup_database()
    counts = query_counts()
    from shop.models import Variant

    # Enough stock that the load never hits "sold out".
    Variant.objects.filter(active=True, track_stock=True).update(stock_quantity=1_000_000)
    skus = list(
        Variant.objects.filter(active=True, product__active=True).values_list("sku", flat=True)
    )
    port = free_port()
    server = start_server(port)
    try:
        json_headers = {"Content-Type": "application/json", "Accept-Language": "de"}

        def add_to_cart(index, i, state):
            headers = dict(json_headers)
            if "token" in state:  # the first request creates the cart and returns its token
                headers["X-Cart-Token"] = state["token"]
            state["adds"] = state.get("adds", 0) + 1
            body = json.dumps({"sku": skus[(index + i) % len(skus)], "quantity": 1})
            return "POST", "/api/v1/cart/lines/?country=DE", body, headers

        def viewer(path):
            def view(index, i, state):
                if state.get("adds", 0) < 5:  # the first requests fill a cart of 5 lines
                    return add_to_cart(index, i, state)
                return "GET", path, None, {"X-Cart-Token": state["token"], "Accept-Language": "de"}

            return view

        address = {"first_name": "Max", "last_name": "Muster", "street_address": "Hauptstr. 1",
                   "city": "Berlin", "postal_code": "10115"}  # fmt: skip

        def place_order(index, i, state):
            """Per order: a new cart with one line, a quote, then the measured placement."""
            phase = state.get("phase", 0)
            token = state.get("cart", "")
            if phase == 0:
                state["phase"] = 1
                body = json.dumps({"sku": skus[(index + i) % len(skus)], "quantity": 1})
                return "POST", "/api/v1/cart/lines/?country=DE", body, json_headers, False
            if phase == 1:
                state["cart"] = token = state["last_token"]
                state["phase"] = 2
                body = json.dumps({"payment_method": "card"})
                headers = {**json_headers, "X-Cart-Token": token}
                return "POST", "/api/v1/checkout/quote/?country=DE", body, headers, False
            total = json.loads(state["last"])["total"]["amount"]
            state["phase"] = 0
            body = json.dumps({"email": f"bench{index}-{i}@example.com", "address": address,
                               "shipping_method": json.loads(state["last"])["shipping"]["id"],
                               "payment_method": "card", "expected_total": total})  # fmt: skip
            headers = {**json_headers, "X-Cart-Token": token, "Idempotency-Key": f"{token}-{i}"}
            return "POST", "/api/v1/checkout/orders/?country=DE", body, headers, True

        results = [
            load(port, "add to cart (API)", add_to_cart),
            load(port, "view cart (API)", viewer("/api/v1/cart/?country=DE")),
            load(port, "view cart page (HTML)", viewer("/de/cart/?country=DE")),
            load(port, "checkout page (HTML)", viewer("/de/checkout/?country=DE")),
            load(port, "place order (API)", place_order),
        ]
        weight = page_weight(port)
    finally:
        server.terminate()
        server.wait(timeout=10)

    print("\nPricing queries by number of cart lines (price_cart, in process)")
    for size, count, bare, suggested in counts:
        note = "incl. add-on suggestions (below free shipping)" if suggested else "free shipping"
        print(f"  {size:>3} lines: {count} queries ({note}); {bare} without suggestions")
    print(f"\nThrough gunicorn (2 workers) on loopback, {CLIENTS} keep-alive clients, "
          f"database {os.environ['DATABASE_URL'].split(':')[0]}")  # fmt: skip
    header = ("scenario", "requests", "errors", "req/s", "p50 ms", "p95 ms")
    print("  {:<22} {:>8} {:>6} {:>8} {:>8} {:>8}".format(*header))
    for r in results:
        print(f"  {r['name']:<22} {r['requests']:>8} {r['errors']:>6} {r['rps']:>8.1f} "
              f"{r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f}")  # fmt: skip
    print("\nCheckout page, first load (bytes; images are lazy product thumbnails, not counted)")
    for name, raw, packed in weight:
        print(f"  {name:<40} {raw:>8} raw {packed:>7} gzip")
    print(f"  {'total':<40} {sum(r for _, r, _ in weight):>8} raw "
          f"{sum(p for _, _, p in weight):>7} gzip")  # fmt: skip


if __name__ == "__main__":
    main()
