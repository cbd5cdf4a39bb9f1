"""Writes of shopper accounts: open one, confirm it, tie it to the guest customer of its address.

An account opened with a password (``open_account``) is a Django user with the customer's
e-mail, *not yet* the customer's: ``Customer.user`` stays empty, so signing in to it shows
nothing of the guest history (no cart merged, no details to edit, no consent to change). The
owner of the mailbox ties them together by following the mailed link and signing in there
(``confirm_account``), or by resetting the password by mail (``claim_customer``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from shop.accounts.mail import queue_account_mail
from shop.models import Customer

CONFIRMATION_SALT = "shop.accounts.confirm"


class AccountError(Exception):
    """Refused; ``message`` is translated, ``field`` names the input at fault."""

    def __init__(self, message: str, *, field: str = "non_field_errors", code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


def account_exists(email: str) -> bool:
    """Whether an account (confirmed or not) already uses this address."""
    return get_user_model().objects.filter(email__iexact=email.strip()).exists()


def confirmation_token(*, user: AbstractBaseUser, customer: Customer) -> str:
    """Signed and timestamped: who opened the account, for which customer and address."""
    return signing.dumps(
        {"user": user.pk, "customer": customer.pk, "email": customer.email.lower()},
        salt=CONFIRMATION_SALT,
    )


def read_confirmation_token(token: str) -> dict:
    """The token's data; ``signing.BadSignature`` (``SignatureExpired`` included) otherwise."""
    return signing.loads(
        token, salt=CONFIRMATION_SALT, max_age=settings.ACCOUNT_CONFIRMATION_MAX_AGE
    )


def confirmation_url(token: str, language: str) -> str:
    with translation.override(language):
        path = reverse("accounts:confirm", kwargs={"token": token})
    return settings.SHOP_BASE_URL.rstrip("/") + path


@transaction.atomic
def open_account(*, customer: Customer, password: str, language: str) -> AbstractBaseUser:
    """A new account for ``customer``'s address, with ``password``, waiting for confirmation:
    the link goes to that address, in ``language``. Refused (``AccountError``) when the address
    already has an account or the password is too weak."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.user_id is not None or account_exists(customer.email):
        raise AccountError(
            _("An account with this e-mail already exists. Please sign in."), code="exists"
        )
    User = get_user_model()
    user = User(username=customer.email, email=customer.email,
                first_name=customer.first_name, last_name=customer.last_name)  # fmt: skip
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise AccountError(" ".join(error.messages), field="password", code="password") from None
    user.set_password(password)
    user.save()
    link = confirmation_url(confirmation_token(user=user, customer=customer), language)
    with translation.override(language):
        context = {"link": link, "shop_name": settings.SHOP_NAME,
                   "days": settings.ACCOUNT_CONFIRMATION_MAX_AGE // 86400}  # fmt: skip
        subject = render_to_string("shop/accounts/email/confirm_subject.txt", context)
        text = render_to_string("shop/accounts/email/confirm.txt", context)
    queue_account_mail(to=customer.email, subject=subject, text=text)
    return user


@transaction.atomic
def claim_customer(*, user: AbstractBaseUser) -> Customer | None:
    """Tie ``user`` to the guest customer of its address, now that the mailbox's owner proved
    they hold the account (confirmation link, password reset). Nothing when the user already
    has a customer or the address's customer belongs to someone else."""
    if Customer.objects.filter(user=user).exists():
        return Customer.objects.get(user=user)
    if not user.email:
        return None
    customer = (
        Customer.objects.select_for_update().filter(email__iexact=user.email).first()
    )
    if customer is None:
        customer = Customer.objects.create(
            email=user.email, user=user, first_name=user.first_name, last_name=user.last_name,
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )  # fmt: skip
        return customer
    if customer.user_id is not None:
        return None
    customer.user = user
    customer.save(update_fields=["user"])
    return customer


def confirm_account(*, token: str, password: str) -> AbstractBaseUser:
    """Follow a confirmation link: the token must be valid and unexpired and ``password`` the
    account's, so that neither the mailbox alone (a link opened by someone else, a mail
    scanner) nor the password alone (whoever typed the address at checkout) is enough."""
    try:
        data = read_confirmation_token(token)
    except signing.SignatureExpired:
        raise AccountError(
            _("This link has expired. Sign in and ask for a new one, or reset your password."),
            code="expired",
        ) from None
    except signing.BadSignature:
        raise AccountError(_("This link is not valid."), code="invalid") from None
    user = get_user_model().objects.filter(pk=data["user"], is_active=True).first()
    if (
        user is None
        or user.email.lower() != data["email"]
        or not user.check_password(password)
    ):
        raise AccountError(_("The password is not correct."), field="password", code="password")
    with transaction.atomic():
        customer = Customer.objects.select_for_update().filter(pk=data["customer"]).first()
        if (
            customer is None
            or customer.email.lower() != data["email"]
            or customer.user_id not in (None, user.pk)
        ):
            raise AccountError(_("This link is not valid."), code="invalid")
        if customer.user_id is None:
            customer.user = user
            customer.save(update_fields=["user"])
    return user
