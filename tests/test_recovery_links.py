"""Where the links of a recovery mail land (``recovery.views``): the restore link puts the cart
into any browser's session and shows it in the cart's language; tampered or expired links are
refused; the open pixel counts one open; one-click unsubscribe works without a CSRF token; an
order placed after following the link is credited to the message."""

from __future__ import annotations

import re
import struct
import time
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.contrib.messages import get_messages
from django.core import mail, signing
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from cart.models import Cart, CartStatus
from recovery import links as recovery_links
from recovery.models import Channel, MessageStatus, RecoveryMessage, SkipReason
from recovery.outbox import queue_message, send_message
from recovery.selectors import abandonment_outcomes
from shop.models import Customer
from tests import factories
from tests.checkout_world import ADDRESSES, PHONES, CheckoutWorld
from tests.recovery_world import snapshot

pytestmark = pytest.mark.django_db

BASE = "https://shop.example"
LINK = re.compile(re.escape(BASE) + r"(/[a-z-]+/m/([rou])/[^/\s\"<>]+/)")
DAY = 24 * 60 * 60


@pytest.fixture
def world(cart_world, settings):
    settings.SHOP_BASE_URL = BASE
    return CheckoutWorld()


def abandoned(world, *, status=CartStatus.ABANDONED, email="anna@example.com") -> Cart:
    """Anna's German cart (two Linen Shirts M and a Cookbook), abandoned."""
    anna = factories.CustomerFactory(email=email, first_name="Anna", language="de",
                                     marketing_consent=True)  # fmt: skip
    return world.cart(world.eu, "DE", (world.shirt_m, 2), (world.cookbook, 1), customer=anna,
                      language="de", status=status)  # fmt: skip


def sent(cart: Cart, key: str = "test:1") -> tuple[RecoveryMessage, dict[str, str]]:
    """Queue and send a message about ``cart``; its links (paths) by kind: r, o, u."""
    message = queue_message(key=key, cart=cart, channel=Channel.EMAIL, subject="Hallo",
                            body="{restore_link}")  # fmt: skip
    assert send_message(message.pk) == MessageStatus.SENT
    html = mail.outbox[-1].alternatives[0][0]
    return message, {kind: path for path, kind in LINK.findall(html)}


def path_of(url: str) -> str:
    return LINK.match(url).group(1)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def german(text: str) -> str:
    with translation.override("de"):
        return gettext(text)


def session_cart(client: Client) -> str | None:
    return client.session.get(django_settings.CART_SESSION_KEY)


# --- restore ----------------------------------------------------------------------------------


def test_the_restore_link_on_another_device_shows_that_cart_in_its_language(world):
    cart = abandoned(world)
    message, urls = sent(cart)
    browser = Client()  # another device: no session, no cookies
    carts_before = Cart.objects.count()

    response = browser.get(urls["r"])

    assert response.status_code == 302
    assert response["Location"] == "/de/cart/?country=DE"
    page = browser.get(response["Location"])
    assert page.status_code == 200
    assert page.context["cart"].pk == cart.pk
    assert session_cart(browser) == str(cart.token)
    assert '<html lang="de"' in page.text
    assert sorted((line.sku, line.quantity) for line in page.context["pricing"].lines) == [
        ("BOOK", 1), ("SHIRT-M", 2)]  # fmt: skip
    assert "Linen Shirt" in page.text and "Cookbook" in page.text
    assert Cart.objects.count() == carts_before, "the cart is restored, not copied"
    message.refresh_from_db()
    assert message.clicked_at is not None
    clicked = message.clicked_at
    browser.get(urls["r"])
    message.refresh_from_db()
    assert message.clicked_at == clicked, "the first click counts"


def tampered_tokens(message, cart, other_cart) -> dict[str, str]:
    token = path_of(recovery_links.restore_url(message)).split("/")[-2]
    payload, stamp, signature = token.split(":")
    changed = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    forged = signing.dumps({"m": message.pk, "c": str(other_cart.token)},
                           salt=recovery_links.RESTORE_SALT).split(":")[0]  # fmt: skip
    return {
        "signature changed": f"{payload}:{stamp}:{changed}",
        "other cart, original signature": f"{forged}:{stamp}:{signature}",
        "signed for another purpose": signing.dumps({"m": message.pk, "c": str(cart.token)},
                                                    salt=recovery_links.UNSUBSCRIBE_SALT),
        "not a token": "garbage",
    }  # fmt: skip


@pytest.mark.parametrize("kind", ["signature changed", "other cart, original signature",
                                  "signed for another purpose", "not a token"])  # fmt: skip
