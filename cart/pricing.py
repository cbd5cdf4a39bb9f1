"""The one pricing function: every total a shopper, an API client, a mail or staff sees.

``price_cart(cart, locale)`` loads what it needs once (``cart.fetch``), computes a
:class:`CartPricing` without touching the database (:func:`calculate`), then looks up add-on
suggestions for the free-shipping gap (a fixed number of queries too).

Amounts are *shown* amounts: with tax where the market shows prices with tax, without where tax
is added. The identity every caller may rely on::

    total = subtotal - discount + shipping + added tax + prepaid duties + payment fee

Rounding: unit prices are rounded to the currency's minor unit when they are priced
(``shop.prices.unit_price``); every other component is computed at full precision and rounded
once, in :func:`_round`, when the result is assembled. The total is the sum of those rounded
components, so the lines on the page always add up to the total charged.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from moneyed import Money

from cart.fetch import (
    CartInfo,
    LineInfo,
    fetch_cart_info,
    fetch_lines_of_carts,
    fetch_vouchers_of_carts,
    shared_market_data,
)
from cart.models import Cart, VoucherKind
from cart.suggestions import Suggestion, addon_suggestions
from shop.locale import ShopLocale
from shop.models import DutyMode, PaymentMethod, TrustBadge
from shop.money import format_money, round_to_minor_unit
from shop.prices import UnitPrice, unit_price

HUNDRED = Decimal(100)
ZERO = Decimal(0)


class StockState:
    IN_STOCK = "in_stock"
    LOW = "low"
    INSUFFICIENT = "insufficient"
    OUT = "out_of_stock"


@dataclass(frozen=True)
class LinePricing:
    line_id: int
    sku: str
    product_name: str
    product_slug: str
    attributes: list[tuple[str, str, str]]  # (attribute name, value, swatch)
    image_url: str | None
    quantity: int
    unit: UnitPrice
    unit_price: Money
    line_total: Money
    added_at: datetime
    stock_state: str
    stock_available: int | None  # None when stock is not tracked
    price_seen: Money | None  # the unit price when added, if it has changed since
    tax_class: str

    @property
    def price_changed(self) -> bool:
        return self.price_seen is not None

    @property
    def price_went_down(self) -> bool:
        return self.price_seen is not None and self.unit_price < self.price_seen


@dataclass(frozen=True)
class DiscountLine:
    kind: str  # "promotion" or "voucher"
    label: str
    amount: Money
    ends_at: datetime | None = None
    code: str = ""


@dataclass(frozen=True)
class ShippingOption:
    method_id: int
    name: str
    carrier: str
    price: Money
    regular_price: Money
    is_free: bool
    tracked: bool
    delivery_from: date
    delivery_to: date
    min_days: int
    max_days: int


@dataclass(frozen=True)
class PaymentOption:
    code: str
    name: str
    fee: Money
    available: bool
    min_order: Money | None
    max_order: Money | None
    max_instalments: int


@dataclass(frozen=True)
class FreeShipping:
    threshold: Money
    missing: Money
    progress: Decimal  # 0..1
    unlocked: bool


@dataclass
class CartPricing:
    currency: str
    country: str
    language: str
    prices_include_tax: bool
    lines: list[LinePricing]
    item_count: int
    subtotal: Money
    discounts: list[DiscountLine]
    discount: Money
    shipping_options: list[ShippingOption]
    shipping: ShippingOption | None
    shipping_price: Money
    tax: Money
    tax_included: bool
    tax_known: bool  # False when the rate depends on a region not chosen yet (US state)
    tax_rate: Decimal  # the standard rate, for the one-line explanation
    duties: Money
    duty_mode: str
    duties_prepaid: bool
    payment_fee: Money
    payment_method: str
    total: Money
    free_shipping: FreeShipping | None
    payment_options: list[PaymentOption]
    trust_badges: list[TrustBadge]
    voucher_code: str = ""
    voucher_error: str = ""
    promotion_ends_at: datetime | None = None
    suggestions: list[Suggestion] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def can_check_out(self) -> bool:
        return bool(self.lines) and all(
            line.stock_state not in {StockState.OUT, StockState.INSUFFICIENT}
            for line in self.lines
        )

    @property
    def added_tax(self) -> Money:
        return self.tax if not self.tax_included else Money(0, self.currency)

    @property
    def prepaid_duties(self) -> Money:
        return self.duties if self.duties_prepaid else Money(0, self.currency)


def locale_for_cart(cart: Cart) -> ShopLocale:
    """The locale of the cart's last activity, for pricing outside a request (admin, mails)."""
    return ShopLocale(
        language=cart.language or settings.LANGUAGE_CODE,
        country=cart.country.code if cart.country else settings.SHOP_DEFAULT_COUNTRY,
        currency=cart.currency or (cart.market.currency if cart.market else settings.BASE_CURRENCY),
        market=cart.market,
    )


