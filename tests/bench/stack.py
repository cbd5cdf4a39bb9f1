"""The shop the web benchmarks measure (`make bench`, `make profile`), and the requests of each
scenario.

The stack: PostgreSQL (a throwaway cluster on BENCH_PG_PORT, 5444, unless DATABASE_URL names a
postgres database; ``BENCH_DATABASE=sqlite`` for an in-process profile without it), Redis (the
embedded one on a temporary socket unless REDIS_URL is set), Django with DEBUG off on the demo
data, static files collected.

The scenarios' carts, session cookies, cart tokens and CSRF tokens are prepared beforehand
through the shop's own URLs with Django's test client (the same database), so they do not depend
on the shape of the services behind them. A scenario is a list of requests that the load tool
sends in turn: writes rotate over enough carts that adding one unit never reaches the per-line
maximum (99), and stock is raised so that it never runs out.
"""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.bench.pg import ThrowawayPostgres

ROOT = Path(__file__).resolve().parents[2]
PG_PORT = int(os.environ.get("BENCH_PG_PORT", "5444"))
READ_CARTS = 16  # carts (sessions, tokens) a read scenario rotates over
# Adds a write scenario may serve per second at most: enough carts that none reaches 99 units.
MAX_ADD_RATE = int(os.environ.get("BENCH_MAX_ADD_RATE", "600"))
UNITS_PER_CART = 90
COUNTRY = "?country=DE"
CART_PAGE = "/de/cart/" + COUNTRY
CART_API = "/api/v1/cart/" + COUNTRY
CART_ADD = "/de/cart/add/" + COUNTRY
LINES_API = "/api/v1/cart/lines/" + COUNTRY
CHECKOUT_PAGE = "/de/checkout/" + COUNTRY
FLOOR = "/health/"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: str = ""


@dataclass
class Scenario:
    key: str
    name: str
    requests: list[Request]  # sent in turn, over and over
    expect: int  # the status of a good answer
    probe: Request  # one more of the same kind, on a cart of its own, to count statements
    tokens: list[str] = field(default_factory=list)  # carts a write scenario adds to
    statements: tuple[int, int] | None = None  # (fewest, most) of a few warm requests


class Stack:
    """Starts what the shop needs and Django in this process; ``stop()`` removes it all."""

    def __init__(self, *, allow_sqlite: bool = False) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="shop-bench-web-"))
        self.cluster: ThrowawayPostgres | None = None
        self.redis = None
        self.allow_sqlite = allow_sqlite
        self.database = ""

    def start(self) -> None:
        # Clean up on Ctrl-C (even when started with SIGINT ignored) and on SIGTERM alike.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        url = os.environ.get("DATABASE_URL", "")
        if url.startswith(("postgres://", "postgresql://")):
            self.database = "PostgreSQL at DATABASE_URL"
        elif self.allow_sqlite and os.environ.get("BENCH_DATABASE") == "sqlite":
            os.environ["DATABASE_URL"] = f"sqlite:///{self.workdir / 'bench.sqlite3'}"
            self.database = "SQLite (in a temporary directory)"
        else:
            self.cluster = ThrowawayPostgres(PG_PORT)
            os.environ["DATABASE_URL"] = self.cluster.start()
            settings = ", ".join(self.cluster.settings)
            self.database = (f"PostgreSQL {self.cluster.version}, throwaway cluster on port "
                             f"{self.cluster.port} ({settings})")  # fmt: skip
        if not os.environ.get("REDIS_URL"):
            from shop import embedded_redis

            self.redis = embedded_redis.start(self.workdir / "redis.sock")
            os.environ["REDIS_URL"] = f"unix://{self.workdir / 'redis.sock'}?db=0"
        os.environ.setdefault("SECRET_KEY", "bench-only-key")
        os.environ["DEBUG"] = ""
        os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
        os.environ["SECURE_COOKIES"] = "0"
        os.environ["MEDIA_ROOT"] = str(self.workdir / "media")
        os.environ["STATIC_ROOT"] = str(self.workdir / "static")
        os.environ["SHOP_VAR_DIR"] = str(self.workdir / "var")
        os.environ["DJANGO_SETTINGS_MODULE"] = "shop.settings"  # not the tests' settings
        # One client address sends all the load: the shop's rate limits would refuse it.
        for limit in ("RATE_LIMIT_PLACE_ORDER", "RATE_LIMIT_PLACE_ORDER_CONTACT",
                      "RATE_LIMIT_CART_WRITE", "RATE_LIMIT_CART_WRITE_CONTACT"):  # fmt: skip
            os.environ[limit] = ""
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        call_command("load_demo", verbosity=0, stdout=io.StringIO())
        call_command("collectstatic", verbosity=0, interactive=False)

    @property
    def postmaster(self) -> int | None:
        return self.cluster.postmaster_pid() if self.cluster else None

    @property
    def redis_pid(self) -> int | None:
        return self.redis.pid if self.redis else None

    def stop(self) -> None:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django may not be set up yet
            pass
        if self.redis:
            from shop import embedded_redis

            embedded_redis.stop(self.redis)
        if self.cluster:
            self.cluster.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


