"""Rate limits on order placement and cart writes, per client address and per e-mail, counted in
the shared Redis cache: a script placing a hundred unpaid orders a minute (stock held until the
payment window closes) is refused with a 429 and a translated message after the limit, the same
for the API and the HTML forms; a shopper never meets them."""

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import translation

from checkout.models import Order
from shop.api_errors import too_many_message
from shop.models import Variant
from tests.checkout_world import ADDRESSES, PHONES, CheckoutWorld

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

ORDERS = "/api/v1/checkout/orders/?country=DE"
LINES = "/api/v1/cart/lines/?country=DE"


@pytest.fixture(autouse=True)
def _one_window(monkeypatch):
    """Every request of a test falls in one rate-limit window: the windows are aligned to the
    clock's minutes, and a test run that crossed a minute would start counting again."""
    from cart import throttles

    start = (throttles.clock() // 3600 + 1) * 3600 + 1  # a second into a fresh window
    monkeypatch.setattr(throttles, "clock", lambda: start)


@pytest.fixture
def world(cart_world):
    world = CheckoutWorld()
    world.eu  # noqa: B018
    Variant.objects.filter(pk=world.cookbook.pk).update(stock_quantity=10_000)
    return world


def order_request(world, cart, *, email: str, key: str) -> tuple[dict, dict]:
    shown = world.quote(cart, "bank_transfer")
    body = {
        "email": email,
        "address": {**ADDRESSES["DE"], "phone": PHONES["DE"]},
        "shipping_method": shown.shipping.method_id,
        "payment_method": "bank_transfer",
        "expected_total": str(shown.total.amount),
    }
    return body, {"X-Cart-Token": str(cart.token), "Idempotency-Key": key}


def place(client, body, headers, **extra):
    return client.post(ORDERS, body, content_type="application/json",
                       headers={**headers, "Accept-Language": "de"}, **extra)  # fmt: skip


def test_a_script_placing_a_hundred_orders_a_minute_is_refused_after_the_limit(world):
    limit = int(django_settings.SHOP_RATE_LIMITS["place_order"].split("/")[0])
    client = Client()
    statuses = []
    for number in range(100):
        cart = world.checkout_cart("DE", (world.cookbook, 1))
        body, headers = order_request(world, cart, email=f"bot{number}@example.com",
                                      key=f"bot-{number}")  # fmt: skip
        statuses.append(place(client, body, headers))

    assert [r.status_code for r in statuses[:limit]] == [201] * limit
    refused = statuses[limit:]
    assert {r.status_code for r in refused} == {429}
    assert Order.objects.count() == limit
    answer = refused[0]
    wait = int(answer["Retry-After"])
    assert 1 <= wait <= 60
    with translation.override("de"):
        assert answer.json() == {"detail": too_many_message(wait)}


def test_one_email_from_many_addresses_is_limited_per_contact(world, settings):
    limit = int(settings.SHOP_RATE_LIMITS["place_order_contact"].split("/")[0])
    statuses = []
    for number in range(limit + 3):
        cart = world.checkout_cart("DE", (world.cookbook, 1))
        body, headers = order_request(world, cart, email="Same@Example.com" if number % 2
                                      else "same@example.com", key=f"k-{number}")  # fmt: skip
        response = place(Client(), body, headers, REMOTE_ADDR=f"10.0.0.{number + 1}")
        statuses.append(response.status_code)

    assert statuses == [201] * limit + [429] * 3


def test_retries_of_one_attempt_are_answered_and_not_counted(world, settings):
    settings.SHOP_RATE_LIMITS = {**settings.SHOP_RATE_LIMITS, "place_order": "1/m",
                                 "place_order_contact": "1/m"}  # fmt: skip
    cart = world.checkout_cart("DE", (world.cookbook, 1))
    body, headers = order_request(world, cart, email="retry@example.com", key="attempt-1")
    client = Client()

    responses = [place(client, body, headers) for _ in range(5)]

    assert [r.status_code for r in responses] == [201] * 5
    assert len({r.json()["number"] for r in responses}) == 1


def test_cart_writes_are_limited_per_client_reads_are_not(world, settings):
    settings.SHOP_RATE_LIMITS = {**settings.SHOP_RATE_LIMITS, "cart_write": "5/m"}
    client = Client()

    writes = [client.post(LINES, {"sku": world.cookbook.sku}, content_type="application/json")
              for _ in range(6)]  # fmt: skip
    read = client.get("/api/v1/cart/")

    assert [r.status_code for r in writes] == [201] * 5 + [429]
    assert "Retry-After" in writes[-1]
    assert read.status_code == 200
    assert read.json()["lines"][0]["quantity"] == 5


def test_the_cart_forms_share_the_limit_and_answer_a_page_with_the_message(world, settings):
    settings.SHOP_RATE_LIMITS = {**settings.SHOP_RATE_LIMITS, "cart_write": "3/m"}
    client = Client()

    answers = [client.post("/en/cart/add/", {"sku": world.cookbook.sku, "quantity": "1"})
               for _ in range(4)]  # fmt: skip

    assert [r.status_code for r in answers] == [302, 302, 302, 429]
    refused = answers[-1]
    wait = int(refused["Retry-After"])
    assert too_many_message(wait) in refused.content.decode()
    assert "text/html" in refused["Content-Type"]


def test_the_checkout_page_limits_placements_not_recalculations(world, settings, client):
    settings.SHOP_RATE_LIMITS = {**settings.SHOP_RATE_LIMITS, "place_order": "2/m"}
    cart = world.checkout_cart("DE", (world.cookbook, 1))
    session = client.session
    session[django_settings.CART_SESSION_KEY] = str(cart.token)
    session.save()
    form = {"email": "page@example.com", **ADDRESSES["DE"], "country_code": "DE",
            "payment_method": "bank_transfer", "expected_total": "0.01"}  # fmt: skip

    recalculations = [client.post("/en/checkout/?country=DE", form) for _ in range(5)]
    placements = [client.post("/en/checkout/?country=DE",
                              {**form, "place_order": "1", "attempt": f"a{n}"})
                  for n in range(3)]  # fmt: skip

    assert {r.status_code for r in recalculations} == {200}
    assert [r.status_code for r in placements] == [200, 200, 429]  # stale total: not placed


def test_a_shopper_filling_a_cart_quickly_never_meets_the_limit(world):
    client = Client()

    answers = [client.post(LINES, {"sku": world.cookbook.sku}, content_type="application/json")
               for _ in range(60)]  # fmt: skip

    assert {r.status_code for r in answers} == {201}
