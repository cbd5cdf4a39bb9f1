"""Automated recovery flows (``recovery.flows``) end to end over simulated days (time-machine):
the every-minute job writes each step's outbox rows when due, a real RQ worker on a real Redis
sends them, and what must not leave does not: nothing after an order, nothing in the quiet hours
(the SMS waits for the customer's morning), nothing over the frequency cap, nothing for the
control group, the incentive on its own step only. Then the scheduler's cost (queries constant
in the number of carts), overlapping runs, a worker killed mid-step, unsubscribing from one
channel, and the admin pages.

Runs on SQLite and, with ``DATABASE_URL``, on PostgreSQL (the concurrent runs need it).
"""

from __future__ import annotations

import json
import os
import signal
import threading
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rq import SimpleWorker

from cart.models import Cart, CartStatus, Voucher
from recovery import flows
from recovery.flow_selectors import step_counts
from recovery.flows import end_test, run_flows, set_flow_active
from recovery.links import UNSUBSCRIBE_SALT, sign
from recovery.models import (
    Channel,
    Flow,
    FlowEnrollment,
    FlowStep,
    FlowStepText,
    FlowStepVariant,
    MessageStatus,
    RecoveryMessage,
    SkipReason,
)
from recovery.outbox import requeue_stale_messages
from recovery.quiet_hours import next_allowed, zone_for
from recovery.sending import send_messages
from recovery.variants import in_holdout
from shop import consent
from shop.models import Customer
from tests import factories
from tests.campaign_world import mails_per_recipient, order_since
from tests.recovery_world import abandoned_cart
from tests.smtp_server import LoopbackSMTPServer
from tests.test_recovery_campaigns import (
    database_url_for_a_worker,
    start_rqworker,
    take_back_the_worker_s_database,
)

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

# A Monday in March: Berlin is UTC+1, so 10:00 UTC is 11:00 there.
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
ENGLISH = {
    1: ("Your cart is waiting, {first_name}", "Hello {first_name},\n{cart_items}\n{restore_link}"),
    2: ("", "{first_name}, your cart is still here: {restore_link}"),
    3: ("10 % off your cart", "Use {voucher_code} for 10 % off: {restore_link}"),
}
GERMAN = {
    1: ("Dein Warenkorb wartet, {first_name}", "Hallo {first_name},\n{cart_items}"),
    2: ("", "{first_name}, dein Warenkorb: {restore_link}"),
    3: ("10 % auf deinen Warenkorb", "Mit {voucher_code} 10 % sparen: {restore_link}"),
}


# --- the world ---------------------------------------------------------------------------------


@pytest.fixture
def world(cart_world, settings, tmp_path):
    settings.SHOP_BASE_URL = "https://shop.example"
    settings.DEFAULT_FROM_EMAIL = "shop@example.com"
    settings.VAR_DIR = tmp_path / "var"
    settings.RECOVERY_CAP_MESSAGES, settings.RECOVERY_CAP_DAYS = 3, 7
    market = cart_world.eu
    market.quiet_hours_start, market.quiet_hours_end = time(21), time(9)
    market.save()
    return cart_world


def shopper(email: str = "erika@example.com", **fields) -> Customer:
    """A German customer who said yes to e-mail and SMS."""
    return factories.CustomerFactory(**{
        "email": email, "first_name": "Erika", "language": "en", "country": "DE",
        "phone": "+4915112345678", "marketing_consent": True, "sms_consent": True, **fields,
    })  # fmt: skip


def flow_of(market, *, holdout: int = 0, steps=((1, Channel.EMAIL), (24, Channel.SMS),
                                                (72, Channel.EMAIL))) -> Flow:  # fmt: skip
    """E-mail after 1 h, SMS after 24 h, e-mail with 10 % after 72 h (the last step's
    incentive), switched on before ``T0``."""
    flow = Flow.objects.create(name="Cart reminder", holdout_percent=holdout)
    flow.markets.add(market)
    for position, (hours, channel) in enumerate(steps, start=1):
        step = FlowStep.objects.create(flow=flow, position=position, channel=channel,
                                       delay=timedelta(hours=hours))
        last = position == len(steps)
        variant = FlowStepVariant.objects.create(
            step=step, label="A", incentive_kind="percentage" if last else "",
            incentive_percentage=Decimal("10") if last else None, incentive_days=7,
        )  # fmt: skip
        for language, texts in (("en", ENGLISH), ("de", GERMAN)):
            subject, body = texts[min(position, 3) if not last else 3]
            FlowStepText.objects.create(variant=variant, language=language, subject=subject,
                                        body=body)  # fmt: skip
    with time_machine.travel(T0 - timedelta(days=1), tick=False):
        set_flow_active(flow=flow, active=True)
    return flow


