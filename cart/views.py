"""The cart page and its forms. Complete without JavaScript: each form posts here and comes back
to the cart page (post/redirect/get); ``cart.js`` sends the same changes through the API."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cart import services
from cart.http import activity_for, current_cart, price_for_request
from cart.services import CartError
from cart.throttles import CART_WRITE_THROTTLES, rate_limited

# The forms' POSTs count against the same limits as the API's cart writes.
cart_write = rate_limited(CART_WRITE_THROTTLES)


def cart_page(request: HttpRequest) -> HttpResponse:
    return _render_cart(request)


def _render_cart(request: HttpRequest, quantity_error: dict | None = None) -> HttpResponse:
    """The cart page (or its fragment); ``quantity_error`` puts a refused quantity back in its
    field with the reason next to it (status 400), so the shopper sees what they typed."""
    cart = current_cart(request)
    pricing = price_for_request(request, cart)
    fragment = request.method == "GET" and request.GET.get("fragment")
    context = {
        "cart": cart,
        "pricing": pricing,
        "max_quantity": settings.CART_MAX_LINE_QUANTITY,
        "quantity_error": quantity_error,
    }
    return render(
        request,
        "cart/_cart.html" if fragment else "cart/cart.html",
        context,
        status=400 if quantity_error else 200,
    )


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next") or default
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = default
    return redirect(target)


def _run(request: HttpRequest, change, success: str | None = None) -> None:
    """Run a service call; report its error (translated) or success as a message."""
    try:
        change()
    except CartError as error:
        messages.error(request, error.messages[0])
    else:
        if success:
            messages.success(request, success)


@require_POST
@cart_write
def add(request: HttpRequest) -> HttpResponse:
    cart = current_cart(request, create=True)
    _run(
        request,
        lambda: services.add_line(
            cart=cart,
            sku=request.POST.get("sku", ""),
            quantity=request.POST.get("quantity", "1"),
            activity=activity_for(request),
        ),
        _("Added to your cart."),
    )
    return _back(request, reverse("cart:page"))


@require_POST
@cart_write
def update_line(request: HttpRequest, line_id: int) -> HttpResponse:
    """A stepper button names the new quantity; Enter in the field, "Update" or leaving the
    field (the script) sends the typed one. A typed 0 removes the line, as shoppers expect; any
    other refused value comes back in its field with the reason next to it."""
    cart = current_cart(request)
    if cart is None:
        return redirect("cart:page")
    activity = activity_for(request)
    typed = request.POST.get("set_quantity") or request.POST.get("quantity", "")
    try:
        if "remove" in request.POST or typed.strip() == "0":
            services.remove_line(cart=cart, line_id=line_id, activity=activity)
        else:
            services.set_quantity(cart=cart, line_id=line_id, quantity=typed, activity=activity)
    except CartError as error:
        if error.field != "quantity":
            messages.error(request, error.messages[0])
            return redirect("cart:page")
        return _render_cart(
            request, {"line": line_id, "value": typed[:12], "message": error.messages[0]}
        )
    return redirect("cart:page")


@require_POST
@cart_write
def voucher(request: HttpRequest) -> HttpResponse:
    cart = current_cart(request, create=True)
    activity = activity_for(request)
    if "remove" in request.POST:
        _run(request, lambda: services.remove_voucher(cart=cart, activity=activity))
    else:
        _run(
            request,
            lambda: services.apply_voucher(
                cart=cart, code=request.POST.get("code", ""), activity=activity
            ),
            _("Voucher applied."),
        )
    return redirect("cart:page")


@require_POST
@cart_write
def shipping(request: HttpRequest) -> HttpResponse:
    cart = current_cart(request)
    if cart is not None:
        _run(
            request,
            lambda: services.select_shipping(
                cart=cart, method_id=request.POST.get("shipping_method"),
                activity=activity_for(request),
            ),
        )  # fmt: skip
    return redirect("cart:page")
