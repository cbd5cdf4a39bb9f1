"""The price of one unit of a variant as a shopper in a market sees it.

Everything here is arithmetic on data already loaded (a :class:`PriceContext` built once per
request by ``shop.selectors.price_context``), so pricing a list of products runs no query per
product. The cart's pricing function builds its totals on :func:`unit_price`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from moneyed import Money

from shop.money import apply_price_rule, convert, round_to_minor_unit

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class PriceContext:
    """What pricing needs about the shopper's market, loaded once."""

    currency: str
    country: str
    prices_include_tax: bool
    price_rounding: str
    base_currency: str
    rates: Mapping[str, Decimal]
    # tax_class -> rate in percent for the shopper's country (and region, when known)
    tax_rates: Mapping[str, Decimal] = field(default_factory=dict)
    # whether the standard rate also applies to shipping and payment fees there
    taxes_shipping: bool = True

    def tax_rate(self, tax_class: str) -> Decimal:
        return self.tax_rates.get(tax_class, Decimal(0))


@dataclass(frozen=True)
class UnitPrice:
    """One unit's price: ``shown`` is what the page displays (gross or net, as the market says)."""

    net: Money
    tax: Money
    gross: Money
    tax_rate: Decimal
    includes_tax: bool

    @property
    def shown(self) -> Money:
        return self.gross if self.includes_tax else self.net


def unit_price(
    *,
    net_base: Money,
    tax_class: str,
    fixed_prices: Mapping[str, Money],
    context: PriceContext,
) -> UnitPrice:
    """Price one unit for ``context``.

    A fixed price in the shopper's currency is taken as the shown price. Otherwise the net base
    price is converted, tax is added where the market shows prices with tax, and the market's
    price rule (x.99, whole units) is applied to the shown price. The other amounts are derived
    from the shown one, so net + tax = gross holds exactly after rounding.
    """
    rate = context.tax_rate(tax_class)
    factor = 1 + rate / HUNDRED
    fixed = fixed_prices.get(context.currency)
    if fixed is not None:
        shown = round_to_minor_unit(fixed)
    else:
        net = convert(net_base, context.currency, context.rates, context.base_currency)
        raw_shown = net * factor if context.prices_include_tax else net
        shown = apply_price_rule(raw_shown, context.price_rounding)
    if context.prices_include_tax:
        gross = shown
        net = round_to_minor_unit(Money(shown.amount / factor, context.currency))
    else:
        net = shown
        gross = round_to_minor_unit(Money(shown.amount * factor, context.currency))
    return UnitPrice(
        net=net, tax=gross - net, gross=gross, tax_rate=rate,
        includes_tax=context.prices_include_tax,
    )  # fmt: skip


def variant_unit_price(variant, context: PriceContext) -> UnitPrice:
    """:func:`unit_price` for a ``Variant`` whose product and fixed prices are loaded
    (``shop.selectors.storefront_products`` prefetches them)."""
    return unit_price(
        net_base=variant.price,
        tax_class=variant.product.tax_class,
        fixed_prices={str(p.price.currency): p.price for p in variant.prices.all()},
        context=context,
    )
