"""Properties of ``cart.pricing.calculate`` over generated carts (hypothesis), without a database:
the carts are built in memory from unsaved model instances, as ``cart.fetch`` would load them.

* the total is the sum of the parts shown: subtotal - discount + shipping + added tax
  + prepaid duties + payment fee, exactly;
* it is never negative;
* every amount has the currency's minor unit (JPY 0 decimals, EUR 2, BHD 3);
* the order of the lines does not matter.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moneyed import Money

from cart.fetch import CartInfo, LineInfo, VoucherInfo
from cart.models import Cart, CartLine, Promotion, Voucher, VoucherCurrency
from cart.pricing import CartPricing, calculate
from shop.exchange import RecordedRatesBackend
from shop.locale import ShopLocale
from shop.models import Market, PaymentMethod, Product, ShippingMethod, Variant
from shop.money import minor_units
from shop.prices import PriceContext

RATES = RecordedRatesBackend().get_rates("EUR")
NOW = datetime(2026, 11, 25, 10, 0).astimezone()
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# (currency, country, prices include tax, price rule)
MARKETS = [
    ("EUR", "DE", True, "none"),
    ("EUR", "NL", True, "x99"),
    ("USD", "US", False, "none"),
    ("USD", "US", False, "x99"),
    ("JPY", "JP", True, "none"),
    ("BHD", "BH", True, "none"),
    ("BHD", "BH", False, "whole"),
    ("BRL", "BR", True, "x99"),
]


def amounts(max_value: str, places: int = 3, min_value: str = "0"):
    return st.decimals(min_value=Decimal(min_value), max_value=Decimal(max_value), places=places)


@st.composite
def market_amounts(draw, max_value: int, currency: str, min_value: int = 0):
    """An amount a shop enters for a market (shipping price, threshold, fee, limit): whole minor
    units of the currency, stored like the database's ``decimal_places=3`` columns return it."""
    places = minor_units(currency)
    units = draw(st.integers(min_value * 10**places, max_value * 10**places))
    return (Decimal(units) / 10**places).quantize(Decimal("0.001"))


percentages = amounts("100", places=2)
tax_rate = amounts("27", places=3)


@st.composite
def line_specs(draw, promotion_ids: list[int]):
    return {
        "net": draw(amounts("400")),
        "quantity": draw(st.integers(min_value=1, max_value=99)),
        "tax_class": draw(st.sampled_from(["standard", "reduced", "zero"])),
        "fixed": draw(st.none() | amounts("999")),
        "promotions": draw(st.frozensets(st.sampled_from(promotion_ids)))
        if promotion_ids
        else frozenset(),
    }


@st.composite
def cart_infos(draw) -> CartInfo:
    currency, country, include_tax, rule = draw(st.sampled_from(MARKETS))
    market = Market(
        pk=1, name="Market", code="m", currency=currency, prices_include_tax=include_tax,
        price_rounding=rule, duty_mode=draw(st.sampled_from(["none", "ddp", "dap"])),
        duty_rate=draw(amounts("30")), duty_de_minimis=draw(market_amounts(300, currency)),
    )  # fmt: skip
    context = PriceContext(
        currency=currency, country=country, prices_include_tax=include_tax, price_rounding=rule,
        base_currency="EUR", rates=RATES,
        tax_rates={"standard": draw(tax_rate), "reduced": draw(tax_rate)},
    )  # fmt: skip

    promotions = {
        pk: Promotion(pk=pk, name=f"Promotion {pk}", percentage=draw(percentages),
                      starts_at=NOW - timedelta(days=1),
                      ends_at=NOW + timedelta(hours=draw(st.integers(1, 200))))  # fmt: skip
        for pk in range(1, draw(st.integers(0, 3)) + 1)
    }
    for_all = [p for p in promotions.values() if draw(st.booleans())]
    specs = draw(st.lists(line_specs(list(promotions)), min_size=1, max_size=8))
    lines = [make_line(number, spec, currency) for number, spec in enumerate(specs, start=1)]

    shipping = [
        ShippingMethod(pk=pk, name=f"Method {pk}", carrier="Carrier",
                       price=draw(market_amounts(60, currency)),
                       free_shipping_threshold=draw(st.none() | market_amounts(500, currency)),
                       min_delivery_days=days, max_delivery_days=days + draw(st.integers(0, 5)))
        for pk, days in enumerate(draw(st.lists(st.integers(0, 10), max_size=3)), start=1)
    ]  # fmt: skip
    payment = [
        PaymentMethod(pk=pk, code=code, fee=draw(market_amounts(15, currency)),
                      min_order_amount=draw(st.none() | market_amounts(100, currency)),
                      max_order_amount=draw(st.none() | market_amounts(5000, currency, 100)))
        for pk, code in enumerate(draw(st.lists(st.sampled_from(["card", "paypal", "klarna"]),
                                                unique=True, max_size=3)), start=1)
    ]  # fmt: skip
    cart = Cart(pk=1, market=market, country=country, currency=currency, language="en",
                shipping_method_id=draw(st.none() | st.integers(1, 3)))  # fmt: skip
    return CartInfo(
        cart=cart,
        locale=ShopLocale(language="en", country=country, currency=currency, market=market),
        market=market,
        prices=context,
        lines=lines,
        shipping_methods=shipping,
        payment_methods=payment,
        trust_badges=[],
        promotions=promotions,
        promotions_for_all=for_all,
        voucher=draw(st.none() | vouchers(currency)),
        now=NOW,
    )