def cart_of(world, customer: Customer, abandoned_at: datetime = T0) -> Cart:
    return abandoned_cart(world.eu, abandoned_at, (world.shirt_m, 1, "20.00"), customer=customer)


def at(moment: datetime, mail_queue) -> None:
    """What the every-minute job and a worker do at ``moment``."""
    with time_machine.travel(moment, tick=False):
        run_flows()
        SimpleWorker([mail_queue], connection=mail_queue.connection).work(burst=True)


def sms_sent(settings) -> list[dict]:
    path = settings.VAR_DIR / "sms.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def rows(**filters) -> list[RecoveryMessage]:
    return list(RecoveryMessage.objects.filter(**filters).order_by("flow_step__position", "pk"))


# --- 1. the three steps over simulated days ------------------------------------------------------


def test_three_steps_arrive_at_their_times_and_only_the_last_carries_the_voucher(
    world, mail_queue, settings
):
    flow_of(world.eu)
    cart = cart_of(world, shopper())

    at(T0 + 59 * timedelta(minutes=1), mail_queue)
    assert mail.outbox == [] and not RecoveryMessage.objects.exists()

    at(T0 + HOUR + timedelta(minutes=1), mail_queue)
    assert [m.subject for m in mail.outbox] == ["Your cart is waiting, Erika"]
    assert "1 × " in mail.outbox[0].body and "https://shop.example/" in mail.outbox[0].body

    at(T0 + 23 * HOUR, mail_queue)
    assert sms_sent(settings) == [] and len(mail.outbox) == 1

    at(T0 + 24 * HOUR + timedelta(minutes=1), mail_queue)  # 11:01 in Berlin
    sms = sms_sent(settings)
    assert [s["to"] for s in sms] == ["+4915112345678"]
    assert sms[0]["text"].startswith("Erika, your cart is still here: https://shop.example/")

    at(T0 + 71 * HOUR, mail_queue)
    assert len(mail.outbox) == 1

    at(T0 + 72 * HOUR + timedelta(minutes=1), mail_queue)
    assert [m.subject for m in mail.outbox] == ["Your cart is waiting, Erika",
                                                "10 % off your cart"]  # fmt: skip
    sent = rows(cart=cart)
    assert [(m.flow_step.position, m.status, m.variant) for m in sent] == [
        (1, "sent", "A"), (2, "sent", "A"), (3, "sent", "A")]  # fmt: skip
    assert [m.voucher_id is not None for m in sent] == [False, False, True], (
        "the incentive arrives on its own step only"
    )
    voucher = sent[2].voucher
    assert voucher.code in mail.outbox[1].body and voucher.code not in mail.outbox[0].body
    assert (voucher.kind, voucher.percentage, voucher.usage_limit, voucher.customer_id) == (
        "percentage", Decimal("10.00"), 1, cart.customer_id)  # fmt: skip

    at(T0 + 80 * HOUR, mail_queue)
    assert len(mail.outbox) == 2 and len(sms_sent(settings)) == 1, "each step once"


def test_german_customers_get_the_german_text_and_others_the_fallback(world, mail_queue):
    flow_of(world.eu, steps=((1, Channel.EMAIL),))
    cart_of(world, shopper("de@example.com", language="de"))
    cart_of(world, shopper("ja@example.com", language="ja"))

    at(T0 + 2 * HOUR, mail_queue)

    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects == {"de@example.com": "10 % auf deinen Warenkorb",
                        "ja@example.com": "10 % off your cart"}  # fmt: skip
    assert dict(RecoveryMessage.objects.values_list("customer__email", "language")) == {
        "de@example.com": "de", "ja@example.com": "en"}  # fmt: skip


# --- 2. stops ---------------------------------------------------------------------------------


def test_nothing_leaves_after_an_order(world, mail_queue, settings):
    flow = flow_of(world.eu)
    cart = cart_of(world, shopper())
    at(T0 + 2 * HOUR, mail_queue)
    assert len(mail.outbox) == 1

    order_since(cart, placed_at=T0 + 3 * HOUR)
    Cart.objects.filter(pk=cart.pk).update(status=CartStatus.CONVERTED)
    for hours in (25, 49, 73, 100):
        at(T0 + hours * HOUR, mail_queue)

    assert len(mail.outbox) == 1 and sms_sent(settings) == []
    enrollment = FlowEnrollment.objects.get(flow=flow)
    assert enrollment.stop_reason == SkipReason.ORDERED and enrollment.order is not None
    assert [m.flow_step.position for m in rows()] == [1], "no row for the later steps"


