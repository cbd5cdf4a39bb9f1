"""The one-page checkout ``/<lang>/checkout/`` through Django's test client: in the shopper's
language and currency, an address form shaped by the country, a resubmit without JavaScript that
recalculates without scolding, placement that redirects to the payment or the confirmation, and
refusals that place nothing."""

import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext, pgettext
from moneyed import Money

from cart.models import Cart, CartStatus
from checkout.models import Order, OrderStatus
from shop.models import Customer, Variant
from shop.money import format_money
from tests import factories
from tests.checkout_world import ADDRESSES, LANGUAGES, PHONES, CheckoutWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cart_world):
    return CheckoutWorld()


def use_cart(client, cart) -> None:
    session = client.session
    session[django_settings.CART_SESSION_KEY] = str(cart.token)
    session.save()


def url(country: str) -> str:
    return f"/{LANGUAGES[country]}/checkout/?country={country}"


def html(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def hidden(response, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html(response))
    assert match, f"no hidden {name}"
    return match.group(1)


def form_data(page, country: str, payment_method: str, **fields) -> dict:
    """What a shopper submits from ``page``: its hidden fields, the country's address."""
    pricing = page.context["pricing"]
    return {
        "expected_total": hidden(page, "expected_total"),
        "attempt": hidden(page, "attempt"),
        "email": "shopper@example.com",
        **ADDRESSES[country],
        "phone": PHONES[country],
        "country_code": country,
        "shipping_method": str(pricing.shipping.method_id),
        "payment_method": payment_method,
        "place_order": "1",
        **fields,
    }


def translated(language: str, text: str, context: str = "") -> str:
    with translation.override(language):
        return pgettext(context, text) if context else gettext(text)


# --- the page in each market ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "direction"),
    [("BR", "ltr"), ("DE", "ltr"), ("SA", "rtl"), ("US", "ltr"), ("JP", "ltr")],
)
def test_checkout_page_renders_in_the_shoppers_language_and_currency(
    world, client, country, direction
):
    cart = world.checkout_cart(country, (world.shirt_m, 2))
    use_cart(client, cart)
    language = LANGUAGES[country]

    response = client.get(url(country))

    assert response.status_code == 200
    page = html(response)
    assert f'<html lang="{language}" dir="{direction}">' in page
    assert translated(language, "Checkout") in page
    pricing = response.context["pricing"]
    assert pricing.currency == world.market_of(country).currency
    assert format_money(pricing.total, language, country) in page
    assert hidden(response, "expected_total") == str(pricing.total.amount)
    for option in pricing.payment_options:
        assert f'name="payment_method" value="{option.code}"' in page
    for badge in pricing.trust_badges:
        assert badge.text in page


def test_us_checkout_says_tax_comes_from_the_address_or_adds_it(world, client):
    use_cart(client, world.checkout_cart("US", (world.shirt_m, 2)))

    response = client.get(url("US"))

    pricing = response.context["pricing"]
    assert not pricing.tax_included
    if pricing.tax_known:
        assert "Tax is added to the prices shown." in html(response)
    else:
        assert "Calculated from your address" in html(response)
        assert "Sales tax depends on your state and is added at checkout." in html(response)


def test_us_page_adds_the_states_sales_tax_once_the_state_is_chosen(world, client):
    use_cart(client, world.checkout_cart("US", (world.shirt_m, 2)))
    page = client.get(url("US"))
    data = form_data(page, "US", "card", country_area="NY")
    del data["place_order"]

    response = client.post(url("US"), data)

    pricing = response.context["pricing"]
    assert pricing.tax_known and not pricing.tax_included
    # New York taxes shipping too
    taxed = pricing.subtotal.amount + pricing.shipping_price.amount
    expected_tax = (taxed * Decimal("0.08875")).quantize(Decimal("0.01"))
    assert pricing.tax.amount == expected_tax
    assert pricing.total.amount == page.context["pricing"].total.amount + expected_tax
    # The state is known: "depends on your state" goes, "added to the prices" shows.
    assert '<span data-tax-note="known">Tax is added to the prices shown.</span>' in html(response)
    assert (
        '<span data-tax-note="unknown" hidden>Sales tax depends on your state and is added at '
        "checkout.</span>"
    ) in html(response)
    assert '<span data-tax-note="unknown">' in html(page)
    assert format_money(pricing.tax, "en", "US") in html(response)


