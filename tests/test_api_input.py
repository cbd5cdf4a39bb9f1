"""Input the API and the checkout form must refuse with a 4xx, never a 500 nor Django's bare
HTML page: amounts that are not finite numbers, JSON nested deep enough to exhaust the parser's
recursion, and bodies over the size limit."""

import json

import pytest
from django.conf import settings as django_settings
from django.test import Client

from checkout.models import Order
from tests.checkout_world import ADDRESSES, PHONES, CheckoutWorld

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/checkout/orders/?country=DE"
QUOTE = "/api/v1/checkout/quote/?country=DE"
LINES = "/api/v1/cart/lines/?country=DE"
NOT_NUMBERS = ["NaN", "sNaN", "-sNaN", "sNaN123", "Infinity", "-Infinity", "inf",
               "1e999999999", "1E-999999999", "0E+1000000000000"]  # fmt: skip


@pytest.fixture
def world(cart_world):
    return CheckoutWorld()


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


def order_body(world, cart, **changes) -> dict:
    shown = world.quote(cart, "card")
    return {
        "email": "input@example.com",
        "address": {**ADDRESSES["DE"], "phone": PHONES["DE"]},
        "shipping_method": shown.shipping.method_id,
        "payment_method": "card",
        "expected_total": str(shown.total.amount),
        **changes,
    }


def post_json(client, url, text: str, **headers):
    return client.post(url, text, content_type="application/json", headers=headers)


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_the_api_refuses_an_expected_total_that_is_not_a_finite_number(world, client, value):
    cart = world.checkout_cart("DE", (world.shirt_m, 1))

    response = post_json(client, ORDERS, json.dumps(order_body(world, cart, expected_total=value)),
                         **{"X-Cart-Token": str(cart.token), "Idempotency-Key": "n-1"})  # fmt: skip

    assert response.status_code == 400
    assert "expected_total" in response.json()
    assert Order.objects.count() == 0


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_the_api_refuses_non_finite_json_number_literals(world, client, literal):
    cart = world.checkout_cart("DE", (world.shirt_m, 1))
    text = json.dumps(order_body(world, cart, expected_total="@")).replace('"@"', literal)

    response = post_json(client, ORDERS, text,
                         **{"X-Cart-Token": str(cart.token), "Idempotency-Key": "n-2"})  # fmt: skip

    assert response.status_code == 400
    assert Order.objects.count() == 0


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_the_checkout_page_refuses_an_expected_total_that_is_not_a_finite_number(
    world, client, value
):
    cart = world.checkout_cart("DE", (world.shirt_m, 1))
    session = client.session
    session[django_settings.CART_SESSION_KEY] = str(cart.token)
    session.save()
    page = client.get("/de/checkout/?country=DE")
    form = {"email": "page@example.com", **ADDRESSES["DE"], "phone": PHONES["DE"],
            "country_code": "DE", "payment_method": "card", "place_order": "1",
            "shipping_method": str(page.context["pricing"].shipping.method_id),
            "attempt": "a-1", "expected_total": value}  # fmt: skip

    response = client.post("/de/checkout/?country=DE", form)

    assert response.status_code == 400
    assert "<form" in response.content.decode()  # the page again, with what was typed
    assert Order.objects.count() == 0


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize("url", [LINES, QUOTE, ORDERS, "/api/v1/checkout/contact/"])
def test_a_deeply_nested_body_is_a_400_without_a_cart(client, url, cart_world):
    body = deep(1600)
    assert len(body) < 3300

    response = post_json(client, url, body, **{"Idempotency-Key": "deep"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "nested" in response.json()["detail"]


def test_deep_nesting_inside_a_field_is_refused_too(world, client):
    cart = world.checkout_cart("DE", (world.shirt_m, 1))
    body = json.dumps(order_body(world, cart)).replace('"Berlin"', deep(900))

    response = post_json(client, ORDERS, body,
                         **{"X-Cart-Token": str(cart.token), "Idempotency-Key": "d-1"})  # fmt: skip

    assert response.status_code == 400
    assert Order.objects.count() == 0


def test_brackets_inside_strings_are_text_not_nesting(world, client):
    cart = world.checkout_cart("DE", (world.shirt_m, 1))
    body = {"email": "brackets@example.com", "first_name": "[{" * 40 + '"\\', "last_name": "]}"}

    response = post_json(client, "/api/v1/checkout/contact/", json.dumps(body),
                         **{"X-Cart-Token": str(cart.token)})  # fmt: skip

    assert response.status_code == 204


@pytest.mark.parametrize("url", [LINES, ORDERS])
def test_a_body_over_the_size_limit_gets_the_apis_json_error(client, url, settings, cart_world):
    body = json.dumps({"sku": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})

    response = post_json(client, url, body, **{"Idempotency-Key": "big"})

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
