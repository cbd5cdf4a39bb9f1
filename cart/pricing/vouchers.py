"""The voucher: whether it applies now, what it takes off, and how that spreads over tax classes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from moneyed import Money

from cart.fetch import CartInfo
from cart.models import VoucherKind
from cart.pricing.types import HUNDRED, ZERO, DiscountLine, rounded
from shop.money import format_money


@dataclass(frozen=True)
class VoucherResult:
    code: str = ""
    error: str = ""
    amount: Decimal = ZERO  # rounded to the minor unit
    free_shipping: bool = False
    discount: DiscountLine | None = None


def apply_voucher(info: CartInfo, goods: Decimal) -> VoucherResult:
    """The cart's voucher on ``goods`` (after promotions, shown terms)."""
    if info.voucher is None:
        return VoucherResult()
    voucher = info.voucher.voucher
    code = voucher.code
    error = voucher_problem(info, goods)
    if error:
        return VoucherResult(code=code, error=error)
    currency = info.locale.currency
    amount, free_shipping = ZERO, False
    if voucher.kind == VoucherKind.PERCENTAGE:
        amount = goods * voucher.percentage / HUNDRED
    elif voucher.kind == VoucherKind.FIXED:
        amount = min(info.voucher.amounts.amount_off, goods)
    else:
        free_shipping = True
    amount = rounded(amount, currency).amount
    discount = None
    if amount or free_shipping:
        discount = DiscountLine(
            kind="voucher",
            label=_("Voucher %(code)s") % {"code": code},
            amount=Money(amount, currency),
            code=code,
        )
    return VoucherResult(code=code, amount=amount, free_shipping=free_shipping, discount=discount)


def spread_voucher(
    class_amounts: dict[str, Decimal], goods: Decimal, voucher_amount: Decimal
) -> dict[str, Decimal]:
    """Take the voucher off each tax class in proportion to its share of the goods."""
    if not voucher_amount or goods <= 0:
        return class_amounts
    share = (goods - voucher_amount) / goods
    return defaultdict(Decimal, {cls: amount * share for cls, amount in class_amounts.items()})


def voucher_problem(info: CartInfo, goods: Decimal) -> str:
    """Why the cart's voucher does not apply now, or "" when it does."""
    voucher_info = info.voucher
    voucher = voucher_info.voucher
    cart = info.cart
    if not voucher.active:
        return _("This voucher is no longer valid.")
    if voucher.valid_from and info.now < voucher.valid_from:
        return _("This voucher is not valid yet.")
    if voucher.valid_until and info.now >= voucher.valid_until:
        return _("This voucher has expired.")
    if voucher.usage_limit is not None and voucher.times_used >= voucher.usage_limit:
        return _("This voucher has been used up.")
    if voucher.customer_id and voucher.customer_id != cart.customer_id:
        return _("This voucher belongs to another customer.")
    if voucher_info.already_redeemed_by_customer:
        return _("You have already used this voucher.")
    amounts = voucher_info.amounts
    if voucher.kind == VoucherKind.FIXED and (amounts is None or amounts.amount_off is None):
        return _("This voucher cannot be used in %(currency)s.") % {
            "currency": info.locale.currency
        }
    if amounts is not None and amounts.minimum_order is not None and goods < amounts.minimum_order:
        minimum = format_money(
            Money(amounts.minimum_order, info.locale.currency),
            info.locale.language,
            info.locale.country,
        )
        return _("This voucher needs an order of at least %(amount)s.") % {"amount": minimum}
    return ""
