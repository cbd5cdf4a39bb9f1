"""Sending one SMS from several workers at once, and a gateway's callbacks racing each other,
on PostgreSQL with real threads (each its own connection): the provider gets the message once,
and the row ends in one final state.

SQLite serialises every write, so these prove nothing there and are skipped; run them with
``DATABASE_URL=postgres://...`` (CI does)."""

from __future__ import annotations

import pytest
from django.db import connection

from recovery import delivery
from recovery.models import Channel, MessageStatus, RecoveryMessage
from recovery.outbox import queue_message, send_message
from tests import factories
from tests.checkout_world import CheckoutWorld
from tests.gateway_servers import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    MESSAGES,
    TWILIO_FROM,
    Answer,
    FakeProvider,
    twilio_message,
)
from tests.test_checkout_concurrency import run_at_once

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row-lock concurrency is only meaningful on PostgreSQL (set DATABASE_URL)",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def twilio(settings):
    server = FakeProvider().start()
    settings.RECOVERY_SMS_BACKEND = "recovery.gateways.sms_twilio.TwilioSmsBackend"
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_FROM = TWILIO_FROM
    settings.TWILIO_API_URL = server.url
    settings.RECOVERY_GATEWAY_TIMEOUT = 5
    settings.SHOP_BASE_URL = "https://shop.example"
    yield server
    server.stop()


def test_four_workers_sending_one_sms_at_once_reach_twilio_once(cart_world, twilio):
    # Twilio takes its time, so the other workers arrive while the first is still sending.
    twilio.script("POST", MESSAGES, Answer(201, twilio_message, delay=0.3))
    world = CheckoutWorld()
    who = factories.CustomerFactory(phone="+4915123456789", marketing_consent=True,
                                    sms_consent=True, first_name="Anna")  # fmt: skip
    cart = world.cart(world.eu, "DE", (world.shirt_m, 1), customer=who, language="de",
                      status="abandoned")  # fmt: skip
    message = queue_message(key="race:1", cart=cart, channel=Channel.SMS, subject="",
                            body="Hallo {first_name}: {restore_link}")  # fmt: skip

    results, errors = run_at_once(*[lambda: send_message(message.pk)] * 4)

    assert errors == []
    assert results.count(MessageStatus.SENT) >= 1
    assert len(twilio.requests("POST", MESSAGES)) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 1)


def test_racing_callbacks_leave_one_final_state(db):
    customer = factories.CustomerFactory()
    message = RecoveryMessage.objects.create(
        key="race:2", customer=customer, channel=Channel.SMS, language="en", body="Hi",
        status=MessageStatus.SENT, provider_message_id="SMrace",
    )  # fmt: skip

    def delivered():
        return delivery.record_delivered(channel=Channel.SMS, provider_message_id="SMrace")

    def undelivered():
        return delivery.record_failed(channel=Channel.SMS, provider_message_id="SMrace",
                                      undeliverable=True, reason="Twilio undelivered")  # fmt: skip

    results, errors = run_at_once(*[delivered, undelivered] * 4)

    assert errors == []
    assert sum(results) == 1, "one call moved the row; the others found it moved"
    message.refresh_from_db()
    assert message.status in {MessageStatus.DELIVERED, MessageStatus.UNDELIVERABLE}
