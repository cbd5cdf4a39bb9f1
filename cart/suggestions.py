"""Add-on suggestions: products that close the gap to free shipping, shown in the cart."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from moneyed import Money

from cart.fetch import CartInfo
from shop.models import Variant
from shop.money import convert
from shop.prices import unit_price
from shop.selectors import variant_details

SUGGESTION_COUNT = 4


@dataclass(frozen=True)
class Suggestion:
    sku: str
    product_name: str
    product_slug: str
    attributes: list[tuple[str, str, str]]
    image_url: str | None
    price: Money


def addon_suggestions(info: CartInfo, missing: Money) -> list[Suggestion]:
    """In-stock variants priced near the amount missing for free shipping. One query (their
    names, prices and images come from the catalog cache).

    Candidates are read by net base price around the gap converted back to the base currency,
    then priced exactly; the cheapest that closes the gap come first, then the closest below it.
    """
    context = info.prices
    factor = 1 + context.tax_rate("standard") / 100 if context.prices_include_tax else Decimal(1)
    try:
        gap_base = convert(
            Money(missing.amount / factor, missing.currency),
            context.base_currency,
            context.rates,
            context.base_currency,
        ).amount
    except LookupError:
        return []
    in_cart = [item.variant.pk for item in info.lines]
    candidates = list(
        Variant.objects.filter(
            active=True,
            product__active=True,
            price__gte=gap_base * Decimal("0.6"),
            price__lte=gap_base * Decimal("2.0"),
        )
        .exclude(pk__in=in_cart)
        .exclude(track_stock=True, stock_quantity__lte=0)
        .order_by("price", "id")
        .values_list("pk", "sku", "product_id", "price", "price_currency")[:12]
    )
    details = variant_details(pk for pk, *_ in candidates)
    priced = []
    seen_products = {item.variant.product_id for item in info.lines}
    for pk, sku, product_id, net, net_currency in candidates:
        if product_id in seen_products:
            continue
        seen_products.add(product_id)
        detail = details[pk]
        shown = unit_price(
            net_base=Money(net, net_currency), tax_class=detail.product.tax_class,
            fixed_prices=detail.fixed_prices, context=context,
        ).shown  # fmt: skip
        priced.append(
            Suggestion(
                sku=sku,
                product_name=str(detail.product.name),
                product_slug=detail.product.slug,
                attributes=[],
                image_url=detail.image_url,
                price=shown,
            )
        )
    closing = sorted((s for s in priced if s.price >= missing), key=lambda s: s.price.amount)
    below = sorted((s for s in priced if s.price < missing), key=lambda s: -s.price.amount)
    return (closing + below)[:SUGGESTION_COUNT]
