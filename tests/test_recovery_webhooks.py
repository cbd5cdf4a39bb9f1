"""The gateways' status callbacks (``recovery.webhooks``): signed calls move an outbox row
forward (delivered, undeliverable, failed; WhatsApp's "read" counts as an open), never back;
a call without a valid signature is refused with 403 and changes nothing; an SMS "STOP"
unsubscribes that number from SMS only."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from recovery.models import Channel, MessageStatus, RecoveryMessage
from recovery.outbox import send_message
from tests import factories
from tests.gateway_servers import AUTH_TOKEN

pytestmark = pytest.mark.django_db

APP_SECRET = "meta-app-secret"
VERIFY_TOKEN = "verify-me"
SID = "SM" + "e" * 32
WAMID = "wamid.HBgLNDkxNTEyMzQ1Njc4OQ"
PHONE = "+4915123456789"


@pytest.fixture(autouse=True)
def secrets(settings):
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.WHATSAPP_APP_SECRET = APP_SECRET
    settings.WHATSAPP_VERIFY_TOKEN = VERIFY_TOKEN
    settings.SHOP_BASE_URL = "https://shop.example"


@pytest.fixture
def gateway():
    """A client like a gateway's: no session, no CSRF token, and Django checking CSRF."""
    return Client(enforce_csrf_checks=True)


def sent_message(channel: str = Channel.SMS, provider_message_id: str = SID, **fields):
    customer = factories.CustomerFactory(phone=PHONE, marketing_consent=True, sms_consent=True)
    return RecoveryMessage.objects.create(
        key=f"test:{provider_message_id}", customer=customer, channel=channel, language="de",
        body="Hallo", status=MessageStatus.SENT, sent_at=timezone.now(), attempts=1,
        provider_message_id=provider_message_id, **fields,
    )  # fmt: skip


def row(message: RecoveryMessage) -> RecoveryMessage:
    message.refresh_from_db()
    return message


def twilio_post(gateway, name: str, fields: dict, *, signature: str | None = None,
                url_base: str = "http://testserver"):  # fmt: skip
    path = reverse(f"recovery-webhooks:{name}")
    if signature is None:
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url_base + path, fields)
    return gateway.post(path, fields, headers={"X-Twilio-Signature": signature})


def status_fields(status: str, sid: str = SID, **extra) -> dict:
    return {"AccountSid": "AC" + "0" * 32, "MessageSid": sid, "SmsSid": sid,
            "MessageStatus": status, "SmsStatus": status, "To": PHONE,
            "From": "+15557122661", "ApiVersion": "2010-04-01", **extra}  # fmt: skip


# --- Twilio status callbacks ------------------------------------------------------------------


def test_a_signed_delivered_callback_marks_the_sms_delivered(gateway):
    message = sent_message()

    response = twilio_post(gateway, "twilio-status", status_fields("delivered"))

    assert response.status_code == 204
    message = row(message)
    assert message.status == MessageStatus.DELIVERED
    assert message.delivered_at is not None


def test_the_signature_may_name_the_shop_s_public_address(gateway):
    """Behind a proxy the request says http://testserver; Twilio signed the public URL."""
    message = sent_message()

    response = twilio_post(gateway, "twilio-status", status_fields("delivered"),
                           url_base="https://shop.example")  # fmt: skip

    assert response.status_code == 204
    assert row(message).status == MessageStatus.DELIVERED


def test_the_signature_may_name_the_configured_status_callback_url(gateway, settings):
    settings.TWILIO_STATUS_CALLBACK_URL = "https://hooks.example/recovery/webhooks/twilio/status/"
    message = sent_message()
    fields = status_fields("delivered")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        settings.TWILIO_STATUS_CALLBACK_URL, fields)

    response = twilio_post(gateway, "twilio-status", fields, signature=signature)

    assert response.status_code == 204
    assert row(message).status == MessageStatus.DELIVERED


