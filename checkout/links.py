"""Signed links of the checkout: the payment return address and the confirmation page."""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest
from django.urls import reverse

from checkout.models import Order
from checkout.selectors import CONFIRMATION_SALT

RETURN_SALT = "checkout.return"


def payment_return_url(request: HttpRequest, order: Order) -> str:
    """Where the provider sends the shopper back; signed so that only this order's return
    is accepted."""
    token = signing.dumps({"order": order.pk}, salt=RETURN_SALT)
    path = reverse("checkout:return", kwargs={"order_number": order.number})
    return request.build_absolute_uri(path) + f"?t={token}"


def confirmation_url(order: Order) -> str:
    """The order's page, viewable by whoever has the link (it goes out in the mail)."""
    token = signing.dumps({"order": order.number}, salt=CONFIRMATION_SALT)
    return reverse("checkout:confirmation", kwargs={"order_number": order.number}) + f"?t={token}"
