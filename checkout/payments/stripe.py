"""Stripe, through its Python library: a hosted Checkout Session in front of a PaymentIntent.

Why a Checkout Session and not a bare PaymentIntent confirmed by the shop: our checkout page is
server-rendered and loads nothing from third-party hosts, so it cannot host Stripe.js to collect
card details, and a server-side confirmation only works for methods that need no sensitive input.
A Checkout Session is Stripe's hosted payment page: ``start`` creates one (Stripe creates the
PaymentIntent behind it when the shopper pays), the shopper is redirected to ``session.url``,
pays with cards, wallets, 3-D Secure or a bank redirect there, and comes back to ``return_url``.
The flow has the shape of the sandbox provider, so the checkout treats both alike.

- **Amount**: one line item carrying the order total in the currency's minor unit, so the total
  charged is exactly the snapshot the shopper confirmed (tax, duties, shipping, fee included);
  Stripe never recomputes it from lines.
- **Method**: the shopper already chose a method on our page, and its fee and limits were priced
  for that method, so the session offers that method only (``payment_method_types`` mapped from
  our codes); a code Stripe does not know leaves the choice to the Dashboard's settings.
- **Idempotency**: the session is created with an ``Idempotency-Key`` derived from the payment
  (id and order number), so a retried ``start`` returns the same session, never a second one.
- **Outcome**: ``handle_return`` asks Stripe for the session and its PaymentIntent, whatever the
  query string says; ``handle_webhook`` verifies ``Stripe-Signature`` with the endpoint secret.

- **Vouchers and Pix**: Boleto, Konbini, OXXO and Pix (``PIX_PROVIDER=stripe``) go through the same
  session; the shopper gets the voucher or QR code on Stripe's page, the session completes
  "unpaid", and ``checkout.session.async_payment_succeeded`` (webhook) confirms the money. The
  voucher expires with the order's payment window.

Settings: ``STRIPE_SECRET_KEY`` (``sk_live_…``/``sk_test_…``), ``STRIPE_WEBHOOK_SECRET`` (the
endpoint's ``whsec_…``), and ``STRIPE_API_BASE`` to point the library at another server (tests).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

import stripe as stripe_lib
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from checkout.models import Payment, PaymentStatus
from checkout.payments.base import (
    InvalidWebhook,
    PaymentProvider,
    PaymentStart,
    PaymentUpdate,
    ProviderUnreachable,
)
from shop.money import minor_units

logger = logging.getLogger(__name__)

# (connect, read) seconds for each HTTP call to Stripe: a checkout request must not hang.
TIMEOUT = (5, 20)
# Retries of connection errors and 409/5xx answers; safe because every create is idempotent.
MAX_NETWORK_RETRIES = 2
# An abandoned Stripe page gives the order's stock back after this long (checkout.session.expired
# cancels the payment); Stripe accepts 30 minutes to 24 hours.
SESSION_LIFETIME = timedelta(hours=1)

# Our payment method codes (shop.models.PaymentMethodCode) -> Stripe payment method types.
# Apple Pay, Google Pay and mada cards are paid as Stripe "card"; a card in instalments too
# (Stripe offers the instalment plans it supports for the card on its page).
METHOD_TYPES: dict[str, str] = {
    "card": "card",
    "apple_pay": "card",
    "google_pay": "card",
    "mada": "card",
    "card_instalments": "card",
    "paypal": "paypal",
    "klarna": "klarna",
    "sepa_debit": "sepa_debit",
    "ideal": "ideal",
    "bancontact": "bancontact",
    "blik": "blik",
    "p24": "p24",
    "pix": "pix",
    "boleto": "boleto",
    "alipay": "alipay",
    "wechat_pay": "wechat_pay",
    "konbini": "konbini",
    "oxxo": "oxxo",
}

# Where Stripe's API exponent differs from ISO 4217/CLDR: ISK stays two-decimal in the API
# (amounts in multiples of 100) for backwards compatibility.
STRIPE_EXPONENTS: dict[str, int] = {"ISK": 2}

# Languages of Stripe's hosted Checkout page; others fall back to the shopper's browser.
CHECKOUT_LOCALES = (
    "bg cs da de el en en-GB es es-419 et fi fil fr fr-CA hi-IN hr hu id it ja ko lt lv ms mt nb "
    "nl pl pt pt-BR ro ru sk sl sv th tr vi zh zh-HK zh-TW"
).split()
_LOCALES_BY_LOWER = {code.lower(): code for code in CHECKOUT_LOCALES}
_SCRIPT_LOCALES = {"zh-hans": "zh", "zh-hant": "zh-TW"}

RETURN_MARKER = "stripe"  # query parameter added to return_url: "success" or "cancel"


def stripe_amount(amount: Decimal, currency: str) -> int:
    """The amount in Stripe's minor unit: 12.34 EUR -> 1234, 1235 JPY -> 1235.

    Order totals are already rounded to the currency's minor unit (``shop.money``), so a
    remainder here is a bug upstream; refusing is better than charging another amount.
    """
    code = currency.upper()
    exponent = STRIPE_EXPONENTS.get(code, minor_units(code))
    scaled = Decimal(amount).scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {code} has more decimals than the currency's minor unit.")
    return int(scaled)


def checkout_locale(language: str) -> str:
    """Stripe Checkout's locale for a shop language (``pt-br`` -> ``pt-BR``, ``ar`` -> ``auto``)."""
    language = language.lower()
    if language in _SCRIPT_LOCALES:
        return _SCRIPT_LOCALES[language]
    return _LOCALES_BY_LOWER.get(language) or _LOCALES_BY_LOWER.get(language.split("-")[0], "auto")


