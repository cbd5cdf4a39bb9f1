"""Order placement and payment outcomes: the writes of the checkout.

``place_order`` is the one way an order comes to be. In one transaction it locks the cart,
prices it again, refuses if the total differs from the one the shopper was shown, locks the
stock rows in a fixed order (variant id), checks and decrements them, writes the order with its
snapshot, marks the cart converted and, after commit, sends ``order_placed``. A second call for
the same cart (double click, retried request, back button) or the same idempotency key returns
the order already placed.

``submit_order`` is the one submit path of the page and the API: contact, placement and the
start of the payment. Its steps lock the cart, then the order, so twenty retries of one attempt
arriving together get the one order and its one payment.

The rest: a payment's outcome (``record_payment_status``), staff confirming money received
(``mark_order_paid``), and orders whose payment window passed (``expire_unpaid_order``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cart.models import Cart, CartStatus, Voucher, VoucherRedemption
from cart.pricing import CartPricing, price_cart
from cart.services import Activity, attach_contact
from checkout.models import Order, OrderLine, OrderStatus, Payment, PaymentStatus
from checkout.payments.base import (
    PaymentStart,
    PaymentUnavailable,
    ProviderUnreachable,
    is_offered,
    provider_for,
    provider_named,
)
from shop.accounts.services import AccountError, open_account
from shop.locale import ShopLocale
from shop.models import Customer, Variant
from shop.money import format_money

logger = logging.getLogger(__name__)

# Sent after the order's transaction commits: sender=Order, order=<Order>.
order_placed = Signal()
# Sent when a payment fails or is cancelled: sender=Payment, payment=<Payment>.
payment_failed = Signal()
# Sent after commit once the shopper has a confirmed order to be told about: paid, cash on
# delivery accepted, or told how to pay (Pix, bank transfer). sender=Order, order=<Order>.
order_confirmed = Signal()
# Sent after commit when staff or a provider confirmed the money of an order the shopper was
# told how to pay (transfer, Pix, cash on delivery): sender=Order, order=<Order>.
order_paid = Signal()
# Sent after commit when an unpaid order passed its payment window: sender=Order, order=<Order>.
order_expired = Signal()
# For the reports (sent in the caller's transaction): the checkout page was shown with a
# non-empty cart, sender=Cart, cart=<Cart>, pricing=<CartPricing>
# (``checkout.selectors.checkout_page_context``); a payment was opened at its provider,
# sender=Payment, payment=<Payment>, order=<Order>; placement was refused (stock gone, total
# changed, no shipping or method), sender=Cart, cart=<Cart>, error=<CheckoutError>.
checkout_started = Signal()
payment_started = Signal()
checkout_refused = Signal()


def _confirmed(order: Order) -> None:
    transaction.on_commit(lambda: order_confirmed.send(sender=Order, order=order))


class CheckoutError(Exception):
    """Placement refused; ``field`` names the input at fault, ``message`` is translated."""

    def __init__(self, message: str, *, field: str = "non_field_errors", code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class TotalChanged(CheckoutError):
    """The cart's total is no longer the one the shopper confirmed: nothing was placed."""

    def __init__(self, pricing: CartPricing) -> None:
        super().__init__(
            _("The total has changed to %(total)s. Please check your order and confirm again.")
            % {"total": format_money(pricing.total, pricing.language, pricing.country)},
            field="expected_total",
            code="total_changed",
        )
        self.pricing = pricing


@dataclass(frozen=True)
class CheckoutData:
    """What the shopper entered, already validated by the checkout form or API."""

    email: str
    phone: str
    address: dict
    shipping_method_id: int | None
    payment_method: str
    expected_total: Decimal
    # None: the shopper was not asked (API without the field); nothing is recorded then.
    marketing_consent: bool | None = False
    sms_consent: bool | None = None


def scoped_key(cart: Cart, key: str | None) -> str | None:
    """A client's Idempotency-Key, bound to its cart and of fixed length: the same key sent
    for another cart never hands out this cart's order, and any key fits the column."""
    if not key:
        return None
    return hashlib.sha256(f"{cart.token}:{key}".encode()).hexdigest()


