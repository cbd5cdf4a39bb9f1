""""Why did you leave?" (``recovery.feedback``): every recovery message links to a short page, one
link per reason; the page stores one answer per abandonment on a POST (CSRF), a second answer
replaces the first, and ``leave_feedback_given`` tells the reports. Forged or expired links get
a clear, localized refusal; what a shopper typed is escaped in the admin."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core import mail, signing
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from cart.models import CartStatus
from recovery import links as recovery_links
from recovery.models import Channel, LeaveFeedback, LeaveReason, MessageStatus
from recovery.outbox import queue_message, send_message
from recovery.rendering import Renderer
from recovery.signals import leave_feedback_given
from tests import factories
from tests.checkout_world import CheckoutWorld

pytestmark = pytest.mark.django_db

BASE = "https://shop.example"
FEEDBACK = re.compile(re.escape(BASE) + r"(/([a-z-]+)/m/f/[^/\s\"<>?]+/)(?:\?reason=(\w+))?")
DAY = 24 * 60 * 60


@pytest.fixture
def world(cart_world, settings):
    settings.SHOP_BASE_URL = BASE
    return CheckoutWorld()


@pytest.fixture
def answers():
    """What ``leave_feedback_given`` carried, in order."""
    heard = []

    def listener(sender, feedback, **kwargs):
        heard.append((feedback.pk, feedback.reason))

    leave_feedback_given.connect(listener, dispatch_uid="test-leave-feedback")
    yield heard
    leave_feedback_given.disconnect(dispatch_uid="test-leave-feedback")


def abandoned_cart(world, language="pt-br"):
    customer = factories.CustomerFactory(email="joao@example.com", first_name="João",
                                         language=language, marketing_consent=True)  # fmt: skip
    return world.cart(world.eu, "DE", (world.shirt_m, 1), customer=customer, language=language,
                      status=CartStatus.ABANDONED,
                      abandoned_at=timezone.now() - timedelta(hours=2))  # fmt: skip


def sent_mail(cart):
    message = queue_message(key="test:feedback", cart=cart, channel=Channel.EMAIL,
                            subject="Oi", body="{first_name}: {restore_link}")  # fmt: skip
    assert send_message(message.pk) == MessageStatus.SENT
    return message, mail.outbox[-1]


def translated(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


def post(client, path, data, execute):
    with execute(execute=True):
        return client.post(path, data)


def test_a_sent_mail_has_one_link_per_reason_in_html_and_the_page_in_text(world):
    message, sent = sent_mail(abandoned_cart(world))

    html = sent.alternatives[0][0]
    reasons = [reason for _path, _language, reason in FEEDBACK.findall(html)]
    assert reasons == LeaveReason.values
    assert {language for _path, language, _reason in FEEDBACK.findall(html)} == {"pt-br"}
    assert FEEDBACK.search(sent.body)  # the text part: the page itself


def test_an_sms_carries_the_link_unless_its_text_has_it(world):
    cart = abandoned_cart(world)
    message = queue_message(key="sms:1", cart=cart, channel=Channel.SMS, subject="",
                            body="Oi {first_name}: {restore_link}")  # fmt: skip
    content = Renderer().render(message, world.price(cart))
    assert content["feedback_link"] in content["sms_text"]
    assert content["sms_text"].startswith(content["body"])
    message.body = "Oi {feedback_link}"
    own = Renderer().render(message, world.price(cart))
    assert own["sms_text"] == own["body"] == f"Oi {own['feedback_link']}"


def test_the_link_with_a_reason_opens_the_page_with_it_chosen_and_stores_nothing(world):
    _message, sent = sent_mail(abandoned_cart(world))
    path, _language, _reason = FEEDBACK.search(sent.alternatives[0][0]).groups()

    response = Client().get(path + "?reason=price")

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<input[^>]*value="price"[^>]*checked', html)
    assert "data-autosubmit" in html  # its script sends it: one click
    assert not LeaveFeedback.objects.exists()  # a GET writes nothing (mail scanners open links)
    assert "data-autosubmit" not in Client().get(path + "?reason=other").content.decode()


def test_an_answer_is_stored_per_abandonment_and_a_second_one_replaces_it(
    world, answers, django_capture_on_commit_callbacks
):
    cart = abandoned_cart(world)
    message, sent = sent_mail(cart)
    path = FEEDBACK.search(sent.alternatives[0][0]).group(1)
    browser = Client()

    response = post(browser, path, {"reason": "shipping_cost"}, django_capture_on_commit_callbacks)

    assert response.status_code == 302 and response["Location"] == path + "?saved=1"
    feedback = LeaveFeedback.objects.get()
    assert (feedback.cart, feedback.customer, feedback.message) == (cart, cart.customer, message)
    assert feedback.abandoned_at == cart.abandoned_at
    assert (feedback.reason, feedback.language) == ("shipping_cost", "pt-br")
    confirmation = browser.get(response["Location"]).content.decode()
    assert str(LeaveReason.SHIPPING_COST.label) in confirmation or translated(
        "pt-br", "Shipping cost") in confirmation  # fmt: skip

    post(browser, path, {"reason": "other", "text": "Frete caro demais"},
         django_capture_on_commit_callbacks)  # fmt: skip

    feedback = LeaveFeedback.objects.get()
    assert (feedback.reason, feedback.text) == ("other", "Frete caro demais")
    assert answers == [(feedback.pk, "shipping_cost"), (feedback.pk, "other")]


def test_a_new_abandonment_gets_its_own_answer_and_an_old_link_keeps_to_its_own(
    world, django_capture_on_commit_callbacks
):
    cart = abandoned_cart(world)
    _message, sent = sent_mail(cart)
    old_path = FEEDBACK.search(sent.alternatives[0][0]).group(1)
    first = cart.abandoned_at
    cart.abandoned_at = timezone.now()
    cart.save()
    newer = queue_message(key="test:later", cart=cart, channel=Channel.EMAIL, subject="Oi",
                          body="{restore_link}")  # fmt: skip
    send_message(newer.pk)
    new_path = FEEDBACK.search(mail.outbox[-1].alternatives[0][0]).group(1)

    post(Client(), old_path, {"reason": "price"}, django_capture_on_commit_callbacks)
    post(Client(), new_path, {"reason": "just_looking"}, django_capture_on_commit_callbacks)

    assert dict(LeaveFeedback.objects.values_list("abandoned_at", "reason")) == {
        first: "price", cart.abandoned_at: "just_looking"}  # fmt: skip


def test_other_needs_a_few_words_said_in_the_page_s_language(world):
    _message, sent = sent_mail(abandoned_cart(world))
    path = FEEDBACK.search(sent.alternatives[0][0]).group(1)

    response = Client().post(path, {"reason": "other", "text": "  "})

    assert response.status_code == 400
    assert translated("pt-br", "Tell us in a few words why you left.") in response.content.decode()
    assert not LeaveFeedback.objects.exists()
    unknown = Client().post(path, {"reason": "hacked"})
    assert unknown.status_code == 400
    assert not LeaveFeedback.objects.exists()


def link_made(message, monkeypatch, days_ago: float) -> str:
    signed_at = time.time() - days_ago * DAY
    with monkeypatch.context() as patched, translation.override(message.language):
        patched.setattr(signing, "time", SimpleNamespace(time=lambda: signed_at))
        return FEEDBACK.match(recovery_links.feedback_url(message)).group(1)


@pytest.mark.parametrize("kind", ["forged", "expired", "other cart"])
def test_a_forged_or_expired_link_is_refused_in_the_page_s_language(
    world, monkeypatch, settings, kind
):
    cart = abandoned_cart(world)
    message, _sent = sent_mail(cart)
    if kind == "forged":
        path = "/pt-br/m/f/" + signing.dumps({"m": message.pk, "c": cart.pk, "a": ""},
                                              salt="another.salt") + "/"  # fmt: skip
    elif kind == "expired":
        path = link_made(message, monkeypatch, settings.RECOVERY_LINK_MAX_AGE_DAYS + 0.01)
    else:
        token = recovery_links.sign({"m": message.pk, "c": cart.pk + 1000, "a": ""},
                                    recovery_links.FEEDBACK_SALT)  # fmt: skip
        path = f"/pt-br/m/f/{token}/"

    for response in (Client().get(path), Client().post(path, {"reason": "price"})):
        assert response.status_code == 400
        assert translated("pt-br", "This link has expired or is not valid.") in (
            response.content.decode())  # fmt: skip
    assert not LeaveFeedback.objects.exists()


def test_a_link_just_in_time_still_works(world, monkeypatch, settings):
    message, _sent = sent_mail(abandoned_cart(world))
    path = link_made(message, monkeypatch, settings.RECOVERY_LINK_MAX_AGE_DAYS - 0.01)
    assert Client().get(path).status_code == 200


def test_the_answer_needs_the_csrf_token(world):
    _message, sent = sent_mail(abandoned_cart(world))
    path = FEEDBACK.search(sent.alternatives[0][0]).group(1)
    browser = Client(enforce_csrf_checks=True)

    assert browser.post(path, {"reason": "price"}).status_code == 403
    browser.get(path)
    token = browser.cookies["csrftoken"].value
    assert browser.post(path, {"reason": "price", "csrfmiddlewaretoken": token}).status_code == 302
    assert LeaveFeedback.objects.get().reason == "price"


def test_the_admin_cart_shows_the_answer_with_what_was_typed_escaped(
    world, client, django_user_model
):
    cart = abandoned_cart(world)
    message, _sent = sent_mail(cart)
    LeaveFeedback.objects.create(cart=cart, customer=cart.customer, message=message,
                                 abandoned_at=cart.abandoned_at, reason="other",
                                 text='<script>alert("x")</script>', language="pt-br")  # fmt: skip
    client.force_login(django_user_model.objects.create_superuser("admin", "a@example.com", "x"))

    html = client.get(f"/admin/cart/cart/{cart.pk}/change/").content.decode()

    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert '<script>alert("x")</script>' not in html
    assert str(LeaveReason.OTHER.label) in html


def test_the_page_and_the_answer_cost_a_fixed_number_of_queries(
    world, django_assert_num_queries, django_capture_on_commit_callbacks
):
    _message, sent = sent_mail(abandoned_cart(world))
    path = FEEDBACK.search(sent.alternatives[0][0]).group(1)
    browser = Client()
    browser.get(path)  # warm-up: the shop's configuration, content types

    # The link's message with its cart, the answer given before.
    with django_assert_num_queries(2):
        assert browser.get(path + "?reason=price").status_code == 200
    # The message, then update_or_create's own transaction: the answer looked up under its lock,
    # written, with a savepoint around the insert (a concurrent first answer is found, not lost);
    # after commit the reports' event (one INSERT ... SELECT of the cart's market and country).
    with django_assert_num_queries(8):
        post(browser, path, {"reason": "price"}, django_capture_on_commit_callbacks)
