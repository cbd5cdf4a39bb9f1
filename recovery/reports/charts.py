"""The Reports page's charts, drawn on the server as SVG by pygal: they show without
JavaScript and load nothing from a third party (pygal's own tooltip script is left out:
``js=[]``). Labels are translated by the caller; pygal escapes every text it writes."""

from __future__ import annotations

import re

import pygal
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from pygal.style import Style

STYLE = Style(
    background="transparent", plot_background="transparent", foreground="#333",
    foreground_strong="#111", foreground_subtle="#ccc", colors=("#417690", "#ba2121", "#79aec8",
    "#e0a800", "#5b8c5a"), font_family="system-ui, sans-serif", label_font_size=12,
    major_label_font_size=12, value_font_size=11, legend_font_size=12, title_font_size=14,
)  # fmt: skip


def _config(**extra) -> dict:
    return {
        "style": STYLE, "js": [], "disable_xml_declaration": True, "explicit_size": False,
        "width": 800, "height": 320, "print_values": True, "legend_at_bottom": True,
        "show_y_guides": True, **extra,
    }  # fmt: skip


_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def _render(chart, description: str) -> SafeString:
    svg = chart.render(is_unicode=True)
    # pygal still writes its configuration in an inline <script> (for its tooltips) and
    # comments with its home page: neither is wanted in a page without JavaScript.
    svg = _COMMENT.sub("", _SCRIPT.sub("", svg))
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{_escape(description)}" ', 1)
    return mark_safe(svg)  # noqa: S308 (pygal built it and escaped every label)


def _escape(text: str) -> str:
    from django.utils.html import escape

    return escape(text)


def funnel_chart(labels: list[str], counts: list[int]) -> SafeString:
    chart = pygal.Bar(**_config(show_legend=False, title=_("Funnel")))
    chart.x_labels = labels
    chart.add(_("Carts"), counts)
    return _render(chart, _("Funnel"))


def failures_chart(days: list[str], attempts: list[int], failures: list[int]) -> SafeString:
    chart = pygal.Line(**_config(title=_("Payments per day"), x_label_rotation=30))
    chart.x_labels = days
    chart.add(_("Attempts"), attempts)
    chart.add(_("Failed"), failures)
    return _render(chart, _("Payments per day"))


def causes_chart(causes: list[tuple[str, int]]) -> SafeString:
    chart = pygal.HorizontalBar(**_config(title=_("Why carts are lost"), show_legend=False))
    chart.x_labels = [label for label, _count in causes]
    chart.add(_("Carts"), [count for _label, count in causes])
    return _render(chart, _("Why carts are lost"))


def ab_chart(title: str, variants) -> SafeString:
    """Conversion per variant with its 95 % interval as the bar's error bar."""
    chart = pygal.Bar(**_config(title=title, show_legend=False, value_formatter=_percent))
    chart.x_labels = [row.label for row in variants]
    values = []
    for row in variants:
        value = {"value": row.conversion or 0}
        if row.interval:
            value["ci"] = {"low": row.interval[0], "high": row.interval[1]}
        values.append(value)
    chart.add(_("Conversion"), values)
    return _render(chart, title)


def _percent(value) -> str:
    return f"{value * 100:.1f} %" if value is not None else ""
