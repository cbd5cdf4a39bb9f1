"""SMS through Twilio and WhatsApp through the Cloud API, against local servers that answer like
them (``tests/gateway_servers.py``): the real ``twilio`` library and ``requests`` make the
calls. What the providers refuse for good (an invalid number) fails the row at once; what may
pass later (rate limited, provider down, connection refused) is retried by RQ with back-off;
no message reaches a provider twice, which the servers' request counts show."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import timezone
from rq import SimpleWorker

from recovery.checks import gateways_have_credentials
from recovery.gateways.whatsapp_cloud import language_code
from recovery.models import Channel, MessageStatus, RecoveryMessage
from recovery.outbox import queue_message, requeue_stale_messages, send_message
from tests import factories
from tests.checkout_world import CheckoutWorld
from tests.gateway_servers import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    INVALID_NUMBER,
    MESSAGES,
    NOT_ON_WHATSAPP,
    PHONE_NUMBER_ID,
    TOO_MANY_REQUESTS,
    TWILIO_DOWN,
    TWILIO_FROM,
    WHATSAPP_DOWN,
    WHATSAPP_MESSAGES,
    WHATSAPP_THROTTLED,
    Answer,
    FakeProvider,
    closed_url,
    twilio_accepts,
    twilio_list,
    twilio_message,
    whatsapp_accepts,
    whatsapp_error,
)

pytestmark = pytest.mark.django_db

BASE = "https://shop.example"
TWILIO = "recovery.gateways.sms_twilio.TwilioSmsBackend"
WHATSAPP = "recovery.gateways.whatsapp_cloud.WhatsAppCloudBackend"
PHONE = "+4915123456789"


@pytest.fixture
def world(cart_world, settings):
    settings.SHOP_BASE_URL = BASE
    settings.DEFAULT_FROM_EMAIL = "shop@example.com"
    return CheckoutWorld()


@pytest.fixture
def twilio(settings):
    server = FakeProvider().start()
    settings.RECOVERY_SMS_BACKEND = TWILIO
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_FROM = TWILIO_FROM
    settings.TWILIO_API_URL = server.url
    settings.TWILIO_STATUS_CALLBACK_URL = ""
    settings.RECOVERY_GATEWAY_TIMEOUT = 0.5
    yield server
    server.stop()


@pytest.fixture
def whatsapp(settings):
    server = FakeProvider().start()
    settings.RECOVERY_WHATSAPP_BACKEND = WHATSAPP
    settings.WHATSAPP_TOKEN = "EAAG-test-token"
    settings.WHATSAPP_PHONE_NUMBER_ID = PHONE_NUMBER_ID
    settings.WHATSAPP_API_URL = server.url + "/v21.0"
    settings.WHATSAPP_TEMPLATE = "cart_reminder"
    settings.WHATSAPP_TEMPLATE_PARAMETERS = ["first_name", "cart_total", "restore_link"]
    settings.RECOVERY_GATEWAY_TIMEOUT = 0.5
    yield server
    server.stop()


def abandoned_cart(world, *, language: str = "de", **fields):
    fields = {"first_name": "Anna", "language": language, "marketing_consent": True,
              "sms_consent": True, "whatsapp_consent": True, "phone": PHONE,
              **fields}  # fmt: skip
    who = factories.CustomerFactory(**fields)
    return world.cart(world.eu, "DE", (world.shirt_m, 2), customer=who, language=language,
                      status="abandoned")  # fmt: skip


def queue(cart, channel: str, key: str = "test:1") -> RecoveryMessage:
    return queue_message(key=key, cart=cart, channel=channel, subject="",
                         body="Hallo {first_name}, {cart_total}: {restore_link}")  # fmt: skip


def row(message: RecoveryMessage) -> RecoveryMessage:
    message.refresh_from_db()
    return message


def attempt(message: RecoveryMessage) -> str:
    """One run of the job; "retry" where it raised so that RQ tries again."""
    try:
        return send_message(message.pk)
    except RuntimeError:
        return "retry"


def run_worker(queue) -> None:
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


# --- SMS through Twilio ------------------------------------------------------------------------


def test_an_sms_goes_to_twilio_with_a_status_callback_and_keeps_twilio_s_sid(world, twilio):
    twilio.script("POST", MESSAGES, twilio_accepts(sid="SM" + "a" * 32))
    message = queue(abandoned_cart(world), Channel.SMS)

    assert send_message(message.pk) == MessageStatus.SENT

    (request,) = twilio.requests("POST", MESSAGES)
    assert request.form["To"] == PHONE
    assert request.form["From"] == TWILIO_FROM
    assert request.form["Body"].startswith("Hallo Anna, ")
    assert f"{BASE}/de/m/r/" in request.form["Body"]
    assert request.form["StatusCallback"] == f"{BASE}/recovery/webhooks/twilio/status/"
    credentials = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {credentials}"
    message = row(message)
    assert (message.status, message.provider_message_id) == (MessageStatus.SENT, "SM" + "a" * 32)
    assert message.sent_at is not None and message.attempts == 1
    assert mail.outbox == []


def test_a_messaging_service_sid_is_sent_instead_of_a_from_number(world, twilio, settings):
    settings.TWILIO_FROM = "MG" + "1" * 32
    twilio.script("POST", MESSAGES, twilio_accepts())

    assert send_message(queue(abandoned_cart(world), Channel.SMS).pk) == MessageStatus.SENT

    (request,) = twilio.requests("POST", MESSAGES)
    assert request.form["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in request.form


def test_an_invalid_number_is_undeliverable_at_once_and_never_retried(world, twilio):
    twilio.script("POST", MESSAGES, INVALID_NUMBER)
    message = queue(abandoned_cart(world), Channel.SMS)

    assert attempt(message) == MessageStatus.UNDELIVERABLE, "no exception: RQ does not retry"
    assert attempt(message) == MessageStatus.UNDELIVERABLE

    message = row(message)
    assert message.status == MessageStatus.UNDELIVERABLE
    assert message.attempts == 1
    assert "21211" in message.failure_reason and "Invalid 'To'" in message.failure_reason
    assert len(twilio.requests("POST", MESSAGES)) == 1


def test_bad_credentials_fail_the_row_for_good(world, twilio):
    twilio.script("POST", MESSAGES, Answer(401, {"code": 20003, "message": "Authenticate",
                                                 "status": 401}))  # fmt: skip
    message = queue(abandoned_cart(world), Channel.SMS)

    assert attempt(message) == MessageStatus.FAILED
    assert "20003" in row(message).failure_reason
    assert len(twilio.received) == 1


def test_a_rate_limited_sms_is_retried_by_rq_with_back_off_and_sent_once(
    world, twilio, mail_queue, django_capture_on_commit_callbacks
):
    twilio.script("POST", MESSAGES, TOO_MANY_REQUESTS, twilio_accepts(sid="SM" + "b" * 32))
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(abandoned_cart(world), Channel.SMS)

    run_worker(mail_queue)

    message = row(message)
    assert (message.status, message.attempts) == (MessageStatus.QUEUED, 1)
    assert "20429" in message.failure_reason
    scheduled = mail_queue.scheduled_job_registry
    (job_id,) = scheduled.get_job_ids()
    wait = scheduled.get_scheduled_time(job_id) - timezone.now()
    assert timedelta(seconds=20) < wait <= timedelta(seconds=30), "RQ waits before the retry"

    scheduled.requeue(job_id)  # the retry's time has come
    run_worker(mail_queue)

    message = row(message)
    assert (message.status, message.provider_message_id) == (MessageStatus.SENT, "SM" + "b" * 32)
    assert message.attempts == 2 and message.failure_reason == ""
    # Whatever runs again now (the requeue cron, a duplicate job) sends nothing more.
    assert requeue_stale_messages(older_than_minutes=0) == 0
    assert send_message(message.pk) == MessageStatus.SENT
    assert len(twilio.requests("POST", MESSAGES)) == 2, "the refused request and the sent one"


@pytest.mark.parametrize("outage", ["503", "connection refused"])
def test_while_twilio_is_down_the_sms_waits_and_is_sent_once_it_is_back(
    world, twilio, settings, outage
):
    twilio.script("POST", MESSAGES, TWILIO_DOWN, twilio_accepts())
    if outage == "connection refused":
        settings.TWILIO_API_URL = closed_url()
    message = queue(abandoned_cart(world), Channel.SMS)

    assert attempt(message) == "retry"
    message = row(message)
    assert (message.status, message.attempts) == (MessageStatus.QUEUED, 1)
    expected = "20503" if outage == "503" else "connection-refused"
    assert expected in message.failure_reason

    if outage == "503":
        assert attempt(message) == MessageStatus.SENT
    else:
        settings.TWILIO_API_URL = twilio.url
        twilio.script("POST", MESSAGES, twilio_accepts())
        assert attempt(message) == MessageStatus.SENT
    assert attempt(message) == MessageStatus.SENT
    assert len(twilio.requests("POST", MESSAGES)) == (2 if outage == "503" else 1)


def test_an_outage_that_lasts_fails_the_row_after_the_last_attempt(world, twilio, settings):
    twilio.script("POST", MESSAGES, TWILIO_DOWN)
    message = queue(abandoned_cart(world), Channel.SMS)

    outcomes = [attempt(message) for _ in range(settings.RECOVERY_MAX_ATTEMPTS + 1)]

    assert outcomes == ["retry"] * (settings.RECOVERY_MAX_ATTEMPTS - 1) + [MessageStatus.FAILED] * 2
    assert len(twilio.requests("POST", MESSAGES)) == settings.RECOVERY_MAX_ATTEMPTS


def test_an_sms_twilio_accepted_without_answering_in_time_is_found_not_sent_again(world, twilio):
    """The answer to the POST comes after the client's timeout: Twilio took the message, the
    shop does not know. The next attempt lists what went to that number and finds it."""
    sid = "SM" + "c" * 32
    twilio.script("POST", MESSAGES, Answer(201, lambda r: twilio_message(r, sid=sid), delay=1.5))
    message = queue(abandoned_cart(world), Channel.SMS)

    assert attempt(message) == "retry"
    message = row(message)
    assert message.status == MessageStatus.QUEUED
    assert message.failure_reason.startswith("unconfirmed")
    sent = twilio.requests("POST", MESSAGES)[0]
    other = twilio_message(sent, sid="SM" + "d" * 32)  # another text to the same number
    other["body"] = "Your order has shipped: https://shop.example/t/1"
    at = "Mon, 07 Dec 2026 14:00:01 +0000"
    twilio.script("GET", MESSAGES, twilio_list(
        other, twilio_message(sent, sid=sid, status="delivered", date_sent=at)))  # fmt: skip

    assert attempt(message) == MessageStatus.SENT

    message = row(message)
    assert message.provider_message_id == sid
    assert len(twilio.requests("POST", MESSAGES)) == 1, "not sent a second time"
    (lookup,) = twilio.requests("GET", MESSAGES)
    assert lookup.query["To"] == PHONE and lookup.query["From"] == TWILIO_FROM
    assert "DateSent>" in lookup.query


def test_an_unconfirmed_sms_stays_unconfirmed_while_twilio_cannot_be_asked(world, twilio):
    sid = "SM" + "9" * 32
    twilio.script("POST", MESSAGES, Answer(201, lambda r: twilio_message(r, sid=sid), delay=1.5))
    message = queue(abandoned_cart(world), Channel.SMS)
    assert attempt(message) == "retry"
    twilio.script("GET", MESSAGES, TWILIO_DOWN)

    assert attempt(message) == "retry"

    message = row(message)
    assert message.failure_reason.startswith("unconfirmed")
    assert "503" in message.failure_reason
    twilio.script("GET", MESSAGES, twilio_list(twilio_message(twilio.received[0], sid=sid)))
    assert attempt(message) == MessageStatus.SENT
    assert row(message).provider_message_id == sid
    assert len(twilio.requests("POST", MESSAGES)) == 1


def test_an_unconfirmed_sms_twilio_does_not_list_is_sent_again(world, twilio):
    """The one case that repeats: Twilio lists nothing (it never got the message, or has not
    sent it yet), so the next attempt sends."""
    twilio.script("POST", MESSAGES, Answer(201, twilio_message, delay=1.5), twilio_accepts())
    twilio.script("GET", MESSAGES, twilio_list())
    message = queue(abandoned_cart(world), Channel.SMS)

    assert attempt(message) == "retry"
    assert attempt(message) == MessageStatus.SENT
    assert len(twilio.requests("POST", MESSAGES)) == 2


# --- WhatsApp through the Cloud API ------------------------------------------------------------


def test_a_whatsapp_message_is_the_approved_template_in_the_customer_s_language(world, whatsapp):
    whatsapp.script("POST", WHATSAPP_MESSAGES, whatsapp_accepts("wamid.HBgLNDkxNTEyMzQ1Njc4OQ"))
    message = queue(abandoned_cart(world), Channel.WHATSAPP)

    assert send_message(message.pk) == MessageStatus.SENT

    (request,) = whatsapp.requests("POST", WHATSAPP_MESSAGES)
    assert request.headers["authorization"] == "Bearer EAAG-test-token"
    payload = request.json
    assert (payload["messaging_product"], payload["type"], payload["to"]) == (
        "whatsapp", "template", PHONE)  # fmt: skip
    template = payload["template"]
    assert template["name"] == "cart_reminder"
    assert template["language"] == {"code": "de"}
    (body,) = template["components"]
    assert body["type"] == "body"
    first_name, total, link = (p["text"] for p in body["parameters"])
    assert all(p["type"] == "text" for p in body["parameters"])
    assert first_name == "Anna"
    assert "€" in total
    assert link.startswith(f"{BASE}/de/m/r/")
    message = row(message)
    assert (message.status, message.provider_message_id) == (
        MessageStatus.SENT, "wamid.HBgLNDkxNTEyMzQ1Njc4OQ")  # fmt: skip


def test_template_parameters_are_one_line_as_whatsapp_requires(world, whatsapp, settings):
    settings.WHATSAPP_TEMPLATE_PARAMETERS = ["cart_items", "voucher_code"]
    whatsapp.script("POST", WHATSAPP_MESSAGES, whatsapp_accepts())
    cart = abandoned_cart(world)
    factories.CartLineFactory(cart=cart, variant=world.cookbook, quantity=1)

    assert send_message(queue(cart, Channel.WHATSAPP).pk) == MessageStatus.SENT

    (request,) = whatsapp.requests("POST", WHATSAPP_MESSAGES)
    items, voucher = (p["text"] for p in request.json["template"]["components"][0]["parameters"])
    assert items.count(" · ") == 1 and "\n" not in items, "two lines joined on one"
    assert voucher == "-", "an empty parameter is refused by WhatsApp"


def test_whatsapp_language_codes_follow_meta_s_names(settings):
    settings.WHATSAPP_LANGUAGES = [("en", "en_US")]
    assert [language_code(code) for code in ("de", "pt-br", "zh-hans", "ar", "en")] == [
        "de", "pt_BR", "zh_CN", "ar", "en_US"]  # fmt: skip


@pytest.mark.parametrize("refusal", [
    NOT_ON_WHATSAPP,
    whatsapp_error(400, 100, "(#100) Invalid parameter",
                   "Parameter 'to' is not a valid phone number."),
])  # fmt: skip
def test_a_number_whatsapp_refuses_is_undeliverable_at_once(world, whatsapp, refusal):
    whatsapp.script("POST", WHATSAPP_MESSAGES, refusal)
    message = queue(abandoned_cart(world), Channel.WHATSAPP)

    assert attempt(message) == MessageStatus.UNDELIVERABLE
    assert attempt(message) == MessageStatus.UNDELIVERABLE

    code = str(refusal.body["error"]["code"])
    assert row(message).failure_reason.startswith(code)
    assert len(whatsapp.received) == 1


def test_an_unknown_template_fails_for_good(world, whatsapp):
    whatsapp.script("POST", WHATSAPP_MESSAGES, whatsapp_error(
        404, 132001, "(#132001) Template name does not exist in the translation",
        "template name (cart_reminder) does not exist in de"))  # fmt: skip
    message = queue(abandoned_cart(world), Channel.WHATSAPP)

    assert attempt(message) == MessageStatus.FAILED
    assert "132001" in row(message).failure_reason


def test_throttled_whatsapp_is_retried_by_rq_with_back_off_and_sent_once(
    world, whatsapp, mail_queue, django_capture_on_commit_callbacks
):
    """Meta answers its rate limit with HTTP 400 and code 130429: the code decides."""
    whatsapp.script("POST", WHATSAPP_MESSAGES, WHATSAPP_THROTTLED, WHATSAPP_DOWN,
                    whatsapp_accepts("wamid.ONCE"))  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(abandoned_cart(world), Channel.WHATSAPP)

    run_worker(mail_queue)
    assert "130429" in row(message).failure_reason
    scheduled = mail_queue.scheduled_job_registry
    (job_id,) = scheduled.get_job_ids()
    first_wait = scheduled.get_scheduled_time(job_id) - timezone.now()
    scheduled.requeue(job_id)
    run_worker(mail_queue)
    assert "131016" in row(message).failure_reason
    (job_id,) = scheduled.get_job_ids()
    second_wait = scheduled.get_scheduled_time(job_id) - timezone.now()
    assert timedelta(seconds=20) < first_wait <= timedelta(seconds=30)
    assert timedelta(seconds=100) < second_wait <= timedelta(seconds=120), "backing off"
    scheduled.requeue(job_id)
    run_worker(mail_queue)

    message = row(message)
    assert (message.status, message.attempts) == (MessageStatus.SENT, 3)
    assert message.provider_message_id == "wamid.ONCE"
    assert scheduled.get_job_ids() == []
    assert send_message(message.pk) == MessageStatus.SENT
    assert len(whatsapp.requests("POST", WHATSAPP_MESSAGES)) == 3


def test_whatsapp_refusing_connections_keeps_the_row_queued(world, whatsapp, settings):
    settings.WHATSAPP_API_URL = closed_url() + "/v21.0"
    message = queue(abandoned_cart(world), Channel.WHATSAPP)

    assert attempt(message) == "retry"
    assert "connection-refused" in row(message).failure_reason


def test_whatsapp_to_a_customer_without_phone_is_skipped(world, whatsapp):
    message = queue(abandoned_cart(world, phone=""), Channel.WHATSAPP)

    assert send_message(message.pk) == MessageStatus.SKIPPED
    assert row(message).skip_reason == "no_contact"
    assert whatsapp.received == []


def test_a_mail_server_that_is_down_does_not_hold_back_sms_and_whatsapp(
    world, twilio, whatsapp, settings
):
    from recovery.sending import send_messages
    from tests.checkout_world import mail_settings

    settings.MAILERS = mail_settings(int(closed_url().rsplit(":", 1)[1]))
    twilio.script("POST", MESSAGES, twilio_accepts())
    whatsapp.script("POST", WHATSAPP_MESSAGES, whatsapp_accepts())
    cart = abandoned_cart(world)
    rows = [queue(cart, channel, key=f"test:{channel}")
            for channel in (Channel.EMAIL, Channel.SMS, Channel.WHATSAPP)]  # fmt: skip

    outcome = send_messages([m.pk for m in rows])

    assert [outcome[m.pk] for m in rows] == [MessageStatus.QUEUED, MessageStatus.SENT,
                                             MessageStatus.SENT]  # fmt: skip
    assert row(rows[0]).failure_reason, "the mail waits with its reason"
    assert len(twilio.received) == len(whatsapp.received) == 1


# --- offline gateways, settings, checks -------------------------------------------------------


def test_the_offline_gateways_are_the_default_and_write_json_lines(world, settings, tmp_path):
    assert settings.RECOVERY_SMS_BACKEND.endswith("OfflineSmsBackend")
    assert settings.RECOVERY_WHATSAPP_BACKEND.endswith("OfflineWhatsAppBackend")
    settings.VAR_DIR = tmp_path
    settings.WHATSAPP_TEMPLATE = "cart_reminder"
    cart = abandoned_cart(world, language="pt-br")
    sms = queue(cart, Channel.SMS, key="test:sms")
    whatsapp = queue(cart, Channel.WHATSAPP, key="test:whatsapp")

    assert send_message(sms.pk) == send_message(whatsapp.pk) == MessageStatus.SENT

    (line,) = (tmp_path / "whatsapp.jsonl").read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    assert (record["to"], record["template"], record["language"]) == (
        PHONE, "cart_reminder", "pt-br")  # fmt: skip
    assert record["parameters"][0] == "Anna"
    assert record["text"].startswith("Hallo Anna, ")
    assert row(whatsapp).provider_message_id == record["id"]
    (line,) = (tmp_path / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    assert row(sms).provider_message_id == json.loads(line)["id"]


def test_a_real_gateway_without_credentials_is_named_by_the_system_check(settings):
    settings.RECOVERY_SMS_BACKEND = TWILIO
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = ""
    settings.TWILIO_FROM = ""
    settings.RECOVERY_WHATSAPP_BACKEND = WHATSAPP
    settings.WHATSAPP_TOKEN = "token"
    settings.WHATSAPP_PHONE_NUMBER_ID = PHONE_NUMBER_ID
    settings.WHATSAPP_APP_SECRET = ""
    settings.WHATSAPP_VERIFY_TOKEN = "verify"

    found = {(w.id, w.obj): w.msg for w in gateways_have_credentials()}

    assert set(found) == {("recovery.W001", "RECOVERY_SMS_BACKEND"),
                          ("recovery.W002", "RECOVERY_WHATSAPP_BACKEND")}  # fmt: skip
    assert "TWILIO_AUTH_TOKEN, TWILIO_FROM are not set" in found[
        ("recovery.W001", "RECOVERY_SMS_BACKEND")]  # fmt: skip
    assert "WHATSAPP_APP_SECRET is not set" in found[("recovery.W002", "RECOVERY_WHATSAPP_BACKEND")]


def test_the_offline_gateways_pass_the_check_and_a_wrong_path_is_an_error(settings):
    assert gateways_have_credentials() == []
    settings.RECOVERY_SMS_BACKEND = "recovery.gateways.nowhere.Backend"
    with pytest.raises(SystemCheckError, match="recovery.E001"):
        call_command("check", "--fail-level", "ERROR")


def test_the_environment_chooses_the_gateways():
    from tests.test_settings_from_environment import settings_under

    names = ("RECOVERY_SMS_BACKEND", "RECOVERY_WHATSAPP_BACKEND", "WHATSAPP_LANGUAGES",
             "WHATSAPP_API_URL")  # fmt: skip
    demo = settings_under(*names)
    live = settings_under(*names, TWILIO_ACCOUNT_SID=ACCOUNT_SID,
                          WHATSAPP_PHONE_NUMBER_ID=PHONE_NUMBER_ID,
                          WHATSAPP_LANGUAGES="en:en_US, pt-br:pt_BR")  # fmt: skip
    chosen = settings_under(*names, TWILIO_ACCOUNT_SID=ACCOUNT_SID,
                            RECOVERY_SMS_BACKEND="recovery.gateways.offline.OfflineSmsBackend")

    assert (demo["RECOVERY_SMS_BACKEND"], demo["RECOVERY_WHATSAPP_BACKEND"]) == (
        "recovery.gateways.offline.OfflineSmsBackend",
        "recovery.gateways.offline.OfflineWhatsAppBackend")  # fmt: skip
    assert demo["WHATSAPP_API_URL"] == "https://graph.facebook.com/v21.0"
    assert (live["RECOVERY_SMS_BACKEND"], live["RECOVERY_WHATSAPP_BACKEND"]) == (TWILIO, WHATSAPP)
    assert live["WHATSAPP_LANGUAGES"] == [["en", "en_US"], ["pt-br", "pt_BR"]]
    assert chosen["RECOVERY_SMS_BACKEND"] == "recovery.gateways.offline.OfflineSmsBackend"
