"""The Stripe adapter, offline: the real ``stripe`` library talks to a local HTTP server that
answers like Stripe's API with recorded responses (``tests/data/stripe/``), and webhooks are
signed here the way Stripe signs them. Nothing leaves 127.0.0.1."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe
from django.core.exceptions import ImproperlyConfigured

from checkout.models import Order, OrderStatus, Payment, PaymentStatus
from checkout.payments.base import InvalidWebhook
from checkout.payments.stripe import SESSION_LIFETIME, Stripe
from tests.factories import CartFactory, CustomerFactory, MarketFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data" / "stripe"
SECRET_KEY = "sk_test_dummy_0000"
WEBHOOK_SECRET = "whsec_test"
RETURN_URL = "https://shop.example/de/checkout/return/K7P-4QW-93M/?t=signed-token"
SESSIONS = "/v1/checkout/sessions"


def recorded(name: str) -> dict:
    return json.loads((DATA / name).read_text())


# --- A local server that answers like api.stripe.com ------------------------------------------


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    form: dict[str, str]  # the form-encoded body, keys as Stripe nests them: metadata[order_number]


class FakeStripeAPI:
    """Answers each (method, path) with the JSON it was told to, records every request."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.routes: dict[tuple[str, str], tuple[int, dict]] = {}
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                api.serve(self, "GET")

            def do_POST(self) -> None:
                api.serve(self, "POST")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def respond(self, method: str, path: str, body: dict, status: int = 200) -> None:
        self.routes[(method, path)] = (status, body)

    def serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        self.received.append(
            Received(
                method=method,
                path=url.path,
                query=dict(parse_qsl(url.query, keep_blank_values=True)),
                headers={k.lower(): v for k, v in handler.headers.items()},
                form=dict(parse_qsl(body, keep_blank_values=True)),
            )
        )
        status, answer = self.routes.get(
            (method, url.path),
            (404, {"error": {"type": "invalid_request_error", "message": "No such route"}}),
        )
        payload = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.send_header("Request-Id", f"req_test_{len(self.received)}")
        if status >= 400:
            handler.send_header("Stripe-Should-Retry", "false")  # fail fast in tests
        handler.end_headers()
        handler.wfile.write(payload)


@pytest.fixture
def stripe_api(settings):
    api = FakeStripeAPI()
    api.thread.start()
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = api.url
    yield api
    api.server.shutdown()
    api.server.server_close()


# --- Orders and payments ----------------------------------------------------------------------


def make_payment(
    *, amount: str = "12.34", currency: str = "EUR", method: str = "card", language: str = "de",
    reference: str = "",
) -> Payment:  # fmt: skip
    """A payment of a minimal order: just what the Order model requires."""
    market = MarketFactory(currency=currency)
    customer = CustomerFactory()
    cart = CartFactory(market=market, customer=customer, currency=currency)
    total = Decimal(amount)
    zero = Decimal("0")
    order = Order.objects.create(
        cart=cart, customer=customer, market=market, email=customer.email, language=language,
        country="DE", currency=currency, shipping_address={"name": "Alex Shopper"},
        shipping_method_name="Standard", delivery_from=date(2026, 1, 5),
        delivery_to=date(2026, 1, 7), payment_method=method, prices_include_tax=True,
        subtotal=total, discount=zero, shipping_price=zero, tax=zero, duties=zero,
        duty_mode="none", duties_prepaid=False, payment_fee=zero, total=total,
    )  # fmt: skip
    return Payment.objects.create(
        order=order, provider="stripe", method=method, amount=total, currency=currency,
        reference=reference,
    )  # fmt: skip


def session(status: str = "open", payment_status: str = "unpaid", intent=None, **extra) -> dict:
    """The recorded session with another status and (expanded) PaymentIntent."""
    body = recorded("checkout_session_open.json")
    body.update(status=status, payment_status=payment_status, payment_intent=intent, **extra)
    return body


