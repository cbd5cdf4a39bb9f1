"""Payments of placed orders: the offline providers (cash on delivery, bank transfer, Pix), the
sandbox's hosted test page and return, failures that give the shopper the cart back, the staff's
"mark as paid" and the webhook endpoint."""

import hashlib
import hmac
import json
import re
import time
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission, User
from django.test import RequestFactory

from cart.models import Cart, CartStatus, VoucherRedemption
from checkout.links import payment_return_url
from checkout.models import Order, OrderStatus, Payment, PaymentStatus
from checkout.payments import pix, sandbox
from checkout.services import CheckoutError, payment_failed, record_payment_status, start_payment
from shop.models import Variant
from tests import factories
from tests.checkout_world import CheckoutWorld

pytestmark = pytest.mark.django_db

STRIPE_EVENT = Path(__file__).parent / "data" / "stripe" / "event_checkout_session_completed.json"
STRIPE_SESSION_ID = "cs_test_a1B2c3D4e5F6g7H8i9J0"
FAILED_MESSAGE = ("The payment did not go through. Your cart is as you left it: try again or "
                  "choose another payment method.")  # fmt: skip
CANCELLED_MESSAGE = "The payment was cancelled. Your cart is as you left it."


@pytest.fixture
def world(cart_world):
    return CheckoutWorld()


def start(order):
    """Start the order's payment as the checkout page does, returning to this test server."""
    return start_payment(order=order, return_url=payment_return_url(RequestFactory().get("/"),
                                                                    order))  # fmt: skip


def use_cart(client, cart) -> None:
    session = client.session
    session[django_settings.CART_SESSION_KEY] = str(cart.token)
    session.save()


def stock(variant) -> int:
    return Variant.objects.get(pk=variant.pk).stock_quantity


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- offline providers ----------------------------------------------------------------------


def test_cash_on_delivery_confirms_the_order_and_says_what_to_have_ready(world):
    order = world.place(world.checkout_cart("SA", (world.shirt_m, 1)), "cod")

    payment, started = start(order)

    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert payment.provider == "cod" and payment.status == PaymentStatus.PENDING
    assert started.redirect_url == ""
    assert payment.instructions.keys() == {"kind", "amount", "currency"}
    assert payment.instructions["kind"] == "cod"
    assert Decimal(payment.instructions["amount"]) == order.total
    assert payment.instructions["currency"] == "SAR"
    assert payment.amount == order.total


def test_bank_transfer_gives_the_account_and_the_order_number_as_reference(world, settings):
    settings.BANK_TRANSFER_ACCOUNT = {"holder": "Demo Shop GmbH", "iban": "DE89370400440532013000",
                                      "bic": "COBADEFFXXX", "bank": "Demo Bank"}  # fmt: skip
    order = world.place(world.checkout_cart("DE", (world.shirt_m, 1)), "bank_transfer")

    payment, started = start(order)

    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT  # ships when the money arrives
    assert payment.status == PaymentStatus.PENDING
    assert started.redirect_url == ""
    instructions = dict(payment.instructions)
    assert Decimal(instructions.pop("amount")) == order.total
    assert instructions == {
        "kind": "bank_transfer", "holder": "Demo Shop GmbH", "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX", "bank": "Demo Bank", "reference": order.number, "currency": "EUR",
    }  # fmt: skip


def test_pix_gives_a_valid_br_code_for_the_order_total_with_the_order_number_as_txid(world):
    order = world.place(world.checkout_cart("BR", (world.shirt_m, 3)), "pix")

    payment, started = start(order)

    payload = payment.instructions["payload"]
    assert pix.verify_payload(payload)
    fields = pix.parse_payload(payload)
    assert fields["54"] == f"{order.total:.2f}"
    assert fields["53"] == "986"  # BRL
    assert fields["62"]["05"] == order.number.replace("-", "")
    assert fields["26"]["01"] == django_settings.PIX_ACCOUNT["key"]
    assert payment.reference == order.number.replace("-", "")
    assert payment.instructions["kind"] == "pix"
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT


def test_starting_a_pending_payment_again_reuses_it(world):
    order = world.place(world.checkout_cart("BR", (world.shirt_m, 1)), "pix")

    first, _ = start(order)
    second, _ = start(order)

    assert second.pk == first.pk
    assert order.payments.count() == 1


# --- the sandbox: hosted page, return, outcome ------------------------------------------------


def sandbox_order(world, client, *lines):
    """A DE order paid by card through the sandbox; the shopper's session holds the cart."""
    cart = world.checkout_cart("DE", *(lines or [(world.shirt_m, 2)]))
    use_cart(client, cart)
    order = world.place(cart, "card")
    payment, started = start(order)
    return cart, order, payment, started


