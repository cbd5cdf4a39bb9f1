"""Unpaid orders do not hold stock for ever: each method has a payment window
(``settings.PAYMENT_WINDOWS``), and the expiry job (cron) cancels what is past it, gives stock and
voucher back, tells the shopper in their language, and reopens the cart as an abandoned cart that
recovery follows. Until then the stock stays taken."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import RequestFactory
from django.utils import timezone, translation
from django.utils.translation import gettext
from rq import SimpleWorker

from cart.models import CartStatus, Voucher, VoucherRedemption
from checkout.jobs import expire_unpaid_orders
from checkout.links import payment_return_url
from checkout.models import Order, OrderStatus, PaymentStatus
from checkout.services import record_payment_status, start_payment
from shop.models import Variant
from tests import factories
from tests.checkout_world import CheckoutWorld
from tests.test_stripe_provider import SECRET_KEY, FakeStripeAPI, recorded

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

SESSIONS = "/v1/checkout/sessions"


@pytest.fixture
def world(cart_world):
    return CheckoutWorld()


def started(world, country: str, method: str, *lines, **place) -> Order:
    order = world.place(world.checkout_cart(country, *lines, **place.pop("cart", {})), method,
                        **place)  # fmt: skip
    start_payment(order=order, return_url=payment_return_url(RequestFactory().get("/"), order))
    order.refresh_from_db()
    return order


def overdue(order: Order, by: timedelta = timedelta(minutes=1)) -> None:
    """The order's window closed ``by`` ago (as if placed that much earlier)."""
    Order.objects.filter(pk=order.pk).update(payment_due_at=timezone.now() - by)


def stock(variant) -> int:
    return Variant.objects.get(pk=variant.pk).stock_quantity


@pytest.mark.parametrize(("country", "method", "window"), [
    ("BR", "pix", timedelta(minutes=30)),
    ("BR", "boleto", timedelta(days=3)),
    ("JP", "konbini", timedelta(days=3)),
    ("DE", "bank_transfer", timedelta(days=7)),
    ("DE", "card", timedelta(hours=1)),  # a redirect to a card page
])  # fmt: skip
def test_each_method_has_its_payment_window(world, country, method, window):
    order = world.place(world.checkout_cart(country, (world.shirt_m, 2)), method)

    assert order.payment_due_at - order.created_at == window


def test_cash_on_delivery_has_no_payment_window(world):
    order = world.place(world.checkout_cart("DE", (world.shirt_m, 1)), "cod")

    assert order.payment_due_at is None


def test_windows_are_configurable(world, settings):
    settings.PAYMENT_WINDOWS = {**settings.PAYMENT_WINDOWS, "pix": 10}

    order = world.place(world.checkout_cart("BR", (world.shirt_m, 1)), "pix")

    assert order.payment_due_at - order.created_at == timedelta(minutes=10)


def test_the_expiry_job_runs_every_minute_from_the_cron_list():
    jobs = {path: cron for path, _queue, cron in django_settings.SHOP_CRON_JOBS}

    assert jobs["checkout.jobs.expire_unpaid_orders"] == "* * * * *"


def test_until_the_window_closes_the_stock_stays_taken(world):
    order = started(world, "BR", "pix", (world.shirt_m, 3))

    assert expire_unpaid_orders() == 0

    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert stock(world.shirt_m) == 7


def test_an_order_past_its_window_is_cancelled_and_gives_stock_and_voucher_back(world):
    voucher = factories.VoucherFactory(code="ONCE", usage_limit=1)
    customer = world.customer("maria@example.com")
    order = started(world, "BR", "pix", (world.shirt_m, 3), customer=customer,
                    cart={"voucher": voucher, "customer": customer})  # fmt: skip
    assert Voucher.objects.get(pk=voucher.pk).times_used == 1
    overdue(order)

    assert expire_unpaid_orders() == 1

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.expired_at is not None
    assert order.payments.get().status == PaymentStatus.CANCELLED
    assert stock(world.shirt_m) == 10
    assert Voucher.objects.get(pk=voucher.pk).times_used == 0
    assert not VoucherRedemption.objects.filter(voucher=voucher).exists()


def test_the_cart_of_an_expired_order_is_reopened_as_abandoned_for_recovery(world):
    order = started(world, "DE", "bank_transfer", (world.shirt_m, 2))
    overdue(order, timedelta(days=1))

    expire_unpaid_orders()

    cart = order.cart
    cart.refresh_from_db()
    assert cart.status == CartStatus.ABANDONED
    assert cart.was_abandoned and cart.abandoned_at is not None
    assert cart.lines.count() == 1  # the items wait there
    assert cart.customer_id == order.customer_id  # a contact recovery can write to


