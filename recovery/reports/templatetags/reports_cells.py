"""Formatting a report's cell for the staff member's language."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


def _percent(value: float) -> str:
    return f"{number_format(value * 100, 1)} %"


@register.filter
def cell(pair) -> str:
    kind, value = pair
    if value is None or value == "":
        return "—"
    if kind == "rate" or (kind == "mixed" and isinstance(value, float)):
        return _percent(value)
    if kind == "interval":
        return f"{_percent(value[0])} – {_percent(value[1])}"
    if kind == "money" or (kind == "mixed" and isinstance(value, Decimal)):
        return number_format(value, 2, force_grouping=True)
    if isinstance(value, int):
        return number_format(value, force_grouping=True)
    return str(value)


@register.filter
def numeric(pair) -> bool:
    return pair[0] != "text"