def test_a_queued_message_checks_the_order_again_right_before_it_leaves(world, mail_queue):
    flow_of(world.eu, steps=((1, Channel.EMAIL),))
    cart = cart_of(world, shopper())
    with time_machine.travel(T0 + 2 * HOUR, tick=False):
        run_flows()  # written and queued; the worker has not run yet
        order_since(cart, placed_at=T0 + 2 * HOUR)
        SimpleWorker([mail_queue], connection=mail_queue.connection).work(burst=True)

    assert mail.outbox == []
    assert [(m.status, m.skip_reason) for m in rows()] == [("skipped", "ordered")]


def test_a_shopper_who_comes_back_stops_the_flow_and_a_new_abandonment_starts_over(
    world, mail_queue
):
    flow = flow_of(world.eu)
    cart = cart_of(world, shopper())
    at(T0 + 2 * HOUR, mail_queue)
    # Back on day 2 (a cart write makes it active), abandoned again an hour later.
    Cart.objects.filter(pk=cart.pk).update(status=CartStatus.ACTIVE,
                                           last_activity_at=T0 + 29 * HOUR)  # fmt: skip
    at(T0 + 30 * HOUR, mail_queue)
    again = T0 + 31 * HOUR
    Cart.objects.filter(pk=cart.pk).update(status=CartStatus.ABANDONED, abandoned_at=again)
    at(again + 2 * HOUR, mail_queue)

    enrollments = list(FlowEnrollment.objects.filter(flow=flow).order_by("abandoned_at"))
    assert [(e.abandoned_at, e.stop_reason) for e in enrollments] == [
        (T0, SkipReason.CART_CHANGED), (again, "")]  # fmt: skip
    assert [(m.flow_step.position, m.enrollment_id) for m in rows()] == [
        (1, enrollments[0].pk), (1, enrollments[1].pk)], "step 1 again, step 2 never for the first"
    assert len(mail.outbox) == 2


def test_switching_the_flow_off_stops_it_and_skips_what_was_queued(world, mail_queue):
    flow = flow_of(world.eu)
    cart_of(world, shopper())
    with time_machine.travel(T0 + 2 * HOUR, tick=False):
        run_flows()
        set_flow_active(flow=flow, active=False)
        SimpleWorker([mail_queue], connection=mail_queue.connection).work(burst=True)
    at(T0 + 30 * HOUR, mail_queue)

    assert mail.outbox == []
    assert [(m.status, m.skip_reason) for m in rows()] == [("skipped", "flow_off")]
    assert FlowEnrollment.objects.get().stop_reason == SkipReason.FLOW_OFF


# --- 3. consent per channel --------------------------------------------------------------------


def unsubscribe_link(message: RecoveryMessage) -> str:
    token = sign({"m": message.pk, "u": message.customer_id}, UNSUBSCRIBE_SALT)
    return reverse("recovery:unsubscribe", kwargs={"token": token})


def test_unsubscribing_from_sms_only_keeps_the_e_mails(world, mail_queue, settings, client):
    flow_of(world.eu, steps=((1, Channel.SMS), (24, Channel.EMAIL), (48, Channel.SMS)))
    customer = shopper()
    cart_of(world, customer)
    at(T0 + 2 * HOUR, mail_queue)
    assert len(sms_sent(settings)) == 1

    page = client.get(unsubscribe_link(rows()[0]))
    assert b'value="channel"' in page.content
    client.post(unsubscribe_link(rows()[0]), {"scope": "channel"})
    for hours in (25, 49):
        at(T0 + hours * HOUR, mail_queue)

    customer.refresh_from_db()
    assert customer.sms_unsubscribed_at is not None and customer.unsubscribed_at is None
    assert len(mail.outbox) == 1 and len(sms_sent(settings)) == 1
    assert [(m.channel, m.status, m.skip_reason) for m in rows()] == [
        ("sms", "sent", ""), ("email", "sent", ""), ("sms", "skipped", "unsubscribed")]  # fmt: skip


def test_unsubscribing_from_everything_stops_the_flow(world, mail_queue, client):
    flow_of(world.eu)
    customer = shopper()
    cart_of(world, customer)
    at(T0 + 2 * HOUR, mail_queue)

    client.post(unsubscribe_link(rows()[0]), {"List-Unsubscribe": "One-Click"})  # RFC 8058
    for hours in (25, 73):
        at(T0 + hours * HOUR, mail_queue)

    customer.refresh_from_db()
    assert customer.unsubscribed_at is not None
    assert len(mail.outbox) == 1 and len(rows()) == 1
    assert FlowEnrollment.objects.get().stop_reason == SkipReason.UNSUBSCRIBED