# --- Carts, prepared through the shop's URLs -------------------------------------------------


def client(**kwargs):
    from django.test import Client

    return Client(headers={"Accept-Language": "de"}, **kwargs)


def raise_stock() -> None:
    """Enough stock that the load never sells out."""
    from shop.models import Variant

    Variant.objects.filter(active=True).update(stock_quantity=1_000_000)


def sellable_skus(count: int) -> list[str]:
    """``count`` SKUs that the API accepts for a German cart, in catalogue order."""
    from shop.models import Variant

    candidates = Variant.objects.filter(active=True, product__active=True).order_by("pk")
    found: list[str] = []
    browser = client()
    for sku in candidates.values_list("sku", flat=True)[: count * 3]:
        response = browser.post(LINES_API, json.dumps({"sku": sku, "quantity": 1}),
                                content_type="application/json")  # fmt: skip
        if response.status_code == 201:
            found.append(sku)
        if len(found) == count:
            return found
    raise RuntimeError(f"only {len(found)} SKUs can be bought in Germany, {count} needed")


def session_cart(skus: list[str]) -> tuple[str, str, str]:
    """A browser's cart with one unit of each SKU: (cookie header, CSRF secret, cart token)."""
    from django.conf import settings

    browser = client()
    for sku in skus:
        response = browser.post(CART_ADD, {"sku": sku, "quantity": "1"})
        assert response.status_code == 302, response.status_code
    browser.get(CART_PAGE)  # the page's forms set the CSRF cookie
    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    csrf = browser.cookies[settings.CSRF_COOKIE_NAME].value
    data = browser.get(CART_API).json()
    assert len(data["lines"]) == len(skus), data["lines"]
    cookie = f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}"
    return cookie, csrf, data["token"]


def token_cart(skus: list[str]) -> str:
    """An app's cart (no session) with one unit of each SKU: its token."""
    from django.conf import settings

    app = client()
    token = ""
    for sku in skus:
        headers = {settings.CART_TOKEN_HEADER: token} if token else {}
        response = app.post(LINES_API, json.dumps({"sku": sku, "quantity": 1}),
                            content_type="application/json", headers=headers)  # fmt: skip
        assert response.status_code == 201, response.content
        token = response[settings.CART_TOKEN_HEADER]
    return token


def browser_get(path: str, cookie: str) -> Request:
    return Request("GET", path, {"Cookie": cookie, "Accept-Language": "de"})