def test_a_tampered_restore_link_is_refused_with_a_message_and_changes_nothing(world, kind):
    cart = abandoned(world)
    other_cart = abandoned(world, email="other@example.com")
    message, _urls = sent(cart)
    token = tampered_tokens(message, cart, other_cart)[kind]
    before = snapshot()
    browser = Client()

    response = browser.get(f"/de/m/r/{token}/")

    assert response.status_code == 302
    assert not response["Location"].startswith("/de/cart/")
    assert german("This link has expired or is not valid.") in messages_of(response)
    assert session_cart(browser) is None
    assert snapshot() == before
    message.refresh_from_db()
    assert message.clicked_at is None


def restore_link_made(message, monkeypatch, days_ago: float) -> str:
    """The message's restore link as it was signed ``days_ago`` days ago."""
    signed_at = time.time() - days_ago * DAY
    with monkeypatch.context() as patched, translation.override("de"):
        patched.setattr(signing, "time", SimpleNamespace(time=lambda: signed_at))
        return path_of(recovery_links.restore_url(message))


def test_an_expired_restore_link_is_refused_and_one_just_in_time_is_not(
    world, monkeypatch, settings
):
    cart = abandoned(world)
    message, _urls = sent(cart)
    max_age = settings.RECOVERY_LINK_MAX_AGE_DAYS
    expired = restore_link_made(message, monkeypatch, max_age + 0.01)
    in_time = restore_link_made(message, monkeypatch, max_age - 0.01)
    before = snapshot()
    browser = Client()

    response = browser.get(expired)

    assert german("This link has expired or is not valid.") in messages_of(response)
    assert session_cart(browser) is None
    assert snapshot() == before
    message.refresh_from_db()
    assert message.clicked_at is None
    assert browser.get(in_time)["Location"] == "/de/cart/?country=DE"
    assert session_cart(browser) == str(cart.token)


@pytest.mark.parametrize("status", [CartStatus.CONVERTED, CartStatus.RECOVERED])
def test_a_restore_link_to_an_ordered_cart_says_so(world, status):
    cart = abandoned(world)
    message, urls = sent(cart)
    Cart.objects.filter(pk=cart.pk).update(status=status)
    browser = Client()

    response = browser.get(urls["r"])

    assert response.status_code == 302
    assert not response["Location"].startswith("/de/cart/")
    assert german("This cart has already been ordered or is no longer available.") in (
        messages_of(response))  # fmt: skip
    assert session_cart(browser) is None
    assert Cart.objects.get(pk=cart.pk).status == status


# --- open pixel -------------------------------------------------------------------------------


def test_the_open_pixel_is_a_1x1_gif_and_counts_the_first_open(world):
    message, urls = sent(abandoned(world))

    response = Client().get(urls["o"])

    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert response.content[:6] in (b"GIF87a", b"GIF89a")
    assert struct.unpack("<HH", response.content[6:10]) == (1, 1)
    message.refresh_from_db()
    opened = message.opened_at
    assert opened is not None
    Client().get(urls["o"])
    message.refresh_from_db()
    assert message.opened_at == opened


def test_a_tampered_open_pixel_is_still_a_gif_and_counts_nothing(world):
    message, urls = sent(abandoned(world))

    response = Client().get(urls["o"][:-3] + "x/")

    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    message.refresh_from_db()
    assert message.opened_at is None


# --- unsubscribe ------------------------------------------------------------------------------


def test_one_click_unsubscribe_posts_without_a_csrf_token(world):
    cart = abandoned(world)
    message, _urls = sent(cart)
    header = mail.outbox[-1].extra_headers["List-Unsubscribe"]
    mail_client = Client(enforce_csrf_checks=True)  # a mail provider, RFC 8058

    response = mail_client.post(path_of(header[1:-1]), data="List-Unsubscribe=One-Click",
                                content_type="application/x-www-form-urlencoded")  # fmt: skip

    assert response.status_code == 200
    assert Customer.objects.get(pk=cart.customer_id).unsubscribed_at is not None
    later = queue_message(key="test:later", cart=cart, channel=Channel.EMAIL, subject="Hi",
                          body="Hi")  # fmt: skip
    send_message(later.pk)
    later.refresh_from_db()
    assert (later.status, later.skip_reason) == (MessageStatus.SKIPPED, SkipReason.UNSUBSCRIBED)


def test_the_unsubscribe_link_opened_shows_a_confirmation_and_unsubscribes_nobody(world):
    cart = abandoned(world)
    _message, urls = sent(cart)

    response = Client().get(urls["u"])

    assert response.status_code == 200
    assert german("Stop receiving cart reminders and offers from us?") in response.text
    assert '<form method="post">' in response.text
    assert Customer.objects.get(pk=cart.customer_id).unsubscribed_at is None


