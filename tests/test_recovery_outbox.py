"""The recovery outbox (``recovery.outbox``): every message is a row before it leaves, one per
key; the job sends it once, in the customer's language, with the cart, a restore link and a
one-click unsubscribe; what must not be sent is skipped with its reason; a failure is kept,
retried and finally given up; rows a killed worker left queued are sent by the next run."""

from __future__ import annotations

import json
import re
import socket
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.core import mail, signing
from django.utils import timezone, translation
from django.utils.translation import gettext
from rq import SimpleWorker

from cart.models import CartStatus
from cart.pricing import locale_for_cart, price_cart
from checkout.models import OrderStatus
from recovery.links import RESTORE_SALT, UNSUBSCRIBE_SALT
from recovery.manual import send_manual_message
from recovery.models import Channel, MessageStatus, RecoveryMessage, SkipReason
from recovery.outbox import queue_message, requeue_stale_messages, send_message
from shop.money import format_money
from tests import factories
from tests.checkout_world import CheckoutWorld, mail_settings
from tests.smtp_server import LoopbackSMTPServer

pytestmark = pytest.mark.django_db

BASE = "https://shop.example"
BODY = "Hallo {first_name},\n{cart_items}\n{cart_total}\n{restore_link}\n"
LINK = re.compile(re.escape(BASE) + r"(/[a-z-]+/m/([rou])/([^/\s\"<>]+)/)")


@pytest.fixture
def world(cart_world, settings):
    settings.SHOP_BASE_URL = BASE
    settings.DEFAULT_FROM_EMAIL = "shop@example.com"
    return CheckoutWorld()


def customer(**fields):
    fields = {"first_name": "Anna", "language": "de", "marketing_consent": True,
              "sms_consent": True, "phone": "+4915123456789", **fields}  # fmt: skip
    return factories.CustomerFactory(**fields)


def abandoned(world, who=None, *, market=None, status=CartStatus.ABANDONED, quantity=2):
    """A German cart (language de) of ``quantity`` Linen Shirts M, abandoned by ``who``."""
    who = who or customer()
    return world.cart(market or world.eu, "DE", (world.shirt_m, quantity), customer=who,
                      language="de", status=status)  # fmt: skip


def queue(cart, key="test:1", *, channel=Channel.EMAIL, subject="Dein Warenkorb {first_name}",
          body=BODY, **fields) -> RecoveryMessage:  # fmt: skip
    return queue_message(key=key, cart=cart, channel=channel, subject=subject, body=body,
                         **fields)  # fmt: skip


def status_of(message: RecoveryMessage) -> tuple[str, str]:
    message.refresh_from_db()
    return message.status, message.skip_reason


def links(text: str) -> dict[str, str]:
    """The shop's links in ``text`` by kind (r: restore, o: open pixel, u: unsubscribe)."""
    return {kind: BASE + path for path, kind, _token in LINK.findall(text)}


def token_of(url: str) -> str:
    return LINK.match(url).group(3)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- one row per key --------------------------------------------------------------------------


def test_queue_message_writes_one_row_per_key_and_queues_its_job_once(
    world, mail_queue, django_capture_on_commit_callbacks
):
    cart = abandoned(world)

    with django_capture_on_commit_callbacks(execute=True) as first:
        message = queue(cart)
    with django_capture_on_commit_callbacks(execute=True) as second:
        again = queue(cart, subject="Another subject", body="Another body")

    assert again.pk == message.pk
    assert RecoveryMessage.objects.count() == 1
    assert again.subject == "Dein Warenkorb {first_name}"
    assert (len(first), len(second)) == (1, 0)
    assert mail_queue.count == 1
    job = mail_queue.jobs[0]
    assert job.func_name == "recovery.outbox.send_message"
    assert job.args == (message.pk,)
    assert job.retries_left == django_settings.RECOVERY_MAX_ATTEMPTS - 1, "RQ retries failures"
    assert message.status == MessageStatus.QUEUED and message.language == "de"


# --- the mail -------------------------------------------------------------------------------


