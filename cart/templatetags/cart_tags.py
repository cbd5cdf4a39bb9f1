"""Cart presentation helpers: localized delivery windows and country names."""

from __future__ import annotations

from babel.dates import format_interval
from django import template
from django.utils.translation import get_language

from shop.money import babel_locale

register = template.Library()


@register.simple_tag(takes_context=True)
def delivery_window(context, option) -> str:
    """"3–6 Dec" in the page's language (CLDR interval format)."""
    shop = context.get("shop")
    locale = babel_locale(get_language(), shop.country if shop else None)
    return format_interval(option.delivery_from, option.delivery_to, "MMMd", locale=locale)


@register.filter
def percent(value) -> int:
    """0.42 -> 42, for progress bars."""
    return int((value or 0) * 100)