def test_a_tampered_unsubscribe_link_is_404(world):
    cart = abandoned(world)
    message, urls = sent(cart)
    forged = signing.dumps({"m": message.pk, "u": cart.customer_id}, key="not-the-secret",
                           salt=recovery_links.UNSUBSCRIBE_SALT)  # fmt: skip
    mail_client = Client(enforce_csrf_checks=True)

    assert Client().get(urls["u"][:-3] + "x/").status_code == 404
    assert (
        mail_client.post(
            f"/de/m/u/{forged}/",
            data="List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        ).status_code
        == 404
    )
    assert Customer.objects.get(pk=cart.customer_id).unsubscribed_at is None


# --- recovered orders -------------------------------------------------------------------------


def test_an_order_after_following_the_restore_link_is_credited_to_that_message(
    world, mail_queue, django_capture_on_commit_callbacks
):
    cart = abandoned(world)
    followed, urls = sent(cart, key="test:followed")
    ignored, _ = sent(cart, key="test:ignored")
    Client().get(urls["r"])

    with django_capture_on_commit_callbacks(execute=True):
        order = world.place(cart, "bank_transfer", customer=cart.customer,
                            email=cart.customer.email)  # fmt: skip

    assert Cart.objects.get(pk=cart.pk).status == CartStatus.RECOVERED
    followed.refresh_from_db()
    ignored.refresh_from_db()
    assert followed.recovered_order_id == order.pk
    assert ignored.recovered_order_id is None


def test_an_order_placed_on_the_checkout_page_after_the_restore_link_is_credited(
    world, mail_queue, django_capture_on_commit_callbacks
):
    """The shopper's real path: follow the link on another device, check out on the page."""
    cart = abandoned(world)
    message, urls = sent(cart)
    browser = Client()
    browser.get(urls["r"])
    checkout = "/de/checkout/?country=DE"
    page = browser.get(checkout)
    assert page.context["cart"].pk == cart.pk
    pricing = page.context["pricing"]

    def hidden(name: str) -> str:
        return re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page.text)[1]

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(checkout, {
            "expected_total": hidden("expected_total"), "attempt": hidden("attempt"),
            "email": cart.customer.email, **ADDRESSES["DE"], "phone": PHONES["DE"],
            "country_code": "DE", "shipping_method": str(pricing.shipping.method_id),
            "payment_method": "bank_transfer", "place_order": "1",
        })  # fmt: skip

    assert response.status_code == 302
    order = cart.orders.get()
    assert Cart.objects.get(pk=cart.pk).status == CartStatus.RECOVERED
    message.refresh_from_db()
    assert message.recovered_order_id == order.pk


# --- honest numbers: recovered only after a message -------------------------------------------


def test_an_order_after_a_sent_message_is_recovered_and_one_without_returned_by_itself(
    world, mail_queue, django_capture_on_commit_callbacks
):
    with_message = abandoned(world, email="anna@example.com")
    message, urls = sent(with_message)
    Client().get(urls["r"])
    without = abandoned(world, email="bert@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        recovered = world.place(with_message, "bank_transfer", customer=with_message.customer,
                                email=with_message.customer.email)  # fmt: skip
        world.place(without, "bank_transfer", customer=without.customer,
                    email=without.customer.email)  # fmt: skip

    assert Cart.objects.get(pk=with_message.pk).status == CartStatus.RECOVERED
    assert Cart.objects.get(pk=without.pk).status == CartStatus.CONVERTED
    assert Cart.objects.get(pk=without.pk).was_abandoned, "it was abandoned, and came back"
    message.refresh_from_db()
    assert message.recovered_order_id == recovered.pk
    assert abandonment_outcomes() == {"recovered": 1, "returned_by_itself": 1}


def test_a_message_that_was_skipped_does_not_make_the_order_recovered(
    world, mail_queue, django_capture_on_commit_callbacks
):
    cart = abandoned(world)
    Customer.objects.filter(pk=cart.customer_id).update(marketing_consent=False)
    message = queue_message(key="test:skipped", cart=cart, channel=Channel.EMAIL,
                            subject="Hallo", body="{restore_link}")  # fmt: skip
    assert send_message(message.pk) == MessageStatus.SKIPPED

    with django_capture_on_commit_callbacks(execute=True):
        world.place(cart, "bank_transfer", customer=cart.customer, email=cart.customer.email)

    assert Cart.objects.get(pk=cart.pk).status == CartStatus.CONVERTED
    assert abandonment_outcomes() == {"recovered": 0, "returned_by_itself": 1}
