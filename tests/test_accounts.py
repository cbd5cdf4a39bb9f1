"""Shopper accounts: sign-in by e-mail in every language, the cart merged at sign-in, sign-out,
password reset by mail, and an account opened after checkout that sees nothing of the guest
history of its address until the mailbox's owner confirms it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone, translation
from rq import SimpleWorker

from cart.models import Cart, CartLine
from checkout.models import Order
from checkout.services import CheckoutError, create_account_for_order
from shop.accounts.services import AccountError, confirm_account, open_account
from shop.models import Customer
from tests import factories
from tests.checkout_world import CheckoutWorld

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-Passphrase-42"
LANGUAGES = [code for code, _name in django_settings.LANGUAGES]


@pytest.fixture
def world(cart_world):
    return CheckoutWorld()


def deliver(queue) -> list:
    """Run the queued mail jobs as a worker does; the mails they sent."""
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    return list(mail.outbox)


def link_in(message, path_part: str) -> str:
    match = re.search(rf"https?://\S*{re.escape(path_part)}\S*", message.body)
    assert match, message.body
    return match.group(0)


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def contents(cart: Cart) -> list[tuple[str, int]]:
    return sorted(CartLine.objects.filter(cart=cart).values_list("variant__sku", "quantity"))


def signed_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


def sign_in(client, email: str, password: str = PASSWORD, language: str = "de"):
    return client.post(f"/{language}/account/sign-in/", {"username": email, "password": password})


@pytest.fixture
def kim(world):
    """A registered customer with an older cart holding a cookbook."""
    world.shirt_m  # noqa: B018  (creates the catalog's shirt)
    user = get_user_model().objects.create_user("kim-account", "kim@example.com", PASSWORD)
    customer = factories.CustomerFactory(email="kim@example.com", user=user)
    older = world.cart(world.eu, "DE", (world.cookbook, 1), customer=customer,
                       last_activity_at=timezone.now() - timedelta(days=2))  # fmt: skip
    return user, customer, older


# --- sign-in and sign-out ---------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_sign_in_page_is_a_storefront_page_in_every_language(client, world, language):
    response = client.get(f"/{language}/account/sign-in/")

    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{language}"' in page and 'class="site-header"' in page
    assert 'type="email"' in page and 'name="password"' in page
    assert f'action="/{language}/account/sign-in/"' in page
    assert f'href="/{language}/account/password-reset/"' in page


@pytest.mark.parametrize("language", ["en", "de", "ar"])
def test_the_header_links_to_the_sign_in_page(client, world, language):
    page = client.get(f"/{language}/").content.decode()

    assert f'href="/{language}/account/sign-in/?next=' in page


def test_signing_in_with_the_e_mail_in_any_case_merges_the_cart(client, world, kim):
    user, customer, older = kim
    client.post("/de/cart/add/", {"sku": "SHIRT-M", "quantity": "2"})

    response = sign_in(client, "KIM@Example.com")

    assert response.status_code == 302 and response["Location"] == "/de/"
    assert signed_in_user_id(client) == str(user.pk)
    assert contents(older) == [("BOOK", 1), ("SHIRT-M", 2)]
    assert client.session[django_settings.CART_SESSION_KEY] == str(older.token)
    page = client.get("/de/").content.decode()
    assert 'action="/de/account/sign-out/"' in page and "/account/sign-in/" not in page


def test_sign_in_goes_back_to_the_page_it_came_from_but_never_elsewhere(client, world, kim):
    back = client.post("/de/account/sign-in/?next=/de/cart/",
                       {"username": "kim@example.com", "password": PASSWORD,
                        "next": "/de/cart/"})  # fmt: skip
    client.logout()
    away = client.post("/de/account/sign-in/", {"username": "kim@example.com",
                                                "password": PASSWORD,
                                                "next": "https://evil.example/"})  # fmt: skip

    assert back["Location"] == "/de/cart/"
    assert away["Location"] == "/de/"


def test_a_wrong_password_is_refused_with_a_message_in_the_pages_language(client, world, kim):
    response = sign_in(client, "kim@example.com", "wrong-password", language="de")

    assert response.status_code == 200
    assert signed_in_user_id(client) is None
    with translation.override("de"):
        expected = str(response.context["form"].error_messages["invalid_login"])
    assert response.context["form"].non_field_errors() == [expected]


def test_sign_out_is_a_post_and_ends_the_session(client, world, kim):
    sign_in(client, "kim@example.com")

    assert client.get("/de/account/sign-out/").status_code == 405
    response = client.post("/de/account/sign-out/")

    assert response.status_code == 302 and response["Location"] == "/de/"
    assert signed_in_user_id(client) is None


# --- password reset by mail -----------------------------------------------------------------


def test_a_password_reset_mails_a_link_that_sets_the_password_and_signs_in(
    client, world, kim, mail_queue
):
    user, _customer, _older = kim

    response = client.post("/pl/account/password-reset/", {"email": "Kim@Example.com"})

    assert response["Location"] == "/pl/account/password-reset/sent/"
    assert mail.outbox == []  # the request queues the mail, a worker sends it
    [message] = deliver(mail_queue)
    assert message.to == ["kim@example.com"]
    link = path_of(link_in(message, "/pl/account/password-reset/"))
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    done = client.post(form_page.redirect_chain[-1][0],
                       {"new_password1": "An0ther-long-secret", "new_password2":
                        "An0ther-long-secret"})  # fmt: skip
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("An0ther-long-secret")
    assert signed_in_user_id(client) == str(user.pk)


def test_a_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(
    client, world, mail_queue
):
    response = client.post("/en/account/password-reset/", {"email": "nobody@example.com"})

    assert response["Location"] == "/en/account/password-reset/sent/"
    assert deliver(mail_queue) == []


# --- an account after checkout: no takeover by e-mail ---------------------------------------


@pytest.fixture
def guest_history(world):
    """A guest who bought before with mail@example.com and has an open cart (a cookbook)."""
    guest = factories.CustomerFactory(email="mail@example.com", phone="+4930123456",
                                      marketing_consent=True)  # fmt: skip
    cart = world.cart(world.eu, "DE", (world.cookbook, 1), customer=guest,
                      last_activity_at=timezone.now() - timedelta(days=1))  # fmt: skip
    return guest, cart


def place_as_guest(client, world, email="mail@example.com") -> Order:
    """Checkout as the page does, paying by bank transfer; the order."""
    from tests.test_checkout_page import form_data, url, use_cart

    use_cart(client, world.checkout_cart("DE", (world.shirt_m, 1)))
    page = client.get(url("DE"))
    client.post(url("DE"), form_data(page, "DE", "bank_transfer", email=email))
    return Order.objects.latest("pk")


def test_an_account_opened_after_checkout_waits_for_its_confirmation_link(
    client, world, guest_history, mail_queue
):
    guest, guest_cart = guest_history
    order = place_as_guest(client, world)
    assert order.customer == guest

    response = client.post(f"/de/checkout/order/{order.number}/account/", {"password": PASSWORD})

    assert response.status_code == 302
    user = get_user_model().objects.get(email__iexact="mail@example.com")
    guest.refresh_from_db()
    assert guest.user_id is None  # not the guest's account yet
    messages = [m for m in deliver(mail_queue) if "/account/confirm/" in m.body]
    assert [m.to for m in messages] == [["mail@example.com"]]
    assert "/de/account/confirm/" in messages[0].body

    # Whoever typed the address signs in elsewhere: nothing of the guest history comes along.
    elsewhere = Client()
    assert sign_in(elsewhere, "mail@example.com").status_code == 302
    assert elsewhere.session.get(django_settings.CART_SESSION_KEY) != str(guest_cart.token)
    assert Customer.objects.filter(user=user).count() == 0
    assert contents(guest_cart) == [("BOOK", 1)]


def test_the_confirmation_link_needs_the_password_and_then_hands_over_the_history(
    client, world, guest_history, mail_queue
):
    guest, guest_cart = guest_history
    order = place_as_guest(client, world)
    client.post(f"/de/checkout/order/{order.number}/account/", {"password": PASSWORD})
    [message] = [m for m in deliver(mail_queue) if "/account/confirm/" in m.body]
    link = path_of(link_in(message, "/account/confirm/"))

    opener = Client()
    assert opener.get(link).status_code == 200  # a mail scanner opening it changes nothing
    refused = opener.post(link, {"password": "not-the-password"})
    guest.refresh_from_db()
    assert refused.status_code == 400 and guest.user_id is None
    confirmed = opener.post(link, {"password": PASSWORD})

    assert confirmed.status_code == 302
    guest.refresh_from_db()
    user = get_user_model().objects.get(email__iexact="mail@example.com")
    assert guest.user_id == user.pk
    assert signed_in_user_id(opener) == str(user.pk)
    assert opener.session[django_settings.CART_SESSION_KEY] == str(guest_cart.token)


def test_an_expired_or_forged_confirmation_link_confirms_nothing(world, settings, mail_queue):
    guest = factories.CustomerFactory(email="late@example.com")
    open_account(customer=guest, password=PASSWORD, language="en")
    [message] = deliver(mail_queue)
    token = link_in(message, "/account/confirm/").rstrip("/").rsplit("/", 1)[1]

    with pytest.raises(AccountError):
        confirm_account(token=token[:-2] + "xx", password=PASSWORD)
    settings.ACCOUNT_CONFIRMATION_MAX_AGE = -1
    with pytest.raises(AccountError) as expired:
        confirm_account(token=token, password=PASSWORD)

    assert expired.value.code == "expired"
    guest.refresh_from_db()
    assert guest.user_id is None


def test_a_password_reset_also_confirms_the_mailbox(client, world, guest_history, mail_queue):
    guest, guest_cart = guest_history
    open_account(customer=guest, password=PASSWORD, language="de")
    mail_queue.empty()

    client.post("/de/account/password-reset/", {"email": "mail@example.com"})
    [message] = deliver(mail_queue)
    form_page = client.get(path_of(link_in(message, "/account/password-reset/")), follow=True)
    client.post(form_page.redirect_chain[-1][0], {"new_password1": "An0ther-long-secret",
                                                  "new_password2": "An0ther-long-secret"})

    guest.refresh_from_db()
    assert guest.user is not None and guest.user.check_password("An0ther-long-secret")
    assert client.session[django_settings.CART_SESSION_KEY] == str(guest_cart.token)


def test_an_address_with_an_account_is_asked_to_sign_in(client, world, kim):
    _user, customer, _older = kim
    order = place_as_guest(client, world, email="kim@example.com")

    response = client.post(f"/de/checkout/order/{order.number}/account/", {"password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"].startswith("/de/account/sign-in/?next=")
    assert get_user_model().objects.filter(email__iexact="kim@example.com").count() == 1
    with pytest.raises(CheckoutError) as refused:
        create_account_for_order(order=order, password=PASSWORD)
    assert refused.value.code == "account_exists"


def test_an_unconfirmed_account_cannot_be_opened_twice_for_one_address(world):
    guest = factories.CustomerFactory(email="twice@example.com")
    open_account(customer=guest, password=PASSWORD, language="en")

    with pytest.raises(AccountError) as refused:
        open_account(customer=guest, password="0ther-long-Passphrase", language="en")

    assert refused.value.code == "exists"
    assert get_user_model().objects.filter(email__iexact="twice@example.com").count() == 1


def test_a_weak_password_opens_no_account(world):
    guest = factories.CustomerFactory(email="weak@example.com")

    with pytest.raises(AccountError) as refused:
        open_account(customer=guest, password="123", language="en")

    assert refused.value.field == "password"
    assert not get_user_model().objects.filter(email__iexact="weak@example.com").exists()
