"""The one-page checkout, the payment return and webhook, the sandbox payment page, and the
confirmation page. Thin: forms validate, ``cart.services`` and ``checkout.services`` write."""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation

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

from cart.http import activity_for, current_cart, signed_in_user
from cart.pricing import price_cart
from cart.selectors import cart_token_from_request
from cart.services import CartError, attach_contact, set_region
from checkout.forms import AddressForm, ContactForm
from checkout.links import RETURN_SALT, confirmation_url, payment_return_url
from checkout.models import Order, Payment, PaymentStatus
from checkout.payments import sandbox
from checkout.payments.base import InvalidWebhook, provider_named
from checkout.selectors import (
    consent_text,
    order_for_confirmation,
    order_of_cart_token,
    sms_consent_text,
)
from checkout.services import (
    CheckoutData,
    CheckoutError,
    TotalChanged,
    place_order,
    record_payment_status,
    start_payment,
)
from shop.consent import sms_needs_own_tick
from shop.models import PaymentMethodCode

logger = logging.getLogger(__name__)
ORDERS_SESSION_KEY = "checkout_orders"


def order_of_session_cart(request: HttpRequest):
    return order_of_cart_token(cart_token_from_request(request))


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _forms(request, data=None, payment_method: str = ""):
    shop = request.shop
    market = shop.market
    phone_required = bool(market and market.phone_required) or payment_method == "cod"
    # Unticked where the market requires an explicit opt-in (EU, UK), offered ticked elsewhere.
    opt_in = market is None or market.marketing_opt_in_required
    sms_apart = sms_needs_own_tick(market, shop.country)
    contact = ContactForm(
        data, consent_label=consent_text(market, sms_apart=sms_apart), consent_initial=not opt_in,
        sms_consent_label=sms_consent_text() if sms_apart else None,
    )  # fmt: skip
    address = AddressForm(
        data, country_code=shop.country, language=shop.language, phone_required=phone_required
    )
    return contact, address


def checkout_page(request: HttpRequest) -> HttpResponse:
    cart = current_cart(request)
    if cart is None or not cart.lines.exists():
        placed = order_of_session_cart(request)
        if placed is not None and request.method == "POST":  # a second click, a resubmit
            _remember_order(request, placed)
            return _pay(request, placed)
        messages.info(request, _("Your cart is empty."))
        return redirect("cart:page")
    source = request.POST if request.method == "POST" else request.GET
    if "country_area" in source:  # the state or province decides US and CA sales tax
        set_region(cart=cart, region=source.get("country_area", ""), activity=activity_for(request))
        cart.refresh_from_db()
    shipping_method_id = _int(source.get("shipping_method"))
    payment_method = source.get("payment_method", "")
    pricing = price_cart(
        cart, request.shop, shipping_method_id=shipping_method_id, payment_method=payment_method,
        with_suggestions=False,
    )  # fmt: skip
    if not payment_method or pricing.payment_method != payment_method:
        available = [option for option in pricing.payment_options if option.available]
        payment_method = pricing.payment_method or (available[0].code if available else "")
        pricing = price_cart(
            cart, request.shop, shipping_method_id=shipping_method_id,
            payment_method=payment_method, with_suggestions=False,
        )  # fmt: skip
    initial_contact = {}
    if cart.customer is not None:
        initial_contact = {"email": cart.customer.email}
    if request.method == "POST" and "place_order" in request.POST:
        contact_form, address_form = _forms(request, request.POST, payment_method)
        if contact_form.is_valid() and address_form.is_valid():
            response = _place(request, cart, pricing, contact_form, address_form, payment_method)
            if response is not None:
                return response
            pricing = price_cart(
                cart, request.shop, shipping_method_id=shipping_method_id,
                payment_method=payment_method, with_suggestions=False,
            )  # fmt: skip
    else:  # first view, or totals recalculated without JavaScript: no errors yet
        contact_form, address_form = _forms(request, None, payment_method)
        contact_form.initial.update(initial_contact)
        if request.method == "POST":
            contact_form.initial.update(request.POST.dict())
            address_form.initial.update(request.POST.dict())
    return render(
        request,
        "checkout/checkout.html",
        {
            "cart": cart,
            "pricing": pricing,
            "contact_form": contact_form,
            "address_form": address_form,
            "payment_method": payment_method,
            "opt_in_required": bool(request.shop.market and
                                    request.shop.market.marketing_opt_in_required),
        },
    )  # fmt: skip


def _place(request, cart, pricing, contact_form, address_form, payment_method):
    """Save the contact, place the order, start its payment. None: show the page again."""
    contact = contact_form.cleaned_data
    address = address_form.cleaned_data
    try:
        expected_total = Decimal(request.POST.get("expected_total", ""))
    except InvalidOperation:
        expected_total = Decimal(-1)
    try:
        customer = attach_contact(
            cart=cart, email=contact["email"], phone=address.get("phone", ""),
            first_name=address.get("first_name", ""), last_name=address.get("last_name", ""),
            marketing_consent=bool(contact.get("marketing_consent")),
            sms_consent=contact_form.sms_answer(),
            activity=activity_for(request), signed_in_user=signed_in_user(request),
        )  # fmt: skip
        data = CheckoutData(
            email=contact["email"],
            phone=address.get("phone", ""),
            address={k: v for k, v in address.items() if v not in (None, "")},
            shipping_method_id=pricing.shipping.method_id if pricing.shipping else None,
            payment_method=payment_method,
            expected_total=expected_total,
            marketing_consent=bool(contact.get("marketing_consent")),
        )
        order = place_order(
            cart=cart, locale=request.shop, data=data, customer=customer,
            idempotency_key=request.POST.get("attempt") or None,
        )  # fmt: skip
    except TotalChanged as changed:
        messages.warning(request, changed.message)
        return None
    except (CheckoutError, CartError) as error:
        message = error.message if isinstance(error, CheckoutError) else error.messages[0]
        messages.error(request, message)
        return None
    _remember_order(request, order)
    return _pay(request, order)


def _remember_order(request: HttpRequest, order: Order) -> None:
    numbers = request.session.get(ORDERS_SESSION_KEY, [])
    if order.number not in numbers:
        request.session[ORDERS_SESSION_KEY] = (numbers + [order.number])[-20:]


def _pay(request: HttpRequest, order: Order) -> HttpResponse:
    open_payment = order.payments.exclude(
        status__in=[PaymentStatus.FAILED, PaymentStatus.CANCELLED]
    ).first()
    if open_payment is not None and (
        open_payment.status != PaymentStatus.PENDING or open_payment.instructions
    ):  # paid, or waiting for money the shopper was told how to send
        return redirect(confirmation_url(order))
    payment, start = start_payment(order=order, return_url=payment_return_url(request, order))
    if start.redirect_url:
        return redirect(start.redirect_url)
    return redirect(confirmation_url(order))


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
    """The sandbox provider's test payment page: pay, fail or cancel."""
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
