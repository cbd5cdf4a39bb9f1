"""Retries of one order attempt at the same moment, through the API, on PostgreSQL: a client
that times out and retries with the same ``Idempotency-Key`` must get the same order every time,
and the order must get one payment (with Stripe each payment row opens its own Checkout
session: two rows could charge one order twice).

SQLite serialises every write transaction, so this proves nothing there and is skipped."""

import threading

import pytest
from django.db import connection
from django.test import Client

from checkout.models import Order, Payment
from tests.checkout_world import ADDRESSES, PHONES, CheckoutWorld

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row-lock concurrency is only meaningful on PostgreSQL (set DATABASE_URL)",
    ),
    pytest.mark.django_db(transaction=True),
]

ORDERS = "/api/v1/checkout/orders/?country=DE"
TIMEOUT = 90


@pytest.fixture
def world(cart_world):
    world = CheckoutWorld()
    world.eu  # noqa: B018  (creates the market)
    return world


def post_at_once(count: int, path: str, body: dict, headers: dict) -> list:
    """``count`` clients send the same request, released together; their responses."""
    barrier = threading.Barrier(count)
    responses: list = []
    errors: list[BaseException] = []

    def worker():
        client = Client()
        try:
            barrier.wait(timeout=TIMEOUT)
            responses.append(
                client.post(path, body, content_type="application/json", headers=headers)
            )
        except BaseException as error:  # noqa: BLE001  (reported to the test)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    assert errors == []
    return responses


def _payment_of(redirect_url: str) -> int | None:
    """The payment a sandbox page link is for; None without a page (bank transfer)."""
    from urllib.parse import parse_qs, urlparse

    from checkout.payments import sandbox

    if not redirect_url:
        return None
    token = parse_qs(urlparse(redirect_url).query)["t"][0]
    return sandbox.read_start_token(token)["payment"]


@pytest.mark.parametrize("payment_method", ["card", "bank_transfer"])
def test_twenty_retries_with_one_key_get_one_order_and_one_payment(world, payment_method):
    cart = world.checkout_cart("DE", (world.shirt_m, 2))
    shown = world.quote(cart, payment_method)
    body = {
        "email": "retry@example.com",
        "address": {**ADDRESSES["DE"], "phone": PHONES["DE"]},
        "shipping_method": shown.shipping.method_id,
        "payment_method": payment_method,
        "expected_total": str(shown.total.amount),
    }
    headers = {"X-Cart-Token": str(cart.token), "Idempotency-Key": "attempt-1"}

    responses = post_at_once(20, ORDERS, body, headers)

    assert [r.status_code for r in responses] == [201] * 20, [
        r.content for r in responses if r.status_code != 201
    ]
    order = Order.objects.get(cart=cart)
    assert {r.json()["number"] for r in responses} == {order.number}
    payment = Payment.objects.get(order=order)  # exactly one
    # Every retry is sent to the page of that one payment. (The sandbox's link is signed with
    # the time: two retries answered in different seconds carry different signatures.)
    redirects = {r.json()["payment"]["redirect_url"] for r in responses}
    expected = {payment.pk} if payment_method == "card" else {None}  # a transfer has no page
    assert {_payment_of(url) for url in redirects} == expected