def existing_order_for_key(scoped: str) -> Order | None:
    return (
        Order.objects.filter(idempotency_key=scoped).exclude(status=OrderStatus.CANCELLED).first()
    )


def place_order(
    *,
    cart: Cart,
    locale: ShopLocale,
    data: CheckoutData,
    customer: Customer,
    idempotency_key: str | None = None,
) -> Order:
    idempotency_key = scoped_key(cart, idempotency_key)
    if idempotency_key:
        existing = existing_order_for_key(idempotency_key)
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            return _place(cart, locale, data, customer, idempotency_key)
    except CheckoutError as error:
        checkout_refused.send(sender=Cart, cart=cart, error=error)
        raise
    except IntegrityError:
        # A concurrent request for the same cart or key won the race: return its order.
        existing = (
            Order.objects.filter(cart_id=cart.pk).exclude(status=OrderStatus.CANCELLED).first()
        )
        if existing is None and idempotency_key:
            existing = existing_order_for_key(idempotency_key)
        if existing is None:
            raise
        return existing


@dataclass(frozen=True)
class Submission:
    """A placed order, its payment and what the shopper does next (``start``)."""

    order: Order
    payment: Payment
    start: PaymentStart


def submit_order(
    *,
    cart: Cart,
    locale: ShopLocale,
    data: CheckoutData,
    activity: Activity,
    return_url: Callable[[Order], str],
    signed_in_user=None,
    idempotency_key: str | None = None,
) -> Submission:
    """The checkout's submit, for the page and the API: save the contact, place the order,
    start its payment.

    A retry of the same attempt (same key, or the same cart) answers the order placed first
    and its payment: the cart's row lock makes a retry wait for the first placement to commit,
    then it finds that order instead of a closed cart. ``return_url(order)`` is where the
    payment provider sends the shopper back.
    """
    scoped = scoped_key(cart, idempotency_key)
    order = existing_order_for_key(scoped) if scoped else None
    if order is None:
        order = _contact_and_place(
            cart=cart, locale=locale, data=data, activity=activity,
            signed_in_user=signed_in_user, idempotency_key=idempotency_key,
        )  # fmt: skip
    payment, start = start_payment(order=order, return_url=return_url(order))
    return Submission(order=order, payment=payment, start=start)


def _contact_and_place(*, cart, locale, data, activity, signed_in_user, idempotency_key) -> Order:
    """The contact is kept even when placing fails (a changed total, stock gone): the cart can
    then be recovered. Both steps lock the cart; the second (``place_order``) also returns the
    order a concurrent retry placed in between."""
    address = data.address
    with transaction.atomic():
        locked = Cart.objects.select_for_update(of=("self",)).get(pk=cart.pk)
        placed = Order.objects.filter(cart=locked).exclude(status=OrderStatus.CANCELLED).first()
        if placed is not None:
            if idempotency_key and placed.idempotency_key != scoped_key(cart, idempotency_key):
                # Another attempt ordered this cart: this one may not take its order over.
                raise CheckoutError(
                    _("This cart has already been ordered. Start a new one."),
                    field="cart", code="closed",
                )  # fmt: skip
            return placed  # the same checkout submitted again
        customer = attach_contact(
            cart=locked, email=data.email, phone=data.phone or address.get("phone", ""),
            first_name=address.get("first_name", ""), last_name=address.get("last_name", ""),
            marketing_consent=data.marketing_consent, sms_consent=data.sms_consent,
            activity=activity, signed_in_user=signed_in_user,
        )  # fmt: skip
    return place_order(
        cart=locked, locale=locale, data=data, customer=customer, idempotency_key=idempotency_key
    )


def payment_window(method: str) -> timedelta | None:
    """How long an order paid with ``method`` may wait for its money (None: no limit)."""
    windows = settings.PAYMENT_WINDOWS
    minutes = windows.get(method, windows.get("*", 0))
    return timedelta(minutes=minutes) if minutes else None