def with_marker(url: str, outcome: str) -> str:
    """``return_url`` with ``stripe=<outcome>`` added to its query string."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}{RETURN_MARKER}={outcome}"


def voucher_options(method_type: str | None, method: str) -> dict[str, Any]:
    """How long a Boleto, Konbini voucher or Pix QR code stays payable: the order's payment
    window (``settings.PAYMENT_WINDOWS``), so Stripe never takes money for an order the expiry
    job has cancelled. Stripe counts Boleto and Konbini in days (1 to 60), Pix in seconds
    (10 to 1,209,600); the shop's window is rounded down, never up."""
    minutes = settings.PAYMENT_WINDOWS.get(method, settings.PAYMENT_WINDOWS.get("*", 0))
    if not minutes:
        return {}
    if method_type in {"boleto", "konbini"}:
        days = min(60, max(1, minutes // (24 * 60)))
        return {method_type: {"expires_after_days": days}}
    if method_type == "oxxo":  # Stripe: 1 to 7 days
        return {"oxxo": {"expires_after_days": min(7, max(1, minutes // (24 * 60)))}}
    if method_type == "pix":
        seconds = min(1_209_600, max(10, minutes * 60))
        return {"pix": {"expires_after_seconds": seconds}}
    return {}


def _error_text(error: Mapping[str, Any] | None) -> str:
    """A PaymentIntent's ``last_payment_error`` as one line for staff: message and code."""
    if not error:
        return ""
    message = error.get("message") or "Stripe: payment failed"
    code = error.get("decline_code") or error.get("code")
    return f"{message} ({code})" if code else message


def intent_status(intent: Mapping[str, Any], *, session_open: bool = False) -> tuple[str, str]:
    """Our status and failure reason for a PaymentIntent.

    ``requires_payment_method`` after an attempt is a failure, except while its Checkout Session
    is still open: Stripe's page then shows the decline and lets the shopper try another card, so
    the payment stays pending (with the decline as reason) until the session completes or expires.
    """
    status = intent.get("status")
    error = _error_text(intent.get("last_payment_error"))
    if status == "succeeded":
        return PaymentStatus.PAID, ""
    if status == "requires_capture":
        return PaymentStatus.AUTHORIZED, ""
    if status == "canceled":
        reason = error or f"Stripe: cancelled ({intent.get('cancellation_reason') or 'canceled'})"
        return PaymentStatus.CANCELLED, reason
    if status == "requires_payment_method" and error and not session_open:
        return PaymentStatus.FAILED, error
    # processing, requires_action, requires_confirmation, or not attempted yet
    return PaymentStatus.PENDING, error


def session_status(session: Mapping[str, Any]) -> tuple[str, str]:
    """Our status and failure reason for a Checkout Session, its PaymentIntent expanded or not.

    Since API version 2022-08-01 Stripe creates the PaymentIntent only when the shopper submits
    the page, so a session may have none yet.
    """
    state = session.get("status")
    intent = session.get("payment_intent")
    if isinstance(intent, Mapping):
        status, reason = intent_status(intent, session_open=state == "open")
        if state == "expired" and status == PaymentStatus.PENDING:
            return PaymentStatus.CANCELLED, reason or "Stripe: checkout session expired"
        return status, reason
    if state == "expired":
        return PaymentStatus.CANCELLED, "Stripe: checkout session expired"
    if state == "complete" and session.get("payment_status") in {"paid", "no_payment_required"}:
        return PaymentStatus.PAID, ""
    return PaymentStatus.PENDING, ""


def _header(headers: Mapping[str, str], name: str) -> str:
    """A header from ``request.headers``, a plain dict in any case, or ``request.META``."""
    value = headers.get(name)
    if value:
        return value
    wanted = {name.lower(), "http_" + name.lower().replace("-", "_")}
    return next((v for k, v in headers.items() if k.lower() in wanted), "")


class Stripe(PaymentProvider):
    """Stripe Checkout: hosted payment page, server-side status checks, signed webhooks.

    Point the Dashboard's webhook endpoint at ``https://<shop>/checkout/webhooks/stripe/``
    (``shop.urls``, outside the language prefix) with the events ``checkout.session.completed``,
    ``checkout.session.async_payment_succeeded``, ``checkout.session.async_payment_failed``,
    ``checkout.session.expired``, ``payment_intent.succeeded``, ``payment_intent.payment_failed``
    and ``payment_intent.canceled``.
    """

    name = "stripe"

    @classmethod
    def configuration_problem(cls) -> str:
        if settings.STRIPE_SECRET_KEY:
            return ""
        return _("Stripe is set up for this payment method, but STRIPE_SECRET_KEY is not set.")

    def client(self) -> stripe_lib.StripeClient:
        """A client with the shop's key, timeouts and retries; built on use, not on import, so
        a shop without Stripe never needs the key."""
        api_key = settings.STRIPE_SECRET_KEY
        if not api_key:
            raise ImproperlyConfigured(
                "STRIPE_SECRET_KEY is not set: set it to the secret key (sk_live_… or sk_test_…) "
                "from the Stripe Dashboard, or route card payments to the sandbox provider."
            )
        base = getattr(settings, "STRIPE_API_BASE", "")
        return stripe_lib.StripeClient(
            api_key,
            base_addresses={"api": base.rstrip("/")} if base else None,
            max_network_retries=MAX_NETWORK_RETRIES,
            http_client=stripe_lib.RequestsClient(timeout=TIMEOUT),
        )

    # --- start --------------------------------------------------------------------------------

    def start(self, payment: Payment, *, return_url: str) -> PaymentStart:
        """Create the Checkout Session and send the shopper to its page.

        Raises ``stripe.StripeError`` when Stripe refuses or cannot be reached; nothing is
        charged then, and retrying with the same payment is safe (same idempotency key).
        """
        session = self.client().v1.checkout.sessions.create(
            self.session_params(payment, return_url=return_url),
            {"idempotency_key": self.idempotency_key(payment)},
        )
        return PaymentStart(
            status=PaymentStatus.PENDING, reference=session.id, redirect_url=session.url or ""
        )

    @staticmethod
    def idempotency_key(payment: Payment) -> str:
        """Per payment; the order number keeps keys unique across databases (a reset dev
        database reuses payment ids within Stripe's 24-hour idempotency window)."""
        return f"shop-payment-{payment.pk}-{payment.order.number}-checkout"

    def session_params(self, payment: Payment, *, return_url: str) -> dict[str, Any]:
        """The form fields of ``POST /v1/checkout/sessions``.

        Everything derives from the payment, never from the clock of this call, so a retried
        request carries the same parameters, which Stripe requires for an idempotent replay.
        """
        order = payment.order
        metadata = {"order_number": order.number, "payment_id": str(payment.pk)}
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": payment.currency.lower(),
                        "unit_amount": stripe_amount(payment.amount, payment.currency),
                        "product_data": {"name": f"{settings.SHOP_NAME} {order.number}"},
                    },
                }
            ],
            "client_reference_id": order.number,
            "customer_email": order.email,
            "locale": checkout_locale(order.language),
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "success_url": with_marker(return_url, "success"),
            "cancel_url": with_marker(return_url, "cancel"),
            "expires_at": int((payment.created_at + SESSION_LIFETIME).timestamp()),
        }
        method_type = METHOD_TYPES.get(payment.method)
        if method_type:
            params["payment_method_types"] = [method_type]
        if method_type == "wechat_pay":
            params["payment_method_options"] = {"wechat_pay": {"client": "web"}}
        options = voucher_options(method_type, order.payment_method)
        if options:
            params["payment_method_options"] = options
        return params

    # --- return -------------------------------------------------------------------------------

    def handle_return(self, payment: Payment, params: Mapping[str, str]) -> PaymentUpdate:
        """Ask Stripe what became of the payment's session; the query string only says whether
        the shopper left through the cancel link.

        On a cancel the session is expired first, so the shopper cannot still pay on a tab left
        open while the shop has given the stock back; if it completed meanwhile, expiring fails
        and the completed session is reported. When Stripe cannot be reached the payment stays
        as it is and the webhook settles it.
        """
        if not payment.reference:
            return PaymentUpdate(reference=payment.reference, status=payment.status)
        sessions = self.client().v1.checkout.sessions
        expand = {"expand": ["payment_intent"]}
        try:
            session = None
            if params.get(RETURN_MARKER) == "cancel":
                try:
                    session = sessions.expire(payment.reference, expand)
                except stripe_lib.InvalidRequestError:
                    session = None  # not open any more: completed or already expired
            if session is None:
                session = sessions.retrieve(payment.reference, expand)
        except stripe_lib.StripeError:
            logger.exception("Stripe return for payment %s: status unknown", payment.pk)
            return PaymentUpdate(reference=payment.reference, status=payment.status)
        status, reason = session_status(session.to_dict())
        return PaymentUpdate(reference=session.id, status=status, failure_reason=reason)

    # --- expiry -------------------------------------------------------------------------------

    def release(self, payment: Payment) -> PaymentUpdate:
        """Expire the session so the shopper cannot pay an order the shop cancels; a session
        that completed meanwhile cannot be expired and is reported as it is (paid, or a voucher
        still unpaid)."""
        if not payment.reference:
            return PaymentUpdate(reference=payment.reference, status=payment.status)
        sessions = self.client().v1.checkout.sessions
        expand = {"expand": ["payment_intent"]}
        try:
            try:
                session = sessions.expire(payment.reference, expand)
            except stripe_lib.InvalidRequestError:  # not open any more
                session = sessions.retrieve(payment.reference, expand)
        except stripe_lib.StripeError as error:
            raise ProviderUnreachable(f"Stripe: {error}") from error
        status, reason = session_status(session.to_dict())
        return PaymentUpdate(reference=session.id, status=status, failure_reason=reason)

    # --- webhook ------------------------------------------------------------------------------

    def handle_webhook(self, body: bytes, headers: Mapping[str, str]) -> PaymentUpdate | None:
        """Verify and read a Stripe event; ``None`` for an event the shop has no use for.

        Stripe sends every subscribed event type to the endpoint, and answering 400 would make
        it retry them for days, so unknown types and PaymentIntents from other integrations on
        the same account are ignored (the view answers 200), not refused. Only an unverifiable
        message raises ``InvalidWebhook`` (400).
        """
        secret = settings.STRIPE_WEBHOOK_SECRET
        if not secret:
            # A server error, not a refusal: Stripe retries, so no event is lost once it is set.
            raise ImproperlyConfigured(
                "STRIPE_WEBHOOK_SECRET is not set: copy the endpoint's signing secret (whsec_…) "
                "from the Stripe Dashboard."
            )
        try:
            event = stripe_lib.Webhook.construct_event(
                body, _header(headers, "Stripe-Signature"), secret
            )
        except stripe_lib.SignatureVerificationError as error:
            raise InvalidWebhook(f"Stripe signature: {error.user_message or error}") from error
        except ValueError as error:  # not UTF-8 or not JSON, though correctly signed
            raise InvalidWebhook(f"Stripe webhook body: {error}") from error
        data = event.to_dict()
        obj = (data.get("data") or {}).get("object")
        if not isinstance(obj, Mapping) or not obj.get("id"):
            raise InvalidWebhook("Stripe webhook without data.object.")
        kind = data.get("type", "")
        if kind.startswith("checkout.session."):
            return self._session_event(kind, obj)
        if kind.startswith("payment_intent."):
            return self._intent_event(kind, obj)
        return None

    @staticmethod
    def _session_event(kind: str, session: Mapping[str, Any]) -> PaymentUpdate | None:
        reference = session["id"]
        if kind == "checkout.session.completed":
            # "unpaid" after completion: a delayed method (SEPA debit, boleto, konbini) is under
            # way; checkout.session.async_payment_succeeded/failed follows.
            status, reason = session_status(session)
            return PaymentUpdate(reference=reference, status=status, failure_reason=reason)
        if kind == "checkout.session.async_payment_succeeded":
            return PaymentUpdate(reference=reference, status=PaymentStatus.PAID)
        if kind == "checkout.session.async_payment_failed":
            return PaymentUpdate(
                reference=reference, status=PaymentStatus.FAILED,
                failure_reason="Stripe: the delayed payment failed after checkout",
            )  # fmt: skip
        if kind == "checkout.session.expired":
            return PaymentUpdate(
                reference=reference, status=PaymentStatus.CANCELLED,
                failure_reason="Stripe: checkout session expired",
            )  # fmt: skip
        return None

    def _intent_event(self, kind: str, intent: Mapping[str, Any]) -> PaymentUpdate | None:
        """A PaymentIntent event, tied to our payment by the metadata ``start`` put on it.

        Payments are stored under their session id, which a PaymentIntent does not carry, so
        the signed metadata names the payment and the update uses its stored reference.
        ``payment_intent.payment_failed`` is not final under Checkout (the shopper may retry on
        the page): it records the decline and leaves the payment pending.
        """
        handled = {
            "payment_intent.succeeded",
            "payment_intent.payment_failed",
            "payment_intent.canceled",
        }
        if kind not in handled:
            return None
        metadata = intent.get("metadata") or {}
        payment_id = str(metadata.get("payment_id", ""))
        if not payment_id.isdigit():
            return None  # not one of ours
        reference = (
            Payment.objects.filter(
                pk=int(payment_id), provider=self.name, order__number=metadata.get("order_number")
            )
            .values_list("reference", flat=True)
            .first()
        )
        if not reference:
            return None
        if kind == "payment_intent.payment_failed":
            reason = _error_text(intent.get("last_payment_error")) or "Stripe: payment failed"
            return PaymentUpdate(
                reference=reference, status=PaymentStatus.PENDING, failure_reason=reason
            )
        status, reason = intent_status(intent)
        return PaymentUpdate(reference=reference, status=status, failure_reason=reason)
