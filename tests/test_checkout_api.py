"""The checkout JSON API (``/api/v1/checkout/``): quote, contact, place order with an
``Idempotency-Key``. Same rules as the page; bad input is a 400 with field errors, never a 500."""

from decimal import Decimal

import pytest
from moneyed import Money

from cart.models import Cart, CartStatus
from checkout.models import Order
from checkout.payments import pix
from checkout.services import scoped_key
from shop.models import Variant
from tests.checkout_world import ADDRESSES, PHONES, CheckoutWorld

pytestmark = pytest.mark.django_db

QUOTE = "/api/v1/checkout/quote/"
CONTACT = "/api/v1/checkout/contact/"
ORDERS = "/api/v1/checkout/orders/"


@pytest.fixture
def world(cart_world):
    return CheckoutWorld()


@pytest.fixture
def de_cart(world):
    return world.checkout_cart("DE", (world.shirt_m, 2))


def post(client, path, cart, data, *, country="DE", key=None, **headers):
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(f"{path}?country={country}", data, content_type="application/json",
                       headers={"X-Cart-Token": str(cart.token), **headers})  # fmt: skip


def order_body(world, cart, payment_method="card", **changes) -> dict:
    """A place-order body for what the shopper was quoted now."""
    shown = world.quote(cart, payment_method)
    country = shown.country
    return {
        "email": "api@example.com",
        "address": {**ADDRESSES[country], "phone": PHONES[country]},
        "shipping_method": shown.shipping.method_id,
        "payment_method": payment_method,
        "expected_total": str(shown.total.amount),
        **changes,
    }


# --- quote ----------------------------------------------------------------------------------


def test_quote_returns_the_full_pricing_for_a_country_shipping_and_payment_method(
    world, client, de_cart
):
    response = post(client, QUOTE, de_cart, {"country": "DE",
                                             "shipping_method": world.de_express.pk,
                                             "payment_method": "paypal"})  # fmt: skip

    assert response.status_code == 200
    body = response.json()
    pricing = world.quote(de_cart, "paypal", shipping_method_id=world.de_express.pk)
    assert body["currency"] == "EUR"
    assert body["shipping"]["id"] == world.de_express.pk
    assert body["payment_method"] == "paypal"
    assert Decimal(body["payment_fee"]["amount"]) == Decimal("0.35")
    for name in ("subtotal", "discount", "shipping_price", "tax", "duties", "payment_fee",
                 "total"):  # fmt: skip
        assert Decimal(body[name]["amount"]) == getattr(pricing, name).amount, name
    assert [line["sku"] for line in body["lines"]] == ["SHIRT-M"]
    assert {option["code"] for option in body["payment_options"]} == {
        "card", "paypal", "klarna", "cod", "bank_transfer",
    }  # fmt: skip
    assert body["shipping"]["delivery_from"] == pricing.shipping.delivery_from.isoformat()


def test_quote_for_another_country_of_the_market_uses_its_shipping_and_tax(world, client, de_cart):
    response = post(client, QUOTE, de_cart, {"country": "AT"})

    assert response.status_code == 200
    body = response.json()
    assert body["country"] == "AT"
    assert body["shipping"]["name"] == "Austria Standard"
    assert Decimal(body["tax_rate"]) == 20


def test_quote_without_a_fee_shows_none(world, client, de_cart):
    body = post(client, QUOTE, de_cart, {"payment_method": "card"}).json()

    assert body["payment_method"] == "card"
    assert Decimal(body["payment_fee"]["amount"]) == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"country": "Germany"}, "country"),
        ({"shipping_method": "express"}, "shipping_method"),
        ({"shipping_method": [1]}, "shipping_method"),
        ({"payment_method": "p" * 21}, "payment_method"),
        ({"postal_code": "1" * 21}, "postal_code"),
    ],
)
def test_quote_refuses_bad_input_with_field_errors(world, client, de_cart, data, field):
    response = post(client, QUOTE, de_cart, data)

    assert response.status_code == 400
    assert field in response.json()


def test_quote_without_a_cart_is_404_not_500(world, client):
    world.eu  # noqa: B018
    response = client.post(f"{QUOTE}?country=DE", {}, content_type="application/json")

    assert response.status_code == 404


def test_quote_with_a_body_that_is_not_json_is_400(world, client, de_cart):
    response = client.post(f"{QUOTE}?country=DE", "{not json", content_type="application/json",
                           headers={"X-Cart-Token": str(de_cart.token)})  # fmt: skip

    assert response.status_code == 400


# --- contact --------------------------------------------------------------------------------


def test_contact_saves_a_guest_customer_on_the_cart(world, client, de_cart):
    response = post(client, CONTACT, de_cart, {"email": "guest@example.com",
                                               "first_name": "Gus"})  # fmt: skip

    assert response.status_code == 204
    de_cart.refresh_from_db()
    assert de_cart.customer.email == "guest@example.com"
    assert de_cart.customer.first_name == "Gus"
    assert de_cart.customer.user_id is None


@pytest.mark.parametrize("email", ["not-an-email", "", "a@b@c"])
def test_contact_with_an_invalid_email_is_400(world, client, de_cart, email):
    response = post(client, CONTACT, de_cart, {"email": email})

    assert response.status_code == 400
    assert "email" in response.json()
    assert Cart.objects.get(pk=de_cart.pk).customer is None