def intent(status: str, **extra) -> dict:
    body = recorded("payment_intent_succeeded.json")
    body.update(status=status, **extra)
    return body


DECLINE = {
    "type": "card_error",
    "code": "card_declined",
    "decline_code": "insufficient_funds",
    "message": "Your card has insufficient funds.",
}


# --- start ------------------------------------------------------------------------------------


def test_start_creates_checkout_session_and_redirects_to_it(stripe_api):
    payment = make_payment(amount="12.34", currency="EUR", language="de")
    stripe_api.respond("POST", SESSIONS, recorded("checkout_session_open.json"))

    start = Stripe().start(payment, return_url=RETURN_URL)

    assert start.status == PaymentStatus.PENDING
    assert start.reference == "cs_test_a1B2c3D4e5F6g7H8i9J0"
    assert start.redirect_url.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    [request] = stripe_api.received
    assert (request.method, request.path) == ("POST", "/v1/checkout/sessions")
    assert request.headers["authorization"] == f"Bearer {SECRET_KEY}"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.headers["idempotency-key"] == (
        f"shop-payment-{payment.pk}-{payment.order.number}-checkout"
    )
    form = request.form
    assert form["mode"] == "payment"
    assert form["line_items[0][quantity]"] == "1"
    assert form["line_items[0][price_data][unit_amount]"] == "1234"
    assert form["line_items[0][price_data][currency]"] == "eur"
    assert payment.order.number in form["line_items[0][price_data][product_data][name]"]
    assert form["metadata[order_number]"] == payment.order.number
    assert form["metadata[payment_id]"] == str(payment.pk)
    assert form["payment_intent_data[metadata][order_number]"] == payment.order.number
    assert form["payment_intent_data[metadata][payment_id]"] == str(payment.pk)
    assert form["client_reference_id"] == payment.order.number
    assert form["customer_email"] == payment.order.email
    assert form["payment_method_types[0]"] == "card"
    assert form["locale"] == "de"
    assert form["success_url"] == RETURN_URL + "&stripe=success"
    assert form["cancel_url"] == RETURN_URL + "&stripe=cancel"
    assert int(form["expires_at"]) == int((payment.created_at + SESSION_LIFETIME).timestamp())


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("12.34", "EUR", "1234"),
        ("1235", "JPY", "1235"),  # no minor unit
        ("1234.56", "BRL", "123456"),
        ("1.230", "BHD", "1230"),  # three decimals
        ("5000", "ISK", "500000"),  # Stripe keeps ISK two-decimal
    ],
)
def test_start_sends_amount_in_minor_units_and_currency_lower_case(
    stripe_api, amount, currency, minor
):
    payment = make_payment(amount=amount, currency=currency)
    stripe_api.respond("POST", SESSIONS, recorded("checkout_session_open.json"))

    Stripe().start(payment, return_url=RETURN_URL)

    form = stripe_api.received[0].form
    assert form["line_items[0][price_data][unit_amount]"] == minor
    assert form["line_items[0][price_data][currency]"] == currency.lower()


def test_amount_finer_than_the_minor_unit_is_refused_not_rounded(stripe_api):
    payment = make_payment(amount="1235.5", currency="JPY")

    with pytest.raises(ValueError, match="minor unit"):
        Stripe().start(payment, return_url=RETURN_URL)
    assert stripe_api.received == []


def test_retried_start_reuses_the_idempotency_key_and_parameters(stripe_api):
    payment = make_payment()
    other = make_payment()
    stripe_api.respond("POST", SESSIONS, recorded("checkout_session_open.json"))

    Stripe().start(payment, return_url=RETURN_URL)
    Stripe().start(payment, return_url=RETURN_URL)
    Stripe().start(other, return_url=RETURN_URL)

    first, retry, another = stripe_api.received
    assert retry.headers["idempotency-key"] == first.headers["idempotency-key"]
    assert retry.form == first.form  # Stripe replays only identical parameters
    assert another.headers["idempotency-key"] != first.headers["idempotency-key"]


