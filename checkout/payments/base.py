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
from django.utils.translation import gettext as _

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


class ProviderUnreachable(Exception):
    """The provider could not be asked (network, outage): try again later."""


class PaymentUnavailable(Exception):
    """The method has no provider that can take real money here; ``reason`` says why."""

    def __init__(self, method: str, reason: str) -> None:
        super().__init__(f"{method}: {reason}")
        self.method = method
        self.reason = reason


def sandbox_allowed() -> bool:
    """The sandbox page marks anything paid: only for development and the test suite."""
    return bool(settings.DEBUG or getattr(settings, "PAYMENT_SANDBOX", False))


class PaymentProvider:
    name: str = ""
    # Staff confirm the money themselves (bank statement, courier): "mark as paid" is allowed.
    confirmed_by_staff: bool = False

    @classmethod
    def configuration_problem(cls) -> str:
        """Why this provider cannot take money in this configuration; "" when it can."""
        return ""

    def start(self, payment: Payment, *, return_url: str) -> PaymentStart:
        raise NotImplementedError

    def handle_return(self, payment: Payment, params: Mapping[str, str]) -> PaymentUpdate:
        """The shopper came back from the provider; ``params`` is the query string."""
        raise NotImplementedError

    def release(self, payment: Payment) -> PaymentUpdate:
        """The shop gives up on ``payment`` (its window closed): make sure it can no longer be
        paid and report its final state, which may be "paid" if the money came just in time.
        Raises ``ProviderUnreachable`` when that cannot be known now. Offline methods and the
        sandbox have nothing to close."""
        return PaymentUpdate(reference=payment.reference, status=payment.status)

    def handle_webhook(self, body: bytes, headers: Mapping[str, str]) -> PaymentUpdate:
        raise InvalidWebhook("This provider sends no webhooks.")


def provider_class(method: str) -> type[PaymentProvider]:
    """The provider class configured for a method code (``settings.PAYMENT_PROVIDERS``)."""
    providers = settings.PAYMENT_PROVIDERS
    return import_string(providers.get(method) or providers["*"])


def unavailable_reason(method: str) -> str:
    """Why ``method`` is not offered to shoppers ("" when it is), for staff: admin and checks."""
    try:
        return provider_class(method).configuration_problem()
    except (ImportError, KeyError) as error:
        return _("No payment provider is set up for this payment method (%(error)s).") % {
            "error": error
        }


def is_offered(method: str) -> bool:
    return not unavailable_reason(method)


def provider_for(method: str) -> PaymentProvider:
    """The provider that takes payments of ``method``; ``PaymentUnavailable`` if none can."""
    reason = unavailable_reason(method)
    if reason:
        raise PaymentUnavailable(method, reason)
    return provider_class(method)()


def provider_named(name: str) -> PaymentProvider:
    for path in set(settings.PAYMENT_PROVIDERS.values()):
        provider = import_string(path)()
        if provider.name == name:
            return provider
    raise LookupError(name)