def test_the_job_sends_one_mail_in_the_customers_language_with_cart_links_and_headers(world):
    cart = abandoned(world)
    message = queue(cart)

    assert send_message(message.pk) == MessageStatus.SENT

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [cart.customer.email]
    assert sent.subject == "Dein Warenkorb Anna"
    html, mimetype = sent.alternatives[0]
    assert mimetype == "text/html"
    text = sent.body
    assert '<html lang="de"' in html
    pricing = price_cart(cart, locale_for_cart(cart), with_suggestions=False)
    with translation.override("de"):
        back = gettext("Back to your cart")
        unsubscribe_label = gettext("Unsubscribe")
    assert back in html and unsubscribe_label in html and unsubscribe_label in text
    total = format_money(pricing.total, "de", "DE")
    line_total = format_money(pricing.lines[0].line_total, "de", "DE")
    assert "," in total and "€" in total  # German: 23,80 €
    for part in (text, html):
        assert "Linen Shirt" in part
        assert line_total in part
    assert total in text
    in_text, in_html = links(text), links(html)
    assert set(in_text) == {"r", "u"} and set(in_html) == {"r", "u", "o"}
    for url in (*in_text.values(), *in_html.values()):
        assert url.startswith(f"{BASE}/de/m/"), "links open the shop in the customer's language"
    restore = signing.loads(token_of(in_html["r"]), salt=RESTORE_SALT)
    assert restore == {"m": message.pk, "c": str(cart.token)}
    header = sent.extra_headers["List-Unsubscribe"]
    assert header.startswith("<") and header.endswith(">")
    assert signing.loads(token_of(header[1:-1]), salt=UNSUBSCRIBE_SALT) == {
        "m": message.pk, "u": cart.customer_id}  # fmt: skip
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.sent_at is not None
    assert message.attempts == 1


@pytest.mark.translations
def test_the_mails_own_texts_are_german_for_a_german_customer(world):
    send_message(queue(abandoned(world)).pk)

    html = mail.outbox[0].alternatives[0][0]
    assert "Zurück zu Ihrem Warenkorb" in html
    assert "Abmelden" in html and "Abmelden" in mail.outbox[0].body


def test_running_the_job_twice_sends_once(world):
    message = queue(abandoned(world))

    assert send_message(message.pk) == MessageStatus.SENT
    assert send_message(message.pk) == MessageStatus.SENT

    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_the_queued_message_once_through_smtp(world, mail_queue, settings):
    cart = abandoned(world)
    with LoopbackSMTPServer() as server:
        settings.MAILERS = mail_settings(server.port)
        message = queue(cart)  # autocommit: queued on commit at once
        queue(cart)  # the same key again

        SimpleWorker([mail_queue], connection=mail_queue.connection).work(burst=True)
        received = server.messages

    assert len(received) == 1
    email = received[0].message
    assert received[0].rcpt_to == (cart.customer.email,)
    assert email["Subject"] == "Dein Warenkorb Anna"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(rf"<{re.escape(BASE)}/de/m/u/[^>]+/>", email["List-Unsubscribe"])
    assert "Linen Shirt" in received[0].part("text/plain")
    assert "Linen Shirt" in received[0].part("text/html")
    assert status_of(message) == (MessageStatus.SENT, "")


# --- skipped, with the reason -----------------------------------------------------------------


def test_no_consent_where_the_market_requires_opt_in_is_skipped(world):
    assert world.eu.marketing_opt_in_required
    message = queue(abandoned(world, customer(marketing_consent=False)))

    assert send_message(message.pk) == MessageStatus.SKIPPED

    assert status_of(message) == (MessageStatus.SKIPPED, SkipReason.NO_CONSENT)
    assert mail.outbox == []


def test_a_market_without_opt_in_sends_to_a_customer_never_asked(world):
    world.eu.marketing_opt_in_required = False
    world.eu.save()
    message = queue(abandoned(world, customer(marketing_consent=None)))

    assert send_message(message.pk) == MessageStatus.SENT
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.SMS])
def test_an_explicit_no_is_honoured_in_a_market_without_opt_in(world, channel):
    """Said "no" at checkout: nothing is sent, whatever the market's default."""
    world.eu.marketing_opt_in_required = False
    world.eu.save()
    who = customer(marketing_consent=False, sms_consent=False, country="BR")
    message = queue(abandoned(world, who), channel=channel)

    assert send_message(message.pk) == MessageStatus.SKIPPED

    assert status_of(message) == (MessageStatus.SKIPPED, SkipReason.NO_CONSENT)
    assert mail.outbox == []


def test_sms_needs_its_own_yes_in_the_us_even_with_e_mail_consent(world):
    world.eu.marketing_opt_in_required = False
    world.eu.save()
    who = customer(marketing_consent=True, sms_consent=None, country="US",
                   phone="+12025550123")  # fmt: skip
    message = queue(abandoned(world, who), channel=Channel.SMS)

    assert send_message(message.pk) == MessageStatus.SKIPPED
    assert status_of(message) == (MessageStatus.SKIPPED, SkipReason.NO_CONSENT)


