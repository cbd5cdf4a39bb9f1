"""Placing orders at the same moment, on PostgreSQL: real threads, each with its own database
connection. The stock rows are locked, so the last units are sold once and never below zero;
the cart row is locked, so one checkout submitted many times gives one order.

SQLite serialises every write transaction, so these prove nothing there and are skipped; run
them with ``DATABASE_URL=postgres://...`` (CI does)."""

import threading

import pytest
from django.db import connection

from cart.models import Cart, CartStatus, Voucher, VoucherRedemption
from cart.pricing import locale_for_cart
from checkout.models import Order
from checkout.services import CheckoutError, place_order, scoped_key
from shop.models import Variant
from tests import factories
from tests.checkout_world import CheckoutWorld

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row-lock concurrency is only meaningful on PostgreSQL (set DATABASE_URL)",
    ),
    pytest.mark.django_db(transaction=True),
]

TIMEOUT = 60


@pytest.fixture
def world(cart_world):
    world = CheckoutWorld()
    world.eu  # noqa: B018  (creates the market)
    return world


def run_at_once(*jobs) -> tuple[list, list[BaseException]]:
    """Run the jobs in threads released together; return what they returned and raised."""
    barrier = threading.Barrier(len(jobs))
    results: list = []
    errors: list[BaseException] = []

    def worker(job):
        try:
            barrier.wait(timeout=TIMEOUT)
            results.append(job())
        except BaseException as error:  # noqa: BLE001  (reported to the test)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return results, errors


def placing(world, cart, *, email: str, idempotency_key: str | None = None):
    """A job that places ``cart`` as a shopper who saw its pricing now."""
    shown = world.quote(cart, "card")
    data = world.data(shown, "card", email=email)
    customer = world.customer(email)
    locale = locale_for_cart(cart)
    return lambda: place_order(cart=cart, locale=locale, data=data, customer=customer,
                               idempotency_key=idempotency_key)  # fmt: skip


def test_eight_shoppers_buying_the_last_three_units_get_three_orders(world):
    Variant.objects.filter(pk=world.shirt_l.pk).update(stock_quantity=3)
    carts = [world.checkout_cart("DE", (world.shirt_l, 1)) for _ in range(8)]
    jobs = [placing(world, cart, email=f"shopper{n}@example.com") for n, cart in enumerate(carts)]

    orders, errors = run_at_once(*jobs)

    assert len(orders) == 3
    assert Order.objects.count() == 3
    assert Variant.objects.get(pk=world.shirt_l.pk).stock_quantity == 0
    assert len(errors) == 5
    assert all(isinstance(error, CheckoutError) for error in errors), errors
    assert {error.code for error in errors} == {"out_of_stock"}
    assert all("Linen Shirt" in error.message for error in errors)
    sold = {order.cart_id for order in orders}
    for cart in carts:  # the carts that lost stay open with their line, to try again
        status = Cart.objects.get(pk=cart.pk).status
        assert status == (CartStatus.CONVERTED if cart.pk in sold else CartStatus.ACTIVE)


def test_shoppers_buying_overlapping_carts_never_oversell_nor_deadlock(world):
    """Carts holding the same two variants in opposite orders: the locks are taken in one
    order (variant id), so two orders never wait on each other forever."""
    Variant.objects.filter(pk=world.shirt_m.pk).update(stock_quantity=4)
    Variant.objects.filter(pk=world.shirt_l.pk).update(stock_quantity=4)
    carts = []
    for n in range(8):
        pair = [(world.shirt_m, 1), (world.shirt_l, 1)]
        carts.append(world.checkout_cart("DE", *(pair if n % 2 else pair[::-1])))
    jobs = [placing(world, cart, email=f"pair{n}@example.com") for n, cart in enumerate(carts)]

    orders, errors = run_at_once(*jobs)

    assert len(orders) == 4 == Order.objects.count()
    assert all(isinstance(error, CheckoutError) for error in errors), errors
    assert Variant.objects.get(pk=world.shirt_m.pk).stock_quantity == 0
    assert Variant.objects.get(pk=world.shirt_l.pk).stock_quantity == 0


def test_a_voucher_for_one_use_is_used_once_when_many_shoppers_order_at_once(world):
    """The voucher's limit is checked when the cart is priced; if its row is not locked, all
    the shoppers who priced before the first commit get the discount."""
    voucher = factories.VoucherFactory(code="ONLYONE", usage_limit=1)
    carts = [world.checkout_cart("DE", (world.shirt_m, 1), voucher=voucher) for _ in range(6)]
    jobs = [placing(world, cart, email=f"v{n}@example.com") for n, cart in enumerate(carts)]

    orders, errors = run_at_once(*jobs)

    assert all(isinstance(error, CheckoutError) for error in errors), errors
    assert Voucher.objects.get(pk=voucher.pk).times_used <= 1
    assert Order.objects.filter(voucher_code="ONLYONE").count() <= 1
    assert VoucherRedemption.objects.filter(voucher=voucher).count() <= 1


def test_the_same_cart_submitted_from_five_threads_gives_one_order(world):
    cart = world.checkout_cart("DE", (world.shirt_m, 2))
    jobs = [placing(world, cart, email="clicker@example.com") for _ in range(5)]

    orders, errors = run_at_once(*jobs)

    assert errors == []
    assert len({order.pk for order in orders}) == 1
    assert Order.objects.filter(cart=cart).count() == 1
    assert Variant.objects.get(pk=world.shirt_m.pk).stock_quantity == 8


def test_the_same_idempotency_key_from_five_threads_gives_one_order(world):
    cart = world.checkout_cart("DE", (world.shirt_m, 2))
    jobs = [placing(world, cart, email="retry@example.com", idempotency_key="key-1")
            for _ in range(5)]  # fmt: skip

    orders, errors = run_at_once(*jobs)

    assert errors == []
    assert len({order.pk for order in orders}) == 1
    assert Order.objects.get().idempotency_key == scoped_key(cart, "key-1")
    assert Variant.objects.get(pk=world.shirt_m.pk).stock_quantity == 8
