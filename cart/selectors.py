"""Reads of carts: finding the shopper's cart, the header count, add-on suggestions."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch, Sum
from django.http import HttpRequest
from moneyed import Money

from cart.fetch import CartInfo
from cart.models import Cart, CartStatus
from shop.models import Variant, VariantPrice
from shop.money import convert
from shop.prices import variant_unit_price

OPEN_STATUSES = (CartStatus.ACTIVE, CartStatus.ABANDONED)
SUGGESTION_COUNT = 4


def cart_token_from_request(request: HttpRequest) -> str | None:
    """An app sends its cart token in a header; a browser has it in its session."""
    header = request.headers.get(settings.CART_TOKEN_HEADER)
    if header:
        return header.strip()
    return request.session.get(settings.CART_SESSION_KEY)


def open_cart(token: str | None) -> Cart | None:
    """The open cart with this token, with its market and customer. One query."""
    try:
        token_uuid = uuid.UUID(str(token))
    except ValueError:  # none, or a malformed token from a client
        return None
    return (
        Cart.objects.select_related("market", "customer")
        .filter(token=token_uuid, status__in=OPEN_STATUSES)
        .first()
    )


def cart_for_request(request: HttpRequest) -> Cart | None:
    return open_cart(cart_token_from_request(request))


def item_count(cart: Cart | None) -> int:
    """Units in the cart, for the header. One query."""
    if cart is None:
        return 0
    return cart.lines.aggregate(total=Sum("quantity"))["total"] or 0


def open_cart_of_customer(customer_id: int) -> Cart | None:
    return (
        Cart.objects.filter(customer_id=customer_id, status__in=OPEN_STATUSES)
        .order_by("-last_activity_at")
        .first()
    )


def addon_suggestions(info: CartInfo, pricing) -> list:
    """In-stock variants priced near the amount missing for free shipping. Three queries.

    Candidates are read by net base price around the gap converted back to the base currency,
    then priced exactly; the cheapest that closes the gap come first, then the closest below it.
    """
    from cart.pricing import Suggestion

    missing = pricing.free_shipping.missing
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
    candidates = (
        Variant.objects.filter(
            active=True,
            product__active=True,
            price__gte=gap_base * Decimal("0.6"),
            price__lte=gap_base * Decimal("2.0"),
        )
        .exclude(pk__in=in_cart)
        .exclude(track_stock=True, stock_quantity__lte=0)
        .select_related("product", "image")
        .prefetch_related(
            Prefetch("prices", queryset=VariantPrice.objects.all()), "product__images"
        )
        .order_by("price", "id")[:12]
    )
    priced = []
    seen_products = {item.variant.product_id for item in info.lines}
    for variant in candidates:
        if variant.product_id in seen_products:
            continue
        seen_products.add(variant.product_id)
        shown = variant_unit_price(variant, context).shown
        images = list(variant.product.images.all())
        image = variant.image or (images[0] if images else None)
        priced.append(
            Suggestion(
                sku=variant.sku,
                product_name=str(variant.product.name),
                product_slug=variant.product.slug,
                attributes=[],
                image_url=image.image.url if image else None,
                price=shown,
            )
        )
    closing = sorted((s for s in priced if s.price >= missing), key=lambda s: s.price.amount)
    below = sorted((s for s in priced if s.price < missing), key=lambda s: -s.price.amount)
    return (closing + below)[:SUGGESTION_COUNT]
