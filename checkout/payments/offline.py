"""Providers that need no payment company: cash on delivery, bank transfer, Pix, and a test
OXXO voucher for development.

They really work without a network: cash on delivery confirms the order at once (the courier
collects, fee and maximum per market come from ``PaymentMethod``); bank transfer and Pix give
the shopper what to pay, to whom and with which reference, and the order waits for the money
(staff mark it paid, or a bank/PSP integration calls ``record_payment_status``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from django.conf import settings
from django.utils.translation import gettext as _

from checkout.models import Payment, PaymentStatus
from checkout.payments import pix
from checkout.payments.base import (
    PaymentProvider,
    PaymentStart,
    PaymentUnavailable,
    PaymentUpdate,
    sandbox_allowed,
)


class OfflineProvider(PaymentProvider):
    """No payment company to ask: the payment's state is what staff or a bank import set."""

    confirmed_by_staff = True

    def handle_return(self, payment: Payment, params: Mapping[str, str]) -> PaymentUpdate:
        return PaymentUpdate(reference=payment.reference, status=payment.status)


class CashOnDelivery(OfflineProvider):
    name = "cod"

    def start(self, payment: Payment, *, return_url: str) -> PaymentStart:
        return PaymentStart(
            status=PaymentStatus.PENDING,
            reference=payment.order.number,
            instructions={
                "kind": "cod",
                "amount": str(payment.amount),
                "currency": payment.currency,
            },  # fmt: skip
        )


class BankTransfer(OfflineProvider):
    name = "bank_transfer"

    def start(self, payment: Payment, *, return_url: str) -> PaymentStart:
        account = settings.BANK_TRANSFER_ACCOUNT
        return PaymentStart(
            status=PaymentStatus.PENDING,
            reference=payment.order.number,
            instructions={
                "kind": "bank_transfer",
                "holder": account["holder"],
                "iban": account["iban"],
                "bic": account["bic"],
                "bank": account["bank"],
                "reference": payment.order.number,
                "amount": str(payment.amount),
                "currency": payment.currency,
            },
        )


class Pix(OfflineProvider):
    """A static-key Pix charge: the BR Code carries the amount and the order number as txid."""

    name = "pix"

    def start(self, payment: Payment, *, return_url: str) -> PaymentStart:
        account = settings.PIX_ACCOUNT
        txid = payment.order.number.replace("-", "")
        payload = pix.build_payload(
            key=account["key"],
            merchant_name=account["merchant_name"],
            merchant_city=account["merchant_city"],
            amount=payment.amount,
            txid=txid,
        )
        return PaymentStart(
            status=PaymentStatus.PENDING,
            reference=txid,
            instructions={
                "kind": "pix",
                "payload": payload,
                "amount": str(payment.amount),
                "currency": payment.currency,
            },  # fmt: skip
        )


def voucher_number(order_number: str) -> str:
    """A 14-digit reference for a cash voucher, the same for every start of the same order:
    13 digits derived from the order number and a Luhn check digit, grouped in fours as
    OXXO's vouchers print it (``9312 3456 7890 12``)."""
    digest = int(hashlib.sha256(order_number.encode()).hexdigest(), 16)
    body = "93" + f"{digest % 10**11:011d}"
    total = 0
    for index, char in enumerate(reversed(body)):
        digit = int(char) * (2 if index % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    number = body + str((10 - total % 10) % 10)
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


class OxxoTestVoucher(OfflineProvider):
    """OXXO without a payment company, for the demo and tests: a voucher the shopper is shown
    (reference, amount, expiry = the order's payment window), which staff mark paid as they
    would a transfer. OXXO itself only takes vouchers issued by an acquirer, so outside DEBUG
    this provider refuses, like the sandbox; with ``STRIPE_SECRET_KEY`` OXXO goes to Stripe."""

    name = "oxxo_test"

    @classmethod
    def configuration_problem(cls) -> str:
        if sandbox_allowed():
            return ""
        return _(
            "OXXO vouchers need a payment provider that issues them (set STRIPE_SECRET_KEY); "
            "the test voucher works only with DEBUG on."
        )

    def start(self, payment: Payment, *, return_url: str) -> PaymentStart:
        if not sandbox_allowed():
            raise PaymentUnavailable(payment.method, self.configuration_problem())
        order = payment.order
        number = voucher_number(order.number)
        return PaymentStart(
            status=PaymentStatus.PENDING,
            reference=number.replace(" ", ""),
            instructions={
                "kind": "oxxo",
                "reference": number,
                "expires_at": order.payment_due_at.isoformat() if order.payment_due_at else "",
                "amount": str(payment.amount),
                "currency": payment.currency,
            },
        )


# Providers whose money staff confirm with the admin's "mark as paid".
STAFF_CONFIRMED = frozenset(
    provider.name
    for provider in (CashOnDelivery, BankTransfer, Pix, OxxoTestVoucher)
    if provider.confirmed_by_staff
)
