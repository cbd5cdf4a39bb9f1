"""Load everything the pricing function needs about a cart, once, in a fixed number of queries.

The idea follows Saleor's ``checkout/fetch.py``: read into plain info objects first, then compute
without touching the database (``cart.pricing.calculate``). The number of queries does not depend
on the number of lines; ``tests/test_cart_pricing_queries.py`` holds it to that.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch
from django.utils import timezone
from moneyed import Money

from cart.models import Cart, CartLine, Promotion, Voucher, VoucherCurrency, VoucherRedemption
from shop.locale import ShopLocale
from shop.models import (
    Market,
    PaymentMethod,
    ProductImage,
    ShippingMethod,
    TrustBadge,
    Variant,
    VariantPrice,
)
from shop.prices import PriceContext
from shop.selectors import price_context


@dataclass(frozen=True)
class LineInfo:
    line: CartLine
    variant: Variant
    fixed_prices: dict[str, Money]
    attributes: list  # AttributeValue, attribute loaded, in attribute order
    image: ProductImage | None
    promotion_ids: frozenset[int]


@dataclass(frozen=True)
class VoucherInfo:
    voucher: Voucher
    amounts: VoucherCurrency | None  # for the cart's currency
    already_redeemed_by_customer: bool


@dataclass(frozen=True)
class CartInfo:
    cart: Cart
    locale: ShopLocale
    market: Market | None
    prices: PriceContext
    lines: list[LineInfo]
    shipping_methods: list[ShippingMethod]
    payment_methods: list[PaymentMethod]
    trust_badges: list[TrustBadge]
    promotions: dict[int, Promotion]
    promotions_for_all: list[Promotion]
    voucher: VoucherInfo | None
    now: datetime = field(default_factory=timezone.now)


def line_queryset():
    variants = Variant.objects.select_related("product", "image").prefetch_related(
        Prefetch("prices", queryset=VariantPrice.objects.all()),
        "attribute_values__attribute",
        "product__images",
    )
    return CartLine.objects.prefetch_related(Prefetch("variant", queryset=variants))


_shared: ContextVar[dict | None] = ContextVar("cart_fetch_shared", default=None)


@contextmanager
def shared_market_data():
    """Within this block, market-wide data (rates, tax, shipping, payment methods, badges,
    promotions) is read once per market and country and reused: for jobs that price many
    carts in a row, such as a recovery newsletter's batch. Requests never use it, so a market
    edited in the admin shows at once."""
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def _once(key: tuple, load):
    cache = _shared.get()
    if cache is None:
        return load()
    if key not in cache:
        cache[key] = load()
    return cache[key]


def fetch_cart_info(cart: Cart, locale: ShopLocale, now: datetime | None = None) -> CartInfo:
    """Read the cart's lines and its market's rules for ``locale``. A fixed number of queries."""
    now = now or timezone.now()
    market = locale.market
    lines = (
        list(line_queryset().filter(cart=cart).order_by("added_at", "id")) if cart.pk else []
    )
    promotions = _once(("promotions",), lambda: [
        promotion
        for promotion in Promotion.objects.filter(
            active=True, starts_at__lte=now, ends_at__gt=now
        ).prefetch_related("products")
    ])  # fmt: skip
    promotions_by_product: dict[int, set[int]] = {}
    for promotion in promotions:
        for product in promotion.products.all():
            promotions_by_product.setdefault(product.pk, set()).add(promotion.pk)
    line_infos = []
    for line in lines:
        variant = line.variant
        attributes = sorted(variant.attribute_values.all(), key=lambda v: v.attribute.position)
        images = list(variant.product.images.all())
        line_infos.append(
            LineInfo(
                line=line,
                variant=variant,
                fixed_prices={str(p.price.currency): p.price for p in variant.prices.all()},
                attributes=attributes,
                image=variant.image or (images[0] if images else None),
                promotion_ids=frozenset(promotions_by_product.get(variant.product_id, set())),
            )
        )
    shipping_methods, payment_methods, trust_badges = _once(
        ("market", market.pk if market else None, locale.country),
        lambda: _market_rules(market, locale.country),
    )
    return CartInfo(
        cart=cart,
        locale=locale,
        market=market,
        prices=_once(
            ("prices", locale.currency, locale.country, cart.region, market and market.pk),
            lambda: price_context(locale, region=cart.region),
        ),
        lines=line_infos,
        shipping_methods=shipping_methods,
        payment_methods=payment_methods,
        trust_badges=trust_badges,
        promotions={p.pk: p for p in promotions},
        promotions_for_all=[p for p in promotions if not p.products.all()],
        voucher=_voucher_info(cart, locale.currency),
        now=now,
    )


def _market_rules(market: Market | None, country: str):
    if market is None:
        return [], [], []
    shipping_methods = [
        method
        for method in ShippingMethod.objects.filter(zone__market=market, active=True)
        .select_related("zone")
        if method.zone.covers(country)
    ]
    payment_methods = list(PaymentMethod.objects.filter(market=market, active=True))
    trust_badges = list(TrustBadge.objects.filter(market=market))
    return shipping_methods, payment_methods, trust_badges


def _voucher_info(cart: Cart, currency: str) -> VoucherInfo | None:
    if cart.voucher_id is None or cart.pk is None:
        return None
    voucher = Voucher.objects.filter(pk=cart.voucher_id).first()
    if voucher is None:
        return None
    amounts = VoucherCurrency.objects.filter(voucher=voucher, currency=currency).first()
    redeemed = bool(
        voucher.once_per_customer
        and cart.customer_id
        and VoucherRedemption.objects.filter(voucher=voucher, customer_id=cart.customer_id).exists()
    )
    return VoucherInfo(voucher=voucher, amounts=amounts, already_redeemed_by_customer=redeemed)
