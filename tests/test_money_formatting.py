"""Prices are written the way the shopper's locale writes them (Babel, CLDR)."""

from decimal import Decimal

import pytest
from moneyed import Money

from shop.money import babel_locale, format_money

NBSP = "\xa0"  # CLDR puts a non-breaking space between amount and symbol in many locales
AMOUNT = Decimal("1234.56")


@pytest.mark.parametrize(
    ("language", "currency", "country", "expected"),
    [
        ("pt-br", "BRL", "BR", f"R${NBSP}1.234,56"),
        ("pl", "PLN", "PL", f"1{NBSP}234,56{NBSP}zł"),
        ("ja", "JPY", "JP", "￥1,235"),
        ("de", "EUR", "DE", f"1.234,56{NBSP}€"),
        ("fr", "EUR", "FR", f"1\u202f234,56{NBSP}€"),
        ("nl", "EUR", "NL", f"€{NBSP}1.234,56"),
        ("en", "GBP", "GB", "£1,234.56"),
        ("en", "USD", "US", "$1,234.56"),
        ("zh-hans", "CNY", "CN", "¥1,234.56"),
        ("es", "EUR", "ES", f"1234,56{NBSP}€"),  # Spain groups from five digits (CLDR)
        ("es", "MXN", "MX", "$1,234.56"),
        ("it", "EUR", "IT", f"1.234,56{NBSP}€"),
        ("tr", "TRY", "TR", "₺1.234,56"),
    ],
)
def test_amount_is_formatted_for_the_shoppers_locale(language, currency, country, expected):
    assert format_money(Money(AMOUNT, currency), language, country) == expected


def test_brazilian_real_reads_as_written_in_brazil_once_spaces_are_normalised():
    formatted = format_money(Money(AMOUNT, "BRL"), "pt-br", "BR")

    assert formatted.replace(NBSP, " ").replace("\u202f", " ") == "R$ 1.234,56"


def test_yen_is_rounded_to_whole_yen_without_decimals():
    assert format_money(Money("1234.56", "JPY"), "ja", "JP") == "￥1,235"
    assert format_money(Money("1234.49", "JPY"), "ja", "JP") == "￥1,234"


def test_bahraini_dinar_shows_three_decimals():
    assert format_money(Money("1.5", "BHD"), "en", None).endswith("1.500")


def test_saudi_riyal_in_arabic_uses_the_arabic_sign_and_right_to_left_marks():
    formatted = format_money(Money(AMOUNT, "SAR"), "ar", "SA")

    # CLDR's ar_SA: Latin digits, the riyal sign after the amount, wrapped in RLM marks.
    assert formatted == f"\u200f1,234.56{NBSP}ر.س.\u200f"
    assert "ر.س." in formatted


def test_us_dollar_is_written_us_dollar_where_the_dollar_sign_is_ambiguous():
    assert format_money(Money(AMOUNT, "USD"), "en", "CA") == "US$1,234.56"
    assert format_money(Money(AMOUNT, "CAD"), "en", "CA") == "$1,234.56"


def test_language_and_country_are_independent_for_spanish():
    # The same language writes the peso the Mexican way and the euro the Spanish way; an
    # amount of five digits is grouped in Spain too.
    assert format_money(Money(AMOUNT, "MXN"), "es", "MX") == "$1,234.56"
    assert format_money(Money(AMOUNT, "EUR"), "es", "ES") == f"1234,56{NBSP}€"
    assert format_money(Money("12345.6", "EUR"), "es", "ES") == f"12.345,60{NBSP}€"
    assert format_money(Money(AMOUNT, "MXN"), "en", "MX") == "MX$1,234.56"


def test_format_without_country_uses_the_languages_own_locale():
    assert format_money(Money(AMOUNT, "EUR"), "de", None) == f"1.234,56{NBSP}€"


@pytest.mark.parametrize(
    ("language", "country", "locale"),
    [
        ("pt-br", "BR", "pt_BR"),
        ("en", "CA", "en_CA"),
        ("de", "CH", "de_CH"),
        ("ar", "SA", "ar_SA"),
        ("zh-hans", "CN", "zh_Hans_CN"),
        ("ja", None, "ja"),
        ("de", "JP", "de"),  # CLDR knows no de_JP: the language's own locale
        ("xx", None, "en"),  # unknown language: English rather than an error
    ],
)
def test_babel_locale_combines_language_and_country_where_cldr_knows_the_pair(
    language, country, locale
):
    assert str(babel_locale(language, country)) == locale


@pytest.mark.parametrize(
    ("money", "language", "country", "expected"),
    [
        (Money("1234.5", "JPY"), "ja", "JP", "￥1,235"),
        (Money("2.5", "JPY"), "ja", "JP", "￥3"),
        (Money("0.125", "EUR"), "en", "US", "€0.13"),
    ],
    ids=["yen-1234.5", "yen-2.5", "euro-0.125"],
)
def test_formatting_rounds_half_up_like_the_amount_that_is_charged(
    money, language, country, expected
):
    # Babel quantizes with the decimal context (banker's rounding, ￥1,234 for 1234.5); the
    # shown amount must be the one round_to_minor_unit charges.
    assert format_money(money, language, country) == expected
