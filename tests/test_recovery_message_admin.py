"""A message to one customer from the admin cart view (``RecoveryCartAdmin.message_view``):
prefilled in the customer's language, previewed with the cart's items, sent through the outbox
once per form, only by staff allowed to send; the cart view lists the cart's messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

from cart.models import CartStatus, Voucher
from cart.pricing import locale_for_cart, price_cart
from recovery.forms import default_body, default_subject
from recovery.models import Channel, MessageStatus, RecoveryMessage, SkipReason
from shop.money import format_money
from tests import factories
from tests.checkout_world import CheckoutWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cart_world):
    return CheckoutWorld()


@pytest.fixture
def superuser(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("admin", "a@example.com", "x"))
    return client


@pytest.fixture
def viewer(client, django_user_model):
    """Staff who may view carts but not send recovery messages."""
    user = django_user_model.objects.create_user("clerk", "clerk@example.com", "x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_cart",
                                                     content_type__app_label="cart"))  # fmt: skip
    client.force_login(user)
    return client


@pytest.fixture
def cart(world):
    anna = factories.CustomerFactory(first_name="Anna", language="de", marketing_consent=True)
    return world.cart(world.eu, "DE", (world.shirt_m, 2), customer=anna, language="de",
                      status=CartStatus.ABANDONED)  # fmt: skip


def message_url(cart) -> str:
    return reverse("admin:cart_cart_message", args=[cart.pk])


def change_url(cart) -> str:
    return reverse("admin:cart_cart_change", args=[cart.pk])


def form_data(page, action: str, **fields) -> dict:
    """What staff submit from ``page``: its form as prefilled, and the button pressed."""
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    return {**{k: "" if v is None else v for k, v in data.items()}, action: action.title(),
            **fields}  # fmt: skip


def in_german(function):
    with translation.override("de"):
        return function()


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- the form ---------------------------------------------------------------------------------


def test_the_form_is_prefilled_in_the_customers_language(superuser, cart):
    assert message_url(cart) == f"/admin/cart/cart/{cart.pk}/message/"

    response = superuser.get(message_url(cart))

    assert response.status_code == 200
    form = response.context["form"]
    assert form["subject"].value() == in_german(default_subject)
    assert form["body"].value() == in_german(default_body)
    assert "{first_name}" in form["body"].value() and "{restore_link}" in form["body"].value()
    assert len(form["submission"].value()) >= 16
    assert 'type="hidden" name="submission"' in response.text
    assert 'name="send"' not in response.text, "Send comes after a preview"


@pytest.mark.translations
def test_the_prefilled_subject_is_german_for_a_german_customer(superuser, cart):
    form = superuser.get(message_url(cart)).context["form"]

    assert form["subject"].value() == "Sie haben etwas in Ihrem Warenkorb vergessen"


def test_preview_renders_the_message_with_the_carts_items(superuser, cart):
    page = superuser.get(message_url(cart))

    response = superuser.post(message_url(cart), form_data(page, "preview"))

    assert response.status_code == 200
    preview = response.context["preview"]
    pricing = price_cart(cart, locale_for_cart(cart), with_suggestions=False)
    line_total = format_money(pricing.lines[0].line_total, "de", "DE")
    assert preview["subject"] == in_german(default_subject)
    assert "2 × Linen Shirt" in preview["text"] and line_total in preview["text"]
    assert format_money(pricing.total, "de", "DE") in preview["text"]
    assert "Linen Shirt" in preview["html"] and '<html lang="de"' in preview["html"]
    assert "Anna" in preview["text"]
    assert 'name="send"' in response.text
    assert RecoveryMessage.objects.count() == 0 and Voucher.objects.count() == 0


def test_send_posted_twice_queues_exactly_one_message(
    superuser, cart, mail_queue, django_capture_on_commit_callbacks
):
    page = superuser.get(message_url(cart))
    data = form_data(page, "send", voucher_kind="percentage", voucher_percentage="10")

    with django_capture_on_commit_callbacks(execute=True):
        first = superuser.post(message_url(cart), data)
        second = superuser.post(message_url(cart), data)  # a double click, or back and resend

    assert first.status_code == second.status_code == 302
    assert first["Location"] == change_url(cart)
    message = RecoveryMessage.objects.get()
    assert (message.cart_id, message.customer_id) == (cart.pk, cart.customer_id)
    assert message.channel == Channel.EMAIL and message.language == "de"
    assert message.status == MessageStatus.QUEUED and message.created_by == "admin"
    assert message.subject == in_german(default_subject)
    assert Voucher.objects.get() == message.voucher
    assert mail_queue.count == 1
    assert mail_queue.jobs[0].args == (message.pk,)


def test_a_viewer_without_the_send_permission_may_preview_but_not_send(viewer, cart, mail_queue):
    page = viewer.get(message_url(cart))
    assert page.status_code == 200
    assert not page.context["can_send"]

    preview = viewer.post(message_url(cart), form_data(page, "preview"))
    assert preview.status_code == 200
    assert "Linen Shirt" in preview.context["preview"]["html"]
    assert 'name="send"' not in preview.text

    assert viewer.post(message_url(cart), form_data(page, "send")).status_code == 403
    assert RecoveryMessage.objects.count() == 0 and mail_queue.count == 0


def test_staff_who_may_not_view_carts_get_403(client, django_user_model, cart):
    user = django_user_model.objects.create_user("temp", "temp@example.com", "x", is_staff=True)
    client.force_login(user)

    assert client.get(message_url(cart)).status_code == 403


def test_a_cart_without_a_customer_redirects_with_a_message(superuser, world):
    anonymous = world.cart(world.eu, "DE", (world.shirt_m, 1), status=CartStatus.ABANDONED)

    response = superuser.get(message_url(anonymous))

    assert response.status_code == 302
    assert response["Location"] == change_url(anonymous)
    assert "Nobody can be written to: this cart has no contact." in messages_of(response)


def test_a_customer_name_with_markup_is_escaped_on_the_message_page(superuser, world):
    script = "<script>alert(1)</script>"
    who = factories.CustomerFactory(first_name=script, language="de", marketing_consent=True)
    cart = world.cart(world.eu, "DE", (world.shirt_m, 1), customer=who, language="de")
    page = superuser.get(message_url(cart))

    preview = superuser.post(message_url(cart), form_data(page, "preview"))

    assert script not in page.text and script not in preview.text
    assert "&lt;script&gt;" in page.text
    assert script not in preview.context["preview"]["html"]


# --- the cart's message history -------------------------------------------------------------


class TableRows(HTMLParser):
    """The text of each cell of each table row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def test_the_cart_view_lists_the_message_history(superuser, cart):
    sent_at = datetime(2026, 11, 20, 9, 15, tzinfo=UTC)
    RecoveryMessage.objects.create(
        key="manual:a", customer=cart.customer, cart=cart, channel=Channel.EMAIL, language="de",
        subject="Your cart, Anna", body="...", status=MessageStatus.SENT, sent_at=sent_at,
        opened_at=sent_at + timedelta(hours=1), clicked_at=sent_at + timedelta(hours=2),
        created_at=sent_at,
    )  # fmt: skip
    RecoveryMessage.objects.create(
        key="manual:b", customer=cart.customer, cart=cart, channel=Channel.SMS, language="de",
        body="...", status=MessageStatus.SKIPPED, skip_reason=SkipReason.NO_CONSENT,
        created_at=sent_at + timedelta(days=1),
    )  # fmt: skip

    response = superuser.get(change_url(cart))

    assert response.status_code == 200
    parser = TableRows()
    parser.feed(response.text)

    def local(when) -> str:
        return timezone.localtime(when).strftime("%Y-%m-%d %H:%M")

    assert ["SMS", "Skipped (No marketing consent)", "—", "—", "—", ""] in parser.rows
    assert ["E-mail", "Sent", local(sent_at), local(sent_at + timedelta(hours=1)),
            local(sent_at + timedelta(hours=2)), "Your cart, Anna"] in parser.rows  # fmt: skip
    assert message_url(cart) in response.text, "the Send message button"


def test_a_cart_without_messages_says_so(superuser, cart):
    response = superuser.get(change_url(cart))

    assert "No message yet." in response.text