def _place(cart, locale, data, customer, idempotency_key) -> Order:
    cart = Cart.objects.select_for_update().get(pk=cart.pk)
    existing = Order.objects.filter(cart=cart).exclude(status=OrderStatus.CANCELLED).first()
    if existing is not None:  # the same checkout submitted again
        return existing
    if cart.status not in {CartStatus.ACTIVE, CartStatus.ABANDONED}:
        raise CheckoutError(_("This cart can no longer be ordered."), code="closed")
    if locale.market is None:
        raise CheckoutError(_("We do not ship to this country."), field="country")
    if cart.voucher_id:
        # Orders using the same voucher queue here, so its usage limit is read after the
        # previous order counted its use.
        list(Voucher.objects.select_for_update().filter(pk=cart.voucher_id))
    region = str(data.address.get("country_area") or "")[:10]
    if region != cart.region:  # sales tax by state or province follows the address
        cart.region = region
        cart.save(update_fields=["region", "updated_at"])
    pricing = price_cart(
        cart, locale, shipping_method_id=data.shipping_method_id,
        payment_method=data.payment_method, with_suggestions=False,
    )  # fmt: skip
    _check_pricing(pricing, data)
    _take_stock(pricing)
    # Abandoned now, or earlier and brought back (a restore link, an edit): recovered either way.
    was_abandoned = cart.status == CartStatus.ABANDONED or cart.was_abandoned
    order = _write_order(cart, locale, data, customer, pricing, idempotency_key)
    cart.status = CartStatus.RECOVERED if was_abandoned else CartStatus.CONVERTED
    cart.customer = customer
    cart.save(update_fields=["status", "customer", "updated_at"])
    if cart.voucher_id and pricing.voucher_code and not pricing.voucher_error:
        Voucher.objects.filter(pk=cart.voucher_id).update(times_used=F("times_used") + 1)
        VoucherRedemption.objects.create(voucher_id=cart.voucher_id, customer=customer, cart=cart)
    transaction.on_commit(lambda: order_placed.send(sender=Order, order=order))
    return order


def _check_pricing(pricing: CartPricing, data: CheckoutData) -> None:
    if pricing.is_empty:
        raise CheckoutError(_("Your cart is empty."), code="empty")
    if pricing.shipping is None:
        raise CheckoutError(
            _("We cannot ship to this country yet."), field="shipping_method", code="no_shipping"
        )
    if not pricing.tax_known:  # never 0 % by omission; staff see the gap (check shop.W001)
        raise CheckoutError(
            _("We cannot work out the tax for this address yet, so we cannot take the order. "
              "Please contact us."),
            field="address",
            code="tax_unknown",
        )  # fmt: skip
    if data.shipping_method_id and pricing.shipping.method_id != data.shipping_method_id:
        raise CheckoutError(
            _("This shipping method is not available for your country."),
            field="shipping_method",
            code="invalid_choice",
        )
    if pricing.payment_method != data.payment_method:
        raise CheckoutError(
            _("This payment method is not available for this order."),
            field="payment_method",
            code="invalid_choice",
        )
    if not is_offered(data.payment_method):  # no provider that takes real money here
        raise CheckoutError(
            _("This payment method is not available for this order."),
            field="payment_method",
            code="invalid_choice",
        )
    if not data.expected_total.is_finite() or pricing.total.amount != data.expected_total:
        raise TotalChanged(pricing)


