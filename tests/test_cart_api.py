"""The cart JSON API (``/api/v1/cart/``): the whole pricing in every answer, the same total as the
cart page, carts by session or ``X-Cart-Token``, field errors for bad input, CSRF for session
writes, the OpenAPI schema. Never a 500."""

import json
import re
import uuid
from decimal import Decimal

import pytest
from django.test import Client

from cart.models import Cart, CartLine, CartStatus
from tests import factories

CART = "/api/v1/cart/"
LINES = "/api/v1/cart/lines/"
VOUCHER = "/api/v1/cart/voucher/"
NBSP = "\xa0"


@pytest.fixture
def shop(cart_world):
    w = cart_world
    w.eu, w.br, w.us, w.shirt_m, w.shirt_l, w.cookbook  # noqa: B018  (creates them)
    return w


@pytest.fixture
def client():
    """Never re-raise server errors: a 500 must show as a status code the test can assert."""
    return Client(raise_request_exception=False)


def post(client, url, body, **headers):
    """POST ``body`` as JSON; a string is sent as it is (raw JSON text)."""
    return client.post(url, json.dumps(body) if not isinstance(body, str) else body,
                       content_type="application/json", headers=headers)  # fmt: skip


def patch(client, url, body, **headers):
    return client.patch(url, json.dumps(body), content_type="application/json", headers=headers)


def page_total(html: str) -> str:
    """The total as the cart page renders it."""
    match = re.search(r'data-money="total">([^<]*)<', html)
    assert match, "no total on the page"
    return match.group(1)


def contents(cart) -> list[tuple[str, int]]:
    return sorted(CartLine.objects.filter(cart=cart).values_list("variant__sku", "quantity"))


# --- reading and writing ------------------------------------------------------------------------


def test_reading_without_a_cart_gives_an_empty_priced_cart(shop, client):
    response = client.get(CART + "?country=DE")

    assert response.status_code == 200
    data = response.json()
    assert data["token"] is None and data["lines"] == [] and data["item_count"] == 0
    assert (data["currency"], data["country"]) == ("EUR", "DE")
    assert Decimal(data["total"]["amount"]) == 0
    assert [o["name"] for o in data["shipping_options"]] == ["Standard", "Express"]
    assert "X-Cart-Token" not in response.headers


def test_adding_a_line_answers_with_the_whole_pricing_and_the_carts_token(shop, client):
    response = post(client, LINES + "?country=DE", {"sku": "SHIRT-M", "quantity": 2})

    assert response.status_code == 201
    data = response.json()
    cart = Cart.objects.get()
    assert data["token"] == str(cart.token) == response.headers["X-Cart-Token"]
    line = data["lines"][0]
    assert (line["sku"], line["quantity"], line["product_name"]) == ("SHIRT-M", 2, "Linen Shirt")
    # English page for Germany: amounts as en_DE writes them
    assert line["unit_price"] == {"amount": "11.90", "currency": "EUR", "formatted": "11,90\xa0€"}
    assert line["line_total"]["amount"] == "23.80"
    assert line["stock_state"] == "in_stock" and line["price_changed"] is False
    assert data["subtotal"]["amount"] == "23.80"
    assert data["shipping"]["name"] == "Standard" and data["shipping_price"]["amount"] == "4.90"
    assert data["tax"]["amount"] == "4.58"  # 23.80 * 19/119 + 4.90 * 19/119
    assert data["tax_included"] is True and data["tax_known"] is True
    assert data["total"]["amount"] == "28.70"
    assert data["free_shipping"]["missing"]["amount"] == "26.20"
    assert data["can_check_out"] is True
    assert {"card", "paypal", "klarna", "cod"} == {p["code"] for p in data["payment_options"]}
    assert [b["text"] for b in data["trust_badges"]] == ["Secure payment", "30-day free returns"]