def test_whatsapp_needs_its_own_yes_and_an_explicit_no_is_honoured_everywhere(world):
    yes_to_all = shopper(whatsapp_consent=None)
    reason = consent.skip_reason_for(yes_to_all, consent.WHATSAPP, world.us, country="US")
    assert reason == consent.NO_CONSENT, "never asked about WhatsApp: not sent, in any market"
    yes_to_all.whatsapp_consent = True
    assert consent.skip_reason_for(yes_to_all, consent.WHATSAPP, world.eu) is None
    no_email = shopper("no@example.com", marketing_consent=False)
    assert consent.skip_reason_for(no_email, consent.EMAIL, world.us) == consent.NO_CONSENT
    yes_to_all.email_unsubscribed_at = T0
    assert consent.skip_reason_for(yes_to_all, consent.EMAIL, world.eu) == consent.UNSUBSCRIBED
    assert consent.skip_reason_for(yes_to_all, consent.SMS, world.eu) is None


# --- 4. quiet hours ----------------------------------------------------------------------------


def test_an_sms_due_at_night_waits_for_the_customer_s_morning(world, mail_queue, settings):
    flow_of(world.eu, steps=((1, Channel.EMAIL), (24, Channel.SMS)))
    evening = datetime(2026, 3, 2, 20, 30, tzinfo=UTC)  # 21:30 in Berlin
    cart_of(world, shopper(), abandoned_at=evening)

    at(evening + 2 * HOUR, mail_queue)
    assert len(mail.outbox) == 1, "e-mail has no quiet hours"
    at(evening + 24 * HOUR + timedelta(minutes=1), mail_queue)  # due: 21:31 in Berlin
    at(datetime(2026, 3, 4, 3, 0, tzinfo=UTC), mail_queue)  # 04:00 in Berlin
    at(datetime(2026, 3, 4, 7, 59, tzinfo=UTC), mail_queue)  # 08:59 in Berlin
    assert sms_sent(settings) == []
    sms_row = rows(channel="sms")[0]
    assert (sms_row.status, sms_row.not_before) == (
        "queued", datetime(2026, 3, 4, 8, 0, tzinfo=UTC))  # fmt: skip

    at(datetime(2026, 3, 4, 8, 1, tzinfo=UTC), mail_queue)  # 09:01 in Berlin

    assert [s["at"][:16] for s in sms_sent(settings)] == ["2026-03-04T08:01"]
    assert RecoveryMessage.objects.get(pk=sms_row.pk).status == MessageStatus.SENT


def test_a_queued_sms_that_reaches_a_worker_at_night_goes_back_to_wait(world, mail_queue,
                                                                        settings):  # fmt: skip
    """Written in the evening (a backlog, a retry): the worker checks the clock again."""
    flow_of(world.eu, steps=((1, Channel.SMS),))
    cart_of(world, shopper(), abandoned_at=datetime(2026, 3, 2, 18, 0, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 3, 2, 19, 59, tzinfo=UTC), tick=False):
        run_flows()  # 20:59 in Berlin: written and queued
    at(datetime(2026, 3, 2, 20, 1, tzinfo=UTC), mail_queue)  # the worker runs at 21:01 there

    assert sms_sent(settings) == []
    row = rows()[0]
    assert (row.status, row.job_id, row.not_before) == (
        "queued", "", datetime(2026, 3, 3, 8, 0, tzinfo=UTC))  # fmt: skip
    with time_machine.travel(datetime(2026, 3, 3, 7, 0, tzinfo=UTC), tick=False):
        assert requeue_stale_messages(older_than_minutes=0) == 0, "not before the morning"
    at(datetime(2026, 3, 3, 8, 5, tzinfo=UTC), mail_queue)
    assert len(sms_sent(settings)) == 1


def test_quiet_hours_across_midnight_and_the_customer_s_zone():
    berlin = zone_for("DE")
    assert next_allowed(datetime(2026, 3, 2, 19, 59, tzinfo=UTC), berlin, time(21),
                        time(9)) is None  # fmt: skip
    assert next_allowed(datetime(2026, 3, 2, 20, 0, tzinfo=UTC), berlin, time(21),
                        time(9)) == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # fmt: skip
    assert next_allowed(datetime(2026, 3, 3, 2, 0, tzinfo=UTC), berlin, time(21),
                        time(9)) == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # fmt: skip
    assert next_allowed(datetime(2026, 3, 3, 2, 0, tzinfo=UTC), berlin, None, None) is None
    assert str(zone_for("US", region="CA")) == "America/Los_Angeles"
    assert str(zone_for("US")) == "America/New_York"
    assert str(zone_for("", "Asia/Tokyo")) == "Asia/Tokyo"


