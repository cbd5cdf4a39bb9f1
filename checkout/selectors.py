"""Reads of the checkout: the checkout page's pricing and context, consent wording per market,
orders for their confirmation page.

The page's pricing is computed once per request (the cart and market rules are fetched once,
the pure ``calculate`` runs again only to move to the default payment method), and a GET writes
nothing: the state typed in the address (US and CA sales tax) prices the page without being
stored; placing the order stores it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from cart.fetch import fetch_cart_info
from cart.models import Cart
from cart.pricing import CartPricing, calculate
from checkout.models import Order, OrderLine, Payment
from checkout.services import checkout_started
from shop.consent import sms_needs_own_tick
from shop.locale import ShopLocale
from shop.models import Market

CONFIRMATION_SALT = "checkout.confirmation"
CONFIRMATION_MAX_AGE = 60 * 60 * 24 * 30


def consent_text(market: Market | None, *, sms_apart: bool = False) -> str:
    """What the shopper agrees to receive, said plainly next to the box. ``sms_apart``: SMS has
    its own box (``sms_consent_text``), so this one speaks of e-mail only."""
    if sms_apart:
        return _(
            "Send me offers, new arrivals and a reminder if I leave items in my cart, by e-mail. "
            "I can unsubscribe at any time."
        )
    return _(
        "Send me offers, new arrivals and a reminder if I leave items in my cart, by e-mail "
        "(and SMS if I give my phone). I can unsubscribe at any time."
    )


def sms_consent_text() -> str:
    return _(
        "Send me offers and a reminder if I leave items in my cart, by SMS to the phone number "
        "I give. Message and data rates may apply; reply STOP to stop."
    )


def order_of_cart_token(token: str | None) -> Order | None:
    """The live order placed from the cart with this token, if any."""
    if not token:
        return None
    try:
        return (
            Order.objects.filter(cart__token=token)
            .exclude(status="cancelled")
            .order_by("-created_at")
            .first()
        )
    except (ValueError, ValidationError):  # not a UUID
        return None


def order_for_confirmation(number: str, *, token: str, session_numbers: list[str]) -> Order | None:
    """The order if this visitor may see it: placed in this session, or a signed link."""
    allowed = number in session_numbers
    if not allowed and token:
        try:
            allowed = (
                signing.loads(token, salt=CONFIRMATION_SALT, max_age=CONFIRMATION_MAX_AGE).get(
                    "order"
                )
                == number
            )
        except signing.BadSignature:
            allowed = False
    if not allowed:
        return None
    return (
        Order.objects.select_related("customer", "market")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
            Prefetch("payments", queryset=Payment.objects.order_by("-created_at")),
        )
        .filter(number=number)
        .first()
    )


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def checkout_pricing(
    cart: Cart,
    locale: ShopLocale,
    *,
    shipping_method_id: int | None,
    payment_method: str,
    region: str | None = None,
) -> CartPricing:
    """The pricing the checkout shows and places: for ``region`` when the shopper chose one
    (not stored), and for ``payment_method`` if it is offered and available, else the first
    method that is. One fetch, whatever happens."""
    if region is not None:
        cart = copy.copy(cart)  # priced for the typed state; the cart row is not touched
        cart.region = region.strip()[:10]
    info = fetch_cart_info(cart, locale)
    # The market's rules hold only methods a provider can take here (shop.selectors), so what
    # the shopper may choose is what pricing offers.
    wanted = payment_method or None
    pricing = calculate(info, shipping_method_id=shipping_method_id, payment_method=wanted)
    if not wanted or pricing.payment_method != wanted:
        available = [option.code for option in pricing.payment_options if option.available]
        default = available[0] if available else None
        if default != (pricing.payment_method or None):
            pricing = calculate(info, shipping_method_id=shipping_method_id, payment_method=default)
    return pricing


@dataclass(frozen=True)
class CheckoutPage:
    """What the checkout page shows, before its forms are bound."""

    pricing: CartPricing
    payment_method: str
    consent_label: str
    consent_initial: bool
    sms_consent_label: str | None  # its own box where SMS needs its own tick (US, opt-in)
    opt_in_required: bool
    phone_required: bool
    initial_email: str


def checkout_page_context(
    cart: Cart, locale: ShopLocale, params: Mapping[str, str]
) -> CheckoutPage:
    """The checkout page for the shopper's choices in ``params`` (query or form)."""
    region = params.get("country_area") if "country_area" in params else None
    pricing = checkout_pricing(
        cart, locale, shipping_method_id=_int(params.get("shipping_method")),
        payment_method=params.get("payment_method", ""), region=region,
    )  # fmt: skip
    if not pricing.is_empty:
        checkout_started.send(sender=Cart, cart=cart, pricing=pricing)
    market = locale.market
    # Unticked where the market requires an explicit opt-in (EU, UK), offered ticked elsewhere.
    opt_in = market is None or market.marketing_opt_in_required
    sms_apart = sms_needs_own_tick(market, locale.country)
    return CheckoutPage(
        pricing=pricing,
        payment_method=pricing.payment_method,
        consent_label=consent_text(market, sms_apart=sms_apart),
        consent_initial=not opt_in,
        sms_consent_label=sms_consent_text() if sms_apart else None,
        opt_in_required=bool(market and market.marketing_opt_in_required),
        phone_required=bool(market and market.phone_required) or pricing.payment_method == "cod",
        initial_email=cart.customer.email if cart.customer_id and cart.customer else "",
    )