def test_brazilian_address_has_a_state_select_and_a_cep(world, client):
    use_cart(client, world.checkout_cart("BR", (world.shirt_m, 1)))

    response = client.get(url("BR"))

    form = response.context["address_form"]
    assert form.country_code == "BR"
    page = html(response)
    state = re.search(r'<select name="country_area"[^>]*>(.*?)</select>', page, re.S)
    assert state, "no state select"
    assert '<option value="SP">' in state.group(1)
    assert '<option value="RJ">' in state.group(1)
    postcode = re.search(r'<input type="text" name="postal_code"[^>]*>', page).group(0)
    assert 'inputmode="numeric"' in postcode
    assert "pattern=" in postcode
    assert {"street_address", "city", "country_area", "postal_code"} <= {
        name for name, field in form.fields.items() if field.required
    }


def test_german_address_has_no_state_and_a_plz(world, client):
    use_cart(client, world.checkout_cart("DE", (world.shirt_m, 1)))

    response = client.get(url("DE"))

    form = response.context["address_form"]
    assert "country_area" not in form.fields
    assert 'name="country_area"' not in html(response)
    assert 'name="postal_code"' in html(response)
    assert form.fields["postal_code"].required


def test_an_empty_cart_is_sent_back_to_the_cart_page(world, client):
    response = client.get("/en/checkout/?country=DE")

    assert response.status_code == 302
    assert response["Location"] == "/en/cart/"

    use_cart(client, world.checkout_cart("DE"))  # a cart without lines
    assert client.get("/en/checkout/?country=DE")["Location"] == "/en/cart/"


# --- placing from the page ------------------------------------------------------------------


def test_placing_with_cash_on_delivery_lands_on_the_confirmation(world, client):
    cart = world.checkout_cart("SA", (world.shirt_m, 1))
    use_cart(client, cart)
    page = client.get(url("SA"))

    response = client.post(url("SA"), form_data(page, "SA", "cod"))

    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"].startswith(f"/ar/checkout/order/{order.number}/")
    assert order.status == OrderStatus.CONFIRMED
    shown = page.context["pricing"]
    assert shown.payment_method == "cod"  # the first method offered in Saudi Arabia
    assert order.total == shown.total.amount  # with the COD fee that was shown
    assert order.payment_fee == shown.payment_fee.amount == 10
    assert order.language == "ar" and order.currency == "SAR"
    assert order.phone == "+966501234567"
    confirmation = client.get(response["Location"])
    assert confirmation.status_code == 200
    assert order.number in html(confirmation)
    assert Cart.objects.get(pk=cart.pk).status == CartStatus.CONVERTED


@pytest.mark.parametrize(("country", "method"), [("DE", "bank_transfer"), ("SA", "cod")])
def test_the_confirmation_title_is_plain_text(world, client, country, method):
    """The tab shows the title's text as it is: a tag inside <title> is shown raw
    ("… · Demo Shop<script src=…>"), so the page's script sits in the body."""
    use_cart(client, world.checkout_cart(country, (world.shirt_m, 1)))
    page = client.get(url(country))
    placed = client.post(url(country), form_data(page, country, method))
    confirmation = html(client.get(placed["Location"]))

    titles = re.findall(r"<title>(.*?)</title>", confirmation, re.S)
    with translation.override(LANGUAGES[country]):
        expected = f"{gettext('Thank you for your order')} · {django_settings.SHOP_NAME}"
    assert titles == [expected]
    head, body = confirmation.split("</head>", 1)
    assert "checkout/checkout" in body and "checkout/checkout" not in head


def test_placing_with_the_sandbox_card_goes_to_the_sandbox_page(world, client):
    use_cart(client, world.checkout_cart("DE", (world.shirt_m, 2)))
    page = client.get(url("DE"))

    response = client.post(url("DE"), form_data(page, "DE", "card"))

    assert response.status_code == 302
    assert response["Location"].startswith("/de/checkout/sandbox/?t=")
    order = Order.objects.get()
    assert order.total == page.context["pricing"].total.amount
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert Variant.objects.get(pk=world.shirt_m.pk).stock_quantity == 8


