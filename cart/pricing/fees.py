"""Payment methods: which the market offers for this amount, and the chosen one's fee."""

from __future__ import annotations

from decimal import Decimal

from moneyed import Money

from cart.pricing.types import ZERO, PaymentOption, rounded
from shop.models import PaymentMethod


def payment_options(
    methods: list[PaymentMethod], amount: Decimal, currency: str
) -> list[PaymentOption]:
    return [
        PaymentOption(
            code=method.code,
            name=str(method.get_code_display()),
            fee=rounded(method.fee, currency),
            available=method.accepts(amount),
            min_order=_limit(method.min_order_amount, currency),
            max_order=_limit(method.max_order_amount, currency),
            max_instalments=method.max_instalments,
        )
        for method in methods
    ]


def _limit(amount: Decimal | None, currency: str) -> Money | None:
    return rounded(amount, currency) if amount is not None else None


def chosen_fee(
    options: list[PaymentOption], code: str | None
) -> tuple[PaymentOption | None, Decimal]:
    """The chosen method if it is available for this amount, and its fee."""
    chosen = next((o for o in options if o.code == code and o.available), None)
    return chosen, (chosen.fee.amount if chosen else ZERO)
