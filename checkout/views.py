"""The one-page checkout, the payment return and webhook, the sandbox payment page, and the
confirmation page. Thin: forms validate, ``cart.services`` and ``checkout.services`` write."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cart.http import activity_for, current_cart, remember_pricing, signed_in_user
from cart.selectors import cart_token_from_request
from cart.services import CartError, set_region
from cart.throttles import PLACE_ORDER_THROTTLES, rate_limited
from checkout.forms import AddressForm, ContactForm, PlacementForm
from checkout.links import RETURN_SALT, confirmation_url, payment_return_url
from checkout.models import Order, Payment, PaymentStatus
from checkout.payments import sandbox
from checkout.payments.base import InvalidWebhook, provider_named, sandbox_allowed
from checkout.selectors import (
    CheckoutPage,
    checkout_page_context,
    order_for_confirmation,
    order_of_cart_token,
)
from checkout.services import (
    CheckoutData,
    CheckoutError,
    TotalChanged,
    record_payment_status,
    start_payment,
    submit_order,
)
from shop.models import PaymentMethodCode

logger = logging.getLogger(__name__)
ORDERS_SESSION_KEY = "checkout_orders"


def order_of_session_cart(request: HttpRequest):
    return order_of_cart_token(cart_token_from_request(request))


def _forms(request, page: CheckoutPage, data=None):
    shop = request.shop
    contact = ContactForm(data, consent_label=page.consent_label,
                          consent_initial=page.consent_initial,
                          sms_consent_label=page.sms_consent_label)  # fmt: skip
    address = AddressForm(data, country_code=shop.country, language=shop.language,
                          phone_required=page.phone_required)  # fmt: skip
    return contact, address


@rate_limited(PLACE_ORDER_THROTTLES, when=lambda request: "place_order" in request.POST)
def checkout_page(request: HttpRequest) -> HttpResponse:
    cart = current_cart(request)
    placing = request.method == "POST" and "place_order" in request.POST
    if cart is not None and request.method == "POST" and not placing and (
        "country_area" in request.POST
    ):
        # "Update totals" without JavaScript: the state is the cart's from now on (a GET,
        # which the country switch and links send, only prices with it).
        set_region(cart=cart, region=request.POST["country_area"], activity=activity_for(request))
    page = None
    if cart is not None:
        page = checkout_page_context(
            cart, request.shop, request.POST if request.method == "POST" else request.GET
        )
    if page is None or page.pricing.is_empty:
        placed = order_of_session_cart(request)
        if placed is not None and request.method == "POST":  # a second click, a resubmit
            _remember_order(request, placed)
            return _pay(request, placed)
        messages.info(request, _("Your cart is empty."))
        return redirect("cart:page")
    remember_pricing(request, page.pricing)  # the header's item count, without a query
    status = 200
    if placing:
        contact_form, address_form = _forms(request, page, request.POST)
        placement = PlacementForm(request.POST)
        if not placement.is_valid():
            status = 400  # a hand-made request: the page sends the total it showed
            messages.error(request, next(iter(placement.errors.values()))[0])
        elif contact_form.is_valid() and address_form.is_valid():
            response = _place(request, cart, page, contact_form, address_form, placement)
            if response is not None:
                return response
    else:  # first view, or totals recalculated without JavaScript: no errors yet
        contact_form, address_form = _forms(request, page)
        if page.initial_email:
            contact_form.initial["email"] = page.initial_email
        if request.method == "POST":
            contact_form.initial.update(request.POST.dict())
            address_form.initial.update(request.POST.dict())
    return render(
        request,
        "checkout/checkout.html",
        {
            "cart": cart,
            "pricing": page.pricing,
            "contact_form": contact_form,
            "address_form": address_form,
            "payment_method": page.payment_method,
            "opt_in_required": page.opt_in_required,
        },
        status=status,
    )


def _place(request, cart, page, contact_form, address_form, placement):
    """Submit the checkout (``submit_order``): None to show the page again with a message."""
    contact = contact_form.cleaned_data
    address = address_form.cleaned_data
    pricing = page.pricing
    data = CheckoutData(
        email=contact["email"],
        phone=address.get("phone", ""),
        address={k: v for k, v in address.items() if v not in (None, "")},
        shipping_method_id=pricing.shipping.method_id if pricing.shipping else None,
        payment_method=page.payment_method,
        expected_total=placement.cleaned_data["expected_total"],
        marketing_consent=bool(contact.get("marketing_consent")),
        sms_consent=contact_form.sms_answer(),
    )
    try:
        submitted = submit_order(
            cart=cart, locale=request.shop, data=data, activity=activity_for(request),
            signed_in_user=signed_in_user(request),
            idempotency_key=placement.cleaned_data["attempt"] or None,
            return_url=lambda order: payment_return_url(request, order),
        )  # fmt: skip
    except TotalChanged as changed:
        messages.warning(request, changed.message)
        return None
    except (CheckoutError, CartError) as error:
        message = error.message if isinstance(error, CheckoutError) else error.messages[0]
        messages.error(request, message)
        return None
    _remember_order(request, submitted.order)
    return _next_step(submitted.order, submitted.payment, submitted.start)


def _remember_order(request: HttpRequest, order: Order) -> None:
    numbers = request.session.get(ORDERS_SESSION_KEY, [])
    if order.number not in numbers:
        request.session[ORDERS_SESSION_KEY] = (numbers + [order.number])[-20:]


def _next_step(order: Order, payment: Payment, start) -> HttpResponse:
    """To the provider's page while the payment waits for it, else to the confirmation."""
    if payment.status == PaymentStatus.PENDING and start.redirect_url:
        return redirect(start.redirect_url)
    return redirect(confirmation_url(order))