def test_a_double_click_on_place_order_gives_one_order(world, client):
    use_cart(client, world.checkout_cart("DE", (world.shirt_m, 2)))
    page = client.get(url("DE"))
    data = form_data(page, "DE", "bank_transfer")

    client.post(url("DE"), data)
    client.post(url("DE"), data)  # double click / back button and resubmit

    assert Order.objects.count() == 1
    assert Variant.objects.get(pk=world.shirt_m.pk).stock_quantity == 8


@pytest.mark.parametrize("method", ["bank_transfer", "card"])
def test_the_second_click_on_place_order_leads_to_the_same_order(world, client, method):
    """On a double click the browser drops the first response and shows the second: that one
    must lead to the order's payment or confirmation, not to "Your cart is empty"."""
    use_cart(client, world.checkout_cart("DE", (world.shirt_m, 2)))
    page = client.get(url("DE"))
    data = form_data(page, "DE", method)

    first = client.post(url("DE"), data)
    second = client.post(url("DE"), data)

    assert first.status_code == second.status_code == 302
    assert urlsplit(second["Location"]).path == urlsplit(first["Location"]).path
    assert Order.objects.count() == 1


def test_invalid_data_shows_errors_on_their_fields_and_places_nothing(world, client):
    use_cart(client, world.checkout_cart("DE", (world.shirt_m, 1)))
    page = client.get(url("DE"))

    response = client.post(url("DE"), form_data(page, "DE", "card", email="not-an-email",
                                                city="", postal_code="ABC"))  # fmt: skip

    assert response.status_code == 200
    assert set(response.context["contact_form"].errors) == {"email"}
    assert set(response.context["address_form"].errors) == {"city", "postal_code"}
    for field in ("email", "city", "postal_code"):
        assert re.search(rf'class="field has-error[^"]*" data-field="{field}"', html(response))
    assert Order.objects.count() == 0
    assert Variant.objects.get(pk=world.shirt_m.pk).stock_quantity == 10


def test_a_stale_total_shows_the_new_total_and_places_nothing(world, client):
    use_cart(client, world.checkout_cart("DE", (world.shirt_m, 1)))
    page = client.get(url("DE"))
    world.shirt_m.price = Money("11.00", "EUR")  # changed while the shopper was typing
    world.shirt_m.save()

    response = client.post(url("DE"), form_data(page, "DE", "card"))

    assert response.status_code == 200
    new_total = response.context["pricing"].total
    assert new_total.amount != page.context["pricing"].total.amount
    message = "The total has changed to %(total)s. Please check your order and confirm again."
    text = translated("de", message) % {"total": format_money(new_total, "de", "DE")}
    assert text in messages_of(response)
    assert hidden(response, "expected_total") == str(new_total.amount)  # confirm the new one
    assert Order.objects.count() == 0


def test_a_resubmit_without_place_order_recalculates_and_shows_no_errors(world, client):
    use_cart(client, world.checkout_cart("DE", (world.shirt_m, 1)))
    page = client.get(url("DE"))
    data = form_data(page, "DE", "paypal", city="", postal_code="")  # half typed
    del data["place_order"]

    response = client.post(url("DE"), {**data, "recalculate": "1"})

    assert response.status_code == 200
    pricing = response.context["pricing"]
    assert pricing.payment_method == "paypal"
    assert pricing.payment_fee.amount == page.context["pricing"].payment_fee.amount + Decimal(
        "0.35"
    )
    assert pricing.total.amount > page.context["pricing"].total.amount
    assert format_money(pricing.total, "de", "DE") in html(response)
    assert hidden(response, "expected_total") == str(pricing.total.amount)
    assert not response.context["contact_form"].errors
    assert not response.context["address_form"].errors
    assert "has-error" not in html(response)
    assert 'value="shopper@example.com"' in html(response)  # what was typed is kept
    assert 'value="Unter den Linden 1"' in html(response)
    assert Order.objects.count() == 0


def test_changing_the_shipping_method_without_javascript_updates_the_totals(world, client):
    use_cart(client, world.checkout_cart("DE", (world.shirt_m, 1)))
    page = client.get(url("DE"))
    data = form_data(page, "DE", "card", shipping_method=str(world.de_express.pk))
    del data["place_order"]

    response = client.post(url("DE"), data)

    pricing = response.context["pricing"]
    assert pricing.shipping.method_id == world.de_express.pk
    assert pricing.total.amount == page.context["pricing"].total.amount + 8  # 12.90 - 4.90
    assert "has-error" not in html(response)