@pytest.mark.parametrize(
    ("method", "stripe_type"),
    [("paypal", "paypal"), ("klarna", "klarna"), ("ideal", "ideal"), ("blik", "blik"),
     ("p24", "p24"), ("apple_pay", "card"), ("sepa_debit", "sepa_debit")],
)  # fmt: skip
def test_start_offers_only_the_method_the_shopper_chose(stripe_api, method, stripe_type):
    payment = make_payment(method=method)
    stripe_api.respond("POST", SESSIONS, recorded("checkout_session_open.json"))

    Stripe().start(payment, return_url=RETURN_URL)

    form = stripe_api.received[0].form
    assert form["payment_method_types[0]"] == stripe_type
    assert "payment_method_types[1]" not in form


def test_wechat_pay_is_asked_for_the_web_client(stripe_api):
    payment = make_payment(method="wechat_pay", currency="CNY")
    stripe_api.respond("POST", SESSIONS, recorded("checkout_session_open.json"))

    Stripe().start(payment, return_url=RETURN_URL)

    form = stripe_api.received[0].form
    assert form["payment_method_types[0]"] == "wechat_pay"
    assert form["payment_method_options[wechat_pay][client]"] == "web"


def test_method_stripe_does_not_know_leaves_the_choice_to_the_dashboard(stripe_api):
    payment = make_payment(method="bank_transfer")
    stripe_api.respond("POST", SESSIONS, recorded("checkout_session_open.json"))

    Stripe().start(payment, return_url=RETURN_URL)

    assert not any(key.startswith("payment_method_types") for key in stripe_api.received[0].form)


@pytest.mark.parametrize(
    ("language", "locale"), [("pt-br", "pt-BR"), ("zh-hans", "zh"), ("ja", "ja"), ("ar", "auto")]
)
def test_stripe_page_speaks_the_order_language(stripe_api, language, locale):
    payment = make_payment(language=language)
    stripe_api.respond("POST", SESSIONS, recorded("checkout_session_open.json"))

    Stripe().start(payment, return_url="https://shop.example/return/")

    form = stripe_api.received[0].form
    assert form["locale"] == locale
    assert form["success_url"] == "https://shop.example/return/?stripe=success"


def test_start_refused_by_stripe_raises_and_creates_nothing_else(stripe_api):
    payment = make_payment()
    error = {"error": {"type": "invalid_request_error", "message": "Invalid currency: xxx"}}
    stripe_api.respond("POST", SESSIONS, error, status=400)

    with pytest.raises(stripe.InvalidRequestError, match="Invalid currency"):
        Stripe().start(payment, return_url=RETURN_URL)
    assert len(stripe_api.received) == 1


def test_missing_secret_key_is_a_clear_configuration_error(settings):
    settings.STRIPE_SECRET_KEY = ""
    payment = make_payment()

    with pytest.raises(ImproperlyConfigured, match="STRIPE_SECRET_KEY"):
        Stripe().start(payment, return_url=RETURN_URL)


