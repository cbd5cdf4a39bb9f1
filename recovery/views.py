"""Where recovery links land: restore a cart on any device, count an open, unsubscribe."""

from __future__ import annotations

import base64
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from recovery.links import OPEN_SALT, RESTORE_SALT, UNSUBSCRIBE_SALT, read
from recovery.models import RecoveryMessage
from recovery.services import restore_cart_from_message
from shop.models import Customer

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def restore(request: HttpRequest, token: str) -> HttpResponse:
    """Put the cart from the message into this browser's session and show it."""
    data = read(token, RESTORE_SALT, timedelta(days=settings.RECOVERY_LINK_MAX_AGE_DAYS))
    if data is None:
        messages.error(request, _("This link has expired or is not valid."))
        return redirect("shop:home")
    cart = restore_cart_from_message(message_id=data["m"], cart_token=data["c"])
    if cart is None:
        messages.info(request, _("This cart has already been ordered or is no longer available."))
        return redirect("shop:home")
    request.session[settings.CART_SESSION_KEY] = str(cart.token)
    with translation.override(cart.language or settings.LANGUAGE_CODE):
        return redirect(reverse("cart:page") + (f"?country={cart.country}" if cart.country else ""))


def opened(request: HttpRequest, token: str) -> HttpResponse:
    data = read(token, OPEN_SALT, timedelta(days=365))
    if data is not None:
        RecoveryMessage.objects.filter(pk=data["m"], opened_at__isnull=True).update(
            opened_at=timezone.now()
        )
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt  # one-click unsubscribe (RFC 8058) posts without a CSRF token; the token signs it
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    data = read(token, UNSUBSCRIBE_SALT, timedelta(days=365))
    if data is None:
        raise Http404
    customer = Customer.objects.filter(pk=data["u"]).first()
    if customer is None:
        raise Http404
    if request.method == "POST":
        Customer.objects.filter(pk=customer.pk, unsubscribed_at__isnull=True).update(
            unsubscribed_at=timezone.now()
        )
        return render(request, "recovery/unsubscribed.html", {"done": True})
    return render(request, "recovery/unsubscribed.html", {"done": False, "token": token})
