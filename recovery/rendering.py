"""Recovery messages rendered for many recipients: each language's templates once, then filled.

A newsletter's batch has hundreds of recipients and a handful of languages. Rendering Django
templates for each recipient was most of a mail's CPU, so a ``Renderer`` renders the message
templates once per language (and per kind: with a voucher, with an open pixel) with markers
where per-recipient values go, and fills the markers in for each recipient with plain string
work. A cart line is ``recovery/email/line.html``, rendered the same way. The preview of a
newsletter, a manual message and a batch all use this one path, so staff see what is sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from cart.pricing import CartPricing
from recovery.links import OPEN_SALT, RESTORE_SALT, UNSUBSCRIBE_SALT, feedback_token, sign
from recovery.models import LeaveReason, RecoveryMessage
from shop.money import format_money

LINKS = ("restore", "open", "unsubscribe", "feedback")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Private-use characters: no shopper types them, and HTML escaping leaves them alone.
MARKER = re.compile("\ue000(\\w+)\ue001")


def marker(name: str) -> str:
    return f"\ue000{name}\ue001"


def fill(template: str, values: dict[str, str]) -> str:
    """Replace ``{first_name}``-style placeholders we know; any other brace stays as typed."""
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), template)


def _fill_markers(skeleton: str, values: dict[str, str]) -> str:
    return MARKER.sub(lambda match: values[match.group(1)], skeleton)


@dataclass
class _Language:
    """What one language renders once: link prefixes and the templates with markers."""

    code: str
    url_prefixes: dict[str, str]
    skeletons: dict[tuple, tuple[str, str]] = field(default_factory=dict)
    line_rows: dict[tuple[bool, bool], str] = field(default_factory=dict)
    escaped_bodies: dict[str, str] = field(default_factory=dict)


class Renderer:
    """Renders messages of one batch. Not thread-safe; one per batch."""

    def __init__(self) -> None:
        self.languages: dict[str, _Language] = {}
        self.base = settings.SHOP_BASE_URL.rstrip("/")

    def _language(self, code: str) -> _Language:
        known = self.languages.get(code)
        if known is None:
            with translation.override(code):
                prefixes = {name: self.base + reverse(f"recovery:{name}",
                                                      kwargs={"token": "TOKEN"})
                            for name in LINKS}  # fmt: skip
            known = self.languages[code] = _Language(code, prefixes)
        return known

    def links(self, message: RecoveryMessage) -> dict[str, str]:
        """The signed restore, open-pixel, unsubscribe and "why did you leave?" links of a saved
        message."""
        if not message.pk:
            return dict.fromkeys(LINKS, "")
        prefixes = self._language(message.language).url_prefixes
        tokens = {
            "restore": sign({"m": message.pk, "c": str(message.cart.token)}, RESTORE_SALT),
            "open": sign({"m": message.pk}, OPEN_SALT),
            "unsubscribe": sign({"m": message.pk, "u": message.customer_id}, UNSUBSCRIBE_SALT),
            "feedback": feedback_token(message),
        }
        return {name: prefixes[name].replace("TOKEN", token) for name, token in tokens.items()}

    def _skeleton(self, language: _Language, with_voucher: bool, with_pixel: bool):
        key = (with_voucher, with_pixel)
        if key not in language.skeletons:
            links = ("restore_link", "unsubscribe_link", "feedback_link")
            values = {name: marker(name) for name in links}
            values["voucher_code"] = marker("voucher_code") if with_voucher else ""
            context = {
                "message": {"language": language.code}, "body_html": marker("body_html"),
                "lines_html": marker("lines_html"), "values": values,
                "shop_name": settings.SHOP_NAME,
                "open_pixel": marker("open_pixel") if with_pixel else "",
                "feedback_reasons": LeaveReason.choices,
            }  # fmt: skip
            with translation.override(language.code):
                html = render_to_string("recovery/email/message.html", context)
                text = render_to_string("recovery/email/message.txt",
                                        {**context, "body_text": marker("body_text")})  # fmt: skip
            language.skeletons[key] = (html, text)
        return language.skeletons[key]

    def _line_row(self, language: _Language, with_image: bool, with_attributes: bool) -> str:
        key = (with_image, with_attributes)
        if key not in language.line_rows:
            line = {name: marker(name) for name in ("quantity", "name", "total")}
            line["image"] = marker("image") if with_image else ""
            line["attributes"] = marker("attributes") if with_attributes else ""
            with translation.override(language.code):
                language.line_rows[key] = render_to_string("recovery/email/line.html",
                                                           {"line": line})  # fmt: skip
        return language.line_rows[key]

    def render(self, message: RecoveryMessage, pricing: CartPricing,
               links: dict[str, str] | None = None) -> dict[str, str]:  # fmt: skip
        """Subject, text, HTML and the filled body of ``message`` for its cart's ``pricing``,
        and each placeholder's value by name."""
        language = self._language(message.language)
        links = links if links is not None else self.links(message)
        money = lambda amount: format_money(amount, pricing.language, pricing.country)  # noqa: E731
        lines = []
        rows = []
        for line in pricing.lines:
            total = money(line.line_total)
            attributes = ", ".join(value for _, value, _ in line.attributes)
            lines.append(f"{line.quantity} × {line.product_name}"
                         + (f" ({attributes})" if attributes else "") + f" — {total}")  # fmt: skip
            row = self._line_row(language, bool(line.image_url), bool(line.attributes))
            rows.append(_fill_markers(row, {
                "quantity": str(line.quantity), "name": escape(line.product_name),
                "total": escape(total),
                "image": escape(self.base + line.image_url) if line.image_url else "",
                "attributes": escape(" · ".join(f"{name}: {value}"
                                                for name, value, _ in line.attributes)),
            }))  # fmt: skip
        values = {
            "first_name": message.customer.first_name,
            "cart_items": "\n".join(lines),
            "cart_total": money(pricing.total),
            "restore_link": links["restore"],
            "voucher_code": message.voucher.code if message.voucher_id else "",
            "unsubscribe_link": links["unsubscribe"],
            "feedback_link": links.get("feedback", ""),
        }
        subject = " ".join(fill(message.subject, values).split())  # a mail header is one line
        body = fill(message.body, values)
        escaped_body = language.escaped_bodies.get(message.body)
        if escaped_body is None:
            escaped_body = language.escaped_bodies[message.body] = escape(message.body)
        html_values = {key: escape(value) for key, value in values.items()}
        body_html = fill(escaped_body, html_values).replace("\n", "<br>\n")
        html, text = self._skeleton(language, bool(values["voucher_code"]), bool(links["open"]))
        markers = {
            "body_html": body_html, "lines_html": "\n    ".join(rows),
            "restore_link": html_values["restore_link"],
            "unsubscribe_link": html_values["unsubscribe_link"],
            "voucher_code": html_values["voucher_code"], "open_pixel": escape(links["open"]),
            "feedback_link": html_values["feedback_link"],
        }  # fmt: skip
        text_markers = {"body_text": body, "restore_link": values["restore_link"],
                        "unsubscribe_link": values["unsubscribe_link"],
                        "voucher_code": values["voucher_code"], "open_pixel": links["open"],
                        "body_html": "", "lines_html": "",
                        "feedback_link": values["feedback_link"]}  # fmt: skip
        # The placeholders' values too: a WhatsApp template takes them as its parameters.
        return {**values, "subject": subject, "text": _fill_markers(text, text_markers),
                "html": _fill_markers(html, markers), "body": body,
                "unsubscribe_link": links["unsubscribe"], "feedback_link": values["feedback_link"],
                "sms_text": sms_text(body, values["feedback_link"], language.code)}  # fmt: skip


def sms_text(body: str, feedback_link: str, language: str) -> str:
    """An SMS or WhatsApp text: the body, and the "why did you leave?" link unless the body
    has it already (``{feedback_link}``)."""
    if not feedback_link or feedback_link in body:
        return body
    with translation.override(language):
        return f"{body}\n{_('Why did you leave?')} {feedback_link}"
