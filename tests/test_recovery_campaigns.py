"""Recovery newsletters (``recovery.campaigns``): who is in the audience and who is skipped and
why, a preview per language, sending 2,000 mails through a real Redis, a real RQ worker and a
real SMTP server on loopback exactly once each, a worker killed mid-campaign, and the admin pages
staff send and watch a campaign from.

Times are stored in UTC and the campaign's dates are days of the shop's time zone: the window
tests set ``TIME_ZONE`` to São Paulo (UTC-3), where 23:30 on one day is 02:30 UTC the next.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from rq import SimpleWorker

from cart.models import Cart, CartStatus
from checkout.models import OrderStatus
from recovery import campaigns
from recovery.campaigns import previews, progress, recipients, send_batch, start_campaign, summary
from recovery.models import (
    AudienceType,
    Campaign,
    CampaignStatus,
    MessageStatus,
    RecoveryMessage,
    SkipReason,
)
from recovery.outbox import rendered, requeue_stale_messages
from shop.models import Customer
from tests import factories
from tests.campaign_world import bulk_audience, mails_per_recipient, newsletter, order_since
from tests.checkout_world import mail_settings
from tests.recovery_world import abandoned_cart, variant
from tests.smtp_server import LoopbackSMTPServer

pytestmark = pytest.mark.django_db

SAO_PAULO = "America/Sao_Paulo"
ENGLISH = ("We kept your cart, {first_name}", "Hello {first_name},\n{cart_items}\n{cart_total}")
GERMAN = ("Dein Warenkorb wartet, {first_name}", "Hallo {first_name},\n{cart_items}\n{cart_total}")
PROJECT = Path(django_settings.BASE_DIR)


# --- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture
def market(db):
    """An EU-like market: marketing needs an opt-in, carts are abandoned after an hour."""
    return factories.MarketFactory(currency="EUR", abandonment_cutoff_minutes=60)


@pytest.fixture
def shirt(db):
    return variant("10.00", sku="SHIRT")


@pytest.fixture
def world(cart_world, settings):
    """The cart world's markets and catalog (priced mails need shipping and tax rules)."""
    settings.SHOP_BASE_URL = "https://shop.example"
    settings.DEFAULT_FROM_EMAIL = "shop@example.com"
    return cart_world


@pytest.fixture
def shop_time_zone(settings):
    settings.TIME_ZONE = SAO_PAULO
    return timezone.get_default_timezone()


@pytest.fixture
def smtp(settings):
    with LoopbackSMTPServer() as server:
        settings.MAILERS = mail_settings(server.port)
        settings.DEFAULT_FROM_EMAIL = "shop@example.com"
        yield server


