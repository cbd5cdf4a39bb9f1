"""Helpers for the recovery tests: carts idle for a given time, abandoned carts at a given instant.

Carts are written straight to the database (no pricing, no rates) so that tests creating dozens
of them stay fast; a line's price seen is given, in the cart's currency.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from moneyed import Money

from cart.models import Cart, CartLine, CartStatus
from recovery import latest_carts
from shop.models import Customer, Market, Variant
from tests import factories


def variant(price: str = "10.00", **fields) -> Variant:
    return factories.VariantFactory(price=Money(price, "EUR"), **fields)


def cart_idle_since(
    market: Market,
    last_activity_at: datetime,
    *lines: tuple[Variant, int, Decimal | str],
    customer: Customer | None = None,
    status: str = CartStatus.ACTIVE,
    abandoned_at: datetime | None = None,
    currency: str | None = None,
) -> Cart:
    """A cart last touched at ``last_activity_at`` holding ``(variant, quantity, unit price)``."""
    currency = currency or market.currency
    cart = Cart.objects.create(
        market=market, country="DE", currency=currency, language="en", customer=customer,
        status=status, last_activity_at=last_activity_at, abandoned_at=abandoned_at,
    )  # fmt: skip
    CartLine.objects.bulk_create(
        CartLine(
            cart=cart,
            variant=v,
            quantity=quantity,
            unit_price_seen=Money(Decimal(price), currency),
            added_at=last_activity_at,
            updated_at=last_activity_at,
        )
        for v, quantity, price in lines
    )
    if status == CartStatus.ABANDONED:  # as detection does once the cart has its lines
        latest_carts.refresh([cart.customer_id])
    return cart


def abandoned_cart(
    market: Market,
    abandoned_at: datetime,
    *lines: tuple[Variant, int, Decimal | str],
    customer: Customer | None = None,
    currency: str | None = None,
) -> Cart:
    """A cart detection marked abandoned at ``abandoned_at`` (idle for the market's cut-off)."""
    idle_since = abandoned_at - timedelta(minutes=market.abandonment_cutoff_minutes)
    return cart_idle_since(market, idle_since, *lines, customer=customer, currency=currency,
                           status=CartStatus.ABANDONED, abandoned_at=abandoned_at)  # fmt: skip


def snapshot(carts=None) -> dict[int, tuple]:
    """Every cart's (status, abandoned_at, last_activity_at, updated_at), by id."""
    rows = Cart.objects.order_by("pk")
    if carts is not None:
        rows = rows.filter(pk__in=[cart.pk for cart in carts])
    return {pk: tuple(rest) for pk, *rest in rows.values_list(
        "pk", "status", "abandoned_at", "last_activity_at", "updated_at")}  # fmt: skip