def test_a_late_or_repeated_callback_never_moves_a_row_back(gateway):
    message = sent_message()
    twilio_post(gateway, "twilio-status", status_fields("delivered"))
    delivered_at = row(message).delivered_at

    for status in ("sent", "queued", "delivered", "undelivered", "failed"):
        assert twilio_post(gateway, "twilio-status", status_fields(status)).status_code == 204

    message = row(message)
    assert (message.status, message.delivered_at) == (MessageStatus.DELIVERED, delivered_at)
    assert message.failure_reason == ""


def test_a_callback_without_a_message_id_matches_no_row(gateway):
    older = sent_message(provider_message_id="")  # sent before gateways kept their ids

    fields = status_fields("delivered")
    del fields["MessageSid"], fields["SmsSid"]
    assert twilio_post(gateway, "twilio-status", fields).status_code == 204

    assert row(older).status == MessageStatus.SENT


@pytest.mark.parametrize(("status", "code", "expected"), [
    ("undelivered", "30003", MessageStatus.UNDELIVERABLE),  # unreachable handset
    ("failed", "30008", MessageStatus.FAILED),  # unknown error
    ("failed", "21610", MessageStatus.UNDELIVERABLE),  # the number sent STOP earlier
])  # fmt: skip
def test_a_failure_callback_keeps_twilio_s_error_code(gateway, status, code, expected):
    message = sent_message()

    twilio_post(gateway, "twilio-status", status_fields(status, ErrorCode=code))

    message = row(message)
    assert message.status == expected
    assert message.failure_reason == f"Twilio {status}: error {code}"
    assert message.delivered_at is None


@pytest.mark.parametrize("signature", ["", "bm90LXRoZS1zaWduYXR1cmU="])
def test_a_callback_without_a_valid_signature_is_refused_and_changes_nothing(gateway, signature):
    message = sent_message()

    response = twilio_post(gateway, "twilio-status", status_fields("delivered"),
                           signature=signature)  # fmt: skip

    assert response.status_code == 403
    message = row(message)
    assert (message.status, message.delivered_at) == (MessageStatus.SENT, None)


def test_a_callback_signed_for_other_fields_is_refused(gateway):
    message = sent_message()
    path = reverse("recovery-webhooks:twilio-status")
    signed = RequestValidator(AUTH_TOKEN).compute_signature(
        "http://testserver" + path, status_fields("undelivered"))

    response = gateway.post(path, status_fields("delivered"),
                            headers={"X-Twilio-Signature": signed})  # fmt: skip

    assert response.status_code == 403
    assert row(message).status == MessageStatus.SENT


def test_a_get_is_not_a_status_callback(gateway):
    assert gateway.get(reverse("recovery-webhooks:twilio-status")).status_code == 405


# --- SMS replies: STOP ---------------------------------------------------------------------------


def inbound(body: str, sender: str = PHONE) -> dict:
    return {"AccountSid": "AC" + "0" * 32, "MessageSid": "SM" + "f" * 32, "From": sender,
            "To": "+15557122661", "Body": body, "NumMedia": "0"}  # fmt: skip


@pytest.mark.parametrize("word", ["STOP", "stop", " Stop ", "STOPALL", "unsubscribe", "Cancel",
                                  "END", "quit"])  # fmt: skip
def test_a_stop_reply_unsubscribes_the_number_from_sms_only(gateway, word):
    who = factories.CustomerFactory(phone=PHONE, marketing_consent=True, sms_consent=True)
    other = factories.CustomerFactory(phone="+4915199999999", sms_consent=True)

    response = twilio_post(gateway, "twilio-inbound", inbound(word))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.decode().strip().endswith("<Response />")
    who.refresh_from_db()
    assert who.sms_consent is False, "an explicit no"
    assert who.sms_consent_at is not None and who.sms_consent_source == "sms_reply"
    assert who.marketing_consent is True, "e-mail consent stays as it was"
    assert who.unsubscribed_at is None
    other.refresh_from_db()
    assert other.sms_consent is True


