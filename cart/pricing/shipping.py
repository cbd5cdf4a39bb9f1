"""Shipping: the market's methods for the country with their price (free above a threshold or
with a free-shipping voucher) and delivery window, the chosen one, and the free-shipping bar."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from cart.fetch import CartInfo
from cart.pricing.types import ZERO, FreeShipping, ShippingOption, rounded


def business_days_after(start: date, days: int) -> date:
    """The date ``days`` business days (Monday to Friday) after ``start``."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def dispatch_date(now: datetime) -> date:
    """Orders placed before the cut-off hour on a business day leave that day."""
    local = timezone.localtime(now)
    day = local.date()
    if local.weekday() >= 5 or local.hour >= settings.SHOP_DISPATCH_CUTOFF_HOUR:
        day = business_days_after(day, 1)
    return day


def shipping_options(
    info: CartInfo, goods: Decimal, free_shipping_voucher: bool
) -> list[ShippingOption]:
    currency = info.locale.currency
    dispatch = dispatch_date(info.now)
    options = []
    # A free-shipping voucher makes the cheapest method free, not express delivery.
    cheapest = min((m.price for m in info.shipping_methods), default=None)
    for method in info.shipping_methods:
        regular = method.price
        threshold = method.free_shipping_threshold
        reached = threshold is not None and goods >= threshold
        free = (free_shipping_voucher and regular == cheapest) or reached or regular == 0
        options.append(
            ShippingOption(
                method_id=method.pk,
                name=str(method.name),
                carrier=method.carrier,
                price=rounded(ZERO if free else regular, currency),
                regular_price=rounded(regular, currency),
                is_free=free,
                tracked=method.tracked,
                delivery_from=business_days_after(dispatch, method.min_delivery_days),
                delivery_to=business_days_after(dispatch, method.max_delivery_days),
                min_days=method.min_delivery_days,
                max_days=method.max_delivery_days,
            )
        )
    return sorted(options, key=lambda o: (o.price.amount, o.max_days, o.method_id))


def free_shipping(
    info: CartInfo, goods: Decimal, options: list[ShippingOption], by_voucher: bool
) -> FreeShipping | None:
    currency = info.locale.currency
    thresholds = [
        m.free_shipping_threshold
        for m in info.shipping_methods
        if m.free_shipping_threshold is not None and m.free_shipping_threshold > 0
    ]
    if not thresholds:
        return None
    threshold = min(thresholds)
    unlocked = by_voucher or goods >= threshold
    missing = ZERO if unlocked else threshold - goods
    progress = Decimal(1) if unlocked else max(ZERO, goods / threshold)
    return FreeShipping(
        threshold=rounded(threshold, currency),
        missing=rounded(missing, currency),
        progress=progress.quantize(Decimal("0.01")),
        unlocked=unlocked,
    )


def choose_shipping(options: list[ShippingOption], method_id: int | None) -> ShippingOption | None:
    """The method asked for if it is offered, else the first (cheapest) one."""
    chosen = next((option for option in options if option.method_id == method_id), None)
    return chosen or (options[0] if options else None)
