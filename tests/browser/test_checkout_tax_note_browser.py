"""The US checkout's note "Sales tax depends on your state" is there while the state is unknown
and goes as soon as the state is chosen and the tax shown (with the page's script, at once;
without it, after "Update totals"); clearing the state brings it back."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_checkout_browser import MUG, fill_cart

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UNKNOWN = "Sales tax depends on your state and is added at checkout."
KNOWN = "Tax is added to the prices shown."
USD = re.compile(r"^\$\d+\.\d{2}$")


def notes(page: Page):
    summary = page.locator(".checkout-summary")
    return summary.locator(".tax dd"), summary.get_by_text(UNKNOWN), summary.get_by_text(KNOWN)


def test_the_state_note_goes_once_the_tax_is_shown(page: Page, demo):
    fill_cart(page, demo.url, "en", "US", MUG)
    page.goto(f"{demo.url}/en/checkout/")
    tax, unknown, known = notes(page)
    expect(tax).to_have_text("Calculated from your address")
    expect(unknown).to_be_visible()
    expect(known).to_be_hidden()

    page.locator("select[name=country_area]").select_option("NY")
    expect(tax).to_have_text(USD)
    expect(unknown).to_be_hidden()
    expect(known).to_be_visible()

    page.locator("select[name=country_area]").select_option("")
    expect(tax).to_have_text("Calculated from your address")
    expect(unknown).to_be_visible()
    expect(known).to_be_hidden()


def test_without_javascript_the_note_goes_after_updating_the_totals(new_context, demo):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{demo.url}/en/p/{MUG[0]}/?country=US")
    page.locator(f"label.variant-option:has(input[name=sku][value='{MUG[1]}'])").click()
    with page.expect_navigation():
        page.locator("form.add-to-cart button[type=submit]").click()
    page.goto(f"{demo.url}/en/checkout/")
    tax, unknown, known = notes(page)
    expect(unknown).to_be_visible()

    page.locator("select[name=country_area]").select_option("NY")
    with page.expect_navigation():
        page.locator("button[name=recalculate]").click()
    expect(tax).to_have_text(USD)
    expect(unknown).to_be_hidden()
    expect(known).to_be_visible()