def run_worker(queue) -> None:
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def local(day: str, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in the shop's time zone, as an aware datetime."""
    naive = datetime.fromisoformat(day).replace(hour=hour, minute=minute)
    return timezone.make_aware(naive, timezone.get_current_timezone())


def shopper(**fields) -> Customer:
    """A customer who consented to marketing (unless told otherwise)."""
    return factories.CustomerFactory(**{"marketing_consent": True, **fields})


def with_cart(market, product, when, *, price="10.00", quantity=1, **fields) -> Customer:
    customer = shopper(**fields)
    abandoned_cart(market, when, (product, quantity, price), customer=customer)
    return customer


def audience_of(campaign: Campaign) -> set[int]:
    return {r.customer_id for r in recipients(campaign)}


def campaign_rows(campaign: Campaign) -> list[int]:
    return list(campaign.messages.order_by("pk").values_list("pk", flat=True))


# --- 1. audience and summary -------------------------------------------------------------------


def test_the_audience_is_registered_customers_guests_or_both(market, shirt, django_user_model):
    when = timezone.now() - timedelta(days=1)
    account = django_user_model.objects.create_user("ana", "ana@example.com", "secret")
    registered = with_cart(market, shirt, when, user=account)
    guest = with_cart(market, shirt, when)
    shopper()  # no cart: never in a recovery newsletter

    def audience(kind: str) -> set[int]:
        return audience_of(newsletter({"en": ENGLISH}, audience=kind))

    assert audience(AudienceType.REGISTERED) == {registered.pk}
    assert audience(AudienceType.GUESTS) == {guest.pk}
    assert audience(AudienceType.BOTH) == {registered.pk, guest.pk}
    assert summary(newsletter({"en": ENGLISH}))["recipients"] == 2


def test_the_abandonment_window_is_days_of_the_shop_s_time_zone(market, shirt, shop_time_zone):
    late_evening = local("2026-11-19", 23, 30)  # 2026-11-20 02:30 UTC
    assert late_evening.astimezone(timezone.UTC).date() == date(2026, 11, 20)
    before = with_cart(market, shirt, local("2026-11-18", 23, 59))
    evening = with_cart(market, shirt, late_evening)
    night = with_cart(market, shirt, local("2026-11-20", 0, 30))
    after = with_cart(market, shirt, local("2026-11-21", 0, 0))

    def between(first: str | None, last: str | None) -> set[int]:
        campaign = newsletter(
            {"en": ENGLISH},
            abandoned_from=date.fromisoformat(first) if first else None,
            abandoned_to=date.fromisoformat(last) if last else None,
        )
        return audience_of(campaign)

    assert between("2026-11-19", "2026-11-19") == {evening.pk}
    assert between("2026-11-20", "2026-11-20") == {night.pk}
    assert between("2026-11-19", "2026-11-20") == {evening.pk, night.pk}
    assert between(None, "2026-11-19") == {before.pk, evening.pk}
    assert between("2026-11-20", None) == {night.pk, after.pk}
    assert between(None, None) == {before.pk, evening.pk, night.pk, after.pk}


def test_the_market_filter_keeps_only_that_market_s_carts(market, shirt):
    other = factories.MarketFactory(currency="USD", abandonment_cutoff_minutes=60)
    when = timezone.now() - timedelta(days=1)
    here = with_cart(market, shirt, when)
    there = with_cart(other, shirt, when, price="12.00")

    assert audience_of(newsletter({"en": ENGLISH}, market=market)) == {here.pk}
    assert audience_of(newsletter({"en": ENGLISH}, market=other)) == {there.pk}


def test_the_minimum_cart_value_counts_every_line_and_quantity(market, shirt):
    when = timezone.now() - timedelta(days=1)
    cup = variant("5.00", sku="CUP")
    exactly = with_cart(market, shirt, when, price="10.00", quantity=2)  # 20.00
    below = with_cart(market, shirt, when, price="19.99")
    two_lines = shopper()  # 10.00 + 10.50 = 20.50: only the sum of its lines reaches the minimum
    abandoned_cart(market, when, (shirt, 1, "10.00"), (cup, 1, "10.50"), customer=two_lines)

    campaign = newsletter({"en": ENGLISH}, min_cart_value="20.00")

    assert audience_of(campaign) == {exactly.pk, two_lines.pk}
    assert below.pk not in audience_of(campaign)
    assert summary(campaign)["recipients"] == 2, "a cart of two lines is still one recipient"


def test_the_customer_list_s_selection_is_the_whole_audience(market, shirt):
    when = timezone.now() - timedelta(days=1)
    chosen, also_chosen, not_chosen = (with_cart(market, shirt, when) for _ in range(3))
    chosen_without_abandoned_cart = shopper()

    campaign = newsletter({"en": ENGLISH}, customer_ids=[
        chosen.pk, also_chosen.pk, chosen_without_abandoned_cart.pk])  # fmt: skip

    assert audience_of(campaign) == {chosen.pk, also_chosen.pk}
    assert not_chosen.pk not in audience_of(campaign)


def test_each_customer_is_counted_once_with_their_latest_abandoned_cart(market, shirt):
    customer = shopper()
    days = {day: abandoned_cart(market, timezone.now() - timedelta(days=day), (shirt, 1, "30"),
                                customer=customer) for day in (5, 2, 9)}  # fmt: skip
    Cart.objects.create(
        market=market,
        country="DE",
        currency="EUR",
        language="en",
        customer=customer,
        status=CartStatus.ACTIVE,
    )  # shopping now: not it
    empty = abandoned_cart(market, timezone.now() - timedelta(hours=3), customer=customer)

    for campaign in (newsletter({"en": ENGLISH}), newsletter({"en": ENGLISH}, min_cart_value=20)):
        everyone = recipients(campaign)
        assert [(r.customer_id, r.cart_id) for r in everyone] == [(customer.pk, days[2].pk)], (
            f"{empty} has no lines: the latest cart with products is the one of 2 days ago"
        )
        assert summary(campaign)["recipients"] == 1


def skip_world(market, shirt):
    """One customer per skip reason, and the customers who look like a skip but are not."""
    open_market = factories.MarketFactory(currency="EUR", abandonment_cutoff_minutes=60,
                                          marketing_opt_in_required=False)  # fmt: skip
    abandoned_at = timezone.now() - timedelta(days=2)
    people = {
        "eligible": with_cart(market, shirt, abandoned_at, language="de"),
        "no_consent": with_cart(market, shirt, abandoned_at, marketing_consent=False),
        "never_asked_where_no_opt_in_is_needed": with_cart(open_market, shirt, abandoned_at,
                                                           marketing_consent=None),  # fmt: skip
        "said_no_where_no_opt_in_is_needed": with_cart(open_market, shirt, abandoned_at,
                                                       marketing_consent=False),  # fmt: skip
        "unsubscribed": with_cart(market, shirt, abandoned_at,
                                  unsubscribed_at=timezone.now() - timedelta(days=1)),
        "ordered": with_cart(market, shirt, abandoned_at),
        "ordered_before": with_cart(market, shirt, abandoned_at),
        "cancelled_since": with_cart(market, shirt, abandoned_at),
    }  # fmt: skip

    def other_cart(who: Customer) -> Cart:
        return Cart.objects.create(market=market, country="DE", currency="EUR", language="en",
                                   customer=who, status=CartStatus.CONVERTED)  # fmt: skip

    order_since(other_cart(people["ordered"]), placed_at=abandoned_at + timedelta(hours=5))
    order_since(other_cart(people["ordered_before"]), placed_at=abandoned_at - timedelta(days=3))
    order_since(other_cart(people["cancelled_since"]), placed_at=abandoned_at + timedelta(hours=1),
                status=OrderStatus.CANCELLED)  # fmt: skip
    return people


def test_skips_are_counted_by_reason_before_sending(market, shirt):
    people = skip_world(market, shirt)
    campaign = newsletter({"en": ENGLISH})

    assert summary(campaign) == {
        "recipients": 4,
        "skipped": {SkipReason.NO_CONSENT: 2, SkipReason.UNSUBSCRIBED: 1, SkipReason.ORDERED: 1},
        "skipped_total": 4,
        "languages": {"de": 1, "en": 3},
    }
    skips = {r.customer_id: r.skip for r in recipients(campaign)}
    assert {name: skips[who.pk] for name, who in people.items()} == {
        "eligible": "", "no_consent": SkipReason.NO_CONSENT,
        "never_asked_where_no_opt_in_is_needed": "",
        "said_no_where_no_opt_in_is_needed": SkipReason.NO_CONSENT,
        "unsubscribed": SkipReason.UNSUBSCRIBED,
        "ordered": SkipReason.ORDERED, "ordered_before": "", "cancelled_since": "",
    }  # fmt: skip


def test_sending_skips_exactly_whom_the_summary_said_it_would(world, market, shirt):
    """The counts staff approve are the counts that happen: whoever the summary says will be
    skipped (for instance a customer who has ordered since, from another cart) gets no mail."""
    people = skip_world(market, shirt)
    campaign = newsletter({"en": ENGLISH})
    promised = {r.customer_id: r.skip for r in recipients(campaign)}

    start_campaign(campaign=campaign)  # its batches are queued on commit: sent here instead
    send_batch(campaign_rows(campaign))

    rows = {row.customer_id: row for row in campaign.messages.all()}
    done = {pk: row.skip_reason if row.status == MessageStatus.SKIPPED else "" for pk, row in
            rows.items()}  # fmt: skip
    names = {who.pk: name for name, who in people.items()}
    assert {names[pk]: reason for pk, reason in done.items()} == {
        names[pk]: reason for pk, reason in promised.items()}  # fmt: skip
    sent_to = sorted(message.to[0] for message in mail.outbox)
    assert sent_to == sorted(who.email for who in people.values() if not promised[who.pk])


def test_previews_per_language_fall_back_to_the_default_language_s_text(world):
    w = world
    when = timezone.now() - timedelta(days=1)
    for language, name in (("de", "Jonas"), ("en", "Emma"), ("fr", "Chloé")):
        customer = shopper(language=language, first_name=name)
        w.cart(w.eu, "DE", (w.shirt_m, 2), customer=customer, language=language,
               status=CartStatus.ABANDONED, abandoned_at=when)  # fmt: skip
    unsubscribed = shopper(language="pt-br", unsubscribed_at=timezone.now())
    w.cart(w.eu, "DE", (w.shirt_m, 1), customer=unsubscribed, language="pt-br",
           status=CartStatus.ABANDONED, abandoned_at=when)  # fmt: skip
    campaign = newsletter({"en": ENGLISH, "de": GERMAN})

    shown = previews(campaign)

    assert set(shown) == {"de", "en", "fr"}, "one per language that will be sent, no more"
    assert shown["de"]["subject"] == "Dein Warenkorb wartet, Jonas"
    assert shown["de"]["body"].startswith("Hallo Jonas,\n2 × Linen Shirt")
    assert shown["en"]["subject"] == "We kept your cart, Emma"
    assert shown["fr"]["subject"] == "We kept your cart, Chloé", "no French text: the English one"
    assert shown["fr"]["body"].startswith("Hello Chloé,")
    for preview in shown.values():
        assert "Linen Shirt" in preview["html"] and "Linen Shirt" in preview["text"]
        assert "€" in preview["body"], "the cart's total, in the cart's currency"


def test_the_preview_of_a_language_without_text_is_the_mail_those_customers_get(world):
    """French customers get the English text (there is no French one); their preview must show
    the mail they will get, not an English text inside a French mail."""
    w = world
    customer = shopper(language="fr", first_name="Chloé")
    w.cart(
        w.eu,
        "DE",
        (w.shirt_m, 1),
        customer=customer,
        language="fr",
        status=CartStatus.ABANDONED,
        abandoned_at=timezone.now() - timedelta(days=1),
    )
    campaign = newsletter({"en": ENGLISH})

    preview = previews(campaign)["fr"]
    start_campaign(campaign=campaign)
    sent = rendered(campaign.messages.get())

    assert preview["subject"] == sent["subject"]
    assert preview["body"] == sent["body"]
    language_of = lambda html: html.split('<html lang="', 1)[1].split('"', 1)[0]  # noqa: E731
    assert language_of(preview["html"]) == language_of(sent["html"]), (
        "the preview is rendered in French, the mail that is sent is English"
    )


# --- 2. 2,000 recipients through Redis, an RQ worker and SMTP ----------------------------------


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_campaign_of_2000_recipients_delivers_exactly_one_mail_to_each_eligible_customer(
    world, mail_queue, smtp
):
    w = world
    audience = bulk_audience(
        w.eu, w.shirt_m, eligible=1900, no_consent=60, unsubscribed=40,
        abandoned_at=timezone.now() - timedelta(days=2), languages=("en", "de", "fr"),
        registered_every=4,
    )  # fmt: skip
    today = timezone.localdate()
    campaign = newsletter({"en": ENGLISH, "de": GERMAN}, abandoned_from=today - timedelta(days=7),
                          abandoned_to=today)  # fmt: skip
    assert summary(campaign)["recipients"] == 1900
    assert summary(campaign)["skipped"] == {SkipReason.NO_CONSENT: 60, SkipReason.UNSUBSCRIBED: 40}

    started = time.monotonic()
    assert start_campaign(campaign=campaign) == 2000  # every row, the skips are recorded as such
    assert mail_queue.count == 2000 // campaigns.BATCH_SIZE
    run_worker(mail_queue)
    elapsed = time.monotonic() - started

    received = mails_per_recipient(smtp.messages)
    assert len(smtp.messages) == 1900
    assert set(received) == set(audience.eligible), "every eligible customer, nobody skipped"
    assert set(received.values()) == {1}, "exactly one mail each"
    subjects = {sent.rcpt_to[0]: sent.message["Subject"] for sent in smtp.messages}
    for email, subject in subjects.items():
        text = GERMAN if audience.languages[email] == "de" else ENGLISH  # fr: English text
        assert subject.startswith(text[0].split(",")[0]), (email, subject)
    assert progress(campaign) == {"queued": 0, "sent": 1900, "failed": 0,
        "delivered": 0, "undeliverable": 0, "skipped": 100,
                                  "total": 2000}  # fmt: skip
    reasons = dict(campaign.messages.filter(status=MessageStatus.SKIPPED)
                   .values_list("skip_reason").annotate(n=Count("pk")).order_by())  # fmt: skip
    assert reasons == {SkipReason.NO_CONSENT: 60, SkipReason.UNSUBSCRIBED: 40}
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DONE

    assert start_campaign(campaign=campaign) == 0, "starting again queues nothing"
    assert mail_queue.count == 0
    run_worker(mail_queue)
    assert len(smtp.messages) == 1900
    assert progress(campaign)["sent"] == 1900
    print(
        f"\n2,000-recipient campaign: start + worker {elapsed:.1f} s "  # noqa: T201
        f"({connection.vendor})"
    )


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_campaign_whose_last_rows_are_sent_by_requeued_jobs_ends_done(world, mail_queue, smtp):
    """Redis lost the batch jobs (or a worker was killed): the cron's ``requeue_stale_messages``
    queues the rows one by one; once they are sent the campaign is done, not "sending" for ever."""
    w = world
    bulk_audience(w.eu, w.shirt_m, eligible=3, abandoned_at=timezone.now() - timedelta(days=1))
    campaign = newsletter({"en": ENGLISH})
    start_campaign(campaign=campaign)
    mail_queue.empty()  # the batch jobs are gone

    assert requeue_stale_messages(older_than_minutes=0) == 3
    run_worker(mail_queue)

    assert len(smtp.messages) == 3
    assert progress(campaign)["sent"] == 3
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DONE


# --- 3. a worker killed mid-campaign -----------------------------------------------------------


def database_url_for_a_worker(tmp_path: Path) -> str:
    """The test database, as ``DATABASE_URL`` for another process. PostgreSQL: the test
    database itself. SQLite: pytest-django's test database lives in memory, which no other
    process can open, so it is copied to a file the worker uses (and copied back afterwards)."""
    db = django_settings.DATABASES["default"]
    if connection.vendor == "postgresql":
        user = quote(db.get("USER") or "", safe="")
        password = quote(db.get("PASSWORD") or "", safe="")
        host, port = db.get("HOST") or "localhost", db.get("PORT") or "5432"
        return f"postgres://{user}:{password}@{host}:{port}/{quote(db['NAME'], safe='')}"
    if connection.vendor != "sqlite":
        pytest.skip(f"no way to share a {connection.vendor} test database with a worker")
    path = tmp_path / "worker.sqlite3"
    connection.ensure_connection()
    copy = sqlite3.connect(path)
    connection.connection.backup(copy)
    copy.close()
    return f"sqlite:///{path}"


def take_back_the_worker_s_database(url: str) -> None:
    if url.startswith("sqlite:///"):
        worker_db = sqlite3.connect(url.removeprefix("sqlite:///"))
        worker_db.backup(connection.connection)
        worker_db.close()


def start_rqworker(database_url: str, redis_url: str, smtp_port: int, tmp_path: Path,
                   **more_env: str):  # fmt: skip
    """``manage.py rqworker mail --burst`` with the production settings read from the
    environment, as a deployment runs it, in a process group of its own."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shop.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_TIMEOUT": "10",
        "DEFAULT_FROM_EMAIL": "shop@example.com",
        "SHOP_BASE_URL": django_settings.SHOP_BASE_URL,
        "SHOP_VAR_DIR": str(tmp_path / "var"),
        "SECRET_KEY": django_settings.SECRET_KEY,
        **more_env,
    }
    log = (tmp_path / "worker.log").open("w")
    return subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", "mail", "--burst",
         "--worker-class", "rq.worker.SimpleWorker"],
        cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_campaign_and_a_fresh_one_deliver_each_mail_once(
    world, mail_queue, smtp, redis_url, tmp_path, monkeypatch
):
    """A real ``rqworker`` process is killed (SIGKILL) at the worst moment: the SMTP server has
    just accepted its 120th mail and has not answered yet, so that row is never saved as sent.
    The cron's requeue and a fresh worker deliver the rest. Delivery is at least once at that one
    point only (``recovery/outbox.py``): the mail in flight at the kill may arrive twice, no
    other."""
    w = world
    monkeypatch.setattr(campaigns, "BATCH_SIZE", 100)
    audience = bulk_audience(w.eu, w.shirt_m, eligible=400, no_consent=10, unsubscribed=10,
                             abandoned_at=timezone.now() - timedelta(days=1))  # fmt: skip
    campaign = newsletter({"en": ENGLISH})
    assert start_campaign(campaign=campaign) == 420
    assert mail_queue.count == 5
    database_url = database_url_for_a_worker(tmp_path)
    kill_at, killed = 120, []
    accept = smtp._server.received

    def accept_then_kill_the_worker(received_mail) -> None:  # runs before the server's "250 OK"
        accept(received_mail)
        if len(smtp.messages) == kill_at:
            os.killpg(worker.pid, signal.SIGKILL)
            killed.append(received_mail.rcpt_to[0])

    monkeypatch.setattr(smtp._server, "received", accept_then_kill_the_worker)
    monkeypatch.setattr(smtp._server, "handle_error", lambda *args: None)  # its "250" hits a corpse
    worker = start_rqworker(database_url, redis_url, smtp.port, tmp_path)
    try:
        worker.wait(90)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    log = (tmp_path / "worker.log").read_text()
    assert killed and worker.returncode == -signal.SIGKILL, log
    time.sleep(0.2)
    at_kill = len(smtp.messages)
    take_back_the_worker_s_database(database_url)
    left_queued = progress(campaign)["queued"]
    assert at_kill == kill_at < len(audience.eligible)
    assert left_queued == 420 - (kill_at - 1), "the mail in flight was not recorded as sent"

    requeued = requeue_stale_messages(older_than_minutes=0)
    run_worker(mail_queue)

    received = mails_per_recipient(smtp.messages)
    twice = sorted(email for email, n in received.items() if n > 1)
    assert set(received) == set(audience.eligible), "everyone got it; nobody skipped got it"
    assert max(received.values()) <= 2
    assert len(twice) <= 1, f"only the message in flight at the kill may come twice: {twice}"
    assert set(twice) <= set(killed), "and that one is the mail in flight"
    assert progress(campaign) | {"total": 0} == {"queued": 0, "sent": 400, "failed": 0,
        "delivered": 0, "undeliverable": 0,
                                                 "skipped": 20, "total": 0}  # fmt: skip
    print(
        f"\nkilled worker ({connection.vendor}): {at_kill} mails accepted before SIGKILL, "  # noqa: T201
        f"{left_queued} rows left queued, {requeued} requeued, in flight {killed}, "
        f"received twice: {twice or 'nobody'}, campaign "
        f"{Campaign.objects.get(pk=campaign.pk).status}"
    )


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_s_rows_are_queued_again_by_the_cron_once_its_lease_runs_out(
    world, mail_queue, smtp, redis_url, tmp_path, monkeypatch, settings
):
    """The cron (every minute) finds the rows of a sender that stopped beating once its lease
    (a minute; two seconds here, for the worker and the cron alike) has run out: within two
    minutes of the crash, not at a cleanup ten to twenty minutes later. Before that, it leaves
    them to the sender, which may still be alive."""
    w = world
    settings.RECOVERY_SENDER_LEASE_SECONDS = 2
    monkeypatch.setattr(campaigns, "BATCH_SIZE", 50)
    audience = bulk_audience(w.eu, w.shirt_m, eligible=120,
                             abandoned_at=timezone.now() - timedelta(days=1))  # fmt: skip
    campaign = newsletter({"en": ENGLISH})
    assert start_campaign(campaign=campaign) == 120
    database_url = database_url_for_a_worker(tmp_path)
    accept = smtp._server.received

    def accept_then_kill_the_worker(received_mail) -> None:
        accept(received_mail)
        if len(smtp.messages) == 70:  # in the second batch
            os.killpg(worker.pid, signal.SIGKILL)

    monkeypatch.setattr(smtp._server, "received", accept_then_kill_the_worker)
    monkeypatch.setattr(smtp._server, "handle_error", lambda *args: None)
    worker = start_rqworker(database_url, redis_url, smtp.port, tmp_path,
                            RECOVERY_SENDER_LEASE_SECONDS="2")  # fmt: skip
    try:
        worker.wait(90)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    assert worker.returncode == -signal.SIGKILL, (tmp_path / "worker.log").read_text()
    take_back_the_worker_s_database(database_url)
    assert requeue_stale_messages() == 0, "the lease has not run out: the sender may be alive"

    time.sleep(2.1)
    requeued = requeue_stale_messages()
    elapsed = time.monotonic() - killed_at

    assert requeued == 50 - (70 - 50 - 1), "the second batch's unsent rows, in flight included"
    assert elapsed < 120
    run_worker(mail_queue)
    received = mails_per_recipient(smtp.messages)
    assert set(received) == set(audience.eligible)
    assert sorted(received.values()).count(2) <= 1, "only the mail in flight may come twice"
    assert progress(campaign)["sent"] == 120


# --- 4. the admin ------------------------------------------------------------------------------


@pytest.fixture
def staff_user(django_user_model):
    """Staff who may view, add and change newsletters and view customers, but not send."""
    user = django_user_model.objects.create_user("clerk", "clerk@example.com", "secret",
                                                 is_staff=True)  # fmt: skip
    user.user_permissions.add(*Permission.objects.filter(codename__in=[
        "view_campaign", "add_campaign", "change_campaign", "view_customer"]))  # fmt: skip
    return user


def may_send(user) -> None:
    user.user_permissions.add(Permission.objects.get(codename="send_recovery_message"))


@pytest.fixture
def admin_world(world):
    """Three customers with abandoned carts in the eu market: two get the mail (en, de), one
    unsubscribed; and a newsletter to all of them, in English and German."""
    w = world
    when = timezone.now() - timedelta(days=1)
    people = []
    for fields in ({"language": "en", "first_name": "Emma"},
                   {"language": "de", "first_name": "Jonas"},
                   {"language": "en", "unsubscribed_at": timezone.now()}):  # fmt: skip
        customer = shopper(**fields)
        w.cart(w.eu, "DE", (w.shirt_m, 1), customer=customer, language=fields["language"],
               status=CartStatus.ABANDONED, abandoned_at=when)  # fmt: skip
        people.append(customer)
    return people, newsletter({"en": ENGLISH, "de": GERMAN}, name="Come back")


def change_url(campaign) -> str:
    return reverse("admin:recovery_campaign_change", args=[campaign.pk])


def send_url(campaign) -> str:
    return reverse("admin:recovery_campaign_send", args=[campaign.pk])


def progress_url(campaign) -> str:
    return reverse("admin:recovery_campaign_progress", args=[campaign.pk])


def test_the_campaign_page_shows_recipients_skips_and_a_preview_per_language(
    client, admin_world, staff_user
):
    _people, campaign = admin_world
    client.force_login(staff_user)

    response = client.get(change_url(campaign))

    assert response.status_code == 200
    html = response.text
    assert "2 customers will receive it." in html
    assert "1 customer will be skipped:" in html and "Unsubscribed 1" in html
    # One preview at a time: the first language, with links to the others.
    assert "<h3 data-preview-subject>We kept your cart, Emma</h3>" in html
    assert html.count("<iframe sandbox") == 1
    assert '<a href="?preview=de&amp;variant=A#campaign-preview" lang="de">' in html
    german = client.get(change_url(campaign) + "?preview=de&variant=A").text
    assert "<h3 data-preview-subject>Dein Warenkorb wartet, Jonas</h3>" in german
    assert german.count("<iframe sandbox") == 1
    assert "sending needs the permission" in html and "Send now" not in html


@pytest.mark.redis
def test_sending_without_the_send_permission_is_refused_and_queues_nothing(
    client, admin_world, staff_user, mail_queue, django_capture_on_commit_callbacks
):
    _people, campaign = admin_world
    client.force_login(staff_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(send_url(campaign))

    assert response.status_code == 403
    assert not RecoveryMessage.objects.exists()
    assert mail_queue.count == 0
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


@pytest.mark.redis
def test_sending_with_the_permission_queues_the_messages_and_progress_is_json(
    client, admin_world, staff_user, mail_queue, django_capture_on_commit_callbacks
):
    people, campaign = admin_world
    may_send(staff_user)
    client.force_login(staff_user)
    assert "Send now" in client.get(change_url(campaign)).text

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(send_url(campaign))

    assert response.status_code == 302 and response.url == change_url(campaign)
    assert set(campaign.messages.values_list("customer_id", flat=True)) == {p.pk for p in people}
    assert mail_queue.count == 1  # one batch
    assert mail_queue.jobs[0].func_name == "recovery.campaigns.send_batch"
    assert sorted(mail_queue.jobs[0].args[0]) == campaign_rows(campaign)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING

    response = client.get(progress_url(campaign))
    assert response.status_code == 200
    assert response.json() == {"queued": 3, "sent": 0, "failed": 0,
        "delivered": 0, "undeliverable": 0, "skipped": 0, "total": 3,
                               "status": "sending"}  # fmt: skip

    send_batch(mail_queue.jobs[0].args[0])  # what the worker does
    assert client.get(progress_url(campaign)).json() == {
        "queued": 0,
        "sent": 2,
        "delivered": 0,
        "undeliverable": 0,
        "failed": 0,
        "skipped": 1,
        "total": 3,
        "status": "done",
    }
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people[:2])


def test_the_progress_endpoint_needs_the_view_permission_on_newsletters(
    client, admin_world, django_user_model
):
    _people, campaign = admin_world
    other_staff = django_user_model.objects.create_user("packer", "packer@example.com", "secret",
                                                        is_staff=True)  # fmt: skip
    client.force_login(other_staff)

    assert client.get(change_url(campaign)).status_code == 403
    assert client.get(progress_url(campaign)).status_code == 403


CUSTOMERS = "/admin/shop/customer/"


def actions_offered(client) -> set[str]:
    response = client.get(CUSTOMERS)
    assert response.status_code == 200
    form = response.context["action_form"]  # None when no action is offered
    return {name for name, _label in form.fields["action"].choices} if form else set()


def test_the_customer_list_action_makes_a_draft_for_the_selected_customers(
    client, admin_world, staff_user
):
    people, _campaign = admin_world
    may_send(staff_user)
    client.force_login(staff_user)
    assert "newsletter_to_selected" in actions_offered(client)
    selected = [people[0].pk, people[2].pk]

    response = client.post(CUSTOMERS, {"action": "newsletter_to_selected",
                                       "_selected_action": selected})  # fmt: skip

    draft = Campaign.objects.exclude(name="Come back").get()
    assert response.status_code == 302 and response.url == change_url(draft)
    assert sorted(draft.customer_ids) == sorted(selected)
    assert draft.status == CampaignStatus.DRAFT
    assert draft.created_by == "clerk"
    assert audience_of(draft) == set(selected)
    assert not RecoveryMessage.objects.exists(), "a draft: nothing is sent yet"


def test_the_customer_list_action_needs_the_send_permission(client, admin_world, staff_user):
    people, _campaign = admin_world
    client.force_login(staff_user)

    assert "newsletter_to_selected" not in actions_offered(client)
    client.post(CUSTOMERS, {"action": "newsletter_to_selected",
                            "_selected_action": [people[0].pk]})  # fmt: skip
    assert Campaign.objects.count() == 1, "no draft was made"
