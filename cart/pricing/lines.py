"""Lines and promotions: each line's unit price, total, stock state and price-change notice, and
what the best running promotion takes off it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from moneyed import Money

from cart.fetch import CartInfo, LineInfo
from cart.pricing.types import HUNDRED, ZERO, DiscountLine, LinePricing, StockState, rounded
from shop.prices import unit_price


@dataclass
class PricedLines:
    lines: list[LinePricing] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    subtotal: Decimal = ZERO
    # promotion id -> amount it takes off (full precision)
    promotion_cuts: dict[int, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    # tax class -> goods after promotions (shown terms), to spread the voucher and the tax
    class_amounts: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))


def price_lines(info: CartInfo) -> PricedLines:
    result = PricedLines()
    for item in info.lines:
        priced = price_line(item, info)
        result.lines.append(priced)
        after_promotion = priced.line_total.amount
        promotion = best_promotion(item, info)
        if promotion is not None:
            cut = priced.line_total.amount * promotion.percentage / HUNDRED
            result.promotion_cuts[promotion.pk] += cut
            after_promotion -= cut
        result.class_amounts[priced.tax_class] += after_promotion
        result.warnings += line_warnings(priced)
    result.subtotal = sum((line.line_total.amount for line in result.lines), ZERO)
    return result


def price_line(item: LineInfo, info: CartInfo) -> LinePricing:
    variant = item.variant
    product = variant.product
    unit = unit_price(
        net_base=variant.price,
        tax_class=product.tax_class,
        fixed_prices=item.fixed_prices,
        context=info.prices,
    )
    shown = unit.shown
    quantity = item.line.quantity
    seen = item.line.unit_price_seen
    changed = seen is not None and seen.currency == shown.currency and seen != shown
    return LinePricing(
        line_id=item.line.pk,
        sku=variant.sku,
        product_name=str(product.name),
        product_slug=product.slug,
        attributes=[(str(v.attribute.name), str(v.value), v.swatch) for v in item.attributes],
        image_url=item.image_url,
        quantity=quantity,
        unit=unit,
        unit_price=shown,
        line_total=Money(shown.amount * quantity, shown.currency),
        added_at=item.line.added_at,
        stock_state=stock_state(variant, quantity),
        stock_available=variant.stock_quantity if variant.track_stock else None,
        price_seen=seen if changed else None,
        tax_class=product.tax_class,
    )


def line_warnings(line: LinePricing) -> list[str]:
    warnings = []
    if line.price_changed:
        warnings.append(
            _("The price of %(name)s has changed since you added it.") % {"name": line.product_name}
        )
    if line.stock_state == StockState.OUT:
        warnings.append(_("%(name)s is sold out.") % {"name": line.product_name})
    elif line.stock_state == StockState.INSUFFICIENT:
        warnings.append(
            ngettext(
                "Only %(count)s of %(name)s left: lower the quantity to check out.",
                "Only %(count)s of %(name)s left: lower the quantity to check out.",
                line.stock_available,
            )
            % {"count": line.stock_available, "name": line.product_name}
        )
    return warnings


def stock_state(variant, quantity: int) -> str:
    if not variant.active or not variant.product.active:
        return StockState.OUT  # no longer sold
    if not variant.track_stock:
        return StockState.IN_STOCK
    if variant.stock_quantity <= 0:
        return StockState.OUT
    if variant.stock_quantity < quantity:
        return StockState.INSUFFICIENT
    if variant.stock_quantity <= settings.CART_LOW_STOCK:
        return StockState.LOW
    return StockState.IN_STOCK


def best_promotion(item: LineInfo, info: CartInfo):
    candidates = [info.promotions[pk] for pk in item.promotion_ids] + info.promotions_for_all
    return max(candidates, key=lambda p: p.percentage, default=None)


def promotion_discounts(info: CartInfo, cuts: dict[int, Decimal]) -> list[DiscountLine]:
    """One discount line per promotion that takes something off, with its end time."""
    currency = info.locale.currency
    return [
        DiscountLine(
            kind="promotion",
            label=str(info.promotions[pk].name),
            amount=rounded(amount, currency),
            ends_at=info.promotions[pk].ends_at,
        )
        for pk, amount in cuts.items()
        if amount > 0
    ]