def pay_on_sandbox(client, started, outcome: str):
    page = client.get(started.redirect_url)
    assert page.status_code == 200
    token = page.context["token"]
    return client.post(urlsplit(started.redirect_url).path, {"t": token, "outcome": outcome},
                       follow=True)  # fmt: skip


def test_sandbox_start_sends_the_shopper_to_the_test_payment_page(world, client):
    _, order, payment, started = sandbox_order(world, client)

    assert started.redirect_url.startswith("/en/checkout/sandbox/?t=")
    assert payment.provider == "sandbox" and payment.reference == f"sbx_{payment.pk}"
    page = client.get(started.redirect_url)
    assert page.status_code == 200
    assert order.number in page.content.decode()


def test_sandbox_paid_marks_the_payment_and_the_order_paid(world, client):
    cart, order, payment, started = sandbox_order(world, client)

    response = pay_on_sandbox(client, started, "paid")

    final_url, _ = response.redirect_chain[-1]
    assert urlsplit(final_url).path == f"/en/checkout/order/{order.number}/"
    assert response.status_code == 200
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert order.status == OrderStatus.PAID
    assert Cart.objects.get(pk=cart.pk).status == CartStatus.CONVERTED
    assert stock(world.shirt_m) == 8


@pytest.mark.parametrize(("outcome", "message"), [("failed", FAILED_MESSAGE),
                                                  ("cancelled", CANCELLED_MESSAGE)])  # fmt: skip
def test_sandbox_failure_cancels_the_order_and_gives_the_cart_back(world, client, outcome,
                                                                   message):  # fmt: skip
    cart, order, payment, started = sandbox_order(world, client, (world.shirt_m, 2),
                                                  (world.cookbook, 1))  # fmt: skip
    assert (stock(world.shirt_m), stock(world.cookbook)) == (8, 49)

    response = pay_on_sandbox(client, started, outcome)

    final_url, _ = response.redirect_chain[-1]
    assert urlsplit(final_url).path == "/en/checkout/"
    assert response.status_code == 200
    assert message in messages_of(response)
    assert response.context["cart"].pk == cart.pk  # back on the checkout with the same cart
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert payment.status == outcome
    assert payment.failure_reason == f"sandbox: {outcome}"
    assert (stock(world.shirt_m), stock(world.cookbook)) == (10, 50)
    cart.refresh_from_db()
    assert cart.status == CartStatus.ACTIVE
    assert sorted(cart.lines.values_list("variant__sku", "quantity")) == [
        ("BOOK", 1),
        ("SHIRT-M", 2),
    ]


def test_a_failed_payment_is_announced_once_for_the_failure_rate(
    world, client, django_capture_on_commit_callbacks
):
    _, order, payment, started = sandbox_order(world, client)
    announced = []

    def listener(sender, payment, **kwargs):
        announced.append((payment.pk, payment.status))

    payment_failed.connect(listener, dispatch_uid="test-failure-listener")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            record_payment_status(payment=payment, status=PaymentStatus.FAILED,
                                  failure_reason="card declined")  # fmt: skip
            record_payment_status(payment=payment, status=PaymentStatus.FAILED,
                                  failure_reason="card declined")  # fmt: skip
    finally:
        payment_failed.disconnect(dispatch_uid="test-failure-listener")
    assert announced == [(payment.pk, PaymentStatus.FAILED)]


@pytest.mark.parametrize("forged", [
    "paid",  # typed by hand
    "eyJwYXltZW50IjoxLCJzdGF0dXMiOiJwYWlkIn0:forged:signature",
    "OTHER",  # replaced with another payment's token below
])  # fmt: skip
def test_a_tampered_return_outcome_changes_nothing(world, client, forged):
    _, order, payment, started = sandbox_order(world, client)
    if forged == "OTHER":
        other = world.place(world.checkout_cart("DE", (world.shirt_l, 1)), "card",
                            email="other@example.com")  # fmt: skip
        other_payment, _ = start(other)
        forged = sandbox.outcome_token(other_payment.pk, "paid")
    return_url = payment_return_url(RequestFactory().get("/"), order)

    response = client.get(f"{return_url}&outcome={forged}")

    assert response.status_code == 302
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert stock(world.shirt_m) == 8


