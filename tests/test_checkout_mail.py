"""The order confirmation e-mail, end to end: placing an order queues one job on the "mail"
queue of a real Redis, a real RQ worker runs it, and Django's SMTP backend hands the mail to a
real SMTP server on loopback (``tests/smtp_server.py``). In the shopper's language and currency,
HTML and text, with what to do next (the Pix copia e cola), sent once."""

import re
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone, translation
from django.utils.translation import gettext
from moneyed import Money
from rq import SimpleWorker

from checkout.jobs import send_missing_confirmations, send_order_confirmation
from checkout.links import payment_return_url
from checkout.models import Order
from checkout.services import order_placed, start_payment
from shop.money import format_money
from tests.checkout_world import ADDRESSES, PHONES, CheckoutWorld, mail_settings
from tests.smtp_server import LoopbackSMTPServer

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


def run_worker(queue) -> None:
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def start(order):
    return start_payment(order=order, return_url=payment_return_url(RequestFactory().get("/"),
                                                                    order))  # fmt: skip


def translated(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


def test_placing_an_order_as_the_page_does_queues_one_confirmation_job(world, mail_queue):
    """The page places the order, then starts its payment (here Pix: the shopper is told how
    to pay); between them exactly one mail job is queued, none is run in the request."""
    order = world.place(world.checkout_cart("BR", (world.shirt_m, 1)), "pix")
    start(order)

    assert mail_queue.count == 1
    job = mail_queue.jobs[0]
    assert job.func_name == "checkout.jobs.send_order_confirmation"
    assert job.args == (order.pk,)
    assert Order.objects.get(pk=order.pk).confirmation_sent_at is None


def test_a_brazilian_pix_order_is_confirmed_by_mail_in_portuguese_and_reais(
    world, mail_queue, smtp
):
    order = world.place(world.checkout_cart("BR", (world.shirt_m, 3)), "pix",
                        email="maria@example.com")  # fmt: skip
    payment, _ = start(order)

    run_worker(mail_queue)

    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail.rcpt_to == ("maria@example.com",)
    assert mail.mail_from == "shop@example.com"
    assert order.number in mail.message["Subject"]
    text, html = mail.part("text/plain"), mail.part("text/html")
    total = format_money(Money(order.total, "BRL"), "pt-br", "BR")
    assert re.fullmatch(r"R\$\xa0\d{1,3}(\.\d{3})*,\d\d", total)  # the Brazilian way
    for body in (text, html):
        assert order.number in body
        assert total in body
        assert payment.instructions["payload"] in body  # the copia e cola
    assert '<html lang="pt-br"' in html
    thanks = translated("pt-br", "Thank you for your order")
    assert thanks in html
    if thanks != "Thank you for your order":  # translated: no English left in its place
        assert "Thank you for your order" not in html
    order.refresh_from_db()
    assert order.confirmation_sent_at is not None


def test_an_arabic_cash_on_delivery_mail_is_right_to_left_and_says_what_to_have_ready(
    world, mail_queue, smtp
):
    order = world.place(world.checkout_cart("SA", (world.shirt_m, 1)), "cod")
    start(order)

    run_worker(mail_queue)

    html = smtp.messages[0].part("text/html")
    assert '<html lang="ar" dir="rtl">' in html
    total = format_money(Money(order.total, "SAR"), "ar", "SA")
    assert total in html
    assert total in smtp.messages[0].part("text/plain")


def test_running_the_confirmation_job_twice_sends_one_mail(world, mail_queue, smtp, settings):
    order = world.place(world.checkout_cart("DE", (world.shirt_m, 1)), "bank_transfer")
    start(order)
    run_worker(mail_queue)
    sent_at = Order.objects.get(pk=order.pk).confirmation_sent_at

    mail_queue.enqueue(send_order_confirmation, order.pk)  # a retried or duplicated job
    run_worker(mail_queue)

    assert send_order_confirmation(order.pk) is False
    assert len(smtp.messages) == 1
    text = smtp.messages[0].part("text/plain")
    assert settings.BANK_TRANSFER_ACCOUNT["iban"] in text and order.number in text
    assert Order.objects.get(pk=order.pk).confirmation_sent_at == sent_at


def test_missing_confirmations_are_queued_again_and_sent(world, mail_queue, smtp):
    lost = world.place(world.checkout_cart("DE", (world.shirt_m, 1)), "bank_transfer",
                       email="lost@example.com")  # fmt: skip
    fresh = world.place(world.checkout_cart("DE", (world.shirt_l, 1)), "bank_transfer",
                        email="fresh@example.com")  # fmt: skip
    start(lost)
    start(fresh)
    mail_queue.empty()  # Redis was down when they were placed: the jobs never got there
    Order.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(minutes=10))

    queued = send_missing_confirmations(older_than_minutes=5)

    assert queued == 1  # the fresh one may still be on its way
    assert [job.args for job in mail_queue.jobs] == [(lost.pk,)]
    run_worker(mail_queue)
    assert [mail.rcpt_to for mail in smtp.messages] == [("lost@example.com",)]
    assert send_missing_confirmations(older_than_minutes=5) == 0  # sent: not again


