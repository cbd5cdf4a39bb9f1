"""The price of one unit as a shopper in a market sees it: tax, fixed prices, price rules."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from moneyed import Money

from shop.exchange import RecordedRatesBackend
from shop.money import minor_units
from shop.prices import PriceContext, unit_price

RATES = RecordedRatesBackend().get_rates("EUR")


def context(currency="EUR", country="DE", *, include_tax=True, rounding="none", tax=None):
    return PriceContext(
        currency=currency, country=country, prices_include_tax=include_tax,
        price_rounding=rounding, base_currency="EUR", rates=RATES,
        tax_rates={"standard": Decimal("19")} if tax is None else tax,
    )  # fmt: skip


def price(net="10", *, fixed=None, tax_class="standard", **kwargs):
    return unit_price(
        net_base=Money(net, "EUR"), tax_class=tax_class, fixed_prices=fixed or {},
        context=context(**kwargs),
    )  # fmt: skip


def test_german_prices_include_19_percent_vat():
    result = price("10")

    assert result.shown == Money("11.90", "EUR")
    assert (result.net, result.tax, result.gross) == (
        Money("10.00", "EUR"),
        Money("1.90", "EUR"),
        Money("11.90", "EUR"),
    )
    assert result.includes_tax and result.tax_rate == Decimal("19")


def test_us_prices_are_shown_net_and_tax_is_added():
    result = price("10", currency="USD", country="US", include_tax=False,
                   tax={"standard": Decimal("8.875")})  # fmt: skip

    assert result.shown == result.net == Money("11.59", "USD")  # 10 EUR at 1.1587
    assert result.gross == Money("12.62", "USD")  # 11.59 * 1.08875 = 12.6186...
    assert result.tax == Money("1.03", "USD")
    assert not result.includes_tax


def test_a_tax_class_without_a_rate_in_the_country_is_untaxed():
    result = price("10", tax_class="reduced")

    assert result.tax_rate == 0
    assert result.net == result.gross == Money("10.00", "EUR")


def test_fixed_price_in_the_shoppers_currency_wins_over_conversion():
    fixed = {"USD": Money("9.99", "USD")}

    us = price("10", fixed=fixed, currency="USD", country="US", include_tax=False,
               rounding="whole", tax={"standard": Decimal("5")})  # fmt: skip

    assert us.shown == Money("9.99", "USD")  # neither converted nor lifted by the price rule


def test_fixed_price_is_the_gross_price_where_prices_include_tax():
    result = price("10", fixed={"EUR": Money("14.99", "EUR")}, rounding="x99")

    assert result.gross == Money("14.99", "EUR")
    assert result.net == Money("12.60", "EUR")  # 14.99 / 1.19 = 12.596...
    assert result.tax == Money("2.39", "EUR")


def test_fixed_price_in_another_currency_is_ignored():
    result = price("10", fixed={"USD": Money("1", "USD")})

    assert result.shown == Money("11.90", "EUR")


def test_x99_rule_applies_to_the_shown_gross_price():
    result = price("10", rounding="x99")

    assert result.shown == Money("11.99", "EUR")  # 11.90 incl. VAT lifted to 11.99
    assert result.net == Money("10.08", "EUR")
    assert result.tax == Money("1.91", "EUR")


def test_x99_rule_applies_to_the_shown_net_price_where_tax_is_added():
    result = price("10", currency="USD", country="US", include_tax=False, rounding="x99",
                   tax={"standard": Decimal("0")})  # fmt: skip

    assert result.shown == Money("11.99", "USD")


def test_yen_prices_are_whole_yen():
    result = price("10", currency="JPY", country="JP", tax={"standard": Decimal("10")})

    assert result.gross == Money("1981", "JPY")  # 10 * 180.12 * 1.10 = 1981.32
    assert result.net == Money("1801", "JPY")
    assert result.tax == Money("180", "JPY")


tax_rates = st.decimals(min_value=Decimal("0"), max_value=Decimal("30"), places=3)
nets = st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=3)


@given(
    net=nets,
    rate=tax_rates,
    currency=st.sampled_from(["EUR", "USD", "JPY", "BHD", "PLN", "SAR"]),
    include_tax=st.booleans(),
    rounding=st.sampled_from(["none", "x99", "whole"]),
)
def test_net_plus_tax_is_the_gross_price_after_rounding(net, rate, currency, include_tax, rounding):
    result = price(net, currency=currency, include_tax=include_tax, rounding=rounding,
                   tax={"standard": rate})  # fmt: skip

    assert result.net + result.tax == result.gross
    for amount in (result.net, result.tax, result.gross):
        assert amount.amount.as_tuple().exponent == -minor_units(currency)
    assert result.tax.amount >= 0
    assert result.shown == (result.gross if include_tax else result.net)


@given(net=nets, rate=tax_rates, include_tax=st.booleans())
def test_tax_is_the_rate_of_the_net_price_within_rounding(net, rate, include_tax):
    result = price(net, include_tax=include_tax, tax={"standard": rate})
    factor = 1 + rate / 100
    half_cent = Decimal("0.005")

    tolerance = half_cent * factor if include_tax else half_cent
    assert abs(result.net.amount * factor - result.gross.amount) <= tolerance


@pytest.mark.parametrize("rounding", ["none", "x99", "whole"])
def test_free_items_stay_free(rounding):
    result = price("0", rounding=rounding)

    assert result.gross == result.net == Money("0", "EUR")
