"""Money: minor units, the one rounding point, market price rules and conversion."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from moneyed import Money

from shop.exchange import RecordedRatesBackend
from shop.money import (
    MissingRateError,
    apply_price_rule,
    convert,
    minor_units,
    round_to_minor_unit,
)

# The recorded ECB rates, rebased to EUR (what `update_exchange_rates` stores), without a DB.
RECORDED_RATES = RecordedRatesBackend().get_rates("EUR")
CURRENCIES = ["EUR", "USD", "JPY", "BHD", "GBP", "PLN", "BRL", "SAR", "AED", "CNY", "CAD", "CHF"]

currencies = st.sampled_from(CURRENCIES)
amounts = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("1000000"), places=4)
rules = st.sampled_from(["x99", "whole"])


@pytest.mark.parametrize(("currency", "decimals"), [("JPY", 0), ("EUR", 2), ("USD", 2), ("BHD", 3)])
def test_minor_units_follow_cldr(currency, decimals):
    assert minor_units(currency) == decimals


def test_rounding_is_half_up_not_bankers():
    assert round_to_minor_unit(Money("0.125", "EUR")) == Money("0.13", "EUR")
    assert round_to_minor_unit(Money("0.135", "EUR")) == Money("0.14", "EUR")
    assert round_to_minor_unit(Money("0.124", "EUR")) == Money("0.12", "EUR")


def test_rounding_follows_each_currencys_minor_unit():
    assert round_to_minor_unit(Money("1234.5", "JPY")).amount == Decimal("1235")
    assert round_to_minor_unit(Money("1.2345", "BHD")).amount == Decimal("1.235")
    assert str(round_to_minor_unit(Money("7", "EUR")).amount) == "7.00"


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("19.01", "19.99"),
        ("19.50", "19.99"),
        ("19.99", "19.99"),  # already a charm price: unchanged
        ("19.991", "20.99"),  # "up to": never below the converted price
        ("20.00", "20.99"),  # a whole amount goes up to its own x.99, never down to 19.99
        ("0.10", "0.99"),
    ],
)
def test_x99_rule_lifts_to_the_next_charm_price(amount, expected):
    assert apply_price_rule(Money(amount, "EUR"), "x99") == Money(expected, "EUR")


@pytest.mark.parametrize(
    ("amount", "expected"), [("19.01", "20.00"), ("20.00", "20.00"), ("0.001", "1.00")]
)
def test_whole_rule_lifts_to_the_next_whole_unit(amount, expected):
    assert apply_price_rule(Money(amount, "EUR"), "whole") == Money(expected, "EUR")


def test_none_rule_only_rounds_to_the_minor_unit():
    assert apply_price_rule(Money("19.015", "EUR"), "none") == Money("19.02", "EUR")


def test_x99_rule_for_a_currency_without_minor_units_gives_whole_amounts():
    assert apply_price_rule(Money("1234.01", "JPY"), "x99") == Money("1235", "JPY")
    assert apply_price_rule(Money("1234", "JPY"), "x99") == Money("1234", "JPY")


def test_x99_rule_keeps_three_decimals_for_bhd():
    rounded = apply_price_rule(Money("4.2", "BHD"), "x99")

    assert rounded == Money("4.99", "BHD")
    assert rounded.amount.as_tuple().exponent == -3


def test_unknown_price_rule_is_an_error():
    with pytest.raises(ValueError, match="x95"):
        apply_price_rule(Money("10", "EUR"), "x95")


def test_convert_eur_to_usd_with_recorded_rates():
    converted = convert(Money("10", "EUR"), "USD", RECORDED_RATES, "EUR")

    assert converted == Money("11.587", "USD")  # full precision: rounding happens later


def test_convert_usd_to_jpy_crosses_through_the_base_currency():
    converted = convert(Money("100", "USD"), "JPY", RECORDED_RATES, "EUR")

    assert round_to_minor_unit(converted) == Money("15545", "JPY")  # 100 / 1.1587 * 180.12


def test_convert_pegged_currency_through_usd_peg():
    converted = convert(Money("100", "USD"), "SAR", RECORDED_RATES, "EUR")

    assert round_to_minor_unit(converted) == Money("375.00", "SAR")


def test_convert_to_the_same_currency_is_the_identity():
    money = Money("12.345", "EUR")

    assert convert(money, "EUR", {}, "EUR") is money


def test_convert_to_a_currency_without_rate_raises_missing_rate_error():
    with pytest.raises(MissingRateError, match="XAU"):
        convert(Money("10", "EUR"), "XAU", RECORDED_RATES, "EUR")


def test_convert_from_a_currency_without_rate_raises_missing_rate_error():
    with pytest.raises(MissingRateError, match="XAU"):
        convert(Money("10", "XAU"), "EUR", RECORDED_RATES, "EUR")


def test_missing_rate_error_is_a_lookup_error():
    assert issubclass(MissingRateError, LookupError)


@given(amount=amounts, currency=currencies)
def test_rounding_is_idempotent(amount, currency):
    once = round_to_minor_unit(Money(amount, currency))

    assert round_to_minor_unit(once) == once


@given(amount=amounts, currency=currencies)
def test_rounded_amount_has_exactly_the_currencys_minor_unit_decimals(amount, currency):
    rounded = round_to_minor_unit(Money(amount, currency))

    assert rounded.amount.as_tuple().exponent == -minor_units(currency)


@given(amount=amounts, currency=currencies)
def test_rounding_moves_the_amount_by_at_most_half_a_minor_unit(amount, currency):
    rounded = round_to_minor_unit(Money(amount, currency))
    half_unit = Decimal(1).scaleb(-minor_units(currency)) / 2

    assert abs(rounded.amount - amount) <= half_unit


@given(amount=amounts, currency=currencies, rule=rules)
def test_price_rules_never_lower_the_price_nor_raise_it_by_a_whole_unit(amount, currency, rule):
    ruled = apply_price_rule(Money(amount, currency), rule)

    assert ruled.amount >= amount
    assert ruled.amount - amount < 1
    assert ruled.amount.as_tuple().exponent == -minor_units(currency)


@given(amount=amounts, currency=currencies)
def test_x99_prices_end_in_99_where_the_currency_has_cents(amount, currency):
    ruled = apply_price_rule(Money(amount, currency), "x99")

    if minor_units(currency) == 0:
        assert ruled.amount == ruled.amount.to_integral_value()
    else:
        assert ruled.amount % 1 == Decimal("0.99")


@given(
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2),
    there=currencies,
)
def test_convert_there_and_back_returns_the_original_amount(amount, there):
    money = Money(amount, "EUR")

    back = convert(convert(money, there, RECORDED_RATES, "EUR"), "EUR", RECORDED_RATES, "EUR")

    assert round_to_minor_unit(back) == money
    assert abs(back.amount - amount) < Decimal("1e-12")


@given(
    amount=st.decimals(min_value=Decimal("1"), max_value=Decimal("1000000"), places=2),
    source=currencies,
    target=currencies,
)
def test_convert_between_two_non_base_currencies_and_back_is_close_to_identity(
    amount, source, target
):
    money = Money(amount, source)

    back = convert(convert(money, target, RECORDED_RATES, "EUR"), source, RECORDED_RATES, "EUR")

    assert abs(back.amount - amount) <= amount * Decimal("1e-20")
