"""Template tags for money and country names."""

from __future__ import annotations

from django import template
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
