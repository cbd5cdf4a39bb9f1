"""Template tags for money and country names."""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language
from django_countries import countries

from shop.money import format_money

register = template.Library()


@register.simple_tag(takes_context=True)
def money(context, amount) -> str:
    """Format a ``Money`` for the page's language and the shopper's country."""
    if amount is None:
        return ""
    shop = context.get("shop")
    return format_money(amount, get_language(), shop.country if shop else None)


@register.filter
def country_name(code) -> str:
    """The country's name in the page's language: "BR" -> "Brasil"."""
    return str(countries.name(str(code))) if code else ""


@register.simple_tag
def cached_url(viewname: str, *args) -> str:
    """``{% url %}`` for links a page repeats per line: the same reverse, remembered per
    language (URLs carry its prefix), so a long cart does not resolve each link again."""
    return _reverse(viewname, tuple(str(arg) for arg in args), get_language(),
                    get_script_prefix(), get_urlconf())  # fmt: skip


@lru_cache(maxsize=4096)
def _reverse(viewname: str, args: tuple, language: str, prefix: str, urlconf) -> str:
    return reverse(viewname, args=args)
