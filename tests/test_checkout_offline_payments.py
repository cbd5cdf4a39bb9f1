"""Money that no provider reports (bank transfer, static Pix, cash on delivery) is confirmed by
staff in the admin: "mark as paid" on the orders, with the permission to change payments, records
who and when, and sends the shopper the payment mail once however often it is clicked. A card
payment is its provider's to confirm: staff cannot mark it."""

import pytest
from django.contrib.auth.models import Permission, User
from django.core import mail
from django.test import RequestFactory
from rq import SimpleWorker

from checkout.links import payment_return_url
from checkout.models import OrderStatus, PaymentStatus
from checkout.services import start_payment
from tests.checkout_world import CheckoutWorld

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


@pytest.fixture
def world(cart_world):
    return CheckoutWorld()


def run_mail_jobs(queue) -> None:
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def placed(world, country: str, method: str, email: str):
    order = world.place(world.checkout_cart(country, (world.shirt_m, 1)), method, email=email)
    start_payment(order=order, return_url=payment_return_url(RequestFactory().get("/"), order))
    order.refresh_from_db()
    return order


def staff(username: str, *permissions: str) -> User:
    user = User.objects.create_user(username, f"{username}@example.com", "pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(
        content_type__app_label="checkout", codename__in=permissions))  # fmt: skip
    return user


def mark_paid(client, *orders):
    return client.post("/admin/checkout/order/", {
        "action": "mark_paid", "_selected_action": [str(o.pk) for o in orders], "index": "0",
    }, follow=True)  # fmt: skip


def test_marking_orders_paid_needs_the_permission_to_change_payments(world, client):
    order = placed(world, "DE", "bank_transfer", "anna@example.com")
    client.force_login(staff("viewer", "view_order", "view_payment"))

    listing = client.get("/admin/checkout/order/")
    response = mark_paid(client, order)

    assert listing.status_code == 200 and "mark_paid" not in listing.content.decode()
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.paid_at is None and order.paid_by is None


def test_mark_as_paid_records_who_and_when_for_transfer_pix_and_cash(
    world, client, django_capture_on_commit_callbacks, mail_queue
):
    orders = [placed(world, "DE", "bank_transfer", "anna@example.com"),
              placed(world, "BR", "pix", "maria@example.com"),
              placed(world, "DE", "cod", "cash@example.com")]  # fmt: skip
    accountant = staff("accountant", "view_order", "change_payment")
    client.force_login(accountant)

    with django_capture_on_commit_callbacks(execute=True):
        response = mark_paid(client, *orders)

    assert response.status_code == 200
    for order in orders:
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID
        assert order.paid_by == accountant
        assert order.paid_at is not None
        assert order.payments.get().status == PaymentStatus.PAID


def test_marking_paid_twice_sends_the_payment_mail_once(
    world, client, django_capture_on_commit_callbacks, mail_queue
):
    order = placed(world, "BR", "pix", "maria@example.com")
    client.force_login(staff("accountant", "view_order", "change_payment"))
    run_mail_jobs(mail_queue)  # the confirmation with the Pix code, sent at placement
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        mark_paid(client, order)
    with django_capture_on_commit_callbacks(execute=True):
        again = mark_paid(client, order)
    run_mail_jobs(mail_queue)

    assert len(mail.outbox) == 1
    [message] = mail.outbox
    assert message.to == ["maria@example.com"]
    assert order.number in message.subject
    assert "R$" in message.body  # the amount, in the order's currency and language
    order.refresh_from_db()
    assert order.payment_mail_sent_at is not None
    texts = [str(m) for m in again.context["messages"]]
    assert any("0 payments marked as paid." in text for text in texts)


def test_a_card_payment_cannot_be_marked_paid_by_staff(world, client):
    order = placed(world, "DE", "card", "card@example.com")
    client.force_login(staff("accountant", "view_order", "view_payment", "change_payment"))

    by_order = mark_paid(client, order)
    by_payment = client.post("/admin/checkout/payment/", {
        "action": "mark_paid", "_selected_action": [str(order.payments.get().pk)], "index": "0",
    }, follow=True)  # fmt: skip

    assert by_order.status_code == 200 and by_payment.status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.payments.get().status == PaymentStatus.PENDING
