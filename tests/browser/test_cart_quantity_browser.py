"""Typing a quantity in the cart on a 390 px phone, in German and in Arabic (right to left), with
JavaScript and without: Enter sets the typed quantity (the form's default button is a hidden
"Update", not the stepper's "−"), leaving the field (Tab) sets it too when the page's script
runs, a typed 0 removes the line, and a refused value (more than in stock, more than a shopper
may buy) keeps the typed value in its field with the shop's message right next to it.

Products: the organic cotton T-shirt in black M (47 in stock) and the blue stoneware mug (23 in
stock) of the demo catalog.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation
from playwright.sync_api import Page, expect

from cart.services import CartError, parse_quantity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEE = ("organic-cotton-t-shirt", "TEE-BLK-M")
MUG = ("stoneware-mug", "MUG-BLU")
MUG_STOCK = 23
COUNTRY = {"de": "DE", "ar": "SA"}


def add(page: Page, url: str, language: str, product: tuple[str, str], count: int) -> None:
    """The product page's form: through the API with the script, a plain post without it."""
    slug, sku = product
    page.goto(f"{url}/{language}/p/{slug}/?country={COUNTRY[language]}")
    page.locator(f"label.variant-option:has(input[name=sku][value='{sku}'])").click()
    page.locator("form.add-to-cart button[type=submit]").click()
    expect(page.locator("[data-cart-count]")).to_have_text(str(count))


def open_cart(page: Page, url: str, language: str) -> None:
    page.goto(f"{url}/{language}/cart/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator(".cart-line")).to_have_count(2)


def line(page: Page, sku: str):
    slug = TEE[0] if sku == TEE[1] else MUG[0]
    return page.locator(".cart-line", has=page.locator(f"a.line-name[href*='/p/{slug}/']"))


def quantity(page: Page, sku: str):
    return line(page, sku).locator("input[name=quantity]")


def type_and(page: Page, sku: str, value: str, key: str, javascript: bool) -> None:
    """Type ``value`` over the field's content, then press ``key``; without JavaScript, Enter
    posts the form and loads the cart page again."""
    field = quantity(page, sku)
    field.fill(value)
    if javascript or key != "Enter":
        field.press(key)
    else:
        with page.expect_navigation():
            field.press(key)


def message(language: str, compute) -> str:
    with translation.override(language):
        try:
            compute()
        except CartError as error:
            return error.messages[0]
    raise AssertionError("the value was accepted")


@pytest.fixture
def phone(new_context, demo, request):
    """A 390 px phone in the shop's language, with or without JavaScript."""
    language, javascript = request.param
    context = new_context(java_script_enabled=javascript, locale=language)
    page = context.new_page()
    assert page.viewport_size["width"] == 390
    add(page, demo.url, language, TEE, 1)
    add(page, demo.url, language, MUG, 2)
    open_cart(page, demo.url, language)
    return page, demo.url, language, javascript


CASES = [("de", True), ("de", False), ("ar", True), ("ar", False)]
IDS = ["de-js", "de-no-js", "ar-js", "ar-no-js"]


@pytest.mark.parametrize("phone", CASES, ids=IDS, indirect=True)
def test_enter_sets_the_typed_quantity_and_a_refusal_is_shown_next_to_the_field(phone):
    page, url, language, javascript = phone
    tee = quantity(page, TEE[1])
    expect(tee).to_have_value("1")

    # The line is at 1, so the stepper's "−" is disabled: Enter used to do nothing at all.
    type_and(page, TEE[1], "3", "Enter", javascript)
    expect(tee).to_have_value("3")
    expect(page.locator("[data-cart-count]")).to_have_text("4")

    # From 3 to 5: Enter used to submit "−" and leave 2.
    type_and(page, TEE[1], "5", "Enter", javascript)
    expect(tee).to_have_value("5")
    expect(page.locator("[data-cart-count]")).to_have_text("6")

    # More mugs than in stock: the shop's own message in the page's language, next to the
    # field, the typed value kept, the cart unchanged.
    type_and(page, MUG[1], str(MUG_STOCK + 7), "Enter", javascript)
    mug_error = line(page, MUG[1]).locator("[data-quantity-error]")
    expect(mug_error).to_be_visible()
    expect(mug_error).to_contain_text(str(MUG_STOCK))
    expect(mug_error).to_contain_text(line(page, MUG[1]).locator(".line-name").inner_text())
    expect(quantity(page, MUG[1])).to_have_value(str(MUG_STOCK + 7))
    expect(quantity(page, MUG[1])).to_have_attribute("aria-invalid", "true")
    expect(page.locator("[data-cart-count]")).to_have_text("6")

    # More than anyone may buy of one item.
    type_and(page, MUG[1], "1000", "Enter", javascript)
    too_many = message(language, lambda: parse_quantity("1000"))
    expect(line(page, MUG[1]).locator("[data-quantity-error]")).to_have_text(too_many)
    assert str(settings.CART_MAX_LINE_QUANTITY) in too_many
    expect(page.locator("[data-cart-count]")).to_have_text("6")

    # A typed 0 removes the line, as it does in most shops.
    type_and(page, MUG[1], "0", "Enter", javascript)
    expect(page.locator(".cart-line")).to_have_count(1)
    expect(quantity(page, TEE[1])).to_have_value("5")
    expect(page.locator("[data-cart-count]")).to_have_text("5")
    expect(page.locator("[data-quantity-error]:visible")).to_have_count(0)
    if javascript:
        expect(page).to_have_url(f"{url}/{language}/cart/")


@pytest.mark.parametrize("phone", CASES, ids=IDS, indirect=True)
def test_leaving_the_field_sets_the_typed_quantity(phone):
    page, url, language, javascript = phone
    tee = quantity(page, TEE[1])
    type_and(page, TEE[1], "2", "Enter", javascript)
    expect(tee).to_have_value("2")

    # From 2, type 5 and Tab away: it used to become 1.
    type_and(page, TEE[1], "5", "Tab", javascript)
    if javascript:
        # The script sends the typed value when the field is left, and the page stays.
        expect(page.locator("[data-cart-count]")).to_have_text("6")
        expect(tee).to_have_value("5")
    else:
        # Without a script nothing can happen on leaving a field: the typed value stays, focus
        # moves on, and the visible "Update" button sets it.
        expect(tee).to_have_value("5")
        assert page.evaluate("document.activeElement.name") != "quantity"
        expect(page.locator("[data-cart-count]")).to_have_text("3")
        with page.expect_navigation():
            line(page, TEE[1]).locator(".link-button[name=update]").click()
        expect(page.locator("[data-cart-count]")).to_have_text("6")
    expect(page).to_have_url(f"{url}/{language}/cart/")
    expect(quantity(page, TEE[1])).to_have_value("5")
    expect(quantity(page, MUG[1])).to_have_value("1")

    # The stepper still counts from the quantity in the cart.
    if javascript:
        line(page, TEE[1]).locator("button[data-step='-1']").click()
    else:
        with page.expect_navigation():
            line(page, TEE[1]).locator("button[data-step='-1']").click()
    expect(quantity(page, TEE[1])).to_have_value("4")
    expect(page.locator("[data-cart-count]")).to_have_text("5")
