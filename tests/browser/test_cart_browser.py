"""The cart in a phone's browser: add two variants, then check the cart page shows local money,
the free-shipping bar, the delivery dates, the trust badges and the same total as the API; the
page's own script, the page without JavaScript, and the right-to-left layout.

The demo data is loaded in each test (``demo`` fixture). Products used: the organic cotton
T-shirt (colour, size, material) and the stoneware mug (colour, material); together they stay
under the free-shipping threshold of Germany (50 €) and Brazil (R$ 499), so the bar shows an
amount still missing.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEE = ("organic-cotton-t-shirt", "TEE-BLK-M")
MUG = ("stoneware-mug", "MUG-BLU")

# Python's \s matches the no-break space (U+00A0) and the narrow one (U+202F) CLDR puts there.
BRL = re.compile(r"R\$\s?\d{1,3}(\.\d{3})*,\d{2}")
EUR_DE = re.compile(r"\d{1,3}(\.\d{3})*,\d{2}\s?€")


# --- steps -----------------------------------------------------------------------------------


def open_shop(page: Page, url: str, language: str, country: str) -> None:
    page.goto(f"{url}/{language}/?country={country}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator(".product-card").first).to_be_visible()


def add_variant(page: Page, product: tuple[str, str], expected_count: int) -> None:
    """From the home page: open the product, pick the variant, add it (through the API: the
    page's script shows a note and updates the header count), go back home."""
    slug, sku = product
    page.locator(f".product-card a[href*='/p/{slug}/']").click()
    expect(page.locator(".product-info h1")).to_be_visible()
    page.locator(f"label.variant-option:has(input[name=sku][value='{sku}'])").click()
    expect(page.locator(f"input[name=sku][value='{sku}']")).to_be_checked()
    page.locator("form.add-to-cart button[type=submit]").click()
    expect(page.locator("[data-add-status]")).to_be_visible()
    expect(page.locator("[data-add-error]")).to_be_hidden()
    expect(page.locator("[data-cart-count]")).to_have_text(str(expected_count))
    page.locator("a.brand").click()


def api_cart(page: Page) -> dict:
    """GET /api/v1/cart/ from the page, with the page's cookies (session, country) and its
    language, as the page's own script asks."""
    return page.evaluate(
        """async () => {
            const response = await fetch("/api/v1/cart/", {
                credentials: "same-origin",
                headers: {"Accept": "application/json",
                          "Accept-Language": document.documentElement.lang}
            });
            if (!response.ok) throw new Error("GET /api/v1/cart/ answered " + response.status);
            return await response.json();
        }"""
    )


def text(locator) -> str:
    """Visible text with its whitespace (no-break spaces included) made plain."""
    return " ".join(locator.inner_text().split())


def assert_money(value: str, pattern: re.Pattern, where: str) -> None:
    assert pattern.search(value), f"{where}: {value!r} is not written like {pattern.pattern}"


def check_cart_page(page: Page, money: re.Pattern, currency: str, country: str) -> dict:
    """The cart page as a shopper sees it after adding the T-shirt and the mug; returns the
    API's view of the same cart."""
    data = api_cart(page)
    assert data["currency"] == currency
    assert data["country"] == country
    assert data["item_count"] == 2
    assert {line["sku"] for line in data["lines"]} == {TEE[1], MUG[1]}

    # Two lines, each with its attributes (colour, size, material as the API names them).
    lines = page.locator(".cart-line")
    expect(lines).to_have_count(2)
    for line in data["lines"]:
        row = page.locator(f".cart-line[data-line='{line['id']}']")
        expect(row).to_have_count(1)
        expect(row.locator(".line-name")).to_have_text(line["product_name"])
        attributes = row.locator(".line-attributes li")
        expect(attributes).to_have_count(len(line["attributes"]))
        assert len(line["attributes"]) >= 2, line
        shown = [text(item) for item in attributes.all()]
        expected = [
            " ".join(f"{item['name']}: {item['value']}".split()) for item in line["attributes"]
        ]
        assert shown == expected
        assert_money(text(row.locator(".line-unit")), money, "unit price")
        assert_money(text(row.locator(".line-total")), money, "line total")
        assert text(row.locator(".line-total")) == " ".join(line["line_total"]["formatted"].split())
    tee = next(line for line in data["lines"] if line["sku"] == TEE[1])
    assert len(tee["attributes"]) == 3  # colour, size, material

    # Free-shipping bar: still an amount missing, and a progress bar.
    bar = page.locator(".free-shipping")
    expect(bar).to_have_count(1)
    assert data["free_shipping"] and not data["free_shipping"]["unlocked"]
    assert_money(text(bar), money, "free-shipping bar")
    assert " ".join(data["free_shipping"]["missing"]["formatted"].split()) in text(bar)
    progress = bar.locator("[role=progressbar]")
    expect(progress).to_have_count(1)
    assert 0 < int(progress.get_attribute("aria-valuenow")) < 100

    # Shipping estimate with a window of calendar dates, before any address.
    delivery = page.locator(".cart-summary .delivery")
    expect(delivery).to_have_count(1)
    shipping = data["shipping"]
    assert shipping, "no shipping option for the country"
    first, last = (date.fromisoformat(shipping[key]) for key in ("delivery_from", "delivery_to"))
    window = text(delivery.locator("dt"))
    days = re.findall(r"\d+", window)
    assert str(first.day) in days and str(last.day) in days, window
    expect(delivery.locator("dd")).to_have_text(shipping["carrier"])

    # Trust badges of the market.
    badges = page.locator(".cart-summary .trust-badges li")
    assert badges.count() >= 1
    expect(badges).to_have_count(len(data["trust_badges"]))

    # Summary amounts in the local format, and the same total as the API.
    summary_total = text(page.locator(".cart-summary .total dd"))
    assert_money(summary_total, money, "total")
    assert summary_total == " ".join(data["total"]["formatted"].split())
    subtotal = page.locator(".cart-summary dl > div").first.locator("dd")
    assert_money(text(subtotal), money, "subtotal")
    assert text(subtotal) == " ".join(data["subtotal"]["formatted"].split())
    return data


def fill_cart(page: Page, url: str, language: str, country: str) -> None:
    open_shop(page, url, language, country)
    add_variant(page, TEE, expected_count=1)
    add_variant(page, MUG, expected_count=2)
    page.locator("a.header-cart").click()
    expect(page).to_have_url(f"{url}/{language}/cart/")


def screenshot(page: Page, path) -> None:
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0


def no_horizontal_overflow(page: Page, where: str) -> None:
    width = page.viewport_size["width"]
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width + 1, f"{where}: the page is {scroll} px wide on a {width} px screen"


# --- tests -----------------------------------------------------------------------------------


def test_brazilian_shopper_sees_reais_free_shipping_dates_and_the_api_total(
    page: Page, demo, artifacts
):
    fill_cart(page, demo.url, "pt-br", "BR")
    check_cart_page(page, BRL, "BRL", "BR")
    screenshot(page, artifacts / "cart-pt-br-BR.png")
    no_horizontal_overflow(page, "cart page")


def test_german_shopper_sees_euros_free_shipping_dates_and_the_api_total(
    page: Page, demo, artifacts
):
    fill_cart(page, demo.url, "de", "DE")
    check_cart_page(page, EUR_DE, "EUR", "DE")
    screenshot(page, artifacts / "cart-de-DE.png")
    no_horizontal_overflow(page, "cart page")


def test_cart_script_changes_quantities_removes_lines_and_rejects_a_bad_voucher(page: Page, demo):
    fill_cart(page, demo.url, "de", "DE")
    before = api_cart(page)
    tee = next(line for line in before["lines"] if line["sku"] == TEE[1])
    mug = next(line for line in before["lines"] if line["sku"] == MUG[1])
    row = page.locator(f".cart-line[data-line='{tee['id']}']")
    total = page.locator(".cart-summary .total dd")
    count = page.locator("[data-cart-count]")
    expect(row.locator("input[name=quantity]")).to_have_value("1")
    expect(count).to_have_text("2")
    # No page load may happen from here on: the script changes the cart in place.
    page.evaluate("window.__samePage = true")

    # "+": one more T-shirt, through the API, then the server-rendered fragment.
    row.locator("button[data-step='1']").click()
    expect(row.locator("input[name=quantity]")).to_have_value("2")
    expect(count).to_have_text("3")
    after = api_cart(page)
    assert after["item_count"] == 3
    new_tee = next(line for line in after["lines"] if line["sku"] == TEE[1])
    assert new_tee["quantity"] == 2
    expect(row.locator(".line-total")).to_have_text(new_tee["line_total"]["formatted"])
    expect(total).to_have_text(after["total"]["formatted"])
    assert after["total"]["amount"] != before["total"]["amount"]
    expect(row.locator("button[data-step='-1']")).to_be_enabled()
    assert page.evaluate("window.__samePage === true"), "the page was reloaded"

    # Remove the mug.
    page.locator(f".cart-line[data-line='{mug['id']}'] button[data-remove]").click()
    expect(page.locator(".cart-line")).to_have_count(1)
    expect(page.locator(f".cart-line[data-line='{mug['id']}']")).to_have_count(0)
    expect(count).to_have_text("2")
    after_removal = api_cart(page)
    assert [line["sku"] for line in after_removal["lines"]] == [TEE[1]]
    expect(total).to_have_text(after_removal["total"]["formatted"])
    assert page.evaluate("window.__samePage === true"), "the page was reloaded"

    # An unknown voucher: an error in the page, the cart as it was.
    page.locator("#voucher-code").fill("NO-SUCH-CODE")
    page.locator("[data-voucher-form] button[type=submit]").click()
    status = page.locator("[data-voucher-status]")
    expect(status).to_contain_text("NO-SUCH-CODE")
    expect(page.locator(".cart-line")).to_have_count(1)
    expect(total).to_have_text(after_removal["total"]["formatted"])
    expect(count).to_have_text("2")
    unchanged = api_cart(page)
    assert unchanged["voucher_code"] == ""
    assert unchanged["discounts"] == []
    assert unchanged["total"] == after_removal["total"]
    assert unchanged["item_count"] == 2
    assert page.evaluate("window.__samePage === true"), "the page was reloaded"


def test_cart_works_without_javascript(new_context, demo):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    url = demo.url
    slug, sku = TEE
    page.goto(f"{url}/de/p/{slug}/?country=DE")
    page.locator(f"label.variant-option:has(input[name=sku][value='{sku}'])").click()
    expect(page.locator(f"input[name=sku][value='{sku}']")).to_be_checked()
    with page.expect_navigation():
        page.locator("form.add-to-cart button[type=submit]").click()
    # Post/redirect/get back to the product page (the form's ``next``) with a message and the
    # header count; the cart itself is one tap away.
    expect(page.locator(".messages .message.success")).to_have_count(1)
    expect(page.locator("[data-cart-count]")).to_have_text("1")
    page.locator("a.header-cart").click()
    expect(page).to_have_url(f"{url}/de/cart/")
    lines = page.locator(".cart-line")
    expect(lines).to_have_count(1)
    expect(lines.locator(".line-attributes li")).to_have_count(3)
    expect(lines.locator("input[name=quantity]")).to_have_value("1")
    assert_money(text(page.locator(".cart-summary .total dd")), EUR_DE, "total")

    # The stepper is a plain form too.
    with page.expect_navigation():
        lines.locator("button[data-step='1']").click()
    expect(page).to_have_url(f"{url}/de/cart/")
    expect(page.locator(".cart-line input[name=quantity]")).to_have_value("2")
    expect(page.locator("[data-cart-count]")).to_have_text("2")


SMALL_PHONE = {"width": 360, "height": 780}


@pytest.mark.browser_context_args(viewport=SMALL_PHONE, screen=SMALL_PHONE)
def test_arabic_pages_are_right_to_left_and_fit_a_small_phone(page: Page, demo):
    page.goto(f"{demo.url}/ar/?country=SA")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    no_horizontal_overflow(page, "home")
    page.locator(f".product-card a[href*='/p/{TEE[0]}/']").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    no_horizontal_overflow(page, "product page")


@pytest.mark.parametrize(
    ("language", "country"), [("ar", "SA"), ("de", "DE"), ("pt-br", "BR")], ids=str
)
@pytest.mark.browser_context_args(viewport=SMALL_PHONE, screen=SMALL_PHONE)
def test_cart_page_fits_a_small_phone(page: Page, demo, artifacts, language, country):
    fill_cart(page, demo.url, language, country)
    expect(page.locator(".cart-line")).to_have_count(2)
    screenshot(page, artifacts / f"cart-{language}-{country}-360.png")
    no_horizontal_overflow(page, "cart page")