def test_a_return_link_signed_for_another_order_is_refused(world, client):
    _, order, payment, started = sandbox_order(world, client)
    other = world.place(world.checkout_cart("DE", (world.shirt_l, 1)), "card",
                        email="other@example.com")  # fmt: skip
    other_return = payment_return_url(RequestFactory().get("/"), other)
    token = other_return.split("?t=", 1)[1]

    response = client.get(f"/en/checkout/return/{order.number}/?t={token}"
                          f"&outcome={sandbox.outcome_token(payment.pk, 'paid')}")  # fmt: skip

    assert response.status_code == 404
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def checkout_form(page, **fields) -> dict:
    """The DE checkout form as the page renders it (hidden fields included), filled in."""
    html = page.content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="(expected_total|attempt)" '
                             r'value="([^"]*)"', html))  # fmt: skip
    pricing = page.context["pricing"]
    return {
        **hidden, "email": "anna@example.com", "first_name": "Anna", "last_name": "Schmidt",
        "street_address": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117",
        "country_code": "DE", "payment_method": "card",
        "shipping_method": str(pricing.shipping.method_id), "place_order": "1", **fields,
    }  # fmt: skip


def test_after_a_failed_payment_the_shopper_can_order_the_same_cart_again(world, client):
    """Back on the checkout after a declined card, the shopper presses Place order again (the
    same cart, the same total): a new order must take the stock and open a new payment; the
    cancelled order must stay cancelled, its stock given back once."""
    world.eu  # noqa: B018
    cart = world.checkout_cart("DE", (world.shirt_m, 2))
    use_cart(client, cart)
    first = client.post("/en/checkout/?country=DE",
                        checkout_form(client.get("/en/checkout/?country=DE")))  # fmt: skip
    assert first.status_code == 302 and "/checkout/sandbox/" in first["Location"]
    declined = pay_on_sandbox(client, SimpleNamespace(redirect_url=first["Location"]), "failed")
    assert urlsplit(declined.redirect_chain[-1][0]).path == "/en/checkout/"
    cancelled = Order.objects.get()
    assert cancelled.status == OrderStatus.CANCELLED and stock(world.shirt_m) == 10

    again = client.post("/en/checkout/?country=DE", checkout_form(declined))

    assert again.status_code == 302
    cancelled.refresh_from_db()
    assert cancelled.status == OrderStatus.CANCELLED
    live = Order.objects.exclude(status=OrderStatus.CANCELLED).get()
    assert live.pk != cancelled.pk
    assert stock(world.shirt_m) == 8
    assert live.payments.get().status == PaymentStatus.PENDING
    assert again["Location"].startswith("/en/checkout/sandbox/")


def test_a_cancelled_order_is_never_marked_paid_by_a_new_payment(world):
    """Its stock went back on the shelf and its cart was reopened: taking money for it now
    would sell goods that are no longer reserved (and the cart can be ordered again)."""
    order = world.place(world.checkout_cart("DE", (world.shirt_m, 2)), "card")
    payment, _ = start(order)
    record_payment_status(payment=payment, status=PaymentStatus.FAILED, failure_reason="declined")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED

    try:
        retry, _ = start(order)
    except CheckoutError:
        retry = None  # refusing to start a payment for a cancelled order is fine
    if retry is not None:
        record_payment_status(payment=retry, status=PaymentStatus.PAID)

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert stock(world.shirt_m) == 10


def test_a_failed_payment_gives_a_single_use_voucher_back(world):
    """The order was cancelled: its voucher was never really used, and the shopper who tries
    again (another card, another method) must still get the discount."""
    world.eu  # noqa: B018
    voucher = factories.VoucherFactory(code="FIRST10", once_per_customer=True, usage_limit=1)
    customer = world.customer("once@example.com")
    cart = world.checkout_cart("DE", (world.shirt_m, 2), voucher=voucher, customer=customer)
    order = world.place(cart, "card", customer=customer)
    payment, _ = start(order)

    record_payment_status(payment=payment, status=PaymentStatus.FAILED, failure_reason="declined")

    voucher.refresh_from_db()
    assert voucher.times_used == 0
    assert not VoucherRedemption.objects.filter(voucher=voucher).exists()
    again = world.quote(cart, "card")
    assert again.voucher_error == ""
    assert again.discount.amount == order.discount


# --- record_payment_status ------------------------------------------------------------------


def test_recording_the_same_failure_twice_gives_the_stock_back_once(world):
    order = world.place(world.checkout_cart("DE", (world.shirt_m, 3)), "card")
    payment, _ = start(order)

    record_payment_status(payment=payment, status=PaymentStatus.FAILED, failure_reason="declined")
    again = record_payment_status(payment=payment, status=PaymentStatus.FAILED,
                                  failure_reason="declined again")  # fmt: skip

    assert again.failure_reason == "declined"
    assert stock(world.shirt_m) == 10
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED


def test_a_paid_payment_is_final(world):
    order = world.place(world.checkout_cart("DE", (world.shirt_m, 3)), "card")
    payment, _ = start(order)

    record_payment_status(payment=payment, status=PaymentStatus.PAID, reference="sbx_ok")
    late = record_payment_status(payment=payment, status=PaymentStatus.CANCELLED,
                                 failure_reason="session expired")  # fmt: skip

    assert late.status == PaymentStatus.PAID and late.failure_reason == ""
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert stock(world.shirt_m) == 7


