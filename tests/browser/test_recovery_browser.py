"""A recovery mail's restore link, opened in a browser that never saw the shop (another
device): the customer's abandoned cart appears there, in the cart's language, with its lines."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import override_settings
from playwright.sync_api import Browser, expect

from cart.models import Cart, CartStatus
from recovery.outbox import queue_message, send_message


@pytest.mark.django_db(transaction=True)
def test_the_restore_link_brings_the_cart_to_a_fresh_browser(demo, browser: Browser, artifacts):
    cart = (
        Cart.objects.filter(
            status=CartStatus.ABANDONED,
            customer__marketing_consent=True,
            customer__unsubscribed_at__isnull=True,
            language="de",
        )
        .select_related("customer")
        .first()
    )
    assert cart is not None, "the demo has an abandoned German cart with consent"
    names = [line.variant.product.name_de for line in cart.lines.select_related("variant__product")]
    with override_settings(SHOP_BASE_URL=demo.url):
        message = queue_message(
            key="browser-test", cart=cart, channel="email", subject="Ihr Warenkorb",
            body="Hallo {first_name}, {restore_link}",
        )  # fmt: skip
        assert send_message(message.pk) == "sent"
    (sent,) = [m for m in mail.outbox if m.to == [cart.customer.email]]
    link = re.search(r"https?://\S+/m/r/\S+/", sent.body).group(0)

    context = browser.new_context(viewport={"width": 390, "height": 844})  # no cookie at all
    page = context.new_page()
    page.goto(link)

    expect(page).to_have_url(re.compile(r"/de/cart/"))
    for name in names:
        expect(page.locator(".cart-line", has_text=name)).to_have_count(1)
    page.screenshot(path=str(artifacts / "restored-cart-de.png"), full_page=True)
    message.refresh_from_db()
    assert message.clicked_at is not None
    context.close()


@pytest.mark.django_db(transaction=True)
def test_a_tampered_restore_link_shows_no_cart(demo, browser: Browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{demo.url}/de/m/r/not-a-valid-token/")
    expect(page).to_have_url(re.compile(r"/de/$"))
    expect(page.locator(".message.error")).to_have_count(1)
    context.close()
