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

from cart.models import Cart, CartStatus
from recovery.flows import unsubscribe_customer
from recovery.links import OPEN_SALT, RESTORE_SALT, UNSUBSCRIBE_SALT, read
from recovery.models import Channel, RecoveryMessage
from shop.models import Customer

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def restore(request: HttpRequest, token: str) -> HttpResponse:
    """Put the cart from the message into this browser's session and show it."""
    data = read(token, RESTORE_SALT, timedelta(days=settings.RECOVERY_LINK_MAX_AGE_DAYS))
    if data is None:
        messages.error(request, _("This link has expired or is not valid."))
        return redirect("shop:home")
    RecoveryMessage.objects.filter(pk=data["m"], clicked_at__isnull=True).update(
        clicked_at=timezone.now()
    )
    cart = Cart.objects.filter(token=data["c"]).first()
    if cart is None or cart.status not in {CartStatus.ACTIVE, CartStatus.ABANDONED}:
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
    """Unsubscribe from everything, or (when the customer chose so) from the channel this
    message came by only. A one-click POST from a mail client is "everything"."""
    data = read(token, UNSUBSCRIBE_SALT, timedelta(days=365))
    if data is None:
        raise Http404
    customer = Customer.objects.filter(pk=data["u"]).first()
    if customer is None:
        raise Http404
    channel = (RecoveryMessage.objects.filter(pk=data.get("m")).values_list("channel", flat=True)
               .first() or Channel.EMAIL)  # fmt: skip
    if request.method == "POST":
        only_channel = request.POST.get("scope") == "channel"
        unsubscribe_customer(customer=customer, channel=channel if only_channel else None)
        return render(request, "recovery/unsubscribed.html",
                      {"done": True, "only_channel": only_channel,
                       "channel": Channel(channel).label})  # fmt: skip
    return render(request, "recovery/unsubscribed.html",
                  {"done": False, "token": token, "channel": Channel(channel).label})  # fmt: skip