# --- staff: mark as paid --------------------------------------------------------------------


def staff(username: str, *permissions: str) -> User:
    user = User.objects.create_user(username, f"{username}@example.com", "pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(
        content_type__app_label="checkout", codename__in=permissions))  # fmt: skip
    return user


def mark_paid(client, *payments):
    return client.post("/admin/checkout/payment/", {
        "action": "mark_paid", "_selected_action": [str(p.pk) for p in payments], "index": "0",
    }, follow=True)  # fmt: skip


def test_mark_as_paid_needs_the_change_permission(world, client):
    order = world.place(world.checkout_cart("BR", (world.shirt_m, 1)), "pix")
    payment, _ = start(order)
    client.force_login(staff("viewer", "view_payment", "view_order"))

    listing = client.get("/admin/checkout/payment/")
    response = mark_paid(client, payment)

    assert listing.status_code == 200
    assert "mark_paid" not in listing.content.decode()
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING_PAYMENT


def test_mark_as_paid_marks_pending_payments_and_their_orders_paid(world, client):
    transfer = world.place(world.checkout_cart("DE", (world.shirt_m, 1)), "bank_transfer")
    pix_order = world.place(world.checkout_cart("BR", (world.shirt_l, 1)), "pix",
                            email="maria@example.com")  # fmt: skip
    transfer_payment, _ = start(transfer)
    pix_payment, _ = start(pix_order)
    client.force_login(staff("accountant", "view_payment", "change_payment"))

    response = mark_paid(client, transfer_payment, pix_payment)

    assert "2 payments marked as paid." in messages_of(response)
    for payment in (transfer_payment, pix_payment):
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.PAID
        assert payment.order.status == OrderStatus.PAID


# --- webhooks -------------------------------------------------------------------------------


def test_webhook_of_a_provider_without_webhooks_is_refused(client):
    response = client.post("/checkout/webhooks/sandbox/", b"{}", content_type="application/json")

    assert response.status_code == 400


def test_webhook_of_an_unknown_provider_is_refused(client):
    response = client.post("/checkout/webhooks/nobody/", b"{}", content_type="application/json")

    assert response.status_code == 400


@pytest.fixture
def stripe_settings(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_dummy_0000"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test"
    settings.PAYMENT_PROVIDERS = {**settings.PAYMENT_PROVIDERS,
                                  "*": "checkout.payments.stripe.Stripe"}  # fmt: skip
    return settings


def stripe_signature(body: bytes, secret: str = "whsec_test") -> str:
    timestamp = int(time.time())
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def stripe_payment(world) -> Payment:
    order = world.place(world.checkout_cart("DE", (world.shirt_m, 1)), "card")
    return Payment.objects.create(order=order, provider="stripe", method="card",
                                  amount=order.total, currency="EUR",
                                  reference=STRIPE_SESSION_ID)  # fmt: skip


@pytest.mark.parametrize("signature", ["t=1,v1=00", "", "STOLEN_SECRET"])
def test_webhook_with_an_invalid_signature_is_refused_and_changes_nothing(
    world, client, stripe_settings, signature
):
    payment = stripe_payment(world)
    body = STRIPE_EVENT.read_bytes()
    if signature == "STOLEN_SECRET":
        signature = stripe_signature(body, secret="whsec_someone_else")

    response = client.post("/checkout/webhooks/stripe/", body, content_type="application/json",
                           headers={"Stripe-Signature": signature})  # fmt: skip

    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_webhook_with_a_tampered_body_is_refused(world, client, stripe_settings):
    payment = stripe_payment(world)
    body = STRIPE_EVENT.read_bytes()
    signature = stripe_signature(body)
    event = json.loads(body)
    event["data"]["object"]["amount_total"] = 1
    tampered = json.dumps(event).encode()

    response = client.post("/checkout/webhooks/stripe/", tampered,
                           content_type="application/json",
                           headers={"Stripe-Signature": signature})  # fmt: skip

    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_a_signed_webhook_marks_the_payment_and_order_paid(world, client, stripe_settings):
    payment = stripe_payment(world)
    body = STRIPE_EVENT.read_bytes()

    response = client.post("/checkout/webhooks/stripe/", body, content_type="application/json",
                           headers={"Stripe-Signature": stripe_signature(body)})  # fmt: skip
    repeated = client.post("/checkout/webhooks/stripe/", body, content_type="application/json",
                           headers={"Stripe-Signature": stripe_signature(body)})  # fmt: skip

    assert (response.status_code, repeated.status_code) == (200, 200)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert payment.order.status == OrderStatus.PAID
    assert payment.order.total == Decimal(payment.amount)