def make_line(number: int, spec: dict, currency: str) -> LineInfo:
    product = Product(pk=number, name=f"Product {number}", slug=f"product-{number}",
                      tax_class=spec["tax_class"])  # fmt: skip
    variant = Variant(pk=number, product=product, sku=f"SKU-{number}",
                      price=Money(spec["net"], "EUR"), track_stock=False)  # fmt: skip
    line = CartLine(pk=number, variant=variant, quantity=spec["quantity"], unit_price_seen=None,
                    added_at=NOW)  # fmt: skip
    fixed = {currency: Money(spec["fixed"], currency)} if spec["fixed"] is not None else {}
    return LineInfo(line=line, variant=variant, fixed_prices=fixed, attributes=[], image_url=None,
                    promotion_ids=spec["promotions"])  # fmt: skip


@st.composite
def vouchers(draw, currency: str) -> VoucherInfo:
    kind = draw(st.sampled_from(["percentage", "fixed", "free_shipping"]))
    voucher = Voucher(pk=1, code="CODE", kind=kind, active=True,
                      percentage=draw(amounts("100", 2, "0.01")) if kind == "percentage" else None)
    amounts_row = VoucherCurrency(
        voucher=voucher, currency=currency,
        amount_off=draw(market_amounts(300, currency)) if kind == "fixed" else None,
        minimum_order=draw(st.none() | market_amounts(200, currency)),
    )  # fmt: skip
    return VoucherInfo(voucher=voucher, amounts=amounts_row, already_redeemed_by_customer=False)


choices = st.fixed_dictionaries(
    {
        "shipping_method_id": st.none() | st.integers(1, 3),
        "payment_method": st.none() | st.sampled_from(["card", "paypal", "klarna"]),
    }
)


def has_minor_unit(money: Money, currency: str) -> bool:
    return str(money.currency) == currency and (
        money.amount.as_tuple().exponent == -minor_units(currency)
    )


def totals(pricing: CartPricing) -> tuple:
    return (
        pricing.subtotal, pricing.discount, pricing.shipping_price, pricing.tax, pricing.duties,
        pricing.payment_fee, pricing.total, pricing.item_count,
        sorted((d.label, d.amount.amount) for d in pricing.discounts),
    )  # fmt: skip


@PROPERTY_SETTINGS
@given(info=cart_infos(), choice=choices)
def test_total_is_exactly_the_sum_of_the_parts_shown(info, choice):
    p = calculate(info, **choice)

    assert p.total == (
        p.subtotal - p.discount + p.shipping_price + p.added_tax + p.prepaid_duties + p.payment_fee
    )
    assert p.subtotal == sum((line.line_total for line in p.lines), Money(0, p.currency))
    assert p.discount == sum((d.amount for d in p.discounts), Money(0, p.currency))


@PROPERTY_SETTINGS
@given(info=cart_infos(), choice=choices)
def test_total_and_every_part_are_never_negative(info, choice):
    p = calculate(info, **choice)

    assert p.total.amount >= 0
    for part in (p.subtotal, p.discount, p.shipping_price, p.tax, p.duties, p.payment_fee):
        assert part.amount >= 0
    assert p.discount <= p.subtotal


@PROPERTY_SETTINGS
@given(info=cart_infos(), choice=choices)
def test_the_totals_have_exactly_the_currencys_minor_unit(info, choice):
    p = calculate(info, **choice)

    parts = {
        "subtotal": p.subtotal, "discount": p.discount, "shipping_price": p.shipping_price,
        "tax": p.tax, "duties": p.duties, "payment_fee": p.payment_fee, "total": p.total,
    }  # fmt: skip
    wrong = {name: str(m.amount) for name, m in parts.items() if not has_minor_unit(m, p.currency)}
    assert wrong == {}, f"not in {p.currency}'s minor unit ({minor_units(p.currency)} decimals)"


@PROPERTY_SETTINGS
@given(info=cart_infos(), choice=choices)
def test_lines_discounts_and_options_have_exactly_the_currencys_minor_unit(info, choice):
    p = calculate(info, **choice)

    amounts_shown = {
        f"line {line.sku} unit": line.unit_price for line in p.lines
    } | {f"line {line.sku} total": line.line_total for line in p.lines}
    amounts_shown |= {f"discount {d.label}": d.amount for d in p.discounts}
    for option in p.shipping_options:
        amounts_shown[f"shipping {option.name}"] = option.price
        amounts_shown[f"shipping {option.name} regular"] = option.regular_price
    if p.free_shipping:
        amounts_shown["free shipping threshold"] = p.free_shipping.threshold
        amounts_shown["free shipping missing"] = p.free_shipping.missing
    for option in p.payment_options:
        amounts_shown[f"payment {option.code} fee"] = option.fee
        if option.min_order is not None:
            amounts_shown[f"payment {option.code} min"] = option.min_order
        if option.max_order is not None:
            amounts_shown[f"payment {option.code} max"] = option.max_order
    wrong = {
        k: str(m.amount) for k, m in amounts_shown.items() if not has_minor_unit(m, p.currency)
    }
    assert wrong == {}, f"not in {p.currency}'s minor unit ({minor_units(p.currency)} decimals)"


@PROPERTY_SETTINGS
@given(info=cart_infos(), choice=choices, data=st.data())
def test_the_order_of_the_lines_does_not_change_any_total(info, choice, data):
    shuffled = data.draw(st.permutations(info.lines))
    reordered = CartInfo(**{**info.__dict__, "lines": shuffled})

    assert totals(calculate(reordered, **choice)) == totals(calculate(info, **choice))


@PROPERTY_SETTINGS
@given(info=cart_infos())
def test_the_free_shipping_bar_adds_up(info):
    p = calculate(info)

    if p.free_shipping is not None:
        free = p.free_shipping
        assert Decimal(0) <= free.progress <= Decimal(1)
        assert free.unlocked == (free.missing.amount == 0)
        if not free.unlocked:
            assert p.subtotal - p.discount + free.missing == free.threshold
