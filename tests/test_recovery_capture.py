"""Exit intent (``recovery.capture``): a guest's cart saved by e-mail from the cart or checkout
page. The dialog is on the page only for a guest the shop has no e-mail for, with the market's
consent box; the submit keeps the e-mail on a guest customer with the answer to the box, and
sends one mail with the restore link through the outbox (a double submit sends one); it is the
shopper's request, so it leaves without marketing consent, which only governs later reminders.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.template import Context
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext
from rq import SimpleWorker

from cart.models import Cart
from recovery.capture import message_key
from recovery.models import Channel, MessageStatus, RecoveryMessage, SkipReason
from recovery.outbox import queue_message, send_message
from recovery.templatetags.recovery_tags import exit_intent
from shop.models import ConsentSource, Customer

pytestmark = pytest.mark.django_db

BASE = "https://shop.example"
JSON = {"HTTP_ACCEPT": "application/json"}
QUERIES_TO_SAVE = 22  # see test_saving_costs_a_fixed_number_of_queries


@pytest.fixture
def shop(cart_world, settings):
    settings.SHOP_BASE_URL = BASE
    w = cart_world
    w.eu, w.us, w.shirt_m, w.cookbook  # noqa: B018  (creates them)
    return w


def add(client, sku="SHIRT-M", language="de", country="DE"):
    response = client.post(f"/{language}/cart/add/?country={country}", {"sku": sku})
    assert response.status_code == 302
    return Cart.objects.get(token=client.session[django_settings.CART_SESSION_KEY])


@pytest.fixture
def save(django_capture_on_commit_callbacks):
    """Post the dialog's form as its script does; what the outbox queues after commit is
    queued (the test's transaction never commits)."""

    def post(client, language="de", country="DE", **data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/{language}/m/save-cart/?country={country}", data, **JSON)

    return post


def deliver(queue) -> list:
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    return list(mail.outbox)


def translated(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


# --- the dialog on the page ---------------------------------------------------------------------


def test_a_guest_s_cart_page_has_the_dialog_closed_with_the_unticked_consent_box_of_the_eu(
    shop, client
):
    add(client)
    html = client.get("/de/cart/?country=DE").content.decode()

    dialog = re.search(r"<dialog[^>]*data-exit-intent[^>]*>.*?</dialog>", html, re.S).group(0)
    assert " open" not in dialog.split(">", 1)[0]  # closed: without JavaScript nothing shows
    assert "recovery/exit_intent.js" in html
    assert 'name="csrfmiddlewaretoken"' in dialog
    consent = re.search(r'<input[^>]*name="marketing_consent"[^>]*>', dialog).group(0)
    assert "checked" not in consent  # opt-in market: never ticked for the shopper


def test_where_the_market_needs_no_opt_in_the_box_is_offered_ticked(shop, client):
    shop.us.marketing_opt_in_required = False
    shop.us.save()
    add(client, language="en", country="US")
    html = client.get("/en/cart/?country=US").content.decode()
    consent = re.search(r'<input[^>]*name="marketing_consent"[^>]*>', html).group(0)
    assert "checked" in consent


def test_no_dialog_for_an_empty_cart_a_known_e_mail_or_a_signed_in_shopper(
    shop, client, django_user_model
):
    assert "data-exit-intent" not in client.get("/de/cart/").content.decode()  # no cart yet
    cart = add(client)
    cart.customer = Customer.objects.create(email="known@example.com")
    cart.save()
    assert "data-exit-intent" not in client.get("/de/cart/?country=DE").content.decode()

    signed_in = Client()
    signed_in.force_login(django_user_model.objects.create_user("kim", "kim@example.com", "x"))
    add(signed_in)
    assert "data-exit-intent" not in signed_in.get("/de/cart/?country=DE").content.decode()


def test_the_checkout_page_has_the_dialog_outside_its_own_form(shop, client):
    add(client)
    html = client.get("/de/checkout/?country=DE").content.decode()
    form_end = html.index("</form>", html.index("data-checkout"))
    assert html.index("data-exit-intent") > form_end


def test_the_dialog_costs_no_query(shop, client, rf, django_assert_num_queries):
    cart = add(client)
    request = rf.get("/de/cart/")
    request.shop = shop.locale(shop.eu, "DE", language="de")
    request.user = type("Anonymous", (), {"is_authenticated": False})()
    pricing = shop.price(cart)
    with django_assert_num_queries(0):
        rendered = exit_intent(Context({"request": request, "cart": cart, "pricing": pricing}))
    assert rendered["offer"] is True


# --- saving the cart ------------------------------------------------------------------------------


def test_saving_keeps_a_guest_with_the_consent_and_mails_the_restore_link_in_german(
    shop, client, mail_queue, save
):
    cart = add(client)

    response = save(client, email="Lena@Example.COM", marketing_consent="on")

    assert response.status_code == 200
    body = response.json()
    assert body["saved"] is True and "Lena@example.com" in body["message"]
    customer = Customer.objects.get(email__iexact="lena@example.com")
    assert (customer.language, customer.country.code, customer.user_id) == ("de", "DE", None)
    assert customer.marketing_consent is True
    assert customer.consent_source == ConsentSource.SAVED_CART
    assert customer.consent_at is not None
    cart.refresh_from_db()
    assert cart.customer == customer
    message = RecoveryMessage.objects.get(key=message_key(cart))
    assert (message.channel, message.language, message.requested) == (Channel.EMAIL, "de", True)

    [sent] = deliver(mail_queue)

    assert sent.to == ["Lena@example.com"]
    html = sent.alternatives[0][0]
    assert 'lang="de"' in html
    assert translated("de", "Back to your cart") in html
    assert re.search(re.escape(BASE) + r"/de/m/r/[^\"]+/", html)
    assert re.search(re.escape(BASE) + r"/de/m/f/[^\"]+/\?reason=price", html)
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT


def test_a_double_submit_sends_one_mail(shop, client, mail_queue, save):
    cart = add(client)

    first = save(client, email="lena@example.com")
    second = save(client, email="lena@example.com")

    assert first.json()["saved"] and second.json()["saved"]
    assert RecoveryMessage.objects.filter(cart=cart).count() == 1
    assert len(deliver(mail_queue)) == 1


def test_an_unticked_box_in_the_eu_is_a_no_that_stops_reminders_but_not_the_mail_asked_for(
    shop, client, mail_queue, save
):
    cart = add(client)

    save(client, email="lena@example.com")

    customer = Customer.objects.get(email="lena@example.com")
    assert customer.marketing_consent is False
    assert customer.consent_source == ConsentSource.SAVED_CART
    assert len(deliver(mail_queue)) == 1  # what the shopper asked for
    cart.refresh_from_db()
    reminder = queue_message(key="reminder:1", cart=cart, channel=Channel.EMAIL,
                             subject="Reminder", body="{restore_link}")  # fmt: skip
    assert send_message(reminder.pk) == MessageStatus.SKIPPED
    reminder.refresh_from_db()
    assert reminder.skip_reason == SkipReason.NO_CONSENT


def test_an_unsubscribed_customer_s_address_gets_nothing(shop, client, mail_queue, save):
    Customer.objects.create(email="gone@example.com", unsubscribed_at=timezone.now())
    add(client)
    save(client, email="gone@example.com", marketing_consent="on")
    assert deliver(mail_queue) == []
    message = RecoveryMessage.objects.get()
    assert message.skip_reason == SkipReason.UNSUBSCRIBED
    assert Customer.objects.get(email="gone@example.com").marketing_consent is None  # not theirs


def test_a_wrong_address_is_a_localized_400_and_writes_nothing(shop, client, save):
    cart = add(client, language="ar", country="DE")

    response = save(client, language="ar", email="not-an-address", marketing_consent="on")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["email"] == [translated("ar", "Enter a valid email address.")]
    assert not Customer.objects.exists()
    assert not RecoveryMessage.objects.exists()
    cart.refresh_from_db()
    assert cart.customer_id is None


def test_without_a_cart_the_answer_says_it_is_empty(shop, client, save):
    response = save(client, email="lena@example.com")
    assert response.status_code == 400
    assert "__all__" in response.json()["errors"]
    assert not RecoveryMessage.objects.exists()


def test_a_plain_form_post_comes_back_to_the_page_with_a_message(
    shop, client, mail_queue, django_capture_on_commit_callbacks
):
    add(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/de/m/save-cart/", {"email": "lena@example.com",
                                                    "next": "/de/checkout/?country=DE"})
    assert response.status_code == 302
    assert response["Location"] == "/de/checkout/?country=DE"
    evil = client.post("/de/m/save-cart/", {"email": "lena@example.com",
                                            "next": "https://evil.example/"})  # fmt: skip
    assert evil["Location"] == "/de/cart/"
    assert len(deliver(mail_queue)) == 1


def test_the_save_needs_the_csrf_token_and_a_post(shop):
    browser = Client(enforce_csrf_checks=True)
    add_page = browser.get("/de/cart/")
    assert add_page.status_code == 200
    token = browser.cookies[django_settings.CSRF_COOKIE_NAME].value
    browser.post("/de/cart/add/?country=DE", {"sku": "SHIRT-M", "csrfmiddlewaretoken": token})

    assert browser.post("/de/m/save-cart/", {"email": "lena@example.com"}).status_code == 403
    assert browser.get("/de/m/save-cart/").status_code == 405
    assert not RecoveryMessage.objects.exists()
    ok = browser.post("/de/m/save-cart/", {"email": "lena@example.com"}, HTTP_X_CSRFTOKEN=token,
                      **JSON)  # fmt: skip
    assert ok.status_code == 200


def test_saving_is_rate_limited_like_other_contact_writes(
    shop, client, settings, monkeypatch, save
):
    from cart import throttles

    monkeypatch.setattr(throttles, "clock", lambda: 1_800_000_000.0)  # one window
    settings.SHOP_RATE_LIMITS = {**settings.SHOP_RATE_LIMITS, "cart_write_contact": "2/m"}
    add(client)
    for _ in range(2):
        assert save(client, email="lena@example.com").status_code == 200
    refused = save(client, email="lena@example.com")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert RecoveryMessage.objects.count() == 1


def test_saving_costs_a_fixed_number_of_queries(
    shop, client, save, django_assert_num_queries
):
    """The cart, its lock, the message key, whether it has a line, the cart under attach_contact's
    lock, the guest (look-up, insert, consent), the cart's customer and activity, the outbox row
    (look-up, insert), with their savepoints (the lines are only asked whether there is one)."""
    add(client)
    add(client, sku="COOKBOOK")
    client.get("/de/cart/?country=DE")  # warm-up: the shop's configuration
    with django_assert_num_queries(QUERIES_TO_SAVE):
        assert save(client, email="lena@example.com").status_code == 200
