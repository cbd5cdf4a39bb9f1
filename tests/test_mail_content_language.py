"""Every mail says which language it is written in (``Content-Language``, RFC 3282, as a BCP 47
tag: ``pt-BR``, ``zh-Hans``), so that mail clients pick the right spelling checker, voice and
translation offer. The checkout's mails are checked in tests/test_checkout_mail.py; here the
recovery newsletter, on both of its paths to the server: Django's message through a backend
and the pre-built MIME bytes written straight to an SMTP connection."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from recovery import mime
from recovery.campaigns import send_batch, start_campaign
from shop.locale import language_tag
from shop.models import Customer
from tests.campaign_world import bulk_audience, newsletter
from tests.checkout_world import mail_settings
from tests.smtp_server import LoopbackSMTPServer

TEXTS = {
    "en": ("We kept your cart, {first_name}", "Hello {first_name},\n{cart_items}"),
    "pt-br": ("Guardamos seu carrinho, {first_name}", "Olá {first_name},\n{cart_items}"),
}


@pytest.fixture
def world(cart_world, settings):
    settings.SHOP_BASE_URL = "https://shop.example"
    settings.DEFAULT_FROM_EMAIL = "shop@example.com"
    return cart_world


def campaign(world):
    bulk_audience(world.eu, world.shirt_m, eligible=4, no_consent=0, unsubscribed=0,
                  abandoned_at=timezone.now() - timedelta(days=1), languages=("en", "pt-br"),
                  prefix="lang")  # fmt: skip
    ids = list(Customer.objects.filter(email__startswith="lang").values_list("pk", flat=True))
    sent = newsletter(TEXTS, customer_ids=ids)
    start_campaign(campaign=sent)
    return sent


def languages_by_recipient() -> dict[str, str]:
    return dict(Customer.objects.filter(email__startswith="lang").values_list("email", "language"))


def test_language_tags_are_bcp47():
    assert [language_tag(code) for code in ("en", "pt-br", "zh-hans", "es", "tr")] == [
        "en", "pt-BR", "zh-Hans", "es", "tr",
    ]  # fmt: skip


@pytest.mark.django_db
def test_recovery_mails_through_a_backend_carry_content_language(world, mail_queue):
    sent = campaign(world)

    send_batch(list(sent.messages.values_list("pk", flat=True)))

    expected = languages_by_recipient()
    assert len(mail.outbox) == 4 and set(expected.values()) == {"en", "pt-br"}
    for message in mail.outbox:
        assert message.extra_headers["Content-Language"] == language_tag(expected[message.to[0]])
        assert message.message()["Content-Language"] == language_tag(expected[message.to[0]])


@pytest.mark.django_db(transaction=True)
def test_recovery_mails_written_straight_to_smtp_carry_content_language(
    world, settings, mail_queue, monkeypatch
):
    built = []
    real_build = mime.build
    monkeypatch.setattr(mime, "build", lambda **kw: built.append(kw) or real_build(**kw))
    with LoopbackSMTPServer() as server:
        settings.MAILERS = mail_settings(server.port)
        sent = campaign(world)

        send_batch(list(sent.messages.values_list("pk", flat=True)))

        expected = languages_by_recipient()
        assert len(server.messages) == 4 and len(built) == 4  # the pre-built MIME path
        for received in server.messages:
            recipient = received.rcpt_to[0]
            assert received.message["Content-Language"] == language_tag(expected[recipient])