def test_running_the_job_twice_expires_once(world):
    order = started(world, "BR", "pix", (world.shirt_m, 2))
    overdue(order)

    assert expire_unpaid_orders() == 1
    assert expire_unpaid_orders() == 0
    assert stock(world.shirt_m) == 10


def test_an_order_paid_before_the_job_runs_is_kept(world):
    order = started(world, "BR", "pix", (world.shirt_m, 2))
    record_payment_status(payment=order.payments.get(), status=PaymentStatus.PAID)
    overdue(order)

    assert expire_unpaid_orders() == 0

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert stock(world.shirt_m) == 8


def test_cash_on_delivery_orders_are_never_expired(world):
    order = started(world, "DE", "cod", (world.shirt_m, 1))
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(days=30))

    assert expire_unpaid_orders() == 0
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED


def test_the_shopper_is_told_once_in_their_language(
    world, mail_queue, django_capture_on_commit_callbacks
):
    customer = world.customer("maria@example.com")
    customer.first_name = "Maria"
    customer.save()
    order = started(world, "BR", "pix", (world.shirt_m, 2), customer=customer,
                    email="maria@example.com")  # fmt: skip
    SimpleWorker([mail_queue], connection=mail_queue.connection).work(burst=True)
    mail.outbox.clear()  # the confirmation with the Pix code
    overdue(order)

    with django_capture_on_commit_callbacks(execute=True):
        expire_unpaid_orders()
    SimpleWorker([mail_queue], connection=mail_queue.connection).work(burst=True)
    with django_capture_on_commit_callbacks(execute=True):
        expire_unpaid_orders()
    SimpleWorker([mail_queue], connection=mail_queue.connection).work(burst=True)

    [message] = mail.outbox
    assert message.to == ["maria@example.com"]
    assert order.number in message.subject
    with translation.override("pt-br"):
        greeting = gettext("Hello %(name)s,") % {"name": "Maria"}
    assert greeting in message.body
    assert "/pt-br/cart/" in message.body  # back to the cart, in Portuguese
    order.refresh_from_db()
    assert order.expiry_mail_sent_at is not None


# --- a Stripe page left open ----------------------------------------------------------------


@pytest.fixture
def stripe_api(settings):
    api = FakeStripeAPI()
    api.thread.start()
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_API_BASE = api.url
    settings.PAYMENT_PROVIDERS = {**settings.PAYMENT_PROVIDERS,
                                  "*": "checkout.payments.stripe.Stripe"}  # fmt: skip
    api.respond("POST", SESSIONS, recorded("checkout_session_open.json"))
    yield api
    api.server.shutdown()
    api.server.server_close()


def stripe_session(status: str, payment_status: str, intent_status: str) -> dict:
    answer = recorded("checkout_session_open.json")
    answer.update(status=status, payment_status=payment_status,
                  payment_intent={"id": "pi_test", "object": "payment_intent",
                                  "status": intent_status})  # fmt: skip
    return answer


def test_an_expired_card_order_closes_its_stripe_page_first(world, stripe_api):
    order = started(world, "DE", "card", (world.shirt_m, 2))
    session = f"{SESSIONS}/{order.payments.get().reference}"
    stripe_api.respond("POST", session + "/expire",
                       stripe_session("expired", "unpaid", "requires_payment_method"))  # fmt: skip
    overdue(order)

    assert expire_unpaid_orders() == 1

    assert ("POST", session + "/expire") in [(r.method, r.path) for r in stripe_api.received]
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert stock(world.shirt_m) == 10


def test_money_that_arrived_at_the_last_second_keeps_the_order(world, stripe_api):
    order = started(world, "DE", "card", (world.shirt_m, 2))
    session = f"{SESSIONS}/{order.payments.get().reference}"
    stripe_api.respond("POST", session + "/expire", recorded("error_session_not_expirable.json"),
                       400)  # fmt: skip
    stripe_api.respond("GET", session, stripe_session("complete", "paid", "succeeded"))
    overdue(order)

    assert expire_unpaid_orders() == 0

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert stock(world.shirt_m) == 8


def test_while_stripe_cannot_be_asked_the_order_waits_for_the_next_run(world, stripe_api):
    order = started(world, "DE", "card", (world.shirt_m, 2))
    session = f"{SESSIONS}/{order.payments.get().reference}"
    error = {"error": {"type": "api_error", "message": "Something went wrong on Stripe's end."}}
    stripe_api.respond("POST", session + "/expire", error, 500)
    overdue(order)

    assert expire_unpaid_orders() == 0

    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert stock(world.shirt_m) == 8
