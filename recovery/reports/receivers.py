"""The receivers that turn the lower apps' signals into events (``recovery.reports.recording``).

Each writes one INSERT from what the signal carries; none reads. Receivers of ``order_placed``
run after recovery's (this app is installed after it), so a cart recovery has turned back into
"converted" (ordered without any message: returned by itself) is not recorded as recovered.
"""

from __future__ import annotations

from cart.models import CartStatus
from cart.services import (
    cart_created,
    cart_viewed,
    contact_entered,
    product_added,
    shipping_chosen,
)
from checkout.services import (
    TotalChanged,
    checkout_refused,
    checkout_started,
    order_expired,
    order_placed,
    payment_failed,
    payment_started,
)
from recovery import signals as recovery_signals
from recovery.reports.models import Cause, EventKind, FailureCategory
from recovery.reports.payment_failures import categorise
from recovery.reports.recording import record, record_for_cart_id, record_for_carts


def on_cart_created(sender, cart, **kwargs) -> None:
    record(EventKind.CART_CREATED, cart=cart)


def on_product_added(sender, cart, line, quantity, **kwargs) -> None:
    seen = line.unit_price_seen
    amount = seen.amount * quantity if seen is not None else None
    record(EventKind.PRODUCT_ADDED, cart=cart, amount=amount)


def on_cart_viewed(sender, cart, pricing, **kwargs) -> None:
    """A price the shopper sees now differs from the one they added: recorded here, where it
    shows."""
    changed = any(line.price_changed for line in pricing.lines)
    record(EventKind.CART_VIEWED, cart=cart, cause=Cause.PRICE_CHANGED if changed else "",
           amount=pricing.total.amount, currency=pricing.currency)  # fmt: skip


def on_checkout_started(sender, cart, pricing, **kwargs) -> None:
    record(EventKind.CHECKOUT_STARTED, cart=cart, amount=pricing.total.amount,
           currency=pricing.currency)  # fmt: skip


def on_contact_entered(sender, cart, **kwargs) -> None:
    record(EventKind.CONTACT_ENTERED, cart=cart)


def on_shipping_chosen(sender, cart, **kwargs) -> None:
    record(EventKind.SHIPPING_CHOSEN, cart=cart)


def refusal_cause(error) -> str:
    """The cause of a refused placement, from its error code and field."""
    if isinstance(error, TotalChanged):
        if any(line.price_changed for line in error.pricing.lines):
            return Cause.PRICE_CHANGED
        return Cause.TOTAL_CHANGED
    if error.code == "out_of_stock":
        return Cause.OUT_OF_STOCK
    if error.code == "no_shipping" or error.field == "shipping_method":
        return Cause.SHIPPING_UNAVAILABLE
    if error.field == "payment_method":
        return Cause.METHOD_MISSING
    return ""


def on_checkout_refused(sender, cart, error, **kwargs) -> None:
    record(EventKind.CHECKOUT_REFUSED, cart=cart, cause=refusal_cause(error),
           detail=str(error.code)[:64])  # fmt: skip


def on_payment_started(sender, payment, order, **kwargs) -> None:
    record_for_cart_id(EventKind.PAYMENT_STARTED, cart_id=order.cart_id,
                       payment_method=payment.method, amount=payment.amount,
                       currency=payment.currency)  # fmt: skip


def on_payment_failed(sender, payment, **kwargs) -> None:
    category, code = categorise(payment.status, payment.failure_reason)
    order = payment.order
    record_for_cart_id(EventKind.PAYMENT_FAILED, cart_id=order.cart_id,
                       payment_method=payment.method, failure_category=category, detail=code,
                       cause=Cause.PAYMENT_FAILED, amount=payment.amount,
                       currency=payment.currency)  # fmt: skip


def on_order_expired(sender, order, **kwargs) -> None:
    record_for_cart_id(EventKind.PAYMENT_FAILED, cart_id=order.cart_id,
                       payment_method=order.payment_method,
                       failure_category=FailureCategory.EXPIRED, detail="expired",
                       cause=Cause.PAYMENT_FAILED, amount=order.total,
                       currency=order.currency)  # fmt: skip


def on_order_placed(sender, order, **kwargs) -> None:
    cart = order.cart  # the placement's own cart object: no query
    record(EventKind.ORDER_PLACED, cart=cart, amount=order.total, currency=order.currency,
           payment_method=order.payment_method)  # fmt: skip
    if cart.status == CartStatus.RECOVERED:
        record(EventKind.CART_RECOVERED, cart=cart, amount=order.total,
               currency=order.currency, payment_method=order.payment_method)  # fmt: skip


def on_carts_abandoned(sender, cart_ids, **kwargs) -> None:
    record_for_carts(EventKind.CART_ABANDONED, cart_ids=cart_ids)


def on_cart_restored(sender, cart, **kwargs) -> None:
    record(EventKind.CART_RESTORED, cart=cart)


def on_leave_feedback(sender, feedback, **kwargs) -> None:
    """The shopper's own answer ("why did you leave?", ``recovery.feedback``): one INSERT that
    copies the cart's market, country and device (the answer has only the cart's id at hand)."""
    record_for_cart_id(EventKind.FEEDBACK_GIVEN, cart_id=feedback.cart_id,
                       cause=Cause.SHOPPER_ANSWER, detail=feedback.reason[:64])  # fmt: skip


_CONNECTIONS = (
    (cart_created, on_cart_created),
    (product_added, on_product_added),
    (cart_viewed, on_cart_viewed),
    (checkout_started, on_checkout_started),
    (contact_entered, on_contact_entered),
    (shipping_chosen, on_shipping_chosen),
    (checkout_refused, on_checkout_refused),
    (payment_started, on_payment_started),
    (payment_failed, on_payment_failed),
    (order_expired, on_order_expired),
    (order_placed, on_order_placed),
    (recovery_signals.carts_abandoned, on_carts_abandoned),
    (recovery_signals.cart_restored, on_cart_restored),
    (recovery_signals.leave_feedback_given, on_leave_feedback),
)
for _signal, _receiver in _CONNECTIONS:
    _signal.connect(_receiver, dispatch_uid=f"reports_{_receiver.__name__}")
