"""Events are recorded by the services, through signals, with the cart's locale and device:
one INSERT each; causes where they happen; nothing when recording is off."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.core import signing
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from moneyed import Money

from cart.models import Cart, CartStatus
from cart.pricing import locale_for_cart
from cart.services import Activity, add_line, create_cart
from checkout.models import PaymentStatus
from checkout.services import CheckoutError, TotalChanged, record_payment_status, start_payment
from checkout.views import payment_return_url
from recovery.links import RESTORE_SALT
from recovery.models import LeaveFeedback, MessageStatus, RecoveryMessage
from recovery.reports.models import Cause, Event, EventKind, FailureCategory
from recovery.reports.payment_failures import categorise
from recovery.services import detect_abandoned_carts
from recovery.signals import leave_feedback_given
from tests import factories
from tests.checkout_world import CheckoutWorld

K = EventKind


@pytest.fixture
def world(cart_world):
    return CheckoutWorld()


def events(*kinds):
    queryset = Event.objects.order_by("pk")
    if kinds:
        queryset = queryset.filter(kind__in=kinds)
    return list(queryset)


def use_cart(client, cart) -> None:
    session = client.session
    session[django_settings.CART_SESSION_KEY] = str(cart.token)
    session.save()


def start(order):
    return start_payment(order=order, return_url=payment_return_url(RequestFactory().get("/"),
                                                                    order))  # fmt: skip


def test_a_shoppers_path_records_each_step_with_the_carts_locale_and_device(
    world, client, django_capture_on_commit_callbacks
):
    locale = locale_for_cart(world.checkout_cart("DE"))
    cart = create_cart(activity=Activity(locale=locale, device="mobile"))
    with CaptureQueriesContext(connection) as queries:
        add_line(cart=cart, sku=world.shirt_m.sku, quantity=2,
                 activity=Activity(locale=locale, device="mobile"))  # fmt: skip
    inserts = [q["sql"] for q in queries.captured_queries if "reports_event" in q["sql"]]
    assert len(inserts) == 1 and inserts[0].startswith("INSERT")  # one statement, no read
    use_cart(client, cart)
    assert client.get("/de/cart/?country=DE").status_code == 200
    assert client.get("/de/checkout/?country=DE").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        order = world.place(Cart.objects.get(pk=cart.pk), "card")
    start(order)

    recorded = events()
    assert [e.kind for e in recorded] == [K.CART_CREATED, K.PRODUCT_ADDED, K.CART_VIEWED,
                                          K.CHECKOUT_STARTED, K.ORDER_PLACED,
                                          K.PAYMENT_STARTED]  # fmt: skip
    for event in recorded:
        assert (event.cart_id, event.market_id, event.country, event.currency, event.device) == (
            cart.pk, world.eu.pk, "DE", "EUR", "mobile")
    added = recorded[1]
    assert added.amount == world.checkout_cart("DE", (world.shirt_m, 1)).lines.get() \
        .unit_price_seen.amount * 2  # fmt: skip
    assert added.base_amount == added.amount  # EUR is the base currency
    assert recorded[4].amount == order.total and recorded[4].payment_method == "card"
    assert recorded[5].payment_method == "card" and recorded[5].amount == order.total


def test_a_declined_payment_is_recorded_with_category_code_and_the_carts_device(
    world, django_capture_on_commit_callbacks
):
    cart = world.checkout_cart("DE", (world.shirt_m, 1), device="tablet")
    order = world.place(cart, "card")
    payment, _start = start(order)
    with django_capture_on_commit_callbacks(execute=True):
        record_payment_status(payment=payment, status=PaymentStatus.FAILED,
                              failure_reason="Your card was declined. (card_declined)")
    (failed,) = events(K.PAYMENT_FAILED)
    assert (failed.failure_category, failed.detail, failed.cause, failed.device,
            failed.payment_method, failed.cart_id) == (
        FailureCategory.DECLINED, "card_declined", Cause.PAYMENT_FAILED, "tablet", "card",
        cart.pk)  # fmt: skip
    assert failed.amount == order.total


@pytest.mark.parametrize(("status", "reason", "expected"), [
    ("failed", "Your card was declined. (card_declined)", ("declined", "card_declined")),
    ("failed", "sandbox: failed", ("declined", "failed")),
    ("cancelled", "sandbox: cancelled", ("cancelled", "cancelled")),
    ("cancelled", "Stripe: checkout session expired", ("expired", "expired")),
    ("cancelled", "expired: not paid in time", ("expired", "expired")),
    ("failed", "An error occurred while processing your card. (processing_error)",
     ("provider_error", "processing_error")),
])  # fmt: skip
def test_failures_are_put_in_categories(status, reason, expected):
    assert categorise(status, reason) == expected


def test_a_refused_placement_records_why(world):
    cart = world.checkout_cart("DE", (world.shirt_m, 1))
    pricing = world.quote(cart, "card")
    with pytest.raises(TotalChanged):
        world.place(cart, "card", expected_total=pricing.total.amount + 1)
    world.shirt_m.stock_quantity = 0
    world.shirt_m.save(update_fields=["stock_quantity"])
    with pytest.raises(CheckoutError):
        world.place(cart, "card")
    assert [(e.kind, e.cause, e.detail) for e in events(K.CHECKOUT_REFUSED)] == [
        (K.CHECKOUT_REFUSED, Cause.TOTAL_CHANGED, "total_changed"),
        (K.CHECKOUT_REFUSED, Cause.OUT_OF_STOCK, "out_of_stock"),
    ]


def test_a_price_changed_since_added_is_recorded_when_the_shopper_sees_it(world, client):
    cart = world.checkout_cart("DE")
    factories.CartLineFactory(cart=cart, variant=world.shirt_m, quantity=1,
                              unit_price_seen=Money("1.00", "EUR"))  # much less than today's
    use_cart(client, cart)
    client.get("/de/cart/?country=DE")
    (viewed,) = events(K.CART_VIEWED)
    assert viewed.cause == Cause.PRICE_CHANGED


def test_detection_records_each_abandoned_cart_with_its_value_in_base_currency(world):
    now = timezone.now()
    eur = world.checkout_cart("DE", (world.shirt_m, 2))
    brl = world.checkout_cart("BR", (world.shirt_m, 1))
    Cart.objects.filter(pk__in=[eur.pk, brl.pk]).update(last_activity_at=now - dt.timedelta(days=2))
    detect_abandoned_carts(now=now)
    recorded = {e.cart_id: e for e in events(K.CART_ABANDONED)}
    assert set(recorded) == {eur.pk, brl.pk}
    eur_value = sum(line.quantity * line.unit_price_seen.amount for line in eur.lines.all())
    brl_value = sum(line.quantity * line.unit_price_seen.amount for line in brl.lines.all())
    assert recorded[eur.pk].amount == eur_value == recorded[eur.pk].base_amount
    assert (recorded[brl.pk].currency, recorded[brl.pk].amount) == ("BRL", brl_value)
    assert recorded[brl.pk].base_amount == (brl_value / Decimal("6.193")).quantize(
        Decimal("0.001"))
    detect_abandoned_carts(now=now)  # nothing new: nothing recorded twice
    assert len(events(K.CART_ABANDONED)) == 2


def test_a_restore_link_and_the_order_after_it_record_restored_and_recovered(
    world, client, django_capture_on_commit_callbacks
):
    cart = world.checkout_cart("DE", (world.shirt_m, 1))
    customer = world.customer()
    Cart.objects.filter(pk=cart.pk).update(status=CartStatus.ABANDONED, customer=customer,
                                           abandoned_at=timezone.now(), was_abandoned=True)
    message = RecoveryMessage.objects.create(
        key="manual:1", customer=customer, cart=cart, channel="email", language="de", body="…",
        status=MessageStatus.SENT, sent_at=timezone.now() - dt.timedelta(minutes=5),
    )  # fmt: skip
    token = signing.dumps({"m": message.pk, "c": str(cart.token)}, salt=RESTORE_SALT)
    assert client.get(f"/de/m/r/{token}/").status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        world.place(Cart.objects.get(pk=cart.pk), "card")
    assert [e.kind for e in events(K.CART_RESTORED, K.CART_RECOVERED)] == [
        K.CART_RESTORED, K.CART_RECOVERED]  # fmt: skip


def test_an_abandoned_cart_ordered_without_a_message_is_not_recorded_as_recovered(
    world, django_capture_on_commit_callbacks
):
    cart = world.checkout_cart("DE", (world.shirt_m, 1))
    Cart.objects.filter(pk=cart.pk).update(status=CartStatus.ABANDONED, was_abandoned=True,
                                           abandoned_at=timezone.now())  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        world.place(Cart.objects.get(pk=cart.pk), "card")
    assert events(K.CART_RECOVERED) == []
    assert len(events(K.ORDER_PLACED)) == 1


def test_the_shoppers_own_answer_is_recorded_as_a_cause(world):
    """The answer (``recovery.feedback`` sends the signal after commit; the full path through
    the page is in test_recovery_feedback.py): an answer, then a changed one."""
    cart = world.checkout_cart("DE", (world.shirt_m, 1))
    for reason in ("shipping_cost", "just_looking"):
        feedback, _ = LeaveFeedback.objects.update_or_create(
            cart=cart, abandoned_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
            defaults={"reason": reason, "language": "de"},
        )  # fmt: skip
        leave_feedback_given.send(sender=LeaveFeedback, feedback=feedback)
    assert [(e.cause, e.detail, e.cart_id, e.country) for e in events(K.FEEDBACK_GIVEN)] == [
        (Cause.SHOPPER_ANSWER, "shipping_cost", cart.pk, "DE"),
        (Cause.SHOPPER_ANSWER, "just_looking", cart.pk, "DE"),
    ]


def test_nothing_is_recorded_when_events_are_off(world, client, settings):
    settings.REPORTS_EVENTS = False
    locale = locale_for_cart(world.checkout_cart("DE"))
    cart = create_cart(activity=Activity(locale=locale))
    add_line(cart=cart, sku=world.shirt_m.sku, quantity=1, activity=Activity(locale=locale))
    detect_abandoned_carts(now=timezone.now() + dt.timedelta(days=3))
    assert events() == []