def _pay(request: HttpRequest, order: Order) -> HttpResponse:
    """The order was placed already (a second click): go on with its payment."""
    try:
        payment, start = start_payment(
            order=order, return_url=payment_return_url(request, order)
        )
    except CheckoutError as error:
        messages.error(request, error.message)
        return redirect("cart:page")
    return _next_step(order, payment, start)


def payment_return(request: HttpRequest, order_number: str) -> HttpResponse:
    """The shopper is back from the provider: ask it what happened, never trust the URL."""
    order = get_object_or_404(Order, number=order_number)
    try:
        token = signing.loads(request.GET.get("t", ""), salt=RETURN_SALT, max_age=86400)
    except signing.BadSignature:
        raise Http404 from None
    if token.get("order") != order.pk:
        raise Http404
    payment = order.payments.first()
    if payment is None:
        raise Http404
    update = provider_named(payment.provider).handle_return(payment, request.GET)
    payment = record_payment_status(
        payment=payment, status=update.status, reference=update.reference,
        failure_reason=update.failure_reason,
    )  # fmt: skip
    if payment.status in {PaymentStatus.FAILED, PaymentStatus.CANCELLED}:
        if payment.status == PaymentStatus.CANCELLED:
            messages.warning(request, _("The payment was cancelled. Your cart is as you left it."))
        else:
            messages.error(
                request,
                _("The payment did not go through. Your cart is as you left it: "
                  "try again or choose another payment method."),
            )  # fmt: skip
        return redirect("checkout:page")
    _remember_order(request, order)
    return redirect(confirmation_url(order))


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """Provider-to-shop notifications; the provider verifies the signature."""
    try:
        handler = provider_named(provider)
        update = handler.handle_webhook(request.body, request.headers)
    except (LookupError, InvalidWebhook) as error:
        logger.warning("Refused webhook for %s: %s", provider, error)
        return HttpResponseBadRequest("invalid webhook")
    if update is not None:
        payment = Payment.objects.filter(provider=provider, reference=update.reference).first()
        if payment is not None:
            record_payment_status(
                payment=payment, status=update.status, reference=update.reference,
                failure_reason=update.failure_reason,
            )  # fmt: skip
    return HttpResponse("ok")


def confirmation(request: HttpRequest, order_number: str) -> HttpResponse:
    order = order_for_confirmation(
        order_number,
        token=request.GET.get("t", ""),
        session_numbers=request.session.get(ORDERS_SESSION_KEY, []),
    )
    if order is None:
        raise Http404
    payment = order.payments.first()
    return render(request, "checkout/confirmation.html", {"order": order, "payment": payment})


def sandbox_page(request: HttpRequest) -> HttpResponse:
    """The sandbox provider's test payment page: pay, fail or cancel. Never outside DEBUG."""
    if not sandbox_allowed():
        raise Http404
    try:
        data = sandbox.read_start_token(request.GET.get("t", "") or request.POST.get("t", ""))
    except signing.BadSignature:
        raise Http404 from None
    payment = get_object_or_404(Payment.objects.select_related("order"), pk=data["payment"])
    if request.method == "POST":
        outcome = request.POST.get("outcome")
        if outcome not in sandbox.OUTCOMES:
            return HttpResponseBadRequest("unknown outcome")
        separator = "&" if "?" in data["return"] else "?"
        return redirect(
            data["return"] + separator + "outcome=" + sandbox.outcome_token(payment.pk, outcome)
        )
    labels = dict(PaymentMethodCode.choices)
    return render(
        request,
        "checkout/sandbox.html",
        {"payment": payment, "token": request.GET["t"],
         "method_name": labels.get(payment.method, payment.method)},
    )  # fmt: skip


@require_POST
@transaction.atomic
def create_account(request: HttpRequest, order_number: str) -> HttpResponse:
    """After the order, a guest may keep an account: only a password to choose."""
    from checkout.services import create_account_for_order

    order = order_for_confirmation(
        order_number, token="", session_numbers=request.session.get(ORDERS_SESSION_KEY, [])
    )
    if order is None:
        raise Http404
    try:
        create_account_for_order(order=order, password=request.POST.get("password", ""))
    except CheckoutError as error:
        messages.error(request, error.message)
        if error.code == "account_exists":
            return redirect_to_login(confirmation_url(order), reverse("accounts:sign_in"))
    else:
        messages.success(request, _("Almost done: open the link we have sent to %(email)s to "
                                    "confirm your account.") % {"email": order.email})
    return redirect(confirmation_url(order))