# --- return -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "status", "reason"),
    [
        (session("complete", "paid", intent("succeeded")), PaymentStatus.PAID, ""),
        (session("complete", "unpaid", intent("requires_capture")), PaymentStatus.AUTHORIZED, ""),
        (session("complete", "unpaid", intent("processing")), PaymentStatus.PENDING, ""),
        (
            session("expired", "unpaid", intent("canceled", cancellation_reason="abandoned")),
            PaymentStatus.CANCELLED,
            "abandoned",
        ),
        (  # a delayed method failed after the page was completed
            session("complete", "unpaid",
                    intent("requires_payment_method", last_payment_error=DECLINE)),
            PaymentStatus.FAILED,
            "Your card has insufficient funds. (insufficient_funds)",
        ),
        (  # declined, but the Stripe page is still open: the shopper may try another card
            session("open", "unpaid",
                    intent("requires_payment_method", last_payment_error=DECLINE)),
            PaymentStatus.PENDING,
            "insufficient funds",
        ),
        (session("open", "unpaid", None), PaymentStatus.PENDING, ""),
        (session("expired", "unpaid", None), PaymentStatus.CANCELLED, "expired"),
    ],
    ids=["succeeded", "requires_capture", "processing", "canceled", "failed",
         "declined_still_open", "open", "expired"],
)  # fmt: skip
def test_return_maps_the_session_stripe_reports(stripe_api, answer, status, reason):
    payment = make_payment(reference="cs_test_a1B2c3D4e5F6g7H8i9J0")
    stripe_api.respond("GET", f"{SESSIONS}/cs_test_a1B2c3D4e5F6g7H8i9J0", answer)

    update = Stripe().handle_return(payment, {"t": "signed-token", "stripe": "success"})

    assert update.status == status
    assert update.reference == "cs_test_a1B2c3D4e5F6g7H8i9J0"
    assert reason in update.failure_reason
    if not reason:
        assert update.failure_reason == ""
    [request] = stripe_api.received
    assert request.method == "GET"
    assert request.query == {"expand[0]": "payment_intent"}
    assert request.headers["authorization"] == f"Bearer {SECRET_KEY}"


def test_return_never_trusts_the_query_string(stripe_api):
    payment = make_payment(reference="cs_test_a1B2c3D4e5F6g7H8i9J0")
    stripe_api.respond("GET", f"{SESSIONS}/cs_test_a1B2c3D4e5F6g7H8i9J0", session("open"))
    forged = {"stripe": "success", "session_id": "cs_test_paid_by_someone_else", "status": "paid"}

    update = Stripe().handle_return(payment, forged)

    assert update.status == PaymentStatus.PENDING
    assert [r.path for r in stripe_api.received] == [f"{SESSIONS}/cs_test_a1B2c3D4e5F6g7H8i9J0"]


def test_cancel_link_expires_the_session_so_it_cannot_be_paid_later(stripe_api):
    payment = make_payment(reference="cs_test_a1B2c3D4e5F6g7H8i9J0")
    expired = session("expired", "unpaid", None)
    stripe_api.respond("POST", f"{SESSIONS}/cs_test_a1B2c3D4e5F6g7H8i9J0/expire", expired)

    update = Stripe().handle_return(payment, {"t": "signed-token", "stripe": "cancel"})

    assert update.status == PaymentStatus.CANCELLED
    [request] = stripe_api.received
    assert request.method == "POST"
    assert request.path == f"{SESSIONS}/cs_test_a1B2c3D4e5F6g7H8i9J0/expire"
    assert request.form == {"expand[0]": "payment_intent"}


def test_cancel_link_after_the_payment_completed_reports_it_paid(stripe_api):
    payment = make_payment(reference="cs_test_a1B2c3D4e5F6g7H8i9J0")
    path = f"{SESSIONS}/cs_test_a1B2c3D4e5F6g7H8i9J0"
    stripe_api.respond("POST", path + "/expire", recorded("error_session_not_expirable.json"), 400)
    stripe_api.respond("GET", path, session("complete", "paid", intent("succeeded")))

    update = Stripe().handle_return(payment, {"stripe": "cancel"})

    assert update.status == PaymentStatus.PAID
    assert [(r.method, r.path) for r in stripe_api.received] == [("POST", path + "/expire"),
                                                                  ("GET", path)]  # fmt: skip


def test_return_while_stripe_is_down_leaves_the_payment_for_the_webhook(stripe_api):
    payment = make_payment(reference="cs_test_a1B2c3D4e5F6g7H8i9J0")
    error = {"error": {"type": "api_error", "message": "Something went wrong on Stripe's end."}}
    stripe_api.respond("GET", f"{SESSIONS}/cs_test_a1B2c3D4e5F6g7H8i9J0", error, status=500)

    update = Stripe().handle_return(payment, {"stripe": "success"})

    assert (update.status, update.reference) == (PaymentStatus.PENDING, payment.reference)