def form_add(cookie: str, csrf: str, sku: str) -> Request:
    body = f"sku={sku}&quantity=1&csrfmiddlewaretoken={csrf}"
    headers = {"Cookie": cookie, "Accept-Language": "de",
               "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
    return Request("POST", CART_ADD, headers, body)


def api_request(method: str, path: str, token: str, body: dict | None = None) -> Request:
    from django.conf import settings

    headers = {settings.CART_TOKEN_HEADER: token, "Accept-Language": "de"}
    if body is None:
        return Request(method, path, headers)
    headers["Content-Type"] = "application/json"
    return Request(method, path, headers, json.dumps(body))


def prepare(expected_adds: int, progress=print) -> list[Scenario]:
    """The scenarios of issue 8 on fresh carts. ``expected_adds``: how many units a write
    scenario may add in all (its carts get at most UNITS_PER_CART each)."""
    raise_stock()
    skus = sellable_skus(10)
    write_carts = max(2, math.ceil(expected_adds / (UNITS_PER_CART - 1)))
    progress(f"preparing carts: {READ_CARTS} per read scenario, {write_carts} per write scenario")

    def sessions(count: int, lines: int) -> list[tuple[str, str, str]]:
        return [session_cart(skus[:lines]) for _ in range(count)]

    one = sessions(READ_CARTS + 1, 1)
    ten = sessions(READ_CARTS + 1, 10)
    three = sessions(READ_CARTS + 1, 3)
    tokens = [token_cart(skus[:1]) for _ in range(READ_CARTS + 1)]
    form_carts = sessions(write_carts + 1, 1)
    api_carts = [token_cart(skus[:1]) for _ in range(write_carts + 1)]
    sku = skus[0]
    return [
        Scenario("cart1", "cart page (HTML), 1 line",
                 [browser_get(CART_PAGE, c) for c, _, _ in one[1:]], 200,
                 browser_get(CART_PAGE, one[0][0])),
        Scenario("cart10", "cart page (HTML), 10 lines",
                 [browser_get(CART_PAGE, c) for c, _, _ in ten[1:]], 200,
                 browser_get(CART_PAGE, ten[0][0])),
        Scenario("api_cart", "GET /api/v1/cart/, 1 line",
                 [api_request("GET", CART_API, t) for t in tokens[1:]], 200,
                 api_request("GET", CART_API, tokens[0])),
        Scenario("form_add", "add one unit, form POST",
                 [form_add(c, s, sku) for c, s, _ in form_carts[1:]], 302,
                 form_add(form_carts[0][0], form_carts[0][1], sku),
                 tokens=[t for _, _, t in form_carts[1:]]),
        Scenario("api_add", "add one unit, POST /api/v1/cart/lines/",
                 [api_request("POST", LINES_API, t, {"sku": sku, "quantity": 1})
                  for t in api_carts[1:]], 201,
                 api_request("POST", LINES_API, api_carts[0], {"sku": sku, "quantity": 1}),
                 tokens=api_carts[1:]),
        Scenario("checkout3", "checkout page (HTML), 3 lines",
                 [browser_get(CHECKOUT_PAGE, c) for c, _, _ in three[1:]], 200,
                 browser_get(CHECKOUT_PAGE, three[0][0])),
        Scenario("floor", "floor: GET /health/ (one query)",
                 [Request("GET", FLOOR, {})], 200, Request("GET", FLOOR, {})),
    ]  # fmt: skip


def units_in(tokens: list[str]) -> tuple[int, int]:
    """(units in all these carts, units of the fullest line) from the database."""
    from django.db.models import Max, Sum

    from cart.models import CartLine

    lines = CartLine.objects.filter(cart__token__in=tokens)
    figures = lines.aggregate(units=Sum("quantity"), fullest=Max("quantity"))
    return figures["units"] or 0, figures["fullest"] or 0


# --- One request in process ------------------------------------------------------------------


def send(browser, request: Request):
    """Send a prepared request through Django's test client (the full middleware stack)."""
    headers = {k: v for k, v in request.headers.items() if k not in ("Content-Type", "Host")}
    return browser.generic(request.method, request.path, data=request.body.encode(),
                           content_type=request.headers.get("Content-Type", ""),
                           headers=headers)  # fmt: skip


def count_statements(scenario: Scenario, warm: int = 2, counted: int = 3) -> tuple[int, int]:
    """Statements of a warm request (fewest, most of ``counted``), through the test client
    with CSRF checks on, on the scenario's own probe cart."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    browser = client(enforce_csrf_checks=True)
    counts = []
    for i in range(warm + counted):
        with CaptureQueriesContext(connection) as captured:
            response = send(browser, scenario.probe)
        if response.status_code != scenario.expect:
            raise RuntimeError(f"{scenario.name}: {response.status_code}, "
                               f"expected {scenario.expect}")  # fmt: skip
        if i >= warm:
            counts.append(len(captured))
    scenario.statements = (min(counts), max(counts))
    return scenario.statements