def test_the_session_keeps_the_cart_between_requests(shop, client):
    post(client, LINES + "?country=DE", {"sku": "SHIRT-M"})
    post(client, LINES, {"sku": "SHIRT-M", "quantity": 2})
    post(client, LINES, {"sku": "BOOK"})

    data = client.get(CART).json()

    assert [(line["sku"], line["quantity"]) for line in data["lines"]] == [("SHIRT-M", 3),
                                                                           ("BOOK", 1)]  # fmt: skip
    assert data["item_count"] == 4
    assert Cart.objects.count() == 1


def test_changing_a_quantity_and_removing_a_line(shop, client):
    post(client, LINES + "?country=DE", {"sku": "SHIRT-M"})
    post(client, LINES, {"sku": "BOOK"})
    shirt, book = CartLine.objects.order_by("id")

    changed = patch(client, f"{LINES}{shirt.pk}/", {"quantity": 4})
    removed = client.delete(f"{LINES}{book.pk}/")

    assert changed.status_code == 200
    assert [line["quantity"] for line in changed.json()["lines"]] == [4, 1]
    assert removed.status_code == 200
    assert [(line["sku"], line["quantity"]) for line in removed.json()["lines"]] == [("SHIRT-M", 4)]


def test_emptying_the_cart(shop, client):
    post(client, LINES + "?country=DE", {"sku": "SHIRT-M"})

    response = client.delete(CART)

    assert response.status_code == 200
    assert response.json()["lines"] == [] and CartLine.objects.count() == 0


def test_the_answer_to_applying_a_voucher_shows_its_discount(shop, client):
    factories.VoucherFactory(code="TEN", percentage=Decimal("10"))
    post(client, LINES + "?country=DE", {"sku": "SHIRT-M", "quantity": 2})

    applied = post(client, VOUCHER, {"code": "ten"})

    assert applied.status_code == 200
    data = applied.json()
    assert data["voucher_code"] == "TEN" and data["voucher_error"] == ""
    assert data["discounts"][0]["amount"]["amount"] == "2.38"
    assert data["total"]["amount"] == "26.32"  # 23.80 - 2.38 + 4.90
    assert data == client.get(CART).json()


def test_an_applied_voucher_shows_when_the_cart_is_read(shop, client):
    factories.VoucherFactory(code="TEN", percentage=Decimal("10"))
    post(client, LINES + "?country=DE", {"sku": "SHIRT-M", "quantity": 2})
    post(client, VOUCHER, {"code": "TEN"})

    data = client.get(CART).json()

    assert data["voucher_code"] == "TEN" and data["total"]["amount"] == "26.32"


def test_the_answer_to_removing_the_voucher_shows_it_gone(shop, client):
    factories.VoucherFactory(code="TEN", percentage=Decimal("10"))
    post(client, LINES + "?country=DE", {"sku": "SHIRT-M", "quantity": 2})
    post(client, VOUCHER, {"code": "TEN"})

    removed = client.delete(VOUCHER)

    assert removed.status_code == 200
    assert removed.json()["voucher_code"] == "" and removed.json()["discounts"] == []
    assert removed.json()["total"]["amount"] == "28.70"
    assert Cart.objects.get().voucher is None


def test_the_answer_to_emptying_the_cart_shows_no_voucher(shop, client):
    factories.VoucherFactory(code="TEN", percentage=Decimal("10"))
    post(client, LINES + "?country=DE", {"sku": "SHIRT-M", "quantity": 2})
    post(client, VOUCHER, {"code": "TEN"})

    emptied = client.delete(CART)

    assert emptied.json()["voucher_code"] == "" and emptied.json()["lines"] == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"code": "NOPE"}, "“NOPE” is not a valid voucher code."),
        ({"code": ""}, "Enter a voucher code."),
        ({"code": "   "}, "Enter a voucher code."),
        ({}, "This field is required."),
        ({"code": "X" * 41}, "Ensure this field has no more than 40 characters."),
    ],
)
def test_a_bad_voucher_is_a_400_with_the_reason_on_the_code(shop, client, body, message):
    post(client, LINES + "?country=DE", {"sku": "SHIRT-M"})

    response = post(client, VOUCHER, body)

    assert response.status_code == 400
    assert response.json() == {"code": [message]}
    assert Cart.objects.get().voucher is None