# --- 5. frequency cap and incentives -----------------------------------------------------------


def test_the_cap_counts_newsletters_and_staff_s_messages_and_records_the_skip(world, mail_queue):
    flow_of(world.eu)
    customer = shopper()
    cart = cart_of(world, customer)
    for n in range(2):  # a newsletter and a message from staff this week
        RecoveryMessage.objects.create(
            key=f"earlier:{n}", customer=customer, cart=cart, channel="email", language="en",
            body="Hi", status=MessageStatus.SENT, sent_at=T0 - n * 24 * HOUR,
        )  # fmt: skip

    for hours in (2, 25, 73):
        at(T0 + hours * HOUR, mail_queue)

    assert [(m.flow_step.position, m.status, m.skip_reason) for m in rows(cart=cart,
            flow_step__isnull=False)] == [(1, "sent", ""), (2, "skipped", "capped"),
                                          (3, "skipped", "capped")]  # fmt: skip
    assert Voucher.objects.count() == 0, "a skipped step makes no voucher"


def test_a_message_the_shopper_asked_for_is_neither_capped_nor_counted(world, mail_queue):
    """Saving the cart by e-mail (exit intent) answers the shopper: it leaves even at the cap,
    and it does not use up one of the reminders the cap allows."""
    flow_of(world.eu)
    customer = shopper()
    cart = cart_of(world, customer)
    for n in range(3):  # the cap (3 in 7 days) is reached by this week's messages
        RecoveryMessage.objects.create(
            key=f"earlier:{n}", customer=customer, cart=cart, channel="email", language="en",
            body="Hi", status=MessageStatus.SENT, sent_at=T0 - n * HOUR,
        )  # fmt: skip
    asked = RecoveryMessage.objects.create(
        key="saved-cart:asked", customer=customer, cart=cart, channel="email", language="en",
        subject="Your cart", body="Here it is: {restore_link}", requested=True,
    )  # fmt: skip
    with time_machine.travel(T0 + HOUR, tick=False):
        send_messages([asked.pk])
    asked.refresh_from_db()
    assert asked.status == MessageStatus.SENT

    # One of the three leaves the window: two reminders this week, plus the requested mail,
    # would be three (capped) if the requested mail counted.
    RecoveryMessage.objects.filter(key="earlier:0").update(sent_at=T0 - 8 * 24 * HOUR)
    at(T0 + 2 * HOUR, mail_queue)
    assert [(m.flow_step.position, m.status) for m in rows(cart=cart, flow_step__isnull=False)
            ] == [(1, "sent")], "the requested mail did not count against the flow's first step"


def test_a_later_step_never_repeats_an_incentive_given_for_the_cart(world, mail_queue):
    flow = flow_of(world.eu, steps=((1, Channel.EMAIL), (24, Channel.EMAIL)))
    first = FlowStepVariant.objects.get(step__flow=flow, step__position=1)
    first.incentive_kind, first.incentive_percentage = "percentage", Decimal("10")
    first.save()
    cart_of(world, shopper())

    for hours in (2, 25):
        at(T0 + hours * HOUR, mail_queue)

    sent = rows()
    assert [m.status for m in sent] == ["sent", "sent"]
    assert Voucher.objects.count() == 1, "the second step names the first step's voucher again"
    assert sent[0].voucher_id == sent[1].voucher_id


def test_a_fixed_amount_is_given_in_the_cart_s_currency(world, mail_queue):
    flow = flow_of(world.eu, steps=((1, Channel.EMAIL),))
    FlowStepVariant.objects.filter(step__flow=flow).update(
        incentive_kind="fixed", incentive_percentage=None,
        incentive_amounts={"EUR": "5.00", "BRL": "25.00"})  # fmt: skip
    cart_of(world, shopper())
    at(T0 + 2 * HOUR, mail_queue)

    voucher = rows()[0].voucher
    assert voucher.kind == "fixed"
    assert list(voucher.currencies.values_list("currency", "amount_off")) == [
        ("EUR", Decimal("5.000"))]  # fmt: skip


# --- 6. control group and A/B variants ---------------------------------------------------------


