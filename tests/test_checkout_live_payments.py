"""A live shop (``DEBUG`` off) never sends a shopper to the sandbox page, which marks anything
paid: a method with no real provider is not offered, is refused at placement, is named by
``manage.py check`` and explained on the admin's market page. With a Stripe key, cards, Boleto
and Konbini (and Pix, if asked) go through Stripe, here a local server that answers like it."""

from __future__ import annotations

import io
import re

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import RequestFactory

from checkout.links import payment_return_url
from checkout.models import Order, Payment
from checkout.services import CheckoutError, start_payment
from tests.checkout_world import ADDRESSES, LANGUAGES, PHONES, CheckoutWorld
from tests.test_stripe_provider import SECRET_KEY, WEBHOOK_SECRET, FakeStripeAPI, recorded

pytestmark = pytest.mark.django_db

SESSIONS = "/v1/checkout/sessions"
# What shop/settings.py routes to with STRIPE_SECRET_KEY set (PIX_PROVIDER left "static").
LIVE_PROVIDERS = {
    "cod": "checkout.payments.offline.CashOnDelivery",
    "bank_transfer": "checkout.payments.offline.BankTransfer",
    "pix": "checkout.payments.offline.Pix",
    "boleto": "checkout.payments.stripe.Stripe",
    "konbini": "checkout.payments.stripe.Stripe",
    "*": "checkout.payments.stripe.Stripe",
}
# ... and without it.
SANDBOX_PROVIDERS = {**LIVE_PROVIDERS, "boleto": "checkout.payments.sandbox.Sandbox",
                     "konbini": "checkout.payments.sandbox.Sandbox",
                     "*": "checkout.payments.sandbox.Sandbox"}  # fmt: skip


@pytest.fixture
def world(cart_world):
    return CheckoutWorld()


@pytest.fixture
def live(settings):
    """A production configuration without any payment company: DEBUG off, no sandbox."""
    settings.DEBUG = False
    settings.PAYMENT_SANDBOX = False
    settings.STRIPE_SECRET_KEY = ""
    settings.PAYMENT_PROVIDERS = SANDBOX_PROVIDERS
    return settings


@pytest.fixture
def stripe_live(live):
    api = FakeStripeAPI()
    api.thread.start()
    live.STRIPE_SECRET_KEY = SECRET_KEY
    live.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    live.STRIPE_API_BASE = api.url
    live.PAYMENT_PROVIDERS = LIVE_PROVIDERS
    api.respond("POST", SESSIONS, recorded("checkout_session_open.json"))
    yield api
    api.server.shutdown()
    api.server.server_close()


def use_cart(client, cart) -> None:
    session = client.session
    session[django_settings.CART_SESSION_KEY] = str(cart.token)
    session.save()


def offered_on_page(client, country: str) -> list[str]:
    response = client.get(f"/{LANGUAGES[country]}/checkout/?country={country}")
    assert response.status_code == 200
    return re.findall(r'name="payment_method" value="([^"]+)"', response.content.decode())


def place_by_api(client, world, cart, method: str, country: str):
    shown = world.quote(cart, method)
    body = {
        "email": "live@example.com",
        "address": {**ADDRESSES[country], "phone": PHONES[country]},
        "shipping_method": shown.shipping.method_id,
        "payment_method": method,
        "expected_total": str(shown.total.amount),
    }
    return client.post(
        f"/api/v1/checkout/orders/?country={country}", body, content_type="application/json",
        headers={"X-Cart-Token": str(cart.token), "Idempotency-Key": f"live-{method}"},
    )  # fmt: skip


# --- without a provider ---------------------------------------------------------------------


def test_without_debug_the_page_offers_only_methods_a_provider_can_take(world, client, live):
    use_cart(client, world.checkout_cart("DE", (world.shirt_m, 1)))

    offered = offered_on_page(client, "DE")

    assert offered == ["cod", "bank_transfer"]  # card, PayPal, Klarna: sandbox only


@pytest.mark.parametrize(("country", "missing", "kept"),
                         [("BR", {"boleto", "card_instalments"}, {"pix"}),
                          ("JP", {"konbini", "card"}, set())])  # fmt: skip
def test_boleto_and_konbini_are_not_offered_without_a_provider(
    world, client, live, country, missing, kept
):
    use_cart(client, world.checkout_cart(country, (world.shirt_m, 2)))

    offered = set(offered_on_page(client, country))

    assert not offered & missing
    assert offered == kept


@pytest.mark.parametrize(("country", "method"), [("DE", "card"), ("BR", "boleto"),
                                                 ("JP", "konbini")])  # fmt: skip
def test_placing_with_a_method_without_provider_is_refused_and_places_nothing(
    world, client, live, country, method
):
    cart = world.checkout_cart(country, (world.shirt_m, 2))

    response = place_by_api(client, world, cart, method, country)

    assert response.status_code == 400
    assert "payment_method" in response.json()
    assert Order.objects.count() == 0 and Payment.objects.count() == 0


def test_an_order_placed_while_the_sandbox_was_allowed_cannot_reach_it_later(world, settings):
    order = world.place(world.checkout_cart("DE", (world.shirt_m, 1)), "card")
    settings.PAYMENT_SANDBOX = False
    settings.PAYMENT_PROVIDERS = SANDBOX_PROVIDERS

    with pytest.raises(CheckoutError):
        start_payment(order=order, return_url=payment_return_url(RequestFactory().get("/"),
                                                                 order))  # fmt: skip

    assert not Payment.objects.filter(order=order).exists()


