"""Tax: what the shown amounts hold (where prices include tax) or what is added to them.

Goods are taxed per tax class. Shipping and payment fees are taxed at the standard rate where
the place's rate says so (``TaxRate.taxes_shipping``: VAT, Canadian GST/HST and New York tax
them; California does not when they are stated separately).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from cart.pricing.types import HUNDRED, ZERO
from shop.prices import PriceContext


@dataclass(frozen=True)
class Tax:
    goods: Decimal
    shipping: Decimal
    fee: Decimal

    @property
    def total(self) -> Decimal:
        return self.goods + self.shipping + self.fee


def tax_in(amount: Decimal, rate: Decimal, *, included: bool) -> Decimal:
    """The tax an amount holds at ``rate`` (included) or that is added to it."""
    return amount * rate / (HUNDRED + rate) if included else amount * rate / HUNDRED


def goods_tax(context: PriceContext, class_amounts: dict[str, Decimal]) -> Decimal:
    included = context.prices_include_tax
    return sum(
        (tax_in(amount, context.tax_rate(cls), included=included)
         for cls, amount in class_amounts.items()),
        ZERO,
    )  # fmt: skip


def charge_tax(context: PriceContext, amount: Decimal) -> Decimal:
    """Tax on shipping or a payment fee: the standard rate where the place taxes them."""
    if not context.taxes_shipping or not amount:
        return ZERO
    return tax_in(amount, context.tax_rate("standard"), included=context.prices_include_tax)


def tax_is_known(context: PriceContext, has_market: bool) -> bool:
    """False while the rate depends on a region not chosen yet (a US state), or when the shop
    has no rate for the place at all: an order is never placed at 0 % by omission."""
    return bool(context.tax_rates) or not has_market
