"""Reads for staff: customers with abandoned carts, in a fixed number of queries."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from cart.models import Cart, CartStatus
from shop.models import Customer


def with_abandoned_cart(queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    """Each customer with their latest abandoned cart (``customer.latest_abandonment``: cart,
    time, currency and value), read in the same query by a join: a page of 100 customers costs
    what a page of 10 does, and page 20 what page 1 does."""
    return queryset.select_related("latest_abandonment")


def with_abandoned_cart_filter(queryset: QuerySet[Customer], has: bool) -> QuerySet[Customer]:
    return queryset.filter(latest_abandonment__isnull=not has)


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants where a day of the shop's time zone starts and ends."""
    zone = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, time.min), zone)
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), zone)


def customers_abandoned_between(
    queryset: QuerySet[Customer], first_day: date | None, last_day: date | None
) -> QuerySet[Customer]:
    """Customers whose latest abandoned cart was abandoned from the start of ``first_day`` to
    the end of ``last_day``, both days in the shop's time zone (the time the list shows)."""
    if first_day:
        queryset = queryset.filter(
            latest_abandonment__abandoned_at__gte=local_day_bounds(first_day)[0]
        )
    if last_day:
        end = local_day_bounds(last_day)[1]
        queryset = queryset.filter(latest_abandonment__abandoned_at__lt=end)
    return queryset


def abandonment_outcomes(since: datetime | None = None) -> dict[str, int]:
    """Carts that were abandoned and then ordered, honestly split: *recovered* after a recovery
    message was sent for that abandonment, *returned by itself* without one (see
    ``recovery.signals``). ``since``: orders' carts updated from then on."""
    carts = Cart.objects.filter(Q(status=CartStatus.RECOVERED)
                                | Q(status=CartStatus.CONVERTED, was_abandoned=True))  # fmt: skip
    if since is not None:
        carts = carts.filter(updated_at__gte=since)
    counts = dict(carts.values_list("status").annotate(n=Count("pk")).order_by())
    return {"recovered": counts.get(CartStatus.RECOVERED, 0),
            "returned_by_itself": counts.get(CartStatus.CONVERTED, 0)}  # fmt: skip
