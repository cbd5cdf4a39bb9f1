"""System checks of the checkout: every payment method a market offers has a real provider.

Run by ``manage.py check`` (and ``check --deploy``, ``migrate``, ``runserver``): a live shop
whose markets list a method that only the sandbox page could take (no ``STRIPE_SECRET_KEY``)
hears about it at start-up, by name, instead of from a shopper who finds the method missing.
"""

from __future__ import annotations

from django.core.checks import Warning, register
from django.db import DatabaseError

from checkout.payments.base import unavailable_reason
from shop.models import PaymentMethod, PaymentMethodCode


def _offered_codes() -> dict[str, list[str]]:
    """Method code -> names of the markets offering it; every known code when the database
    cannot be read yet (a check must never stop start-up)."""
    try:
        rows = list(
            PaymentMethod.objects.filter(active=True, market__active=True)
            .values_list("code", "market__name")
            .order_by("code", "market__name")
        )
    except (DatabaseError, RuntimeError):  # no tables yet, or no database access at all
        return {code: [] for code in PaymentMethodCode.values}
    offered: dict[str, list[str]] = {}
    for code, market in rows:
        offered.setdefault(code, []).append(market)
    return offered


@register("payments")
def payment_methods_have_a_provider(app_configs=None, **kwargs) -> list[Warning]:
    labels = dict(PaymentMethodCode.choices)
    warnings = []
    for code, markets in _offered_codes().items():
        reason = unavailable_reason(code)
        if not reason:
            continue
        where = f" (markets: {', '.join(markets)})" if markets else ""
        warnings.append(
            Warning(
                f"Payment method {labels.get(code, code)} ({code}){where} is not offered to "
                f"shoppers: {reason}",
                hint="Configure a real provider for it, or deactivate it in the market.",
                obj=f"PAYMENT_PROVIDERS[{code!r}]",
                id="checkout.W001",
            )
        )
    return warnings