def empty_cart(locale: ShopLocale) -> Cart:
    """An unsaved cart, to show an empty cart's shipping, payment and trust information."""
    return Cart(market=locale.market, country=locale.country, currency=locale.currency,
                language=locale.language)  # fmt: skip


def price_cart(
    cart: Cart,
    locale: ShopLocale,
    *,
    shipping_method_id: int | None = None,
    payment_method: str | None = None,
    with_suggestions: bool = True,
    now: datetime | None = None,
) -> CartPricing:
    """Price ``cart`` for ``locale`` (the request's market, country and currency)."""
    info = fetch_cart_info(cart, locale, now=now)
    pricing = calculate(info, shipping_method_id=shipping_method_id, payment_method=payment_method)
    if with_suggestions and pricing.free_shipping and not pricing.free_shipping.unlocked:
        pricing.suggestions = addon_suggestions(info, pricing.free_shipping.missing)
    return pricing


def price_carts(carts, *, now: datetime | None = None) -> dict[int, CartPricing]:
    """Price many carts at once, each for its own last locale (:func:`locale_for_cart`), without
    add-on suggestions: for jobs such as a recovery newsletter's batch. Keyed by cart id.

    A fixed number of queries whatever the number of carts: their lines in one, their vouchers
    in three when any has one (market rules and the catalog come from the configuration cache).
    """
    carts = list(carts)
    now = now or timezone.now()
    locales = {cart.pk: locale_for_cart(cart) for cart in carts}
    lines = fetch_lines_of_carts(carts)
    vouchers = fetch_vouchers_of_carts(carts, lambda cart: locales[cart.pk].currency)
    with shared_market_data():
        return {
            cart.pk: calculate(
                fetch_cart_info(cart, locales[cart.pk], now=now, lines=lines[cart.pk],
                                voucher=vouchers[cart.pk])  # fmt: skip
            )
            for cart in carts
        }