def test_after_stop_sms_is_skipped_and_e_mail_still_goes(gateway, cart_world, settings):
    settings.SHOP_BASE_URL = "https://shop.example"
    from tests.checkout_world import CheckoutWorld

    world = CheckoutWorld()
    who = factories.CustomerFactory(phone=PHONE, marketing_consent=True, sms_consent=True,
                                    language="de", first_name="Anna")  # fmt: skip
    cart = world.cart(world.eu, "DE", (world.shirt_m, 1), customer=who, language="de",
                      status="abandoned")  # fmt: skip
    twilio_post(gateway, "twilio-inbound", inbound("STOP"))
    sms = RecoveryMessage.objects.create(key="t:sms", customer=who, cart=cart, channel="sms",
                                         language="de", body="Hallo")  # fmt: skip
    email = RecoveryMessage.objects.create(key="t:mail", customer=who, cart=cart,
                                           channel="email", language="de", subject="Hallo",
                                           body="Hallo {first_name}")  # fmt: skip

    assert send_message(sms.pk) == MessageStatus.SKIPPED
    assert row(sms).skip_reason == "no_consent"
    assert send_message(email.pk) == MessageStatus.SENT


def test_other_replies_change_nothing(gateway):
    who = factories.CustomerFactory(phone=PHONE, sms_consent=True)

    for body in ("Stop sending the blue one?", "YES", "START", ""):
        assert twilio_post(gateway, "twilio-inbound", inbound(body)).status_code == 200

    who.refresh_from_db()
    assert (who.sms_consent, who.sms_consent_at) == (True, None)


def test_an_unsigned_stop_is_refused(gateway):
    who = factories.CustomerFactory(phone=PHONE, sms_consent=True)

    response = twilio_post(gateway, "twilio-inbound", inbound("STOP"), signature="forged")

    assert response.status_code == 403
    who.refresh_from_db()
    assert who.sms_consent is True


# --- WhatsApp ---------------------------------------------------------------------------------


def meta_post(gateway, payload: dict, *, secret: str = APP_SECRET, signature: str | None = None):
    body = json.dumps(payload).encode()
    if signature is None:
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return gateway.post(reverse("recovery-webhooks:whatsapp"), body,
                        content_type="application/json",
                        headers={"X-Hub-Signature-256": signature})  # fmt: skip


def statuses(*items: dict) -> dict:
    """A WhatsApp Business Account webhook call, as Meta sends it."""
    return {"object": "whatsapp_business_account", "entry": [{
        "id": "102290129340398",
        "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881",
                         "phone_number_id": "106540352242922"},
            "statuses": list(items),
        }}],
    }]}  # fmt: skip


def status(state: str, at: int, message_id: str = WAMID, **extra) -> dict:
    return {"id": message_id, "status": state, "timestamp": str(at),
            "recipient_id": PHONE.lstrip("+"), **extra}  # fmt: skip


T0 = 1_796_650_000  # an instant in December 2026, in seconds


def test_the_verification_handshake_echoes_the_challenge_only_for_our_token(gateway):
    url = reverse("recovery-webhooks:whatsapp")
    ok = gateway.get(url, {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                           "hub.challenge": "1158201444"})  # fmt: skip
    wrong = gateway.get(url, {"hub.mode": "subscribe", "hub.verify_token": "guess",
                              "hub.challenge": "1158201444"})  # fmt: skip

    assert (ok.status_code, ok.content) == (200, b"1158201444")
    assert wrong.status_code == 403


def test_delivered_then_read_records_delivery_and_the_open_with_meta_s_times(gateway):
    message = sent_message(Channel.WHATSAPP, WAMID)

    assert meta_post(gateway, statuses(status("sent", T0))).status_code == 200
    assert row(message).status == MessageStatus.SENT
    meta_post(gateway, statuses(status("delivered", T0 + 5)))
    meta_post(gateway, statuses(status("read", T0 + 60)))

    message = row(message)
    assert message.status == MessageStatus.DELIVERED
    assert message.delivered_at == datetime.fromtimestamp(T0 + 5, tz=UTC)
    assert message.opened_at == datetime.fromtimestamp(T0 + 60, tz=UTC)


def test_read_before_delivered_and_repeats_keep_the_first_times(gateway):
    message = sent_message(Channel.WHATSAPP, WAMID)

    meta_post(gateway, statuses(status("read", T0 + 60)))
    meta_post(gateway, statuses(status("delivered", T0 + 5), status("sent", T0)))
    meta_post(gateway, statuses(status("read", T0 + 600), status("failed", T0 + 700)))

    message = row(message)
    assert message.status == MessageStatus.DELIVERED
    assert message.delivered_at == datetime.fromtimestamp(T0 + 5, tz=UTC)
    assert message.opened_at == datetime.fromtimestamp(T0 + 60, tz=UTC)


