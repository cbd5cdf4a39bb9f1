"""Sending a newsletter's batch (``recovery.sending``): what it costs and what it holds.

A batch loads its rows, carts, skip facts and vouchers in a fixed number of queries and records
each mail with one statement; renders each language's templates once; talks to the mail server
outside any transaction; and a large audience is prepared by an RQ job, not in the admin's
request. Speed itself is measured by ``make bench-recovery``, not here."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import django_rq
import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.test.signals import template_rendered
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rq import SimpleWorker

from recovery import campaigns, sending
from recovery.campaigns import progress, send_batch, start_campaign
from recovery.models import Campaign, CampaignStatus, MessageStatus, RecoveryMessage
from shop.models import Customer
from tests.campaign_world import bulk_audience, newsletter

ENGLISH = ("We kept your cart, {first_name}", "Hello {first_name},\n{cart_items}\n{cart_total}")
GERMAN = ("Dein Warenkorb wartet, {first_name}", "Hallo {first_name},\n{cart_items}\n{cart_total}")


@pytest.fixture
def world(cart_world, settings):
    settings.SHOP_BASE_URL = "https://shop.example"
    settings.DEFAULT_FROM_EMAIL = "shop@example.com"
    return cart_world


def campaign_of(world, size: int, prefix: str, **fields) -> Campaign:
    bulk_audience(world.eu, world.shirt_m, eligible=size, no_consent=2, unsubscribed=1,
                  abandoned_at=timezone.now() - timedelta(days=1), languages=("en", "de"),
                  prefix=prefix)  # fmt: skip
    mine = Customer.objects.filter(email__startswith=prefix).values_list("pk", flat=True)
    return newsletter({"en": ENGLISH, "de": GERMAN}, customer_ids=list(mine), **fields)


def rows_of(campaign: Campaign) -> list[int]:
    return list(campaign.messages.order_by("pk").values_list("pk", flat=True))


def queries_outside_pricing(monkeypatch, run) -> tuple[int, int]:
    """(queries of ``run`` not made by ``cart.pricing.price_carts``, those made by it): pricing
    a batch is the cart app's to keep constant."""
    pricing = []
    real = sending.price_carts

    def counted(carts, **kwargs):
        with CaptureQueriesContext(connection) as inner:
            result = real(carts, **kwargs)
        pricing.append(len(inner))
        return result

    monkeypatch.setattr(sending, "price_carts", counted)
    with CaptureQueriesContext(connection) as queries:
        run()
    return len(queries) - sum(pricing), sum(pricing)


@pytest.mark.django_db
def test_a_batch_costs_fixed_queries_plus_one_statement_per_mail(world, monkeypatch, mail_queue):
    small = campaign_of(world, 5, "small", voucher_kind="free_shipping")
    start_campaign(campaign=small)
    large = campaign_of(world, 40, "large", voucher_kind="free_shipping")
    start_campaign(campaign=large)
    send_batch(rows_of(small)[:1])  # warm-up: content types, translations, market data

    few, _ = queries_outside_pricing(monkeypatch, lambda: send_batch(rows_of(small)))
    many, _ = queries_outside_pricing(monkeypatch, lambda: send_batch(rows_of(large)))

    assert progress(large) | {"total": 0} == {"queued": 0, "sent": 40, "failed": 0,
        "delivered": 0, "undeliverable": 0,
                                              "skipped": 3, "total": 0}  # fmt: skip
    # The warm-up sent one of the small batch's five: it sends 4 mails, the large one 40.
    assert many - few == 40 - 4, "one statement records each mail sent; the rest is fixed"
    assert len({m.voucher_id for m in large.messages.filter(status=MessageStatus.SENT)}) == 40


@pytest.mark.django_db
def test_each_language_s_templates_are_rendered_once_per_batch(world, mail_queue):
    campaign = campaign_of(world, 30, "shopper")
    start_campaign(campaign=campaign)
    rendered: Counter = Counter()

    def count(sender, template, **kwargs):
        rendered[template.name] += 1

    template_rendered.connect(count)
    try:
        outcome = send_batch(rows_of(campaign))
    finally:
        template_rendered.disconnect(count)

    assert outcome == {"sent": 30, "skipped": 3}
    assert rendered["recovery/email/message.html"] == 2, "English and German, once each"
    assert rendered["recovery/email/message.txt"] == 2
    assert rendered["recovery/email/line.html"] <= 2 * 4, "per language and kind of line"
    assert len(mail.outbox) == 30
    names = {m.to[0]: m for m in mail.outbox}
    first = names["shopper00000@example.com"]
    assert first.subject == "We kept your cart, Shopper0"
    assert "Linen Shirt" in first.alternatives[0][0] and "Shopper0" in first.alternatives[0][0]
    assert names["shopper00001@example.com"].subject == "Dein Warenkorb wartet, Shopper1"