def _take_stock(pricing: CartPricing) -> None:
    """Lock the variants in id order (no deadlock between two orders) and decrement them."""
    wanted: dict[str, int] = {}
    for line in pricing.lines:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    variants = list(
        Variant.objects.select_for_update(of=("self",))
        .select_related("product")
        .filter(sku__in=wanted)
        .order_by("pk")
    )
    short = []
    for variant in variants:
        quantity = wanted[variant.sku]
        if not variant.active or not variant.product.active:
            short.append(_("%(name)s is no longer sold.") % {"name": variant.product.name})
        elif variant.track_stock and variant.stock_quantity <= 0:
            short.append(_("%(name)s is sold out.") % {"name": variant.product.name})
        elif variant.track_stock and variant.stock_quantity < quantity:
            short.append(
                ngettext(
                    "Only %(count)s of %(name)s left.",
                    "Only %(count)s of %(name)s left.",
                    variant.stock_quantity,
                )
                % {"count": variant.stock_quantity, "name": variant.product.name}
            )
    if short:
        raise CheckoutError(" ".join(short), field="lines", code="out_of_stock")
    tracked = {variant.pk: wanted[variant.sku] for variant in variants if variant.track_stock}
    if tracked:  # one UPDATE for all lines, whatever their number
        Variant.objects.filter(pk__in=tracked).update(
            stock_quantity=F("stock_quantity")
            - Case(*(When(pk=pk, then=Value(qty)) for pk, qty in tracked.items()))
        )


def _write_order(cart, locale, data, customer, pricing, idempotency_key) -> Order:
    shipping = pricing.shipping
    now = timezone.now()
    window = payment_window(pricing.payment_method)
    order = Order.objects.create(
        created_at=now,
        payment_due_at=now + window if window else None,
        cart=cart,
        idempotency_key=idempotency_key or None,
        customer=customer,
        market=locale.market,
        email=data.email,
        phone=data.phone,
        language=locale.language,
        country=locale.country,
        currency=pricing.currency,
        shipping_address=data.address,
        shipping_method_name=shipping.name,
        carrier=shipping.carrier,
        delivery_from=shipping.delivery_from,
        delivery_to=shipping.delivery_to,
        payment_method=pricing.payment_method,
        voucher_code="" if pricing.voucher_error else pricing.voucher_code,
        prices_include_tax=pricing.prices_include_tax,
        subtotal=pricing.subtotal.amount,
        discount=pricing.discount.amount,
        shipping_price=pricing.shipping_price.amount,
        tax=pricing.tax.amount,
        duties=pricing.duties.amount,
        duty_mode=pricing.duty_mode,
        duties_prepaid=pricing.duties_prepaid,
        payment_fee=pricing.payment_fee.amount,
        total=pricing.total.amount,
    )
    skus = [line.sku for line in pricing.lines]
    variant_ids = dict(Variant.objects.filter(sku__in=skus).values_list("sku", "pk"))
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            variant_id=variant_ids.get(line.sku),
            sku=line.sku,
            product_name=line.product_name,
            attributes=[list(a) for a in line.attributes],
            quantity=line.quantity,
            unit_price=line.unit_price.amount,
            line_total=line.line_total.amount,
            tax_rate=line.unit.tax_rate,
        )
        for line in pricing.lines
    )
    return order


@transaction.atomic
def record_payment_status(*, payment: Payment, status: str, reference: str = "",
                          failure_reason: str = "", paid_by=None) -> Payment:  # fmt: skip
    """Apply a provider's news to a payment and its order. Idempotent: a webhook delivered
    twice, or a return after the webhook, changes nothing the second time. ``paid_by`` is the
    staff user who confirmed money received."""
    payment = (
        Payment.objects.select_for_update(of=("self",)).select_related("order").get(pk=payment.pk)
    )
    if payment.status in {PaymentStatus.PAID, PaymentStatus.FAILED, PaymentStatus.CANCELLED}:
        if status == PaymentStatus.PAID and payment.status != PaymentStatus.PAID:
            # Money for a payment the shop gave up on (expired, failed): staff must refund it
            # or fulfil the order by hand; the stock is no longer reserved for it.
            logger.error("Payment %s of order %s was reported paid after it was %s",
                         payment.pk, payment.order.number, payment.status)  # fmt: skip
        return payment  # final already
    payment.status = status
    if reference:
        payment.reference = reference
    payment.failure_reason = failure_reason[:255]
    payment.save(update_fields=["status", "reference", "failure_reason", "updated_at"])
    order = payment.order
    if status == PaymentStatus.PAID:
        updated = Order.objects.filter(pk=order.pk).exclude(
            status__in=[OrderStatus.PAID, OrderStatus.CANCELLED]
        )
        if updated.update(status=OrderStatus.PAID, paid_at=timezone.now(), paid_by=paid_by):
            if payment.instructions:  # told how to pay at placement: now told it arrived
                transaction.on_commit(lambda: order_paid.send(sender=Order, order=order))
            else:  # redirect payments: the confirmation follows the money
                _confirmed(order)
    elif status in {PaymentStatus.FAILED, PaymentStatus.CANCELLED}:
        _cancel(order, cart_status=CartStatus.ACTIVE)
        transaction.on_commit(lambda: payment_failed.send(sender=Payment, payment=payment))
    return payment


