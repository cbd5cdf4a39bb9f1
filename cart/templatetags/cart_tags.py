"""Cart presentation helpers: localized delivery windows and country names."""

from __future__ import annotations

from functools import lru_cache

from babel.dates import format_interval
from django import template
from django.utils.translation import get_language

from shop.money import babel_locale

register = template.Library()


@register.simple_tag(takes_context=True)
def delivery_window(context, option) -> str:
    """"3–6 Dec" in the page's language (CLDR interval format)."""
    shop = context.get("shop")
    return _interval(option.delivery_from, option.delivery_to, get_language(),
                     shop.country if shop else None)  # fmt: skip


@lru_cache(maxsize=2048)
def _interval(start, end, language: str, country: str | None) -> str:
    return format_interval(start, end, "MMMd", locale=babel_locale(language, country))


@register.filter
def percent(value) -> int:
    """0.42 -> 42, for progress bars."""
    return int((value or 0) * 100)