def test_the_control_group_gets_nothing_and_is_counted_per_step(world, mail_queue):
    flow = flow_of(world.eu, holdout=50, steps=((1, Channel.EMAIL), (24, Channel.EMAIL)))
    customers = [shopper(f"c{n}@example.com") for n in range(12)]
    for customer in customers:
        cart_of(world, customer)
    held = {c.email for c in customers
            if in_holdout(customer_id=c.pk, flow_id=flow.pk, percent=50)}  # fmt: skip
    assert 0 < len(held) < 12

    for hours in (2, 25):
        at(T0 + hours * HOUR, mail_queue)

    received = Counter(m.to[0] for m in mail.outbox)
    assert set(received) == {c.email for c in customers} - held
    assert set(received.values()) == {2}
    assert set(FlowEnrollment.objects.filter(holdout=True).values_list(
        "customer__email", flat=True)) == held  # fmt: skip
    counts = step_counts(flow)
    for step in flow.steps.all():
        assert counts[step.pk]["skipped"] == {"holdout": len(held)}
        assert counts[step.pk]["sent"] == 12 - len(held)


def test_ending_an_a_b_test_keeps_the_winner_only(world, mail_queue):
    flow = flow_of(world.eu, steps=((1, Channel.EMAIL),))
    step = flow.steps.get()
    b = FlowStepVariant.objects.create(step=step, label="B", weight=1)
    FlowStepText.objects.create(variant=b, language="en", subject="B subject", body="B body")
    customers = [shopper(f"ab{n}@example.com") for n in range(16)]
    for customer in customers[:8]:
        cart_of(world, customer)
    at(T0 + 2 * HOUR, mail_queue)
    assert {m.variant for m in rows()} == {"A", "B"}

    end_test(step=step, winner_label="B")
    for customer in customers[8:]:
        cart_of(world, customer, abandoned_at=T0 + 3 * HOUR)
    at(T0 + 5 * HOUR, mail_queue)

    assert {m.variant for m in rows(created_at__gt=T0 + 4 * HOUR)} == {"B"}
    with pytest.raises(ValueError):
        end_test(step=step, winner_label="Z")


# --- 7. the scheduler: set-based, once, never lost ---------------------------------------------


def scheduler_queries(world, mail_queue, carts: int, first: int) -> int:
    for n in range(carts):
        cart_of(world, shopper(f"q{first + n}@example.com"), abandoned_at=T0)
    with time_machine.travel(T0 + 3 * HOUR + HOUR / 2, tick=False), \
            CaptureQueriesContext(connection) as queries:  # fmt: skip
        result = run_flows()
    assert (result.enrolled, result.written, result.queued) == (carts, 3 * carts, 3 * carts)
    return len(queries)


def test_the_scheduler_s_queries_do_not_grow_with_the_number_of_carts(world, mail_queue):
    flow_of(world.eu, steps=((1, Channel.EMAIL), (2, Channel.SMS), (3, Channel.EMAIL)))
    run_flows()  # warm-up (content types, the markets' table)
    few = scheduler_queries(world, mail_queue, 3, 0)
    RecoveryMessage.objects.all().delete()
    FlowEnrollment.objects.all().delete()
    Cart.objects.all().delete()
    FlowStep.objects.update(written_until=None)  # as new: the same minute again
    many = scheduler_queries(world, mail_queue, 40, 100)
    assert few == many, "one query per step finds its due carts, whatever their number"
    print(f"\nflow scheduler ({connection.vendor}): {many} queries for 3 or 40 carts")  # noqa: T201