def test_contact_with_an_invalid_phone_is_400_on_the_phone(world, client, de_cart):
    response = post(client, CONTACT, de_cart, {"email": "ok@example.com", "phone": "12"})

    assert response.status_code == 400
    assert "phone" in response.json()


# --- place order ----------------------------------------------------------------------------


def test_placing_without_an_idempotency_key_is_400(world, client, de_cart):
    response = post(client, ORDERS, de_cart, order_body(world, de_cart))

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert Order.objects.count() == 0


def test_placing_with_a_key_creates_the_order(world, client, de_cart):
    response = post(client, ORDERS, de_cart, order_body(world, de_cart), key="attempt-1")

    assert response.status_code == 201
    body = response.json()
    order = Order.objects.get()
    assert body["number"] == order.number
    assert Decimal(body["total"]) == order.total
    assert body["currency"] == "EUR"
    assert order.idempotency_key == scoped_key(order.cart, "attempt-1")  # bound to the cart
    assert order.email == "api@example.com"
    assert Variant.objects.get(pk=world.shirt_m.pk).stock_quantity == 8
    assert Cart.objects.get(pk=de_cart.pk).status == CartStatus.CONVERTED
    assert body["payment"]["redirect_url"].startswith("/en/checkout/sandbox/")


def test_placing_again_with_the_same_key_returns_the_same_order(world, client, de_cart):
    body = order_body(world, de_cart)

    first = post(client, ORDERS, de_cart, body, key="attempt-1")
    again = post(client, ORDERS, de_cart, body, key="attempt-1")

    assert first.status_code == 201
    assert again.status_code in (200, 201)
    assert again.json()["number"] == first.json()["number"]
    assert Order.objects.count() == 1
    assert Variant.objects.get(pk=world.shirt_m.pk).stock_quantity == 8


def test_placing_with_a_changed_total_is_409_with_the_new_pricing(world, client, de_cart):
    body = order_body(world, de_cart)
    world.shirt_m.price = Money("11.00", "EUR")
    world.shirt_m.save()

    response = post(client, ORDERS, de_cart, body, key="attempt-1")

    assert response.status_code == 409
    answer = response.json()
    new_total = world.quote(de_cart, "card").total.amount
    assert (
        Decimal(answer["pricing"]["total"]["amount"])
        == new_total
        != Decimal(body["expected_total"])
    )
    assert answer["expected_total"]
    assert Order.objects.count() == 0


def test_placing_a_pix_order_returns_the_copia_e_cola(world, client):
    cart = world.checkout_cart("BR", (world.shirt_m, 1))

    response = post(client, ORDERS, cart, order_body(world, cart, "pix"), country="BR",
                    key="pix-1")  # fmt: skip

    assert response.status_code == 201
    payload = response.json()["payment"]["instructions"]["payload"]
    assert pix.verify_payload(payload)
    assert response.json()["currency"] == "BRL"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "nope"}, "email"),
        ({"shipping_method": "fast"}, "shipping_method"),
        ({"shipping_method": 999_999}, "shipping_method"),  # not a method of this country
        ({"payment_method": "p" * 21}, "payment_method"),
        ({"expected_total": "a lot"}, "expected_total"),
        ({"address": "Unter den Linden 1, Berlin"}, "address"),
        ({"address": {**ADDRESSES["DE"], "postal_code": "ABC"}}, "address"),
        ({"payment_method": "pix"}, "payment_method"),  # not offered in Germany
    ],
)
def test_placing_with_bad_input_is_400_with_field_errors(world, client, de_cart, changes, field):
    response = post(client, ORDERS, de_cart, order_body(world, de_cart, **changes), key="k-1")

    assert response.status_code == 400
    assert field in response.json()
    assert Order.objects.count() == 0


def test_placing_an_out_of_stock_cart_is_400_with_a_message(world, client, de_cart):
    body = order_body(world, de_cart)
    Variant.objects.filter(pk=world.shirt_m.pk).update(stock_quantity=1)

    response = post(client, ORDERS, de_cart, body, key="k-1")

    assert response.status_code == 400
    assert response.json() == {"lines": ["Only 1 of Linen Shirt left."]}


# --- schema ---------------------------------------------------------------------------------


def test_openapi_schema_lists_the_checkout_endpoints(client):
    response = client.get("/api/v1/schema/", headers={"Accept": "application/json"})

    assert response.status_code == 200
    text = response.content.decode()
    for path in ("/api/v1/checkout/quote/", "/api/v1/checkout/contact/",
                 "/api/v1/checkout/orders/"):  # fmt: skip
        assert path in text
    assert "Idempotency-Key" in text


def test_an_address_whose_region_has_no_tax_rate_is_refused_not_charged_0_percent(
    world, client
):
    """The test world's US market has rates for California and New York only."""
    cart = world.checkout_cart("US", (world.shirt_m, 1))
    body = order_body(world, cart)
    body["address"] = {**body["address"], "country_area": "TX", "city": "Austin",
                       "postal_code": "73301"}  # fmt: skip

    response = post(client, "/api/v1/checkout/orders/", cart, body, country="US", key="tx-1")

    assert response.status_code == 400
    assert "tax" in response.json()["address"][0]
    assert not Order.objects.exists()
