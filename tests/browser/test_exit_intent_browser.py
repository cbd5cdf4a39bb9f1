"""Capture and feedback on the storefront, in a real browser:

- exit intent on a desktop (the pointer leaves the window at the top) in German, and on a
  390 px phone (the back button; the tab hidden) in Arabic, right to left: a guest's cart is
  saved by e-mail, and the mail with the restore link arrives in the shopper's language. No
  request leaves before the shopper submits; the dialog is offered once per cart.
- "why did you leave?": the reason's link from a mail in Brazilian Portuguese stores the answer
  in one click; the page lets the shopper change it.

The page's clock is Playwright's (``page.clock``): "some time on the page" passes at once. The
mail is sent by the RQ job the outbox queued, run here with a burst ``SimpleWorker``.
"""

from __future__ import annotations

import re

import django_rq
import pytest
import rq
from django.core import mail
from django.test import override_settings
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Browser, Page, expect

from cart.models import Cart, CartStatus
from recovery.capture import OFFER_AFTER_SECONDS
from recovery.models import LeaveFeedback, RecoveryMessage
from recovery.outbox import queue_message, send_message
from tests.browser.conftest import PHONE
from tests.browser.test_cart_browser import MUG, TEE, add_variant, no_horizontal_overflow, open_shop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}
DIALOG = "dialog[data-exit-intent]"


def translated(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


def cart_page_with_items(page: Page, url: str, language: str, country: str) -> Cart:
    open_shop(page, url, language, country)
    add_variant(page, TEE, expected_count=1)
    add_variant(page, MUG, expected_count=2)
    page.clock.install()  # from here on the page's timers and Date are the test's
    page.goto(f"{url}/{language}/cart/")
    expect(page.locator(".cart-line")).to_have_count(2)
    expect(page.locator(DIALOG)).to_be_hidden()
    token = page.evaluate("""() => document.querySelector("[data-exit-intent]")
                                         .getAttribute("data-exit-intent")""")  # fmt: skip
    assert token.startswith("exit-intent:")
    return Cart.objects.filter(customer__isnull=True, lines__isnull=False).distinct().latest("pk")


class Requests:
    """Every request the page sends from now on."""

    def __init__(self, page: Page) -> None:
        self.urls: list[str] = []
        page.on("request", lambda request: self.urls.append(request.url))


def run_mail_queue() -> list:
    queue = django_rq.get_queue("mail")
    rq.SimpleWorker([queue], connection=django_rq.get_connection("mail")).work(burst=True)
    return list(mail.outbox)


def save_in_dialog(page: Page, email: str, requests: Requests) -> None:
    dialog = page.locator(DIALOG)
    expect(dialog).to_be_visible()
    email_input = dialog.locator("input[name=email]")
    expect(email_input).to_be_focused()
    assert requests.urls == [], f"requests before the shopper submitted: {requests.urls}"
    email_input.fill(email)
    dialog.locator("input[name=marketing_consent]").check()
    dialog.locator("button[type=submit]").click()
    expect(dialog.locator("[data-exit-intent-done]")).to_be_visible()
    expect(dialog.locator("[data-exit-intent-message]")).to_contain_text(email)
    assert [u for u in requests.urls if "/m/save-cart/" in u], requests.urls


def assert_mail(email: str, language: str, cart: Cart) -> None:
    mails = [m for m in run_mail_queue() if m.to == [email]]
    assert len(mails) == 1, [m.to for m in mail.outbox]
    html = mails[0].alternatives[0][0]
    assert f'lang="{language}"' in html
    assert translated(language, "Back to your cart") in html
    assert re.search(rf"/{language}/m/r/[^\"]+/", html)
    message = RecoveryMessage.objects.get(cart=cart)
    assert (message.language, message.status, message.requested) == (language, "sent", True)


def test_desktop_pointer_leaving_at_the_top_saves_the_cart_by_e_mail_in_german(
    browser: Browser, demo, artifacts
):
    context = browser.new_context(viewport=DESKTOP, locale="de-DE")
    page = context.new_page()
    cart = cart_page_with_items(page, demo.url, "de", "DE")
    requests = Requests(page)

    page.mouse.move(640, 300)
    page.mouse.move(640, 0)
    page.mouse.move(640, -20)  # out through the top too early: not yet a move to leave
    expect(page.locator(DIALOG)).to_be_hidden()
    page.clock.fast_forward((OFFER_AFTER_SECONDS + 1) * 1000)
    page.mouse.move(640, 300)
    page.mouse.move(640, -20)

    # Tab stays in the dialog.
    expect(page.locator(DIALOG)).to_be_visible()
    for _ in range(6):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('dialog') !== null")
    page.locator(f"{DIALOG} input[name=email]").focus()
    save_in_dialog(page, "lena.desktop@example.com", requests)
    page.screenshot(path=str(artifacts / "exit-intent-desktop-de.png"))

    assert_mail("lena.desktop@example.com", "de", cart)
    page.reload()  # the cart has an e-mail now: no dialog any more
    expect(page.locator(DIALOG)).to_have_count(0)
    context.close()


def test_phone_back_button_saves_the_cart_by_e_mail_in_arabic_right_to_left(
    page: Page, demo, artifacts
):
    cart = cart_page_with_items(page, demo.url, "ar", "SA")
    requests = Requests(page)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.clock.fast_forward((OFFER_AFTER_SECONDS + 1) * 1000)

    page.go_back()  # the entry the script added: the page stays, the dialog opens

    expect(page).to_have_url(re.compile(r"/ar/cart/"))
    dialog = page.locator(DIALOG)
    expect(dialog).to_be_visible()
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    no_horizontal_overflow(page, "exit intent, ar")
    page.screenshot(path=str(artifacts / "exit-intent-phone-ar.png"))
    save_in_dialog(page, "layla@example.com", requests)

    assert_mail("layla@example.com", "ar", cart)
    html = [m for m in mail.outbox if m.to == ["layla@example.com"]][0].alternatives[0][0]
    assert 'dir="rtl"' in html


def test_phone_tab_hidden_then_back_offers_it_once_per_cart_in_german(page: Page, demo):
    cart = cart_page_with_items(page, demo.url, "de", "DE")
    requests = Requests(page)
    page.clock.fast_forward((OFFER_AFTER_SECONDS + 1) * 1000)

    def switch_tab(state: str) -> None:
        page.evaluate("""(state) => {
            Object.defineProperty(document, "visibilityState", {value: state, configurable: true});
            document.dispatchEvent(new Event("visibilitychange"));
        }""", state)  # fmt: skip

    switch_tab("hidden")
    expect(page.locator(DIALOG)).to_be_hidden()  # nobody sees it while away
    switch_tab("visible")
    expect(page.locator(DIALOG)).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(DIALOG)).to_be_hidden()

    switch_tab("hidden")
    switch_tab("visible")
    page.reload()
    page.clock.fast_forward((OFFER_AFTER_SECONDS + 1) * 1000)
    switch_tab("hidden")
    switch_tab("visible")
    expect(page.locator(DIALOG)).to_be_hidden()  # once per cart, also after a reload
    assert [u for u in requests.urls if "/m/save-cart/" in u] == []
    cart.refresh_from_db()
    assert cart.customer_id is None


