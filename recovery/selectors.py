"""Reads for staff: customers with abandoned carts, in a fixed number of queries."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import (
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils import timezone

from cart.models import Cart, CartLine, CartStatus
from shop.models import Customer


def latest_abandoned_cart() -> QuerySet[Cart]:
    """The outer customer's latest abandoned cart, for use in a subquery."""
    return Cart.objects.filter(customer=OuterRef("pk"), status=CartStatus.ABANDONED).order_by(
        "-abandoned_at", "-pk"
    )


def with_abandoned_cart(queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    """Annotate each customer with their latest abandoned cart: id, time, currency and value.

    The value is what the shopper saw (quantity × unit price when added), summed in the
    database so a page of 100 customers costs the same queries as a page of 10; the cart view
    shows the cart priced again by the pricing function.
    """
    latest = latest_abandoned_cart()
    line_value = ExpressionWrapper(
        F("quantity") * F("unit_price_seen"),
        output_field=DecimalField(max_digits=14, decimal_places=3),
    )
    value = (
        CartLine.objects.filter(cart=OuterRef("abandoned_cart_id"))
        .values("cart")
        .annotate(total=Sum(line_value))
        .values("total")
    )
    return queryset.annotate(
        has_abandoned_cart=Exists(Cart.objects.filter(customer=OuterRef("pk"),
                                                      status=CartStatus.ABANDONED)),
        abandoned_cart_id=Subquery(latest.values("pk")[:1]),
        abandoned_at=Subquery(latest.values("abandoned_at")[:1]),
        abandoned_currency=Subquery(latest.values("currency")[:1]),
    ).annotate(abandoned_value=Subquery(value[:1]))  # fmt: skip


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants where a day of the shop's time zone starts and ends."""
    zone = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, time.min), zone)
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), zone)


def customers_abandoned_between(
    queryset: QuerySet[Customer], first_day: date | None, last_day: date | None
) -> QuerySet[Customer]:
    """Customers with a cart abandoned from the start of ``first_day`` to the end of
    ``last_day``, both days in the shop's time zone."""
    carts = Cart.objects.filter(customer=OuterRef("pk"), status=CartStatus.ABANDONED)
    if first_day:
        carts = carts.filter(abandoned_at__gte=local_day_bounds(first_day)[0])
    if last_day:
        carts = carts.filter(abandoned_at__lt=local_day_bounds(last_day)[1])
    return queryset.filter(Exists(carts))