# --- the contact is saved early -------------------------------------------------------------


def test_the_contact_api_saves_a_guest_customer_on_the_cart(world, client):
    cart = world.checkout_cart("DE", (world.shirt_m, 1))
    use_cart(client, cart)
    client.get(url("DE"))  # the page sets the CSRF cookie the script sends back
    token = client.cookies["csrftoken"].value

    response = client.post("/api/v1/checkout/contact/?country=DE",
                           {"email": "Early.Bird@Example.COM", "marketing_consent": True},
                           content_type="application/json",
                           headers={"X-CSRFToken": token})  # fmt: skip

    assert response.status_code == 204
    cart.refresh_from_db()
    customer = cart.customer
    assert customer.email == "Early.Bird@Example.COM"
    assert customer.user_id is None  # a guest
    assert customer.marketing_consent is True
    assert Order.objects.count() == 0


def test_the_page_saves_the_contact_even_when_no_order_is_placed(world, client):
    cart = world.checkout_cart("DE", (world.shirt_m, 1))
    use_cart(client, cart)
    page = client.get(url("DE"))

    response = client.post(url("DE"), form_data(page, "DE", "card", expected_total="0.01",
                                                email="typed@example.com"))  # fmt: skip

    assert response.status_code == 200  # the total was stale: nothing placed
    assert Order.objects.count() == 0
    cart.refresh_from_db()
    assert cart.customer.email == "typed@example.com"
    assert cart.customer.user_id is None
    assert (cart.customer.first_name, cart.customer.last_name) == ("Anna", "Schmidt")
    assert Customer.objects.filter(email="typed@example.com").count() == 1


# --- query budget ---------------------------------------------------------------------------


def page_queries(world, client, size: int) -> int:
    cart = world.checkout_cart("DE")
    for number in range(size):
        variant = factories.VariantFactory(price=Money(10 + number, "EUR"), stock_quantity=50)
        factories.CartLineFactory(cart=cart, variant=variant, quantity=2)
    use_cart(client, cart)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("DE"))
    assert len(response.context["pricing"].lines) == size
    return len(queries)


def test_checkout_page_queries_do_not_grow_with_the_lines(world, client):
    world.eu  # noqa: B018
    page_queries(world, client, 1)  # warm up: session, content types

    assert page_queries(world, client, 1) == page_queries(world, client, 10)


# A warm checkout page: the cart and its lines with their stock. The session is read through
# the shared cache; market rules, rates and the catalog's names and prices come from the
# process's configuration cache. Plus the reports' "checkout started" event (one INSERT).
CHECKOUT_PAGE_QUERIES = 3


def test_a_warm_checkout_page_reads_the_cart_and_its_lines(world, client):
    world.eu  # noqa: B018
    variants = [factories.VariantFactory(price=Money(10 + n, "EUR"), stock_quantity=50)
                for n in range(100)]  # fmt: skip
    counts = {}
    for size in (100, 1, 10, 100):  # the first visit warms the process's caches
        cart = world.checkout_cart("DE")
        for variant in variants[:size]:
            factories.CartLineFactory(cart=cart, variant=variant, quantity=1)
        use_cart(client, cart)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url("DE"))
        assert len(response.context["pricing"].lines) == size
        counts[size] = len(queries)

    assert counts[1] == counts[10] == counts[100] == CHECKOUT_PAGE_QUERIES, counts


# --- escaping -------------------------------------------------------------------------------


def test_names_typed_with_markup_are_escaped_on_the_confirmation_page(world, client):
    use_cart(client, world.checkout_cart("DE", (world.shirt_m, 1)))
    page = client.get(url("DE"))
    script = "<script>alert(1)</script>"

    response = client.post(url("DE"), form_data(page, "DE", "bank_transfer", first_name=script,
                                                last_name=f"Smith{script}",
                                                street_address=f"Main 1 {script}"))  # fmt: skip
    assert response.status_code == 302  # names are free text: accepted, and escaped on output
    location = response["Location"]
    confirmation = client.get(location)

    assert confirmation.status_code == 200
    assert script not in html(confirmation)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html(confirmation)


# --- phone for cash on delivery, account after the order ------------------------------------


