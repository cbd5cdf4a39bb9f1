"""The payment provider interface and the registry that picks a provider per payment method.

A provider starts a payment for an order and learns its outcome: from the shopper's return to
the shop (``handle_return``) or from the provider's server (``handle_webhook``, which must verify
the message's signature). Providers never touch orders or stock themselves: they report a status
and ``checkout.services.record_payment_status`` applies it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string

from checkout.models import Payment


class InvalidWebhook(Exception):
    """A webhook whose signature or content cannot be trusted; answered with 400."""


@dataclass(frozen=True)
class PaymentStart:
    """What the shopper does next: go to ``redirect_url``, follow ``instructions``, or nothing
    (``status`` is final, e.g. cash on delivery is confirmed at once)."""

    status: str
    reference: str = ""
    redirect_url: str = ""
    instructions: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PaymentUpdate:
    reference: str
    status: str
    failure_reason: str = ""


class PaymentProvider:
    name: str = ""

    def start(self, payment: Payment, *, return_url: str) -> PaymentStart:
        raise NotImplementedError

    def handle_return(self, payment: Payment, params: Mapping[str, str]) -> PaymentUpdate:
        """The shopper came back from the provider; ``params`` is the query string."""
        raise NotImplementedError

    def handle_webhook(self, body: bytes, headers: Mapping[str, str]) -> PaymentUpdate:
        raise InvalidWebhook("This provider sends no webhooks.")


def provider_for(method: str) -> PaymentProvider:
    """The provider configured for a payment method code (``settings.PAYMENT_PROVIDERS``)."""
    providers = settings.PAYMENT_PROVIDERS
    path = providers.get(method) or providers["*"]
    return import_string(path)()


def provider_named(name: str) -> PaymentProvider:
    for path in set(settings.PAYMENT_PROVIDERS.values()):
        provider = import_string(path)()
        if provider.name == name:
            return provider
    raise LookupError(name)
