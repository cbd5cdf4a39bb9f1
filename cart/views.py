"""The cart page and its forms. Complete without JavaScript: each form posts here and comes back
to the cart page (post/redirect/get); ``cart.js`` sends the same changes through the API."""

from __future__ import annotations

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
    cart = current_cart(request)
    pricing = price_for_request(request, cart)
    template = "cart/_cart.html" if request.GET.get("fragment") else "cart/cart.html"
    return render(request, template, {"cart": cart, "pricing": pricing})


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
    cart = current_cart(request)
    if cart is not None:
        activity = activity_for(request)
        if "remove" in request.POST:
            _run(request, lambda: services.remove_line(cart=cart, line_id=line_id,
                                                       activity=activity))  # fmt: skip
        else:
            _run(
                request,
                lambda: services.set_quantity(
                    cart=cart, line_id=line_id,
                    # a stepper button names the new quantity; "Update" sends the typed one
                    quantity=request.POST.get("set_quantity") or request.POST.get("quantity"),
                    activity=activity,
                ),
            )  # fmt: skip
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