# --- the same total as the cart page ------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "country", "skus", "total"),
    [
        ("de", "DE", ["SHIRT-M", "SHIRT-M", "BOOK"], f"50,10{NBSP}€"),
        ("pt-br", "BR", ["SHIRT-M", "SHIRT-L"], f"R${NBSP}179,88"),
        ("en", "US", ["SHIRT-M", "BOOK"], "$40.75"),
    ],
)
def test_the_api_total_is_the_total_the_cart_page_shows(shop, client, language, country, skus,
                                                        total):  # fmt: skip
    lang = {"accept-language": language}
    for sku in skus:
        post(client, f"{LINES}?country={country}", {"sku": sku}, **lang)

    api = client.get(CART, headers=lang).json()
    page = client.get(f"/{language}/cart/")

    assert api["country"] == country
    assert api["total"]["formatted"] == page_total(page.text) == total
    assert Decimal(api["total"]["amount"]) == page.context["pricing"].total.amount


# --- carts by token header ----------------------------------------------------------------------


def test_an_app_reads_and_writes_its_cart_by_the_token_header(shop, client):
    cart = shop.cart(shop.eu, "DE", (shop.cookbook, 1))
    token = {"X-Cart-Token": str(cart.token)}

    read = client.get(CART + "?country=DE", headers=token)
    added = post(client, LINES, {"sku": "SHIRT-M"}, **token)

    assert read.status_code == 200 and read.json()["token"] == str(cart.token)
    assert [line["sku"] for line in read.json()["lines"]] == ["BOOK"]
    assert added.status_code == 201
    assert contents(cart) == [("BOOK", 1), ("SHIRT-M", 1)]
    assert "cart_token" not in client.session  # an app's cart is not put in a session


def test_the_token_header_wins_over_the_session(shop, client):
    post(client, LINES + "?country=DE", {"sku": "SHIRT-M"})
    app_cart = shop.cart(shop.eu, "DE", (shop.cookbook, 2))

    data = client.get(CART, headers={"X-Cart-Token": str(app_cart.token)}).json()

    assert [(line["sku"], line["quantity"]) for line in data["lines"]] == [("BOOK", 2)]


@pytest.mark.parametrize("token", ["not-a-uuid", "'; DROP TABLE cart_cart; --", "1" * 300,
                                   str(uuid.uuid4())])  # fmt: skip
def test_a_malformed_or_unknown_token_reads_as_no_cart(shop, client, token):
    shop.cart(shop.eu, "DE", (shop.cookbook, 1))

    response = client.get(CART, headers={"X-Cart-Token": token})

    assert response.status_code == 200
    assert response.json()["token"] is None and response.json()["lines"] == []


@pytest.mark.parametrize("token", ["not-a-uuid", str(uuid.uuid4())])
def test_writing_with_a_malformed_or_unknown_token_starts_a_new_cart(shop, client, token):
    existing = shop.cart(shop.eu, "DE", (shop.cookbook, 1))

    response = post(client, LINES + "?country=DE", {"sku": "SHIRT-M"}, **{"X-Cart-Token": token})

    assert response.status_code == 201
    new_token = response.json()["token"]
    assert new_token == response.headers["X-Cart-Token"] != token
    assert contents(Cart.objects.get(token=new_token)) == [("SHIRT-M", 1)]
    assert contents(existing) == [("BOOK", 1)]


def test_an_ordered_carts_token_no_longer_opens_it(shop, client):
    cart = shop.cart(shop.eu, "DE", (shop.cookbook, 1), status=CartStatus.CONVERTED)

    data = client.get(CART, headers={"X-Cart-Token": str(cart.token)}).json()

    assert data["token"] is None and data["lines"] == []


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_changing_lines_without_a_cart_is_a_404(shop, client, method):
    if method == "patch":
        response = patch(client, f"{LINES}1/", {"quantity": 2})
    else:
        response = client.delete(f"{LINES}1/")

    assert response.status_code == 404


