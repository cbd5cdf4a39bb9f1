"""A sandbox provider with a test payment page that can be made to succeed, fail or be
cancelled: the demo uses it for card, PayPal, Klarna, iDEAL, BLIK, Alipay and other wallets.
Only while ``DEBUG`` (or ``PAYMENT_SANDBOX`` in the test suite): anywhere else its page would
hand out goods for a click, so the method is not offered and ``start`` refuses.

It behaves like a hosted payment page: ``start`` sends the shopper to the page with a signed
link; the page sends them back to ``return_url`` with a signed outcome that ``handle_return``
verifies, so a shopper cannot mark an order paid by editing the URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from checkout.models import Payment, PaymentStatus
from checkout.payments.base import (
    PaymentProvider,
    PaymentStart,
    PaymentUnavailable,
    PaymentUpdate,
    sandbox_allowed,
)

SALT = "checkout.sandbox"
OUTCOMES = {"paid": PaymentStatus.PAID, "failed": PaymentStatus.FAILED,
            "cancelled": PaymentStatus.CANCELLED}  # fmt: skip
MAX_AGE = 60 * 60


class Sandbox(PaymentProvider):
    name = "sandbox"

    @classmethod
    def configuration_problem(cls) -> str:
        if sandbox_allowed():
            return ""
        return _(
            "Only the sandbox test page is set up for this payment method, and the sandbox works "
            "only with DEBUG on. Set STRIPE_SECRET_KEY (or another provider in PAYMENT_PROVIDERS)."
        )

    def start(self, payment: Payment, *, return_url: str) -> PaymentStart:
        if not sandbox_allowed():  # never reached through provider_for; a second lock
            raise PaymentUnavailable(payment.method, self.configuration_problem())
        token = signing.dumps({"payment": payment.pk, "return": return_url}, salt=SALT)
        return PaymentStart(
            status=PaymentStatus.PENDING,
            reference=f"sbx_{payment.pk}",
            redirect_url=reverse("checkout:sandbox") + "?" + urlencode({"t": token}),
        )

    def handle_return(self, payment: Payment, params: Mapping[str, str]) -> PaymentUpdate:
        try:
            data = signing.loads(params.get("outcome", ""), salt=SALT, max_age=MAX_AGE)
        except signing.BadSignature:
            return PaymentUpdate(reference=payment.reference, status=payment.status)
        if data.get("payment") != payment.pk or data.get("status") not in OUTCOMES:
            return PaymentUpdate(reference=payment.reference, status=payment.status)
        status = OUTCOMES[data["status"]]
        reason = "" if status == PaymentStatus.PAID else f"sandbox: {data['status']}"
        return PaymentUpdate(reference=payment.reference, status=status, failure_reason=reason)


def read_start_token(token: str) -> dict:
    """The payment and return URL of a sandbox page link; raises ``signing.BadSignature``."""
    return signing.loads(token, salt=SALT, max_age=MAX_AGE)


def outcome_token(payment_id: int, status: str) -> str:
    return signing.dumps({"payment": payment_id, "status": status}, salt=SALT)
