"""A cart saved from two tabs at once, an answer sent twice at once: one guest, one mail, one
answer. Real threads, each with its own connection, on PostgreSQL (SQLite serialises every
write anyway, so these prove nothing there)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from cart.models import CartStatus
from cart.services import Activity
from recovery.capture import save_cart_by_email
from recovery.feedback import read_link, record_leave_feedback
from recovery.links import feedback_token
from recovery.models import LeaveFeedback, RecoveryMessage
from recovery.outbox import queue_message
from shop.models import Customer
from tests import factories
from tests.test_cart_concurrency import THREADS, run_at_once

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row-lock concurrency is only meaningful on PostgreSQL (set DATABASE_URL)",
    ),
    pytest.mark.django_db(transaction=True),
]


def test_a_cart_saved_from_many_tabs_at_once_has_one_guest_and_one_mail(cart_world, mail_queue):
    w = cart_world
    cart = w.cart(w.eu, "DE", (w.shirt_m, 1), language="de")
    activity = Activity(locale=w.locale(w.eu, "DE", language="de"), device="phone")
    results = []

    def submit():
        results.append(save_cart_by_email(cart=cart, email="lena@example.com",
                                          marketing_consent=True, activity=activity))  # fmt: skip

    errors = run_at_once(*[submit] * THREADS)

    assert errors == []
    assert Customer.objects.filter(email__iexact="lena@example.com").count() == 1
    assert RecoveryMessage.objects.filter(cart=cart).count() == 1
    assert sum(result.created for result in results) == 1
    assert mail_queue.count == 1  # one job queued after the one commit that wrote the row


def test_one_answer_sent_many_times_at_once_is_one_row(cart_world):
    w = cart_world
    customer = factories.CustomerFactory(email="joao@example.com", language="pt-br")
    cart = w.cart(w.eu, "DE", (w.shirt_m, 1), customer=customer, status=CartStatus.ABANDONED,
                  abandoned_at=timezone.now() - timedelta(hours=3))  # fmt: skip
    message = queue_message(key="t:1", cart=cart, channel="email", subject="s", body="b")
    token = feedback_token(message)
    reasons = ["price", "shipping_cost"] * (THREADS // 2)

    errors = run_at_once(*[
        (lambda reason=reason: record_leave_feedback(link=read_link(token), reason=reason,
                                                     language="pt-br"))
        for reason in reasons
    ])  # fmt: skip

    assert errors == []
    feedback = LeaveFeedback.objects.get()
    assert feedback.reason in {"price", "shipping_cost"}
    assert feedback.abandoned_at == cart.abandoned_at