def test_a_pix_mail_has_the_copia_e_cola_even_when_the_worker_is_faster_than_the_page(
    world, mail_queue, smtp, client, settings
):
    """The job is queued when the order commits; the page starts the Pix payment a moment
    later. A worker that picks the job up at once must not send a mail without the code."""
    cart = world.checkout_cart("BR", (world.shirt_m, 1))
    session = client.session
    session[settings.CART_SESSION_KEY] = str(cart.token)
    session.save()
    page = client.get("/pt-br/checkout/?country=BR")
    pricing = page.context["pricing"]

    def eager_worker(sender, order, **kwargs):
        run_worker(mail_queue)  # the worker is idle and takes the job the moment it arrives

    order_placed.connect(eager_worker, dispatch_uid="test-eager-worker")
    try:
        response = client.post("/pt-br/checkout/?country=BR", {
            "email": "maria@example.com", **ADDRESSES["BR"], "phone": PHONES["BR"],
            "country_code": "BR", "shipping_method": str(pricing.shipping.method_id),
            "payment_method": "pix", "expected_total": str(pricing.total.amount),
            "attempt": "eager", "place_order": "1",
        })  # fmt: skip
    finally:
        order_placed.disconnect(dispatch_uid="test-eager-worker")
    assert response.status_code == 302
    run_worker(mail_queue)  # anything left for later

    order = Order.objects.get()
    payload = order.payments.get().instructions["payload"]
    assert len(smtp.messages) == 1
    assert payload in smtp.messages[0].part("text/plain")


@pytest.mark.parametrize(("country", "language", "tag", "method"),
                         [("JP", "ja", "ja", "card"), ("BR", "pt-br", "pt-BR", "pix"),
                          ("DE", "de", "de", "card")])  # fmt: skip
def test_confirmation_lists_each_lines_variant_and_says_its_language(
    world, smtp, country, language, tag, method
):
    order = world.place(world.checkout_cart(country, (world.shirt_m, 1)), method)
    colour, size = {"ja": ("カラー", "ネイビー"), "pt-br": ("Cor", "Azul-marinho"),
                    "de": ("Farbe", "Marineblau")}[language]  # fmt: skip
    order.lines.update(attributes=[[colour, size, "#24324f"], [("サイズ" if language == "ja"
                                                                else "Size"), "M", ""]])

    assert send_order_confirmation(order.pk) is True

    mail = smtp.messages[0]
    assert mail.message["Content-Language"] == tag
    for body in (mail.part("text/plain"), mail.part("text/html")):
        assert f"{colour}: {size}" in body  # the variant, as the shopper chose it
        assert ": M" in body
