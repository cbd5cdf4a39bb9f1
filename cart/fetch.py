"""Load everything the pricing function needs about a cart, once, in a fixed number of queries.

The idea follows Saleor's ``checkout/fetch.py``: read into plain info objects first, then compute
without touching the database (``cart.pricing.calculate``). The number of queries does not depend
on the number of lines; ``tests/test_cart_pricing_queries.py`` holds it to that. What changes a few
times a day (market rules, rates, promotions, names, images) comes from ``shop.config``'s cache, so
a warm request reads only the lines with their stock, and the voucher if there is one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Subquery, Value
from django.utils import timezone
from moneyed import Money

from cart.models import Cart, CartLine, Promotion, Voucher, VoucherCurrency, VoucherRedemption
from shop.config import cached
from shop.locale import ShopLocale
from shop.models import Market, PaymentMethod, Product, ShippingMethod, TrustBadge, Variant
from shop.prices import PriceContext
from shop.selectors import market_rules, price_context, variant_details


@dataclass(frozen=True)
class LineInfo:
    line: CartLine
    variant: Variant
    fixed_prices: dict[str, Money]
    attributes: list  # AttributeValue, attribute loaded, in attribute order
    image_url: str | None
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
    """Lines with their variant row: its stock, net price and flags are read fresh every time;
    everything else about the variant comes from the catalog cache (``variant_details``)."""
    return CartLine.objects.select_related("variant")


@dataclass(frozen=True)
class PromotionInfo:
    promotion: Promotion
    product_ids: frozenset[int]  # empty: every product


def active_promotions(now: datetime) -> list[PromotionInfo]:
    """Promotions running at ``now``. From the configuration cache: no query once loaded."""
    return [
        info
        for info in cached("promotions", _load_promotions)
        if info.promotion.starts_at <= now < info.promotion.ends_at
    ]


def _load_promotions() -> tuple[PromotionInfo, ...]:
    recent = timezone.now() - timedelta(days=30)  # and every later one; filtered by time at use
    return tuple(
        PromotionInfo(promotion, frozenset(p.pk for p in promotion.products.all()))
        for promotion in Promotion.objects.filter(active=True, ends_at__gt=recent)
        .prefetch_related(Prefetch("products", queryset=Product.objects.only("pk")))
    )


def fetch_cart_info(
    cart: Cart,
    locale: ShopLocale,
    now: datetime | None = None,
    *,
    lines: list[CartLine] | None = None,
    voucher: VoucherInfo | None | bool = False,
) -> CartInfo:
    """Read the cart's lines and its market's rules for ``locale``.

    One query for the lines (with their variants' stock) and one for a voucher when the cart
    has one; market rules, rates, promotions and the variants' descriptive data come from the
    configuration cache. ``lines`` and ``voucher`` may be given when loaded already (a batch).
    """
    now = now or timezone.now()
    market = locale.market
    if lines is None:
        lines = (
            list(line_queryset().filter(cart=cart).order_by("added_at", "id")) if cart.pk else []
        )
    details = variant_details(line.variant_id for line in lines)
    promotions = active_promotions(now)
    line_infos = []
    for line in lines:
        variant = line.variant
        detail = details[variant.pk]
        variant.product = detail.product  # the cached product: no query
        line_infos.append(
            LineInfo(
                line=line,
                variant=variant,
                fixed_prices=detail.fixed_prices,
                attributes=list(detail.attributes),
                image_url=detail.image_url,
                promotion_ids=frozenset(
                    info.promotion.pk for info in promotions
                    if variant.product_id in info.product_ids
                ),
            )
        )  # fmt: skip
    rules = market_rules(market, locale.country)
    if voucher is False:
        voucher = _voucher_info(cart, locale.currency)
    return CartInfo(
        cart=cart,
        locale=locale,
        market=market,
        prices=price_context(locale, region=cart.region),
        lines=line_infos,
        shipping_methods=list(rules.shipping_methods),
        payment_methods=list(rules.payment_methods),
        trust_badges=list(rules.trust_badges),
        promotions={info.promotion.pk: info.promotion for info in promotions},
        promotions_for_all=[info.promotion for info in promotions if not info.product_ids],
        voucher=voucher,
        now=now,
    )


def fetch_lines_of_carts(carts: list[Cart]) -> dict[int, list[CartLine]]:
    """The lines of many carts in one query, by cart id, in the order the cart shows them."""
    by_cart: dict[int, list[CartLine]] = {cart.pk: [] for cart in carts}
    for line in line_queryset().filter(cart__in=[c.pk for c in carts]).order_by("added_at", "id"):
        by_cart[line.cart_id].append(line)
    return by_cart


def fetch_vouchers_of_carts(carts: list[Cart], currency_of) -> dict[int, VoucherInfo | None]:
    """The vouchers of many carts (two queries whatever their number); ``currency_of(cart)``."""
    with_voucher = [cart for cart in carts if cart.voucher_id]
    found: dict[int, VoucherInfo | None] = {cart.pk: None for cart in carts}
    if not with_voucher:
        return found
    vouchers = Voucher.objects.in_bulk({cart.voucher_id for cart in with_voucher})
    amounts = {
        (row.voucher_id, row.currency): row
        for row in VoucherCurrency.objects.filter(voucher_id__in=vouchers)
    }
    redeemed = set(
        VoucherRedemption.objects.filter(
            voucher_id__in=vouchers,
            customer_id__in={cart.customer_id for cart in with_voucher if cart.customer_id},
        ).values_list("voucher_id", "customer_id")
    )
    for cart in with_voucher:
        voucher = vouchers.get(cart.voucher_id)
        if voucher is not None:
            found[cart.pk] = VoucherInfo(
                voucher=voucher,
                amounts=amounts.get((voucher.pk, currency_of(cart))),
                already_redeemed_by_customer=bool(
                    voucher.once_per_customer and (voucher.pk, cart.customer_id) in redeemed
                ),
            )
    return found


def _voucher_info(cart: Cart, currency: str) -> VoucherInfo | None:
    """The cart's voucher with its amounts in ``currency`` and whether the customer has used it
    already: one query."""
    if cart.voucher_id is None or cart.pk is None:
        return None
    in_currency = VoucherCurrency.objects.filter(voucher=OuterRef("pk"), currency=currency)
    redeemed = (
        Exists(
            VoucherRedemption.objects.filter(voucher=OuterRef("pk"), customer_id=cart.customer_id)
        )
        if cart.customer_id
        else Value(False)
    )
    voucher = (
        Voucher.objects.filter(pk=cart.voucher_id)
        .annotate(
            amounts_id=Subquery(in_currency.values("pk")[:1]),
            amount_off=Subquery(in_currency.values("amount_off")[:1]),
            minimum_order=Subquery(in_currency.values("minimum_order")[:1]),
            redeemed=redeemed,
        )
        .first()
    )
    if voucher is None:
        return None
    amounts = None
    if voucher.amounts_id is not None:
        amounts = VoucherCurrency(
            pk=voucher.amounts_id, voucher=voucher, currency=currency,
            amount_off=voucher.amount_off, minimum_order=voucher.minimum_order,
        )  # fmt: skip
    return VoucherInfo(
        voucher=voucher,
        amounts=amounts,
        already_redeemed_by_customer=bool(voucher.once_per_customer and voucher.redeemed),
    )