def _cancel(order: Order, *, cart_status: str) -> bool:
    """Cancel the order, give its stock and voucher back and reopen its cart intact with
    ``cart_status``: active after a failed payment (the shopper is there to try again),
    abandoned after an expiry (recovery follows it). False if it was cancelled already."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status == OrderStatus.CANCELLED:
        return False
    for line in order.lines.exclude(variant=None).order_by("variant_id"):
        Variant.objects.filter(pk=line.variant_id, track_stock=True).update(
            stock_quantity=F("stock_quantity") + line.quantity
        )
    if order.voucher_code:  # the voucher was not really used: give it back
        redeemed = VoucherRedemption.objects.filter(
            cart_id=order.cart_id, customer=order.customer_id
        )
        if redeemed.exists():
            voucher_ids = list(redeemed.values_list("voucher_id", flat=True))
            redeemed.delete()
            Voucher.objects.filter(pk__in=voucher_ids, times_used__gt=0).update(
                times_used=F("times_used") - 1
            )
    order.status = OrderStatus.CANCELLED
    order.idempotency_key = None  # a new attempt with the same key is a new order
    order.save(update_fields=["status", "idempotency_key"])
    now = timezone.now()
    if cart_status == CartStatus.ABANDONED:
        Cart.objects.filter(pk=order.cart_id).update(
            status=CartStatus.ABANDONED, abandoned_at=now, was_abandoned=True
        )
    else:
        Cart.objects.filter(pk=order.cart_id).update(status=cart_status, last_activity_at=now)
    return True


_OPEN = [PaymentStatus.PENDING, PaymentStatus.AUTHORIZED, PaymentStatus.PAID]


def start_payment(*, order: Order, return_url: str) -> tuple[Payment, PaymentStart]:
    """Open the payment of the order's attempt with its method's provider; record what it said.

    The order row is locked for the whole start, so retries arriving together queue here and
    find the payment the first one opened: one payment per attempt, never a second charge.
    A payment still pending is started again (providers' ``start`` is idempotent per payment:
    the same payment page); one already paid or authorized is answered as it is.
    Raises ``CheckoutError`` for a cancelled order or a method no provider can take.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status == OrderStatus.CANCELLED:
            raise CheckoutError(
                _("This order was cancelled. Please place it again."), code="closed"
            )
        payment = order.payments.filter(status__in=_OPEN).order_by("created_at", "pk").first()
        if payment is not None and payment.status != PaymentStatus.PENDING:
            return payment, _stored_start(payment)
        try:
            provider = (
                provider_named_for(payment) if payment is not None
                else provider_for(order.payment_method)
            )  # fmt: skip
            created = payment is None
            if created:
                payment = Payment.objects.create(
                    order=order, provider=provider.name, method=order.payment_method,
                    amount=order.total, currency=order.currency,
                )  # fmt: skip
            start = provider.start(payment, return_url=return_url)
        except PaymentUnavailable:  # nothing was written: the transaction rolls back
            raise CheckoutError(
                _("This payment method is not available for this order."),
                field="payment_method", code="invalid_choice",
            ) from None  # fmt: skip
        payment.status = start.status
        payment.reference = start.reference
        payment.instructions = start.instructions
        payment.save(update_fields=["status", "reference", "instructions", "updated_at"])
        if not created:
            return payment, start
        payment_started.send(sender=Payment, payment=payment, order=order)
        if start.status == PaymentStatus.PAID:
            Order.objects.filter(pk=order.pk).update(
                status=OrderStatus.PAID, paid_at=timezone.now()
            )
        elif start.instructions.get("kind") == "cod":
            Order.objects.filter(pk=order.pk).update(status=OrderStatus.CONFIRMED)
        if start.status == PaymentStatus.PAID or start.instructions:
            _confirmed(order)  # paid at once, or the shopper needs the instructions in writing
        return payment, start