def test_two_runs_at_once_write_and_queue_each_message_once(world, mail_queue):
    flow_of(world.eu, steps=((1, Channel.EMAIL),))
    for n in range(30):
        cart_of(world, shopper(f"twice{n}@example.com"))
    with time_machine.travel(T0 + 2 * HOUR, tick=False):
        run_flows()
        run_flows()
    assert RecoveryMessage.objects.count() == 30 and mail_queue.count == 1
    SimpleWorker([mail_queue], connection=mail_queue.connection).work(burst=True)
    assert sorted(Counter(m.to[0] for m in mail.outbox).values()) == [1] * 30


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_on_postgresql_write_each_message_once(world, mail_queue):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    flow_of(world.eu, steps=((1, Channel.EMAIL), (24, Channel.EMAIL)))
    for n in range(60):
        cart_of(world, shopper(f"race{n}@example.com"))
    barrier, errors = threading.Barrier(4), []

    def run() -> None:
        try:
            barrier.wait()
            run_flows()
        except Exception as error:  # noqa: BLE001  (reported below)
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    with time_machine.travel(T0 + 24 * HOUR + HOUR / 2, tick=False):  # both steps due
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert FlowEnrollment.objects.count() == 60
    assert RecoveryMessage.objects.count() == 120
    jobs = Counter(RecoveryMessage.objects.values_list("job_id", flat=True))
    assert "" not in jobs and sum(jobs.values()) == 120
    SimpleWorker([mail_queue], connection=mail_queue.connection).work(burst=True)
    assert sorted(Counter(m.to[0] for m in mail.outbox).values()) == [2] * 60


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_during_a_step_then_restarted_sends_each_message_once(
    world, mail_queue, redis_url, tmp_path, monkeypatch, settings
):
    """A real ``rqworker`` process is killed (SIGKILL) while the SMTP server holds step 1's
    25th mail of 60; the cron's requeue and a fresh worker send the rest. At least once only
    for the mail in flight: at most one customer gets step 1 twice, nobody else."""
    from tests.checkout_world import mail_settings

    flow_of(world.eu, steps=((1, Channel.EMAIL),))
    FlowStep.objects.update(delay=timedelta(minutes=0))
    Flow.objects.update(activated_at=datetime(2020, 1, 1, tzinfo=UTC))
    customers = [shopper(f"kill{n}@example.com") for n in range(60)]
    from django.utils import timezone

    for customer in customers:
        cart_of(world, customer, abandoned_at=timezone.now() - timedelta(minutes=5))
    monkeypatch.setattr(flows, "BATCH_SIZE", 30)
    with LoopbackSMTPServer() as smtp:
        settings.MAILERS = mail_settings(smtp.port)
        assert run_flows().queued == 60
        database_url = database_url_for_a_worker(tmp_path)
        accept, killed = smtp._server.received, []

        def accept_then_kill(received_mail) -> None:  # before the server's "250 OK"
            accept(received_mail)
            if len(smtp.messages) == 25:
                killed.append(received_mail.rcpt_to[0])
                os.killpg(worker.pid, signal.SIGKILL)

        monkeypatch.setattr(smtp._server, "received", accept_then_kill)
        monkeypatch.setattr(smtp._server, "handle_error", lambda *args: None)
        worker = start_rqworker(database_url, redis_url, smtp.port, tmp_path)
        try:
            worker.wait(90)
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
        assert killed and worker.returncode == -signal.SIGKILL, (
            (tmp_path / "worker.log").read_text())  # fmt: skip
        take_back_the_worker_s_database(database_url)
        monkeypatch.setattr(smtp._server, "received", accept)
        assert RecoveryMessage.objects.filter(status="queued").count() == 60 - 24

        run_flows()  # the next minute's run writes nothing twice
        requeue_stale_messages(older_than_minutes=0)
        SimpleWorker([mail_queue], connection=mail_queue.connection).work(burst=True)

        received = mails_per_recipient(smtp.messages)
    twice = sorted(email for email, n in received.items() if n > 1)
    assert set(received) == {c.email for c in customers}
    assert twice == [] or twice == killed, "only the mail in flight at the kill may come twice"
    assert RecoveryMessage.objects.count() == 60
    assert RecoveryMessage.objects.filter(status="sent").count() == 60
    print(f"\nkilled flow worker ({connection.vendor}): in flight {killed}, twice: "  # noqa: T201
          f"{twice or 'nobody'}")


# --- 8. the admin ------------------------------------------------------------------------------


@pytest.fixture
def staff(django_user_model):
    user = django_user_model.objects.create_user("flows", "flows@example.com", "secret",
                                                 is_staff=True)  # fmt: skip
    user.user_permissions.add(*Permission.objects.filter(codename__in=[
        "view_flow", "change_flow", "view_flowstep", "change_flowstep", "view_flowstepvariant"]))
    return user


