"""Where recovery links land: restore a cart on any device, count an open, unsubscribe, say why
the cart was left; and the storefront's exit-intent form that saves a guest's cart by e-mail.
Thin: ``recovery.capture`` and ``recovery.feedback`` write."""

from __future__ import annotations

import base64
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from cart.http import activity_for, current_cart
from cart.throttles import CART_WRITE_THROTTLES, CONTACT_THROTTLES, rate_limited
from checkout.forms import ContactForm
from recovery.capture import CaptureError, save_cart_by_email
from recovery.feedback import answer_for, read_link, record_leave_feedback
from recovery.flows import unsubscribe_customer
from recovery.forms import LeaveFeedbackForm
from recovery.links import OPEN_SALT, RESTORE_SALT, UNSUBSCRIBE_SALT, read
from recovery.models import Channel, LeaveReason, RecoveryMessage
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


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next") or reverse("cart:page")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("cart:page")
    return redirect(target)


@require_POST
@rate_limited(CONTACT_THROTTLES)
def save_cart(request: HttpRequest) -> HttpResponse:
    """The exit-intent dialog's form: JSON for its script (200, or 400 with field errors), a
    message and a redirect back for a plain form post."""
    form = ContactForm(request.POST, consent_label="")
    errors: dict[str, list[str]] = {}
    cart = current_cart(request)
    if not form.is_valid():
        errors = {field: [str(e) for e in messages_] for field, messages_ in form.errors.items()}
    elif cart is None:
        errors = {"__all__": [_("Your cart is empty.")]}
    else:
        try:
            saved = save_cart_by_email(
                cart=cart, email=form.cleaned_data["email"],
                marketing_consent=bool(form.cleaned_data.get("marketing_consent")),
                activity=activity_for(request),
            )  # fmt: skip
        except CaptureError as error:
            errors = {error.field: [error.message]}
        else:
            text = _("Your cart is saved. We have sent the link to %(email)s.") % {
                "email": saved.message.customer.email}  # fmt: skip
            if _wants_json(request):
                return JsonResponse({"saved": True, "message": text})
            messages.success(request, text)
            return _back(request)
    if _wants_json(request):
        return JsonResponse({"saved": False, "errors": errors}, status=400)
    for field_errors in errors.values():
        for error_text in field_errors:
            messages.error(request, error_text)
    return _back(request)


@require_http_methods(["GET", "HEAD", "POST"])
@rate_limited(CART_WRITE_THROTTLES)
def feedback(request: HttpRequest, token: str) -> HttpResponse:
    """ "Why did you leave?": a GET shows the page (the reason from the mail's link chosen), a
    POST stores the answer and comes back here (post/redirect/get) to confirm it."""
    link = read_link(token)
    if link is None:
        return render(request, "recovery/feedback.html", {"invalid": True}, status=400)
    answer = None
    if request.method == "POST":
        form = LeaveFeedbackForm(request.POST)
        if form.is_valid():
            record_leave_feedback(
                link=link, reason=form.cleaned_data["reason"], text=form.cleaned_data["text"],
                language=translation.get_language() or link.message.language,
            )  # fmt: skip
            return redirect(request.path + "?saved=1")
        status = 400
    else:
        answer = answer_for(link)
        chosen = request.GET.get("reason", "")
        chosen = chosen if chosen in LeaveReason.values else ""
        initial = {"reason": chosen or (answer.reason if answer else ""),
                   "text": answer.text if answer else ""}  # fmt: skip
        form = LeaveFeedbackForm(initial=initial)
        status = 200
    # One click: the reason came with the link, is not "something else" (which needs words),
    # and is not the answer already stored: the page's script sends it at once.
    chosen = request.GET.get("reason", "") if request.method != "POST" else ""
    autosubmit = (chosen in LeaveReason.values and chosen != LeaveReason.OTHER
                  and not (answer and answer.reason == chosen))  # fmt: skip
    context = {"form": form, "answer": answer, "saved": "saved" in request.GET and answer,
               "autosubmit": autosubmit}  # fmt: skip
    return render(request, "recovery/feedback.html", context, status=status)