def calculate(
    info: CartInfo,
    *,
    shipping_method_id: int | None = None,
    payment_method: str | None = None,
) -> CartPricing:
    """Compute the pricing from loaded data. No database access."""
    currency = info.locale.currency
    context = info.prices
    lines: list[LinePricing] = []
    warnings: list[str] = []
    promotion_amounts: dict[int, Decimal] = defaultdict(Decimal)
    # Per tax class: goods amount after promotions (shown terms), to spread the voucher and tax.
    class_amounts: dict[str, Decimal] = defaultdict(Decimal)

    for item in info.lines:
        priced = _price_line(item, info)
        lines.append(priced)
        promotion = _best_promotion(item, info)
        line_after_promotion = priced.line_total.amount
        if promotion is not None:
            cut = priced.line_total.amount * promotion.percentage / HUNDRED
            promotion_amounts[promotion.pk] += cut
            line_after_promotion -= cut
        class_amounts[priced.tax_class] += line_after_promotion
        if priced.price_changed:
            warnings.append(
                _("The price of %(name)s has changed since you added it.")
                % {"name": priced.product_name}
            )
        if priced.stock_state == StockState.OUT:
            warnings.append(_("%(name)s is sold out.") % {"name": priced.product_name})
        elif priced.stock_state == StockState.INSUFFICIENT:
            warnings.append(
                ngettext(
                    "Only %(count)s of %(name)s left: lower the quantity to check out.",
                    "Only %(count)s of %(name)s left: lower the quantity to check out.",
                    priced.stock_available,
                )
                % {"count": priced.stock_available, "name": priced.product_name}
            )

    subtotal = sum((line.line_total.amount for line in lines), ZERO)
    discounts = [
        DiscountLine(
            kind="promotion",
            label=str(info.promotions[pk].name),
            amount=_round(Money(amount, currency)),
            ends_at=info.promotions[pk].ends_at,
        )
        for pk, amount in promotion_amounts.items()
        if amount > 0
    ]
    goods = subtotal - sum((d.amount.amount for d in discounts), ZERO)

    voucher_code, voucher_error, voucher_amount, free_shipping_voucher = "", "", ZERO, False
    if info.voucher is not None:
        voucher_code = info.voucher.voucher.code
        voucher_error = voucher_problem(info, goods)
        if not voucher_error:
            voucher = info.voucher.voucher
            if voucher.kind == VoucherKind.PERCENTAGE:
                voucher_amount = goods * voucher.percentage / HUNDRED
            elif voucher.kind == VoucherKind.FIXED:
                voucher_amount = min(info.voucher.amounts.amount_off, goods)
            else:
                free_shipping_voucher = True
            voucher_amount = _round(Money(voucher_amount, currency)).amount
            if voucher_amount or free_shipping_voucher:
                discounts.append(
                    DiscountLine(
                        kind="voucher",
                        label=_("Voucher %(code)s") % {"code": voucher_code},
                        amount=Money(voucher_amount, currency),
                        code=voucher_code,
                    )
                )
    discount = min(sum((d.amount.amount for d in discounts), ZERO), subtotal)
    goods_after = subtotal - discount
    # Spread the voucher over tax classes in proportion to their amounts.
    if voucher_amount and goods > 0:
        share = (goods - voucher_amount) / goods
        class_amounts = defaultdict(Decimal, {k: v * share for k, v in class_amounts.items()})

    shipping_options = _shipping_options(info, goods_after, free_shipping_voucher)
    chosen_id = shipping_method_id or info.cart.shipping_method_id
    shipping = next((o for o in shipping_options if o.method_id == chosen_id), None)
    if shipping is None and shipping_options:
        shipping = shipping_options[0]
    shipping_amount = shipping.price.amount if shipping and lines else ZERO

    standard_rate = context.tax_rate("standard")
    if context.prices_include_tax:
        # Shown prices hold the tax: take out the part each rate put in. Shipping is taxed at
        # the standard rate.
        goods_tax = sum(
            (amount * context.tax_rate(cls) / (HUNDRED + context.tax_rate(cls))
             for cls, amount in class_amounts.items()),
            ZERO,
        )  # fmt: skip
        tax = goods_tax + shipping_amount * standard_rate / (HUNDRED + standard_rate)
        goods_net = goods_after - goods_tax
    else:
        # Tax is added on the goods; shipping is not taxed.
        tax = sum(
            (amount * context.tax_rate(cls) / HUNDRED for cls, amount in class_amounts.items()),
            ZERO,
        )
        goods_net = goods_after
    tax_money = _round(Money(tax, currency))
    tax_known = bool(context.tax_rates) or info.market is None

    duties, duty_mode, duties_prepaid = _duties(info, goods_net)
    duties_money = _round(Money(duties, currency))

    added_tax = ZERO if context.prices_include_tax else tax_money.amount
    before_fee = goods_after + shipping_amount + added_tax + (
        duties_money.amount if duties_prepaid else ZERO
    )
    payment_options = _payment_options(info.payment_methods, before_fee, currency)
    chosen_payment = next(
        (p for p in payment_options if p.code == payment_method and p.available), None
    )
    fee = chosen_payment.fee.amount if chosen_payment and lines else ZERO

    total = _round(Money(before_fee + fee, currency))  # already whole minor units
    promotion_ends = [d.ends_at for d in discounts if d.ends_at]
    return CartPricing(
        currency=currency,
        country=info.locale.country,
        language=info.locale.language,
        prices_include_tax=context.prices_include_tax,
        lines=lines,
        item_count=sum(line.quantity for line in lines),
        subtotal=_round(Money(subtotal, currency)),
        discounts=discounts,
        discount=_round(Money(discount, currency)),
        shipping_options=shipping_options,
        shipping=shipping,
        shipping_price=_round(Money(shipping_amount, currency)),
        tax=tax_money,
        tax_included=context.prices_include_tax,
        tax_known=tax_known,
        tax_rate=standard_rate,
        duties=duties_money,
        duty_mode=duty_mode,
        duties_prepaid=duties_prepaid,
        payment_fee=_round(Money(fee, currency)),
        payment_method=chosen_payment.code if chosen_payment else "",
        total=total,
        free_shipping=_free_shipping(info, goods_after, shipping_options, free_shipping_voucher),
        payment_options=payment_options,
        trust_badges=info.trust_badges,
        voucher_code=voucher_code,
        voucher_error=voucher_error,
        promotion_ends_at=min(promotion_ends) if promotion_ends else None,
        warnings=warnings,
    )