def test_cash_on_delivery_needs_a_phone_number(world, client):
    use_cart(client, world.checkout_cart("SA", (world.shirt_m, 1)))
    page = client.get(url("SA"))

    response = client.post(url("SA"), form_data(page, "SA", "cod", phone=""))

    assert response.status_code == 200
    assert "phone" in response.context["address_form"].errors
    assert response.context["address_form"].fields["phone"].required
    assert Order.objects.count() == 0


def test_a_guest_may_create_an_account_after_the_order_and_only_then(world, client):
    use_cart(client, world.checkout_cart("DE", (world.shirt_m, 1)))
    page = client.get(url("DE"))
    placed = client.post(url("DE"), form_data(page, "DE", "bank_transfer",
                                              email="keep.me@example.com"))  # fmt: skip
    order = Order.objects.get()
    assert order.customer.user_id is None  # guest checkout: no account was needed
    confirmation = client.get(placed["Location"])
    assert f"/de/checkout/order/{order.number}/account/" in html(confirmation)

    stranger = Client().post(f"/de/checkout/order/{order.number}/account/",
                                     {"password": "a-long-Passphrase-42"})  # fmt: skip
    response = client.post(f"/de/checkout/order/{order.number}/account/",
                           {"password": "a-long-Passphrase-42"})  # fmt: skip

    assert stranger.status_code == 404
    assert response.status_code == 302
    user = get_user_model().objects.get(email="keep.me@example.com")
    assert user.check_password("a-long-Passphrase-42")
    order.customer.refresh_from_db()
    assert order.customer.user_id is None  # until the mailed link is followed (test_accounts)


# --- the page's idempotency key -------------------------------------------------------------


def test_placing_from_the_page_stores_an_idempotency_key_that_fits_its_column(world, client):
    """SQLite ignores the length of a varchar; PostgreSQL refuses the insert (a 500 on every
    order placed from the page), so check the key against the column here."""
    use_cart(client, world.checkout_cart("DE", (world.shirt_m, 1)))
    page = client.get(url("DE"))

    response = client.post(url("DE"), form_data(page, "DE", "bank_transfer"))

    assert response.status_code == 302
    key = Order.objects.get().idempotency_key
    assert key is None or len(key) <= Order._meta.get_field("idempotency_key").max_length


def test_a_forged_overlong_attempt_field_is_not_a_server_error(world, client):
    use_cart(client, world.checkout_cart("DE", (world.shirt_m, 1)))
    page = client.get(url("DE"))
    client.raise_request_exception = False

    response = client.post(url("DE"), form_data(page, "DE", "bank_transfer", attempt="x" * 500))

    assert response.status_code in (200, 302)
    key = Order.objects.get().idempotency_key if response.status_code == 302 else None
    assert key is None or len(key) <= Order._meta.get_field("idempotency_key").max_length


# --- the confirmation page says what to do next ---------------------------------------------


def test_pix_confirmation_shows_the_qr_code_and_the_copia_e_cola(world, client):
    use_cart(client, world.checkout_cart("BR", (world.shirt_m, 1)))
    page = client.get(url("BR"))

    placed = client.post(url("BR"), form_data(page, "BR", "pix", attempt="pix-1"))
    confirmation = client.get(placed["Location"])

    order = Order.objects.get()
    payload = order.payments.get().instructions["payload"]
    assert confirmation.status_code == 200
    assert "<svg" in html(confirmation)
    assert payload in html(confirmation)
    assert format_money(Money(order.total, "BRL"), "pt-br", "BR") in html(confirmation)
    assert translated("pt-br", "Thank you for your order") in html(confirmation)


def test_bank_transfer_confirmation_shows_the_account_and_the_reference(world, client, settings):
    settings.BANK_TRANSFER_ACCOUNT = {"holder": "Demo Shop GmbH", "iban": "DE89370400440532013000",
                                      "bic": "COBADEFFXXX", "bank": "Demo Bank"}  # fmt: skip
    use_cart(client, world.checkout_cart("DE", (world.shirt_m, 1)))
    page = client.get(url("DE"))

    placed = client.post(url("DE"), form_data(page, "DE", "bank_transfer", attempt="bt-1"))
    confirmation = html(client.get(placed["Location"]))

    order = Order.objects.get()
    assert "DE89370400440532013000" in confirmation
    assert "COBADEFFXXX" in confirmation
    assert f"<dd>{order.number}</dd>" in confirmation
    assert format_money(Money(order.total, "EUR"), "de", "DE") in confirmation