def test_the_feedback_link_of_a_portuguese_mail_stores_the_answer_in_one_click(
    page: Page, demo, artifacts
):
    cart = (Cart.objects.filter(status=CartStatus.ABANDONED, customer__isnull=False)
            .select_related("customer").first())  # fmt: skip
    assert cart is not None, "the demo has abandoned carts with a customer"
    cart.customer.language = "pt-br"
    cart.customer.marketing_consent = True
    cart.customer.unsubscribed_at = None
    cart.customer.save()
    with override_settings(SHOP_BASE_URL=demo.url):
        message = queue_message(key="browser-feedback", cart=cart, channel="email",
                                subject="Seu carrinho", body="Oi {first_name}: {restore_link}")
        assert send_message(message.pk) == "sent"
    html = [m for m in mail.outbox if m.to == [cart.customer.email]][-1].alternatives[0][0]
    link = re.search(r'href="(https?://[^"]+/pt-br/m/f/[^"]+/\?reason=delivery_time)"', html)
    assert link, "a link per reason in the mail"

    page.goto(link.group(1).replace("&amp;", "&"))

    expect(page).to_have_url(re.compile(r"/pt-br/m/f/.+/\?saved=1$"))
    expect(page.locator("html")).to_have_attribute("lang", "pt-br")
    expect(page.locator("input[name=reason][value=delivery_time]")).to_be_checked()
    feedback = LeaveFeedback.objects.get(cart=cart)
    assert (feedback.reason, feedback.language, feedback.message_id) == (
        "delivery_time", "pt-br", message.pk)  # fmt: skip
    expect(page.locator("textarea[name=text]")).to_be_hidden()
    no_horizontal_overflow(page, "feedback, pt-br")

    page.locator("label.choice:has(input[value=other])").click()
    page.locator("textarea[name=text]").fill("Queria pagar com boleto <b>parcelado</b>")
    page.locator(".leave-feedback-form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"\?saved=1$"))
    expect(page.locator("textarea[name=text]")).to_have_value(
        "Queria pagar com boleto <b>parcelado</b>")
    page.screenshot(path=str(artifacts / "leave-feedback-pt-br.png"), full_page=True)
    feedback.refresh_from_db()
    assert (feedback.reason, feedback.text) == ("other", "Queria pagar com boleto <b>parcelado</b>")
    assert LeaveFeedback.objects.filter(cart=cart).count() == 1


def test_on_the_checkout_an_e_mail_typed_in_its_own_field_is_enough(browser: Browser, demo):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    cart_page_with_items(page, demo.url, "de", "DE")
    page.goto(f"{demo.url}/de/checkout/")
    expect(page.locator("form[data-checkout]")).to_have_count(1)
    page.locator("form[data-checkout] input[name=email]").fill("lena.checkout@example.com")
    page.clock.fast_forward((OFFER_AFTER_SECONDS + 1) * 1000)

    page.mouse.move(640, 300)
    page.mouse.move(640, -20)

    expect(page.locator(DIALOG)).to_be_hidden()  # the checkout has the address already
    page.locator("form[data-checkout] input[name=email]").fill("")
    page.mouse.move(640, 300)
    page.mouse.move(640, -20)
    expect(page.locator(DIALOG)).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(DIALOG)).to_be_hidden()
    context.close()