def test_the_flow_page_shows_each_step_s_counts_and_the_step_page_a_preview(
    world, mail_queue, client, staff
):
    flow = flow_of(world.eu, steps=((1, Channel.EMAIL), (24, Channel.SMS)))
    cart_of(world, shopper())
    cart_of(world, shopper("other@example.com", marketing_consent=False))
    at(T0 + 2 * HOUR, mail_queue)
    client.force_login(staff)

    with time_machine.travel(T0 + 3 * HOUR, tick=False):
        page = client.get(reverse("admin:recovery_flow_change", args=[flow.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-count="sent">1<' in html and "No marketing consent 1" in html
    assert 'data-count="waiting">2<' in html, "both carts wait for the SMS step"

    step = flow.steps.get(position=1)
    with time_machine.travel(T0 + 3 * HOUR, tick=False):
        page = client.get(reverse("admin:recovery_flowstep_change", args=[step.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "Your cart is waiting, Erika" in html
    assert "Dein Warenkorb wartet" in html


def test_ending_a_test_from_the_admin_needs_the_permission(world, client, staff):
    flow = flow_of(world.eu, steps=((1, Channel.EMAIL),))
    step = flow.steps.get()
    FlowStepVariant.objects.create(step=step, label="B")
    url = reverse("admin:recovery_flowstep_end_test", args=[step.pk])
    client.force_login(staff)
    assert client.post(url, {"winner": "B"}).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="change_flowstepvariant"))
    staff = type(staff).objects.get(pk=staff.pk)
    client.force_login(staff)
    client.post(url, {"winner": "B"})
    assert list(step.variants.filter(active=True).values_list("label", flat=True)) == ["B"]
    response = client.post(url, {"winner": "nope"}, follow=True)
    assert response.status_code == 200 and "has no variant" in response.content.decode()


def test_switching_a_flow_on_in_the_admin_dates_it(world, client, staff):
    flow = Flow.objects.create(name="New")
    client.force_login(staff)
    client.post(reverse("admin:recovery_flow_change", args=[flow.pk]), {
        "name": "New", "active": "on", "holdout_percent": "0",
        "steps-TOTAL_FORMS": "0", "steps-INITIAL_FORMS": "0",
    })  # fmt: skip
    flow.refresh_from_db()
    assert flow.active and flow.activated_at is not None


# --- 9. the demo -------------------------------------------------------------------------------


def test_the_demo_has_a_flow_per_market_with_sms_or_whatsapp_where_the_market_uses_them(db):
    from io import StringIO

    from django.conf import settings
    from django.core.management import call_command

    from shop.models import Market

    call_command("load_demo", stdout=StringIO())
    call_command("load_demo", stdout=StringIO())  # twice: nothing new

    flows_by_market = {flow.markets.get().code: flow for flow in Flow.objects.all()}
    assert set(flows_by_market) == set(Market.objects.filter(active=True)
                                       .values_list("code", flat=True))  # fmt: skip
    shape = {code: [(s.delay, s.channel, s.variants.get().incentive_kind)
                    for s in flow.steps.order_by("position")]
             for code, flow in flows_by_market.items()}  # fmt: skip
    assert shape["brazil"] == [(HOUR, "email", ""), (24 * HOUR, "whatsapp", ""),
                               (72 * HOUR, "email", "percentage")]  # fmt: skip
    assert shape["united-states"][1][1] == "sms"
    assert [channel for _, channel, _ in shape["germany-austria"]] == ["email", "email"]
    assert all(flow.active and flow.activated_at for flow in flows_by_market.values())
    languages = {code for code, _ in settings.LANGUAGES}
    for variant in FlowStepVariant.objects.all():
        assert set(variant.texts.values_list("language", flat=True)) == languages
        bodies = variant.texts.values_list("body", flat=True)
        assert all("{restore_link}" in body for body in bodies)


def test_a_step_missed_while_the_job_was_down_goes_out_unless_more_than_a_day_late(
    world, mail_queue
):
    flow_of(world.eu, steps=((1, Channel.EMAIL),))
    Flow.objects.update(activated_at=T0 - timedelta(days=3))
    cart_of(world, shopper("late@example.com"))
    cart_of(world, shopper("later@example.com"), abandoned_at=T0 - 30 * HOUR)  # due 29 h ago
    at(T0 + timedelta(minutes=10), mail_queue)  # the last run before the outage
    assert mail.outbox == []

    at(T0 + 5 * HOUR, mail_queue)  # four hours late

    assert [m.to[0] for m in mail.outbox] == ["late@example.com"], (
        "'an hour after you left' more than a day late is not sent"
    )


def test_a_newsletter_skips_a_customer_who_left_e_mail_only(world):
    from recovery.campaigns import recipients
    from tests.campaign_world import newsletter

    left_email = shopper("sms-only@example.com", email_unsubscribed_at=T0)
    cart_of(world, left_email)
    cart_of(world, shopper("both@example.com"))

    skips = {r.customer_id: r.skip for r in recipients(newsletter({"en": ("Hi", "Hello")}))}

    assert skips == {left_email.pk: SkipReason.UNSUBSCRIBED,
                     Customer.objects.get(email="both@example.com").pk: ""}  # fmt: skip


def test_a_market_s_time_zone_must_be_a_known_one(world):
    from django.core.exceptions import ValidationError

    market = world.eu
    market.time_zone = "Europe/Atlantis"
    with pytest.raises(ValidationError) as error:
        market.clean()
    assert "time_zone" in error.value.message_dict
    market.time_zone = "Europe/Berlin"
    market.clean()