def test_an_unsubscribed_customer_is_skipped(world):
    message = queue(abandoned(world, customer(unsubscribed_at=timezone.now())))

    send_message(message.pk)

    assert status_of(message) == (MessageStatus.SKIPPED, SkipReason.UNSUBSCRIBED)
    assert mail.outbox == []


@pytest.mark.parametrize("status", [CartStatus.CONVERTED, CartStatus.RECOVERED])
def test_a_cart_already_ordered_is_skipped(world, status):
    message = queue(abandoned(world, status=status))

    send_message(message.pk)

    assert status_of(message) == (MessageStatus.SKIPPED, SkipReason.ORDERED)
    assert mail.outbox == []


def test_an_order_placed_after_the_message_was_queued_skips_it(world):
    cart = abandoned(world)
    message = queue(cart)
    world.place(cart, "bank_transfer", customer=cart.customer, email=cart.customer.email)

    send_message(message.pk)

    assert status_of(message) == (MessageStatus.SKIPPED, SkipReason.ORDERED)
    assert mail.outbox == []


def test_a_live_order_skips_the_message_even_if_the_cart_still_looks_open(world):
    cart = abandoned(world)
    order = world.place(cart, "bank_transfer", customer=cart.customer, email=cart.customer.email)
    type(cart).objects.filter(pk=cart.pk).update(status=CartStatus.ABANDONED)
    message = queue(cart)

    send_message(message.pk)
    assert status_of(message) == (MessageStatus.SKIPPED, SkipReason.ORDERED)

    type(order).objects.filter(pk=order.pk).update(status=OrderStatus.CANCELLED)
    other = queue(cart, key="test:2")
    assert send_message(other.pk) == MessageStatus.SENT, "a cancelled order is no order"


def test_an_sms_to_a_customer_without_phone_is_skipped(world):
    message = queue(abandoned(world, customer(phone="")), channel=Channel.SMS, subject="")

    send_message(message.pk)

    assert status_of(message) == (MessageStatus.SKIPPED, SkipReason.NO_CONTACT)


# --- failures, retries, stale rows -----------------------------------------------------------


def test_a_failing_mail_server_keeps_the_row_queued_with_its_reason_then_fails_it(world, settings):
    settings.MAILERS = mail_settings(closed_port())
    message = queue(abandoned(world))

    with pytest.raises(Exception, match=f"recovery message {message.pk} failed"):
        send_message(message.pk)

    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.QUEUED, 1)
    assert message.failure_reason, "the reason is kept"
    assert message.sent_at is None
    for _attempt in range(2, settings.RECOVERY_MAX_ATTEMPTS):
        with pytest.raises(Exception, match="failed"):
            send_message(message.pk)
    assert send_message(message.pk) == MessageStatus.FAILED, "the last attempt does not raise"
    assert send_message(message.pk) == MessageStatus.FAILED
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.attempts == settings.RECOVERY_MAX_ATTEMPTS
    assert message.failure_reason
    assert mail.outbox == []


def test_a_subject_with_the_multi_line_cart_items_does_not_stay_queued_without_a_reason(world):
    """A mail header may not hold a line break: the row is sent with a one-line subject, or
    counted as an attempt with its reason, so it ends failed instead of being retried forever."""
    cart = abandoned(world)
    factories.CartLineFactory(cart=cart, variant=world.cookbook, quantity=1)
    message = queue(cart, subject="{cart_items}")

    try:
        send_message(message.pk)
    except Exception:  # RQ would retry; what counts is what the row says
        pass

    message.refresh_from_db()
    if message.status == MessageStatus.SENT:
        assert "\n" not in mail.outbox[0].subject
    else:
        assert message.attempts == 1 and message.failure_reason


def test_rows_whose_job_is_gone_are_requeued_and_sent_exactly_once(
    world, mail_queue, django_capture_on_commit_callbacks
):
    cart = abandoned(world)
    lost = queue(cart, key="test:lost")  # its job never reached Redis (the callback never ran)
    with django_capture_on_commit_callbacks(execute=True):
        doubled = queue(cart, key="test:doubled")  # its job is still there, too
    fresh = queue(cart, key="test:fresh")
    RecoveryMessage.objects.filter(pk__in=[lost.pk, doubled.pk]).update(
        created_at=timezone.now() - timedelta(minutes=30)
    )

    assert requeue_stale_messages() == 1, "only the lost one: doubled's job is still queued"
    assert mail_queue.count == 2
    SimpleWorker([mail_queue], connection=mail_queue.connection).work(burst=True)

    assert sorted(m.to[0] for m in mail.outbox) == [cart.customer.email] * 2
    assert status_of(lost)[0] == status_of(doubled)[0] == MessageStatus.SENT
    assert status_of(fresh)[0] == MessageStatus.QUEUED, "not stale yet"
    assert requeue_stale_messages() == 0
    assert len(mail.outbox) == 2