# --- webhooks ---------------------------------------------------------------------------------


def sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe would send: HMAC-SHA256 of ``<t>.<payload>``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event(kind: str, obj: dict) -> bytes:
    body = copy.deepcopy(recorded("event_checkout_session_completed.json"))
    body["type"] = kind
    body["data"]["object"] = obj
    return json.dumps(body).encode()


def test_signed_checkout_completed_webhook_is_accepted(stripe_api):
    body = (DATA / "event_checkout_session_completed.json").read_bytes()

    update = Stripe().handle_webhook(body, {"Stripe-Signature": sign(body)})

    assert update.reference == "cs_test_a1B2c3D4e5F6g7H8i9J0"
    assert update.status == PaymentStatus.PAID
    assert stripe_api.received == []  # verified offline, no call to Stripe


@pytest.mark.parametrize(
    ("kind", "payment_status", "status"),
    [
        ("checkout.session.completed", "unpaid", PaymentStatus.PENDING),  # delayed method
        ("checkout.session.async_payment_succeeded", "paid", PaymentStatus.PAID),
        ("checkout.session.async_payment_failed", "unpaid", PaymentStatus.FAILED),
        ("checkout.session.expired", "unpaid", PaymentStatus.CANCELLED),
    ],
)
def test_checkout_session_events_are_mapped(stripe_api, kind, payment_status, status):
    state = "expired" if kind.endswith("expired") else "complete"
    body = event(kind, session(state, payment_status, "pi_3QxYzAbCdEfGhIjK0aBcDeFg"))

    update = Stripe().handle_webhook(body, {"Stripe-Signature": sign(body)})

    assert (update.reference, update.status) == ("cs_test_a1B2c3D4e5F6g7H8i9J0", status)
    if status in {PaymentStatus.FAILED, PaymentStatus.CANCELLED}:
        assert update.failure_reason


@pytest.mark.parametrize(
    ("kind", "answer", "status", "reason"),
    [
        ("payment_intent.succeeded", intent("succeeded"), PaymentStatus.PAID, ""),
        (  # not final under Checkout: the shopper can try again on the page
            "payment_intent.payment_failed",
            intent("requires_payment_method", last_payment_error=DECLINE),
            PaymentStatus.PENDING,
            "Your card has insufficient funds. (insufficient_funds)",
        ),
        ("payment_intent.canceled", intent("canceled", cancellation_reason="abandoned"),
         PaymentStatus.CANCELLED, "abandoned"),
    ],
)  # fmt: skip
def test_payment_intent_events_find_the_payment_by_metadata(
    stripe_api, kind, answer, status, reason
):
    payment = make_payment(reference="cs_test_a1B2c3D4e5F6g7H8i9J0")
    answer["metadata"] = {"order_number": payment.order.number, "payment_id": str(payment.pk)}
    body = event(kind, answer)

    update = Stripe().handle_webhook(body, {"stripe-signature": sign(body)})  # any header case

    assert update.reference == payment.reference  # the session id the payment is stored under
    assert update.status == status
    assert reason in update.failure_reason


def test_payment_intent_of_another_integration_is_ignored(stripe_api):
    payment = make_payment(reference="cs_test_a1B2c3D4e5F6g7H8i9J0")
    foreign = intent("succeeded", metadata={})
    wrong_order = intent(
        "succeeded", metadata={"order_number": "XXX-XXX-XXX", "payment_id": str(payment.pk)}
    )

    for obj in (foreign, wrong_order):
        body = event("payment_intent.succeeded", obj)
        assert Stripe().handle_webhook(body, {"Stripe-Signature": sign(body)}) is None


