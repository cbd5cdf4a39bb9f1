"""Money: currencies, conversion, the market rounding rules, the one rounding point, formatting.

Amounts are ``moneyed.Money`` (what django-money stores), never floats.

Rounding happens at one documented point, :func:`round_to_minor_unit`: half up to the currency's
minor unit as CLDR defines it (JPY 0 decimals, EUR 2, BHD 3). Conversion and tax arithmetic keep
full precision until a price is shown or stored; the market's price rule (:func:`apply_price_rule`)
then lifts a converted price to a charm price (x.99) or a whole amount.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision, list_currencies
from django.utils.translation import to_locale
from moneyed import Money

_KNOWN_CURRENCIES = frozenset(list_currencies())


class MissingRateError(LookupError):
    """No exchange rate is known for a currency; run ``manage.py update_rates``."""


def is_known_currency(code: str) -> bool:
    return code.upper() in _KNOWN_CURRENCIES


def minor_units(currency: str) -> int:
    """Decimals of the currency's minor unit: JPY 0, EUR 2, BHD 3."""
    return get_currency_precision(str(currency))


@lru_cache(maxsize=512)
def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def round_to_minor_unit(money: Money) -> Money:
    """The one rounding point: half up to the currency's minor unit."""
    currency = str(money.currency)
    return Money(money.amount.quantize(quantum(currency), rounding=ROUND_HALF_UP), currency)


def apply_price_rule(money: Money, rule: str) -> Money:
    """Apply a market's price rule to a converted price, then round it to the minor unit.

    ``none``: exact conversion. ``whole``: up to the next whole unit. ``x99``: up to the next
    x.99 (for a currency without minor units, such as JPY, up to the next whole unit).
    """
    currency = str(money.currency)
    amount = money.amount
    if amount <= 0 or rule == "none":
        return round_to_minor_unit(money)
    whole = amount.to_integral_value(rounding=ROUND_CEILING)
    if rule == "whole" or minor_units(currency) == 0:
        return round_to_minor_unit(Money(whole, currency))
    if rule == "x99":
        charm = whole - Decimal("0.01")
        if charm < amount:
            charm += 1
        return round_to_minor_unit(Money(charm, currency))
    raise ValueError(f"Unknown price rule {rule!r}")


def convert(money: Money, to_currency: str, rates: Mapping[str, Decimal], base: str) -> Money:
    """Convert with a table of rates, each the price of one ``base`` unit in that currency.

    ``rates`` come from django-money's exchange tables (``shop.selectors.exchange_rates``), read
    once per request; the result keeps full precision.
    """
    source = str(money.currency)
    if source == to_currency:
        return money
    try:
        source_rate = Decimal(1) if source == base else rates[source]
        target_rate = Decimal(1) if to_currency == base else rates[to_currency]
    except KeyError as missing:
        raise MissingRateError(f"No exchange rate for {missing.args[0]} (base {base})") from None
    return Money(money.amount / source_rate * target_rate, to_currency)


@lru_cache(maxsize=256)
def babel_locale(language: str, country: str | None = None) -> Locale:
    """The CLDR locale for a Django language code and a country: ("pt-br", "BR") -> pt_BR.

    The country refines the language where CLDR knows the pair (de_CH, en_CA, ar_SA); otherwise
    the language's own locale is used.
    """
    base = to_locale(language)  # "pt-br" -> "pt_BR", "zh-hans" -> "zh_Hans"
    candidates = []
    if country:
        lang = base.split("_")[0]
        script = base.split("_")[1] if "_" in base and len(base.split("_")[1]) == 4 else None
        candidates.append(f"{lang}_{script}_{country}" if script else f"{lang}_{country}")
    candidates += [base, base.split("_")[0], "en"]
    for candidate in candidates:
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en")


def format_money(money: Money, language: str, country: str | None = None) -> str:
    """Format as the shopper's locale writes it: ``R$ 1.234,56``, ``1.234,56 €``, ``￥1,235``."""
    money = round_to_minor_unit(money)  # Babel would round half to even; charge and show alike
    return _formatted(money.amount, str(money.currency), language, country)


# Locales whose CLDR data sets ``minimumGroupingDigits`` to 2: a four-digit amount is written
# without a group separator (Spain: ``1234,50 €``, but ``12.345,00 €``). Babel ignores that
# field, so the shop applies it here. Latin American Spanish (es_419, es_MX) groups from four
# digits (``$1,234.50``) and is not listed. Polish also sets it in CLDR, yet Polish shops and
# the shop's own Polish pages write ``1 234,56 zł``, so it stays grouped.
MIN_TWO_DIGIT_GROUPING = frozenset({"es", "es_ES"})


@lru_cache(maxsize=8192)
def _formatted(amount: Decimal, currency: str, language: str, country: str | None) -> str:
    """Babel's formatting is slow and a shop shows the same few amounts over and over."""
    locale = babel_locale(language, country)
    grouped = not (str(locale) in MIN_TWO_DIGIT_GROUPING and abs(amount) < 10000)
    return format_currency(
        amount, currency, locale=locale, currency_digits=True, group_separator=grouped
    )
