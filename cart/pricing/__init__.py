"""The one pricing function: every total a shopper, an API client, a mail or staff sees.

``price_cart(cart, locale)`` loads what it needs once (``cart.fetch``), computes a
:class:`CartPricing` without touching the database (:func:`calculate`), then looks up add-on
suggestions for the free-shipping gap (one query).

:func:`calculate` assembles pure functions, one per component, each tested on its own:
``lines`` (unit prices, line totals, stock, promotions), ``vouchers``, ``shipping``, ``tax``,
``duties``, ``fees`` (payment methods), then the totals here.

Amounts are *shown* amounts: with tax where the market shows prices with tax, without where tax
is added. The identity every caller may rely on::

    total = subtotal - discount + shipping + added tax + prepaid duties + payment fee

Rounding: unit prices are rounded to the currency's minor unit when they are priced
(``shop.prices.unit_price``); every other component is computed at full precision and rounded
once, by ``types.rounded``, when the result is assembled. The total is the sum of those rounded
components, so the lines on the page always add up to the total charged.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from cart.fetch import (
    CartInfo,
    fetch_cart_info,
    fetch_lines_of_carts,
    fetch_vouchers_of_carts,
)
from cart.models import Cart
from cart.pricing.duties import duties
from cart.pricing.fees import chosen_fee, payment_options
from cart.pricing.lines import price_lines, promotion_discounts, stock_state
from cart.pricing.shipping import (
    business_days_after,
    choose_shipping,
    dispatch_date,
    free_shipping,
    shipping_options,
)
from cart.pricing.tax import Tax, charge_tax, goods_tax, tax_is_known
from cart.pricing.types import (
    ZERO,
    CartPricing,
    DiscountLine,
    FreeShipping,
    LinePricing,
    PaymentOption,
    ShippingOption,
    StockState,
    rounded,
)
from cart.pricing.vouchers import apply_voucher, spread_voucher, voucher_problem
from cart.suggestions import Suggestion, addon_suggestions
from shop.locale import ShopLocale


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
    included = context.prices_include_tax

    priced = price_lines(info)
    has_lines = bool(priced.lines)
    subtotal = priced.subtotal
    discounts = promotion_discounts(info, priced.promotion_cuts)
    goods = subtotal - sum((d.amount.amount for d in discounts), ZERO)
    voucher = apply_voucher(info, goods)
    if voucher.discount is not None:
        discounts.append(voucher.discount)
    discount = min(sum((d.amount.amount for d in discounts), ZERO), subtotal)
    goods_after = subtotal - discount
    class_amounts = spread_voucher(priced.class_amounts, goods, voucher.amount)

    options = shipping_options(info, goods_after, voucher.free_shipping)
    shipping = choose_shipping(options, shipping_method_id or info.cart.shipping_method_id)
    shipping_amount = shipping.price.amount if shipping and has_lines else ZERO

    tax_on_goods = goods_tax(context, class_amounts)
    tax_on_shipping = charge_tax(context, shipping_amount)
    goods_net = goods_after - tax_on_goods if included else goods_after
    shipping_net = shipping_amount - tax_on_shipping if included else shipping_amount
    duty_amount, duty_mode, duties_prepaid = duties(info.market, goods_net, shipping_net)
    duties_money = rounded(duty_amount, currency)

    def added(tax_amount):
        return ZERO if included else rounded(tax_amount, currency).amount

    before_fee = (
        goods_after + shipping_amount + added(tax_on_goods + tax_on_shipping)
        + (duties_money.amount if duties_prepaid else ZERO)
    )  # fmt: skip
    payments = payment_options(info.payment_methods, before_fee, currency)
    chosen_payment, fee = chosen_fee(payments, payment_method)
    fee = fee if has_lines else ZERO
    tax = Tax(goods=tax_on_goods, shipping=tax_on_shipping, fee=charge_tax(context, fee))
    tax_money = rounded(tax.total, currency)
    added_tax = ZERO if included else tax_money.amount

    total = rounded(
        goods_after + shipping_amount + added_tax
        + (duties_money.amount if duties_prepaid else ZERO) + fee,
        currency,
    )  # fmt: skip
    promotion_ends = [d.ends_at for d in discounts if d.ends_at]
    return CartPricing(
        currency=currency,
        country=info.locale.country,
        language=info.locale.language,
        prices_include_tax=included,
        lines=priced.lines,
        item_count=sum(line.quantity for line in priced.lines),
        subtotal=rounded(subtotal, currency),
        discounts=discounts,
        discount=rounded(discount, currency),
        shipping_options=options,
        shipping=shipping,
        shipping_price=rounded(shipping_amount, currency),
        tax=tax_money,
        tax_included=included,
        tax_known=tax_is_known(context, info.market is not None),
        tax_rate=context.tax_rate("standard"),
        duties=duties_money,
        duty_mode=duty_mode,
        duties_prepaid=duties_prepaid,
        payment_fee=rounded(fee, currency),
        payment_method=chosen_payment.code if chosen_payment else "",
        total=total,
        free_shipping=free_shipping(info, goods_after, options, voucher.free_shipping),
        payment_options=payments,
        trust_badges=info.trust_badges,
        voucher_code=voucher.code,
        voucher_error=voucher.error,
        promotion_ends_at=min(promotion_ends) if promotion_ends else None,
        warnings=priced.warnings,
    )


__all__ = [
    "CartPricing",
    "DiscountLine",
    "FreeShipping",
    "LinePricing",
    "PaymentOption",
    "ShippingOption",
    "StockState",
    "Suggestion",
    "business_days_after",
    "calculate",
    "dispatch_date",
    "empty_cart",
    "locale_for_cart",
    "price_cart",
    "price_carts",
    "stock_state",
    "voucher_problem",
]