@pytest.mark.parametrize("kind", ["customer.created", "charge.refunded", "payment_intent.created"])
def test_event_the_shop_has_no_use_for_is_ignored_not_refused(stripe_api, kind):
    body = event(kind, {"id": "obj_123", "object": "whatever"})

    assert Stripe().handle_webhook(body, {"Stripe-Signature": sign(body)}) is None


def test_tampered_webhook_body_is_refused(stripe_api):
    body = event("checkout.session.expired", session("expired"))
    header = sign(body)
    tampered = body.replace(b"checkout.session.expired", b"checkout.session.completed")

    with pytest.raises(InvalidWebhook):
        Stripe().handle_webhook(tampered, {"Stripe-Signature": header})


def test_webhook_signed_with_another_secret_is_refused(stripe_api):
    body = (DATA / "event_checkout_session_completed.json").read_bytes()

    with pytest.raises(InvalidWebhook):
        Stripe().handle_webhook(body, {"Stripe-Signature": sign(body, secret="whsec_other")})


@pytest.mark.parametrize("headers", [{}, {"Stripe-Signature": ""}, {"Stripe-Signature": "junk"}])
def test_webhook_without_a_usable_signature_is_refused(stripe_api, headers):
    body = (DATA / "event_checkout_session_completed.json").read_bytes()

    with pytest.raises(InvalidWebhook):
        Stripe().handle_webhook(body, headers)


def test_replayed_webhook_older_than_the_tolerance_is_refused(stripe_api):
    body = (DATA / "event_checkout_session_completed.json").read_bytes()
    ten_minutes_ago = int(time.time()) - 600  # the library's default tolerance is 300 s

    with pytest.raises(InvalidWebhook, match="tolerance"):
        Stripe().handle_webhook(body, {"Stripe-Signature": sign(body, timestamp=ten_minutes_ago)})


@pytest.mark.parametrize(
    "body", [b"not json", b"\xff\xfe not utf-8", b'{"type": "checkout.session.completed"}']
)
def test_correctly_signed_but_malformed_body_is_refused(stripe_api, body):
    with pytest.raises(InvalidWebhook):
        Stripe().handle_webhook(body, {"Stripe-Signature": sign(body)})


def test_missing_webhook_secret_is_a_configuration_error_not_a_refusal(stripe_api, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    body = (DATA / "event_checkout_session_completed.json").read_bytes()

    with pytest.raises(ImproperlyConfigured, match="STRIPE_WEBHOOK_SECRET"):
        Stripe().handle_webhook(body, {"Stripe-Signature": sign(body)})


# --- through the shop's webhook endpoint ------------------------------------------------------


@pytest.fixture
def stripe_routed(settings, stripe_api):
    settings.PAYMENT_PROVIDERS = {**settings.PAYMENT_PROVIDERS,
                                  "*": "checkout.payments.stripe.Stripe"}  # fmt: skip
    return stripe_api


def test_signed_webhook_marks_the_order_paid_through_the_endpoint(client, stripe_routed):
    payment = make_payment(reference="cs_test_a1B2c3D4e5F6g7H8i9J0")
    body = (DATA / "event_checkout_session_completed.json").read_bytes()

    response = client.post(
        "/checkout/webhooks/stripe/", body, content_type="application/json",
        headers={"Stripe-Signature": sign(body)},
    )  # fmt: skip

    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.PAID


def test_tampered_webhook_is_answered_400_and_changes_nothing(client, stripe_routed):
    payment = make_payment(reference="cs_test_a1B2c3D4e5F6g7H8i9J0")
    body = (DATA / "event_checkout_session_completed.json").read_bytes()
    header = sign(body.replace(b'"paid"', b'"unpaid"'))

    response = client.post(
        "/checkout/webhooks/stripe/", body, content_type="application/json",
        headers={"Stripe-Signature": header},
    )  # fmt: skip

    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_session_lifetime_is_within_what_stripe_accepts():
    assert timedelta(minutes=30) <= SESSION_LIFETIME <= timedelta(hours=24)
