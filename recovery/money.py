"""Money as recovery shows it many times over: the customer list's 50 values per page and a
newsletter's totals and lines per recipient.

``shop.money.format_money`` parses the Babel locale on every call (about 0.3 ms, most of a
customer list page's formatting); here the parsed locale is kept per (language, country), and
the formatting is ``format_money``'s own (rounded once to the currency's minor unit, the
currency's digits). When ``shop.money`` caches its locales, use ``format_money`` again.
"""

from __future__ import annotations

from functools import lru_cache

from babel import Locale
from babel.numbers import format_currency
from moneyed import Money

from shop.money import babel_locale, round_to_minor_unit


@lru_cache(maxsize=512)
def _locale(language: str, country: str | None) -> Locale:
    return babel_locale(language, country)


def money_text(money: Money, language: str, country: str | None = None) -> str:
    """``shop.money.format_money`` with the locale parsed once per (language, country)."""
    money = round_to_minor_unit(money)
    return format_currency(money.amount, str(money.currency), locale=_locale(language, country),
                           currency_digits=True)  # fmt: skip