def test_writing_to_nothing_is_a_404_not_a_500(shop, client):
    assert client.delete(CART).status_code == 404
    assert client.delete(VOUCHER).status_code == 404


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "sku"),
        ({"quantity": 1}, "sku"),
        ({"sku": ""}, "sku"),
        ({"sku": None}, "sku"),
        ({"sku": "S" * 65}, "sku"),
        ({"sku": "SHIRT-M", "quantity": "abc"}, "quantity"),
        ({"sku": "SHIRT-M", "quantity": 0}, "quantity"),
        ({"sku": "SHIRT-M", "quantity": -1}, "quantity"),
        ({"sku": "SHIRT-M", "quantity": 1000}, "quantity"),
        ({"sku": "SHIRT-M", "quantity": None}, "quantity"),
        ({"sku": "SHIRT-M", "quantity": 1.5}, "quantity"),
        ({"sku": "SHIRT-M", "quantity": [1]}, "quantity"),
        ({"sku": "SHIRT-M", "quantity": 10**30}, "quantity"),
        ([{"sku": "SHIRT-M"}], "non_field_errors"),
        ('"SHIRT-M"', "non_field_errors"),
        ("null", "non_field_errors"),
        ("5", "non_field_errors"),
    ],
)
def test_a_bad_body_is_a_400_with_field_errors_and_changes_nothing(shop, client, body, field):
    post(client, LINES + "?country=DE", {"sku": "BOOK"})

    response = post(client, LINES, body)

    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field] and all(isinstance(m, str) for m in errors[field])
    assert contents(Cart.objects.get()) == [("BOOK", 1)]


def test_a_body_that_is_not_json_is_a_400_in_the_shoppers_language(shop, client):
    response = post(client, LINES, '{"sku": "SHIRT-M",')

    assert response.status_code == 400
    assert response.json()["detail"] == "The request body is not valid JSON."


def test_a_form_encoded_body_works_like_json(shop, client):
    response = client.post(LINES + "?country=DE", {"sku": "SHIRT-M", "quantity": "2"})

    assert response.status_code == 201 and response.json()["item_count"] == 2


@pytest.mark.parametrize("sku", ["NOPE", "shirt-m "])
def test_an_unknown_sku_is_a_404_with_the_reason_on_the_sku(shop, client, sku):
    response = post(client, LINES + "?country=DE", {"sku": sku})

    assert response.status_code == 404
    assert response.json() == {"sku": [f"We could not find the product “{sku.strip()}”."]}


def test_an_inactive_variant_is_a_404(shop, client):
    shop.shirt_m.active = False
    shop.shirt_m.save()

    assert post(client, LINES + "?country=DE", {"sku": "SHIRT-M"}).status_code == 404


def test_more_than_in_stock_is_a_400_on_the_quantity(shop, client):
    response = post(client, LINES + "?country=DE", {"sku": "SHIRT-L", "quantity": 4})

    assert response.status_code == 400
    assert response.json() == {"quantity": ["Only 3 of Linen Shirt left."]}


@pytest.mark.parametrize("body", [{"quantity": 0}, {"quantity": "x"}, {}, {"quantity": 100}])
def test_a_bad_quantity_change_is_a_400(shop, client, body):
    post(client, LINES + "?country=DE", {"sku": "SHIRT-M", "quantity": 2})
    line = CartLine.objects.get()

    response = patch(client, f"{LINES}{line.pk}/", body)

    assert response.status_code == 400 and list(response.json()) == ["quantity"]
    assert CartLine.objects.get().quantity == 2


def test_an_unknown_line_id_is_a_404(shop, client):
    post(client, LINES + "?country=DE", {"sku": "SHIRT-M"})
    someone_elses = shop.cart(shop.eu, "DE", (shop.cookbook, 1)).lines.get()

    for line_id in (987654, someone_elses.pk):
        assert patch(client, f"{LINES}{line_id}/", {"quantity": 2}).status_code == 404
        assert client.delete(f"{LINES}{line_id}/").status_code == 404
    assert contents(someone_elses.cart) == [("BOOK", 1)]