# --- SMS --------------------------------------------------------------------------------------


def test_an_sms_through_the_offline_backend_writes_one_json_line(world, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    cart = abandoned(world)
    message = queue(cart, channel=Channel.SMS, subject="", body="Hi {first_name}: {restore_link}")

    assert send_message(message.pk) == MessageStatus.SENT
    send_message(message.pk)

    lines = (tmp_path / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["to"] == cart.customer.phone
    assert record["text"].startswith("Hi Anna: " + BASE + "/de/m/r/")
    assert mail.outbox == []


# --- placeholders, escaping, vouchers ---------------------------------------------------------


def test_placeholders_are_filled_and_unknown_ones_kept_as_typed(world):
    cart = abandoned(world)
    voucher = factories.VoucherFactory(code="R-TEST1234", customer=cart.customer, usage_limit=1)
    body = ("{first_name}|{cart_items}|{cart_total}|{restore_link}|{voucher_code}|"
            "{unsubscribe_link}|{foo}")  # fmt: skip
    message = queue(cart, subject="{first_name} {foo}", body=body, voucher=voucher)

    send_message(message.pk)

    sent = mail.outbox[0]
    assert sent.subject == "Anna {foo}"
    pricing = price_cart(cart, locale_for_cart(cart), with_suggestions=False)
    first, items, total, restore, code, unsubscribe, foo = sent.body.split("\n")[0].split("|")
    assert first == "Anna"
    assert items == "2 × Linen Shirt — " + format_money(pricing.lines[0].line_total, "de", "DE")
    assert total == format_money(pricing.total, "de", "DE")
    assert signing.loads(token_of(restore), salt=RESTORE_SALT)["m"] == message.pk
    assert code == "R-TEST1234"
    assert signing.loads(token_of(unsubscribe), salt=UNSUBSCRIBE_SALT)["u"] == cart.customer_id
    assert foo == "{foo}"


@pytest.mark.parametrize("typed", [":-{", "}", "{}", "{0}"])
def test_lone_braces_are_kept_as_typed_and_the_placeholders_still_filled(world, typed):
    message = queue(abandoned(world), subject="Hi", body=f"Hi {{first_name}} {typed} bye")

    send_message(message.pk)

    assert mail.outbox[0].body.startswith(f"Hi Anna {typed} bye")


def test_a_customer_name_with_markup_is_escaped_in_the_html_part(world):
    script = "<script>alert(1)</script>"
    message = queue(abandoned(world, customer(first_name=script)),
                    body="Hello {first_name} <b>bold</b>")  # fmt: skip

    send_message(message.pk)

    html = mail.outbox[0].alternatives[0][0]
    assert script not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html, "the staff's body is text, not HTML"
    assert mail.outbox[0].body.startswith(f"Hello {script}"), "the text part is plain text"


@pytest.mark.parametrize(("kind", "percentage"), [("percentage", Decimal("15")),
                                                   ("free_shipping", None)])  # fmt: skip
def test_a_voucher_made_with_the_message_is_single_use_for_that_customer_and_expires(
    world, django_user_model, kind, percentage
):
    cart = abandoned(world)
    staff = django_user_model.objects.create_user("clerk", "clerk@example.com", "secret")
    data = {"channel": Channel.EMAIL, "subject": "Hi", "body": "Code: {voucher_code}",
            "voucher_kind": kind, "voucher_percentage": percentage, "voucher_days": 5,
            "submission": "abc123"}  # fmt: skip

    message = send_manual_message(cart=cart, data=data, staff=staff)
    assert send_manual_message(cart=cart, data=data, staff=staff).pk == message.pk

    voucher = message.voucher
    assert type(voucher).objects.count() == 1, "one voucher, even for a second submission"
    assert voucher.customer_id == cart.customer_id
    assert voucher.usage_limit == 1 and voucher.once_per_customer
    assert voucher.kind == kind and voucher.percentage == percentage
    expected = timezone.now() + timedelta(days=5)
    assert abs(voucher.valid_until - expected) < timedelta(minutes=1)
    assert message.created_by == "clerk"
    send_message(message.pk)
    assert mail.outbox[0].body.startswith(f"Code: {voucher.code}")