def test_the_sandbox_page_does_not_exist_without_debug(world, client, settings):
    order = world.place(world.checkout_cart("DE", (world.shirt_m, 1)), "card")
    payment, start = start_payment(
        order=order, return_url=payment_return_url(RequestFactory().get("/"), order)
    )
    assert client.get(start.redirect_url).status_code == 200  # the test suite's sandbox
    settings.PAYMENT_SANDBOX = False

    page = client.get(start.redirect_url)
    token = start.redirect_url.split("t=", 1)[1]
    paid = client.post("/en/checkout/sandbox/", {"t": token, "outcome": "paid"})

    assert page.status_code == 404 and paid.status_code == 404
    payment.refresh_from_db()
    assert payment.status == "pending"
    with pytest.raises(CheckoutError):  # a second click cannot get a new sandbox link either
        start_payment(order=order, return_url=payment_return_url(RequestFactory().get("/"),
                                                                 order))  # fmt: skip


def test_the_system_check_names_each_method_without_a_provider(world, live):
    world.eu, world.br, world.jp  # noqa: B018  (their markets offer card, boleto, konbini)
    out = io.StringIO()

    # The suite's own settings (locmem mail, short key) fail other deploy checks: not ours.
    call_command("check", "--deploy", "--fail-level", "CRITICAL", stdout=out, stderr=out)

    text = out.getvalue()
    assert "checkout.W001" in text
    for name in ("Card (card)", "Boleto (boleto)", "Konbini (konbini)", "PayPal (paypal)"):
        assert name in text
    assert "Pix (pix)" not in text and "Cash on delivery (cod)" not in text
    assert f"markets: {world.br.name}" in text  # which market offers it


def test_the_system_check_is_quiet_when_every_method_has_a_provider(world, stripe_live):
    world.eu, world.br, world.jp  # noqa: B018
    out = io.StringIO()

    call_command("check", stdout=out, stderr=out)

    assert "checkout.W001" not in out.getvalue()


def test_the_market_admin_page_says_why_a_method_is_not_offered(world, client, live):
    admin = User.objects.create_superuser("boss", "boss@example.com", "pw")
    client.force_login(admin)

    page = client.get(f"/admin/shop/market/{world.br.pk}/change/").content.decode()

    assert "offered to shoppers" in page.lower()
    assert "STRIPE_SECRET_KEY" in page  # the reason, next to Boleto
    assert page.count("No:") == 2  # boleto, card_instalments; pix is offered
    assert "Yes" in page


# --- with Stripe ----------------------------------------------------------------------------


@pytest.mark.parametrize(("country", "method", "option", "value"), [
    ("BR", "boleto", "payment_method_options[boleto][expires_after_days]", "3"),
    ("JP", "konbini", "payment_method_options[konbini][expires_after_days]", "3"),
])  # fmt: skip
def test_with_a_stripe_key_boleto_and_konbini_go_through_stripe(
    world, client, stripe_live, country, method, option, value
):
    cart = world.checkout_cart(country, (world.shirt_m, 2))
    assert method in offered_on_page_for(client, cart, country)

    response = place_by_api(client, world, cart, method, country)

    assert response.status_code == 201, response.content
    payment = response.json()["payment"]
    assert payment["redirect_url"].startswith("https://checkout.stripe.com/")
    assert Payment.objects.get().provider == "stripe"
    [request] = stripe_api_requests(stripe_live)
    assert request.form["payment_method_types[0]"] == method
    assert request.form[option] == value  # the voucher dies with the payment window


def test_pix_can_go_through_stripe_with_a_qr_code_that_expires_with_the_window(
    world, client, stripe_live, settings
):
    settings.PAYMENT_PROVIDERS = {**LIVE_PROVIDERS, "pix": "checkout.payments.stripe.Stripe"}
    cart = world.checkout_cart("BR", (world.shirt_m, 1))

    response = place_by_api(client, world, cart, "pix", "BR")

    assert response.status_code == 201, response.content
    assert Payment.objects.get().provider == "stripe"
    [request] = stripe_api_requests(stripe_live)
    assert request.form["payment_method_types[0]"] == "pix"
    assert request.form["payment_method_options[pix][expires_after_seconds]"] == "1800"


def test_static_pix_stays_for_shops_without_a_psp(world, client, stripe_live):
    cart = world.checkout_cart("BR", (world.shirt_m, 1))

    response = place_by_api(client, world, cart, "pix", "BR")

    assert response.status_code == 201
    assert response.json()["payment"]["instructions"]["kind"] == "pix"
    assert stripe_api_requests(stripe_live) == []


def offered_on_page_for(client, cart, country: str) -> list[str]:
    use_cart(client, cart)
    return offered_on_page(client, country)


def stripe_api_requests(api) -> list:
    return [request for request in api.received if request.path == SESSIONS]


def test_the_cart_page_and_the_cart_api_list_no_method_that_cannot_take_money(
    world, live, client
):
    """What the cart shows under "We accept" is what the checkout offers: every surface reads
    the market's methods through the same filter (``SHOP_PAYMENT_METHOD_PROBLEM``)."""
    cart = world.checkout_cart("DE", (world.shirt_m, 1))

    page = client.get("/en/cart/?country=DE", headers={"X-Cart-Token": str(cart.token)})
    api = client.get("/api/v1/cart/?country=DE", headers={"X-Cart-Token": str(cart.token)})

    shown = {option.code for option in page.context["pricing"].payment_options}
    assert shown and "card" not in shown and "paypal" not in shown  # offline methods stay
    assert {option["code"] for option in api.json()["payment_options"]} == shown