def test_amounts_in_the_api_have_the_currencys_decimals(shop, client):
    data = post(client, LINES + "?country=DE", {"sku": "SHIRT-M"}).json()

    amounts = {
        "subtotal": data["subtotal"]["amount"],
        "discount": data["discount"]["amount"],
        "payment_fee": data["payment_fee"]["amount"],
        "klarna minimum": next(p for p in data["payment_options"] if p["code"] == "klarna")[
            "min_order"
        ]["amount"],
    }
    assert amounts == {"subtotal": "11.90", "discount": "0.00", "payment_fee": "0.00",
                       "klarna minimum": "10.00"}  # fmt: skip


# --- CSRF ---------------------------------------------------------------------------------------


@pytest.fixture
def web_client(shop, settings):
    """A browser that enforces CSRF, opened the cart page and has a cart in its session."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.get("/en/cart/?country=DE")
    cart = shop.cart(shop.eu, "DE", (shop.cookbook, 1))
    session = client.session  # sets the session cookie
    session[settings.CART_SESSION_KEY] = str(cart.token)
    session.save()
    client.cart = cart
    return client


def test_a_session_write_without_the_csrf_token_is_refused(web_client):
    response = post(web_client, LINES, {"sku": "SHIRT-M"})

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert contents(web_client.cart) == [("BOOK", 1)]


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_session_changes_without_the_csrf_token_are_refused(web_client, method):
    line = web_client.cart.lines.get()

    if method == "patch":
        response = patch(web_client, f"{LINES}{line.pk}/", {"quantity": 5})
    else:
        response = web_client.delete(f"{LINES}{line.pk}/")

    assert response.status_code == 403
    assert contents(web_client.cart) == [("BOOK", 1)]


def test_a_session_write_with_the_csrf_token_passes(web_client):
    token = web_client.cookies["csrftoken"].value

    response = post(web_client, LINES, {"sku": "SHIRT-M"}, **{"X-CSRFToken": token})

    assert response.status_code == 201
    assert contents(web_client.cart) == [("BOOK", 1), ("SHIRT-M", 1)]


def test_a_first_write_without_any_cookie_starts_a_cart_without_a_csrf_token(shop):
    app = Client(enforce_csrf_checks=True)

    response = post(app, LINES + "?country=DE", {"sku": "SHIRT-M"})

    assert response.status_code == 201
    assert contents(Cart.objects.get(token=response.json()["token"])) == [("SHIRT-M", 1)]


def test_a_token_header_write_needs_no_csrf_token(shop):
    app = Client(enforce_csrf_checks=True)
    cart = shop.cart(shop.eu, "DE")

    response = post(app, LINES, {"sku": "SHIRT-M"}, **{"X-Cart-Token": str(cart.token)})

    assert response.status_code == 201
    assert contents(cart) == [("SHIRT-M", 1)]


def test_reading_needs_no_csrf_token(web_client):
    assert web_client.get(CART).status_code == 200


# --- OpenAPI ------------------------------------------------------------------------------------


def test_the_openapi_schema_describes_the_cart_endpoints(db, client):
    response = client.get("/api/v1/schema/?format=json")

    assert response.status_code == 200
    schema = json.loads(response.content)
    assert {"/api/v1/cart/", "/api/v1/cart/lines/", "/api/v1/cart/lines/{line_id}/",
            "/api/v1/cart/voucher/"} <= set(schema["paths"])  # fmt: skip
    lines = schema["paths"]["/api/v1/cart/lines/"]["post"]
    assert "201" in lines["responses"]
    assert any(p["name"] == "X-Cart-Token" for p in lines["parameters"])
    assert "CartPricing" in schema["components"]["schemas"]


def test_the_api_docs_page_renders(db, client):
    assert client.get("/api/v1/docs/").status_code == 200
