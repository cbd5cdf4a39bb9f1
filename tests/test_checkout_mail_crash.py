"""An order confirmation whose worker is killed while sending (SIGKILL, a real ``rqworker``):
the per-minute cron queues it again once the job's lease in Redis has run out (a minute;
two seconds here), within two minutes of the crash, and only the mail in flight may arrive
twice."""

import os
import signal
import time
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone
from rq import SimpleWorker

from checkout.jobs import send_missing_confirmations
from checkout.links import payment_return_url
from checkout.models import Order
from checkout.services import start_payment
from tests.checkout_world import CheckoutWorld, mail_settings
from tests.smtp_server import LoopbackSMTPServer
from tests.test_recovery_campaigns import (
    database_url_for_a_worker,
    start_rqworker,
    take_back_the_worker_s_database,
)

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(cart_world):
    return CheckoutWorld()


@pytest.fixture
def smtp(settings):
    with LoopbackSMTPServer() as server:
        settings.MAILERS = mail_settings(server.port)
        settings.DEFAULT_FROM_EMAIL = "shop@example.com"
        yield server


def test_a_confirmation_whose_worker_was_killed_is_sent_again_within_two_minutes(
    world, mail_queue, smtp, redis_url, tmp_path, monkeypatch, settings
):
    settings.CONFIRMATION_LEASE_SECONDS = 2
    order = world.place(world.checkout_cart("DE", (world.shirt_m, 1)), "bank_transfer",
                        email="erika@example.com")  # fmt: skip
    start_payment(order=order, return_url=payment_return_url(RequestFactory().get("/"), order))
    assert mail_queue.count == 1
    database_url = database_url_for_a_worker(tmp_path)
    accept = smtp._server.received

    def accept_then_kill_the_worker(received_mail) -> None:  # before the server's "250 OK"
        accept(received_mail)
        os.killpg(worker.pid, signal.SIGKILL)

    monkeypatch.setattr(smtp._server, "received", accept_then_kill_the_worker)
    monkeypatch.setattr(smtp._server, "handle_error", lambda *args: None)
    worker = start_rqworker(database_url, redis_url, smtp.port, tmp_path,
                            CONFIRMATION_LEASE_SECONDS="2")  # fmt: skip
    try:
        worker.wait(90)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    assert worker.returncode == -signal.SIGKILL, (tmp_path / "worker.log").read_text()
    take_back_the_worker_s_database(database_url)
    monkeypatch.setattr(smtp._server, "received", accept)
    assert Order.objects.get(pk=order.pk).confirmation_sent_at is None
    # The order is a few minutes old by the time the cron looks (older than its minute).
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(minutes=3))
    assert send_missing_confirmations() == 0, "its lease is alive: a worker may be on it"

    time.sleep(2.1)
    assert send_missing_confirmations() == 1
    assert send_missing_confirmations() == 0, "queued once, not again while it waits"
    elapsed = time.monotonic() - killed_at
    SimpleWorker([mail_queue], connection=mail_queue.connection).work(burst=True)

    assert elapsed < 120
    assert [m.rcpt_to for m in smtp.messages] == [("erika@example.com",)] * 2, (
        "the mail in flight at the kill, and once more: no other duplicate"
    )
    assert Order.objects.get(pk=order.pk).confirmation_sent_at is not None
    assert send_missing_confirmations() == 0