def test_a_failed_status_keeps_meta_s_error(gateway):
    undeliverable = sent_message(Channel.WHATSAPP, WAMID)
    failed = sent_message(Channel.WHATSAPP, "wamid.OTHER")

    meta_post(gateway, statuses(
        status("failed", T0, errors=[{"code": 131026, "title": "Message undeliverable",
                                      "error_data": {"details": "Message Undeliverable."}}]),
        status("failed", T0, "wamid.OTHER",
               errors=[{"code": 131049, "title": "Not delivered to maintain healthy ecosystem "
                                                 "engagement."}]),
    ))  # fmt: skip

    assert row(undeliverable).status == MessageStatus.UNDELIVERABLE
    assert "131026" in row(undeliverable).failure_reason
    assert row(failed).status == MessageStatus.FAILED
    assert "131049" in row(failed).failure_reason


def test_an_sms_id_does_not_match_a_whatsapp_row(gateway):
    sms = sent_message(Channel.SMS, WAMID)

    meta_post(gateway, statuses(status("delivered", T0)))

    assert row(sms).status == MessageStatus.SENT


@pytest.mark.parametrize("how", ["wrong secret", "no signature", "tampered"])
def test_a_call_meta_did_not_sign_is_refused_and_changes_nothing(gateway, how):
    message = sent_message(Channel.WHATSAPP, WAMID)
    payload = statuses(status("delivered", T0))
    if how == "wrong secret":
        response = meta_post(gateway, payload, secret="not-the-secret")
    elif how == "no signature":
        response = meta_post(gateway, payload, signature="")
    else:
        signed = "sha256=" + hmac.new(APP_SECRET.encode(), json.dumps(statuses(
            status("sent", T0))).encode(), hashlib.sha256).hexdigest()  # fmt: skip
        response = meta_post(gateway, payload, signature=signed)

    assert response.status_code == 403
    assert (row(message).status, row(message).delivered_at) == (MessageStatus.SENT, None)


def test_without_an_app_secret_every_call_is_refused(gateway, settings):
    settings.WHATSAPP_APP_SECRET = ""
    message = sent_message(Channel.WHATSAPP, WAMID)

    response = meta_post(gateway, statuses(status("delivered", T0)), secret="")

    assert response.status_code == 403
    assert row(message).status == MessageStatus.SENT


def test_a_signed_call_that_is_not_json_or_not_shaped_as_expected_is_harmless(gateway):
    body = b"not json"
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = gateway.post(reverse("recovery-webhooks:whatsapp"), body,
                            content_type="application/json",
                            headers={"X-Hub-Signature-256": signature})  # fmt: skip
    assert response.status_code == 400
    for odd in ({"entry": "x"}, {"entry": [{"changes": [{"value": {"statuses": ["x"]}}]}]}, []):
        assert meta_post(gateway, odd).status_code == 200


def test_a_callback_costs_a_fixed_number_of_statements(gateway, django_assert_num_queries):
    """No read before the writes: each update is guarded by the states it may leave."""
    sent_message(Channel.WHATSAPP, WAMID)
    sent_message(Channel.WHATSAPP, "wamid.OTHER")
    sent_message(Channel.SMS, SID)
    twilio_post(gateway, "twilio-status", {}, signature="warm-up")  # the shop's config, once

    with django_assert_num_queries(2):  # delivered: the move, the earlier time
        twilio_post(gateway, "twilio-status", status_fields("delivered"))
    with django_assert_num_queries(1):
        twilio_post(gateway, "twilio-status", status_fields("undelivered", ErrorCode="30003"))
    with django_assert_num_queries(1):
        twilio_post(gateway, "twilio-inbound", inbound("STOP"))
    with django_assert_num_queries(2 * 3):  # read: the move, the earlier time, the open
        meta_post(gateway, statuses(status("read", T0), status("read", T0, "wamid.OTHER")))