def _round(money: Money) -> Money:
    """The one rounding point of the cart's totals (see the module docstring)."""
    return round_to_minor_unit(money)


def _price_line(item: LineInfo, info: CartInfo) -> LinePricing:
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
    price_seen = seen if changed else None
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
        price_seen=price_seen,
        tax_class=product.tax_class,
    )


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


def _best_promotion(item: LineInfo, info: CartInfo):
    candidates = [info.promotions[pk] for pk in item.promotion_ids] + info.promotions_for_all
    return max(candidates, key=lambda p: p.percentage, default=None)


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


def _shipping_options(
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
                price=_round(Money(ZERO if free else regular, currency)),
                regular_price=_round(Money(regular, currency)),
                is_free=free,
                tracked=method.tracked,
                delivery_from=business_days_after(dispatch, method.min_delivery_days),
                delivery_to=business_days_after(dispatch, method.max_delivery_days),
                min_days=method.min_delivery_days,
                max_days=method.max_delivery_days,
            )
        )
    return sorted(options, key=lambda o: (o.price.amount, o.max_days, o.method_id))


def _free_shipping(
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
        threshold=_round(Money(threshold, currency)),
        missing=_round(Money(missing, currency)),
        progress=progress.quantize(Decimal("0.01")),
        unlocked=unlocked,
    )


def _duties(info: CartInfo, value: Decimal) -> tuple[Decimal, str, bool]:
    """Duties on the goods' value without tax; none below the de-minimis threshold."""
    market = info.market
    if market is None or market.duty_mode == DutyMode.NONE or market.duty_rate <= 0:
        return ZERO, DutyMode.NONE, False
    if value <= 0 or value < market.duty_de_minimis:
        return ZERO, market.duty_mode, market.duty_mode == DutyMode.DDP
    return value * market.duty_rate / HUNDRED, market.duty_mode, market.duty_mode == DutyMode.DDP


def _payment_options(
    methods: list[PaymentMethod], amount: Decimal, currency: str
) -> list[PaymentOption]:
    return [
        PaymentOption(
            code=method.code,
            name=str(method.get_code_display()),
            fee=_round(Money(method.fee, currency)),
            available=method.accepts(amount),
            min_order=_round(Money(method.min_order_amount, currency))
            if method.min_order_amount is not None
            else None,
            max_order=_round(Money(method.max_order_amount, currency))
            if method.max_order_amount is not None
            else None,
            max_instalments=method.max_instalments,
        )
        for method in methods
    ]


__all__ = [
    "CartPricing",
    "DiscountLine",
    "FreeShipping",
    "LinePricing",
    "PaymentOption",
    "ShippingOption",
    "StockState",
    "Suggestion",
    "calculate",
    "locale_for_cart",
    "price_cart",
    "price_carts",
]
