"""Payment methods: which the market offers for this amount, and the chosen one's fee."""

from __future__ import annotations

from decimal import Decimal

from moneyed import Money

from cart.pricing.types import ZERO, Instalment, PaymentOption, rounded
from shop.models import PaymentMethod

# The instalment counts card issuers offer most (Turkish "taksit", Brazilian "parcelas"); a
# method shows those up to its ``max_instalments``, each with the amount of one payment.
INSTALMENT_COUNTS = (2, 3, 6, 9, 12)


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
            instalments=instalment_plans(amount + method.fee, currency, method.max_instalments),
        )
        for method in methods
    ]


def instalment_plans(total: Decimal, currency: str, max_count: int) -> tuple[Instalment, ...]:
    """``total`` split into each usual number of payments up to ``max_count``."""
    if total <= 0:
        return ()
    return tuple(
        Instalment(count=count, amount=rounded(total / count, currency))
        for count in INSTALMENT_COUNTS
        if count <= max_count
    )


def _limit(amount: Decimal | None, currency: str) -> Money | None:
    return rounded(amount, currency) if amount is not None else None


def chosen_fee(
    options: list[PaymentOption], code: str | None
) -> tuple[PaymentOption | None, Decimal]:
    """The chosen method if it is available for this amount, and its fee."""
    chosen = next((o for o in options if o.code == code and o.available), None)
    return chosen, (chosen.fee.amount if chosen else ZERO)