class AtomicRecordingBackend(EmailBackend):
    """The in-memory backend, noting whether a database transaction is open at each mail."""

    in_transaction: list[bool] = []

    def send_messages(self, messages):
        AtomicRecordingBackend.in_transaction.append(connection.in_atomic_block)
        return super().send_messages(messages)


@pytest.mark.django_db(transaction=True)
def test_no_transaction_is_open_while_a_mail_is_handed_to_the_server(world, settings, mail_queue):
    settings.MAILERS = {"default": {
        "BACKEND": "tests.test_recovery_sending.AtomicRecordingBackend"}}  # fmt: skip
    AtomicRecordingBackend.in_transaction = []
    campaign = campaign_of(world, 12, "shopper")
    start_campaign(campaign=campaign)

    send_batch(rows_of(campaign))

    assert AtomicRecordingBackend.in_transaction == [False] * 12


@pytest.mark.django_db
def test_a_second_job_for_the_same_rows_sends_nothing_while_the_first_holds_them(world, mail_queue):
    campaign = campaign_of(world, 4, "shopper")
    start_campaign(campaign=campaign)
    ids = rows_of(campaign)
    first = sending.claim(ids, "job-one")

    assert len(first) == 7
    assert sending.claim(ids, "job-two") == [], "held by a live job (its heartbeat is fresh)"
    assert send_batch(ids) == {}, "nothing to do for another job"
    RecoveryMessage.objects.filter(pk__in=ids).update(
        heartbeat_at=timezone.now() - timedelta(seconds=61)
    )
    assert len(sending.claim(ids, "job-two")) == 7, "a silent job's rows may be taken over"


# --- the admin: a large audience is prepared by a job -----------------------------------------


@pytest.fixture
def sender(client, django_user_model):
    user = django_user_model.objects.create_user("clerk", "clerk@example.com", "secret",
                                                 is_staff=True)  # fmt: skip
    user.user_permissions.add(*Permission.objects.filter(codename__in=[
        "view_campaign", "change_campaign", "send_recovery_message"]))  # fmt: skip
    client.force_login(user)
    return client


@pytest.mark.redis
@pytest.mark.django_db
def test_a_large_audience_is_written_by_a_job_with_progress_not_in_the_request(
    world, sender, mail_queue, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(campaigns, "INLINE_AUDIENCE", 5)
    campaign = campaign_of(world, 8, "shopper")
    default = django_rq.get_queue("default")
    default.empty()
    change = reverse("admin:recovery_campaign_change", args=[campaign.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = sender.post(reverse("admin:recovery_campaign_send", args=[campaign.pk]))

    assert response.status_code == 302 and response.url == change
    assert not RecoveryMessage.objects.exists(), "nothing written in the request"
    assert [job.func_name for job in default.jobs] == ["recovery.campaigns.prepare_campaign"]
    progress_url = reverse("admin:recovery_campaign_progress", args=[campaign.pk])
    assert sender.get(progress_url).json()["status"] == CampaignStatus.PREPARING
    assert "Preparing the recipient list" in sender.get(change).text

    SimpleWorker([default], connection=default.connection).work(burst=True)

    assert sender.get(progress_url).json() == {"queued": 11, "sent": 0, "delivered": 0,
                                               "undeliverable": 0, "failed": 0,
                                               "skipped": 0, "total": 11,
                                               "status": "sending"}  # fmt: skip
    assert mail_queue.count == 1
    SimpleWorker([mail_queue], connection=mail_queue.connection).work(burst=True)
    assert sender.get(progress_url).json()["status"] == "done"
    assert len(mail.outbox) == 8
    default.empty()


@pytest.mark.django_db
def test_a_selection_of_many_customers_is_read_from_the_newsletter_s_row(world, mail_queue):
    """70,000 selected customers would not fit in one statement's parameters."""
    bulk_audience(world.eu, world.shirt_m, eligible=3,
                  abandoned_at=timezone.now() - timedelta(days=1))  # fmt: skip
    chosen = list(Customer.objects.order_by("pk").values_list("pk", flat=True)[:2])
    unknown = list(range(10**9, 10**9 + 70_000))
    campaign = newsletter({"en": ENGLISH}, customer_ids=unknown + chosen)

    assert {r.customer_id for r in campaigns.recipients(campaign)} == set(chosen)


def test_both_requeue_jobs_run_every_minute_outside_the_mail_queue(settings):
    """Every minute, so a killed worker's mail leaves within two minutes (a one-minute lease,
    then the next run); not on "mail", where they would wait behind a newsletter's batches."""
    jobs = {path: (queue, cron) for path, queue, cron in settings.SHOP_CRON_JOBS}

    assert jobs["recovery.outbox.requeue_stale_messages"] == ("default", "* * * * *")
    assert jobs["checkout.jobs.send_missing_confirmations"] == ("default", "* * * * *")
    assert settings.RECOVERY_SENDER_LEASE_SECONDS + 60 <= 120
    assert settings.CONFIRMATION_LEASE_SECONDS + 60 <= 120
