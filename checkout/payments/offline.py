"""Providers that need no payment company: cash on delivery, bank transfer and Pix.

They really work without a network: cash on delivery confirms the order at once (the courier
collects, fee and maximum per market come from ``PaymentMethod``); bank transfer and Pix give
the shopper what to pay, to whom and with which reference, and the order waits for the money
(staff mark it paid, or a bank/PSP integration calls ``record_payment_status``).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings

from checkout.models import Payment, PaymentStatus
from checkout.payments import pix
from checkout.payments.base import PaymentProvider, PaymentStart, PaymentUpdate


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


# Providers whose money staff confirm with the admin's "mark as paid".
STAFF_CONFIRMED = frozenset(
    provider.name for provider in (CashOnDelivery, BankTransfer, Pix) if provider.confirmed_by_staff
)
