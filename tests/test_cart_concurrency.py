"""Concurrent writes to one cart are serialised by the cart's row lock: no update is lost, no
request fails, two logins at once do not deadlock. Real threads, each with its own database
connection, on PostgreSQL (SQLite serialises every write anyway, so these prove nothing there)."""

import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone

from cart import services
from cart.models import Cart, CartLine, CartStatus
from cart.services import Activity
from tests import factories

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row-lock concurrency is only meaningful on PostgreSQL (set DATABASE_URL)",
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS = 8
TIMEOUT = 60


def run_at_once(*jobs) -> list[BaseException]:
    """Run the jobs in threads released together; return what they raised."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def worker(job):
        try:
            barrier.wait(timeout=TIMEOUT)
            job()
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
    return errors


@pytest.fixture
def shop(cart_world):
    w = cart_world
    w.shirt_m.stock_quantity = 100
    w.shirt_m.save()
    w.cookbook  # noqa: B018  (creates it)
    w.activity = Activity(locale=w.locale(w.eu, "DE"), device="desktop")
    return w


def test_adding_the_same_variant_at_once_loses_no_update(shop):
    cart = shop.cart(shop.eu, "DE")

    def add_one():
        services.add_line(cart=cart, sku="SHIRT-M", quantity=1, activity=shop.activity)

    errors = run_at_once(*[add_one] * THREADS)

    assert errors == []
    assert CartLine.objects.get(cart=cart).quantity == THREADS


def test_adding_to_a_line_that_exists_at_once_loses_no_update(shop):
    cart = shop.cart(shop.eu, "DE", (shop.shirt_m, 5))

    def add_two():
        services.add_line(cart=cart, sku="SHIRT-M", quantity=2, activity=shop.activity)

    errors = run_at_once(*[add_two] * THREADS)

    assert errors == []
    assert CartLine.objects.get(cart=cart).quantity == 5 + 2 * THREADS


def test_setting_a_quantity_at_once_ends_with_one_of_the_values(shop):
    cart = shop.cart(shop.eu, "DE", (shop.shirt_m, 1))
    line = cart.lines.get()

    def set_to(quantity):
        return lambda: services.set_quantity(cart=cart, line_id=line.pk, quantity=quantity,
                                             activity=shop.activity)  # fmt: skip

    errors = run_at_once(set_to(3), set_to(7))

    assert errors == []
    assert CartLine.objects.get(pk=line.pk).quantity in {3, 7}


def test_merging_two_carts_into_each_other_at_once_does_not_deadlock(shop):
    one = shop.cart(shop.eu, "DE", (shop.shirt_m, 1))
    other = shop.cart(shop.eu, "DE", (shop.cookbook, 2))

    errors = run_at_once(
        lambda: services.merge_carts(source=one, target=other, activity=shop.activity),
        lambda: services.merge_carts(source=other, target=one, activity=shop.activity),
    )

    assert errors == []
    assert sorted(CartLine.objects.values_list("variant__sku", "quantity")) == [
        ("BOOK", 2), ("SHIRT-M", 1),
    ]  # fmt: skip


@pytest.mark.urls("tests.cart_login_urls")
def test_two_logins_at_once_merge_both_session_carts_without_deadlock(shop, settings):
    user = get_user_model().objects.create_user("kim", "kim@example.com", "secret-pw")
    customer = factories.CustomerFactory(user=user, email="kim@example.com")
    mine = shop.cart(shop.eu, "DE", (shop.shirt_m, 1), customer=customer,
                     last_activity_at=timezone.now() - timedelta(days=1))  # fmt: skip
    phone, laptop = Client(), Client()
    phone.post("/en/cart/add/", {"sku": "SHIRT-M", "quantity": "2"})
    laptop.post("/en/cart/add/", {"sku": "SHIRT-M", "quantity": "3"})
    laptop.post("/en/cart/add/", {"sku": "BOOK", "quantity": "1"})
    session_carts = [client.session[settings.CART_SESSION_KEY] for client in (phone, laptop)]

    def log_in(client):
        def job():
            response = client.post("/login/", {"username": "kim", "password": "secret-pw"})
            assert response.status_code == 302

        return job

    errors = run_at_once(log_in(phone), log_in(laptop))

    assert errors == []
    assert sorted(mine.lines.values_list("variant__sku", "quantity")) == [
        ("BOOK", 1), ("SHIRT-M", 6),
    ]  # fmt: skip
    assert set(Cart.objects.filter(token__in=session_carts).values_list("status", flat=True)) == {
        CartStatus.MERGED
    }