def provider_named_for(payment: Payment):
    """The provider that opened ``payment`` (the configuration may have moved on since)."""
    try:
        return provider_named(payment.provider)
    except LookupError:
        raise PaymentUnavailable(payment.method, payment.provider) from None


def _stored_start(payment: Payment) -> PaymentStart:
    return PaymentStart(
        status=payment.status, reference=payment.reference, instructions=payment.instructions
    )


def mark_order_paid(*, order: Order, by) -> bool:
    """Staff received the money of an offline payment (bank transfer, static Pix, cash on
    delivery): the order is paid, ``by`` and the time are recorded, and the shopper gets the
    payment mail once. False (nothing changed) for an order already paid or cancelled, or one
    whose payment a provider confirms itself (card, Stripe): staff cannot mark those."""
    from checkout.payments.offline import STAFF_CONFIRMED

    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status not in {OrderStatus.PENDING_PAYMENT, OrderStatus.CONFIRMED}:
            return False
        payment = (
            order.payments.filter(
                status__in=[PaymentStatus.PENDING, PaymentStatus.AUTHORIZED],
                provider__in=STAFF_CONFIRMED,
            )
            .order_by("created_at")
            .first()
        )
        if payment is None:
            return False
        record_payment_status(payment=payment, status=PaymentStatus.PAID, paid_by=by)
        return True


def expire_unpaid_order(*, order: Order, now=None) -> bool:
    """The order's payment window passed without the money: cancel its payments and the
    order, give stock and voucher back, reopen its cart as abandoned (recovery follows it), and
    tell the shopper after commit. False if it was paid or cancelled meanwhile.

    First each open payment is released at its provider (a Stripe session expired), outside
    the order's lock since it is a network call: money that arrived at the last second marks
    the order paid instead, and a provider that cannot be asked leaves the order for the next
    run."""
    now = now or timezone.now()
    for payment in Payment.objects.filter(
        order_id=order.pk, status__in=[PaymentStatus.PENDING, PaymentStatus.AUTHORIZED]
    ).select_related("order"):
        try:
            update = provider_named_for(payment).release(payment)
        except PaymentUnavailable:
            continue  # no provider any more to close it at
        except ProviderUnreachable:
            logger.warning("Order %s not expired yet: payment %s unknown", order.pk, payment.pk)
            return False
        if update.status in {PaymentStatus.PAID, PaymentStatus.AUTHORIZED}:
            record_payment_status(payment=payment, status=update.status,
                                  reference=update.reference)  # fmt: skip
            return False
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if (
            order.status != OrderStatus.PENDING_PAYMENT
            or order.payment_due_at is None
            or order.payment_due_at > now
        ):
            return False
        order.payments.filter(
            status__in=[PaymentStatus.PENDING, PaymentStatus.AUTHORIZED]
        ).update(status=PaymentStatus.CANCELLED, failure_reason="expired: not paid in time",
                 updated_at=now)  # fmt: skip
        _cancel(order, cart_status=CartStatus.ABANDONED)
        Order.objects.filter(pk=order.pk).update(expired_at=now)
        transaction.on_commit(lambda: order_expired.send(sender=Order, order=order))
    return True


def create_account_for_order(*, order: Order, password: str) -> None:
    """After the order, a guest may open an account with a password. It waits for the
    confirmation link mailed to the order's address (``shop.accounts``): until then it sees
    nothing of the guest history of that address. An address with an account is asked to
    sign in instead (``CheckoutError`` with code ``account_exists``)."""
    try:
        open_account(customer=order.customer, password=password, language=order.language)
    except AccountError as refused:
        code = "account_exists" if refused.code == "exists" else refused.code
        raise CheckoutError(refused.message, field=refused.field, code=code) from None
