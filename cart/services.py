"""Writes to carts. Views, the API and signal handlers call these; nothing else writes a cart.

Every write runs in a transaction holding the cart's row lock (``select_for_update``), so two
requests changing the same cart at once are serialised and neither update is lost; every write
also moves the cart's last activity, which is what abandonment detection looks at. Bad input
raises :class:`CartError` (a ``ValidationError`` with a translated message) and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cart.models import Cart, CartLine, CartStatus, Voucher
from shop.locale import ShopLocale
from shop.models import ConsentSource, Customer, Variant
from shop.phones import normalize_phone
from shop.prices import unit_price, variant_unit_price
from shop.selectors import VariantDetails, price_context, variant_details


class CartError(ValidationError):
    """A refused cart change: ``field`` names the input at fault (``sku``, ``quantity``...)."""

    def __init__(self, message: str, *, field: str, code: str) -> None:
        super().__init__(message, code=code)
        self.field = field


class UnknownVariant(CartError):
    def __init__(self, sku: str) -> None:
        super().__init__(
            _("We could not find the product “%(sku)s”.") % {"sku": sku},
            field="sku",
            code="unknown_sku",
        )


# What happened to a cart, for the layers above (reports). Sent by the services below, in the
# caller's transaction: sender=Cart, cart=<Cart> (its fields as written), and:
cart_created = Signal()
product_added = Signal()  # line=<CartLine>, quantity=<units added>
cart_viewed = Signal()  # pricing=<CartPricing> (sent by ``cart.http.price_for_request``)
contact_entered = Signal()  # customer=<Customer>
shipping_chosen = Signal()


@dataclass(frozen=True)
class Activity:
    """Where a cart write comes from: the shopper's locale and device class."""

    locale: ShopLocale
    device: str = ""


def _max_message(maximum: int) -> str:
    return ngettext(
        "You can buy at most %(max)s of one item.",
        "You can buy at most %(max)s of one item.",
        maximum,
    ) % {"max": maximum}


def parse_quantity(raw) -> int:
    """A whole number from 1 to ``CART_MAX_LINE_QUANTITY``; anything else is refused."""
    maximum = settings.CART_MAX_LINE_QUANTITY
    if isinstance(raw, int) and not isinstance(raw, bool):
        quantity = raw
    elif isinstance(raw, str) and re.fullmatch(r"[+-]?\d{1,9}", raw.strip()):
        quantity = int(raw.strip())
    else:
        raise CartError(
            _("Enter the quantity as a whole number."), field="quantity", code="invalid"
        )
    if quantity < 1:
        raise CartError(_("The quantity must be at least 1."), field="quantity", code="min_value")
    if quantity > maximum:
        raise CartError(
            _max_message(maximum),
            field="quantity",
            code="max_value",
        )
    return quantity


def create_cart(*, activity: Activity, customer: Customer | None = None) -> Cart:
    locale = activity.locale
    cart = Cart.objects.create(
        customer=customer,
        market=locale.market,
        country=locale.country,
        currency=locale.currency,
        language=locale.language,
        device=activity.device or "unknown",
    )
    cart_created.send(sender=Cart, cart=cart)
    return cart


@contextmanager
def _writing(cart: Cart) -> Iterator[Cart]:
    """A transaction holding the cart's row lock, with the cart as it is under the lock.

    Once it commits, the caller's ``cart`` object holds what was written, so a view can price
    it without reading it again; a refused change leaves the caller's object as it was.
    """
    with transaction.atomic():
        locked = _locked(cart)
        yield locked
    for field in Cart._meta.concrete_fields:
        setattr(cart, field.attname, getattr(locked, field.attname))
    if Cart._meta.get_field("market").is_cached(locked):
        cart.market = locked.market  # from the configuration cache: no query


def _locked(cart: Cart) -> Cart:
    """Re-read the cart under its row lock; only open carts can change."""
    # No joins: the market comes from the configuration cache, the customer when asked for.
    locked = Cart.objects.select_for_update().get(pk=cart.pk)
    if locked.market_id is not None and locked.market_id == getattr(cart.market, "pk", None):
        locked.market = cart.market
    if not locked.is_open:
        raise CartError(
            _("This cart has already been ordered. Start a new one."),
            field="cart",
            code="closed",
        )
    return locked


# What every write records about the cart (``_touch``); a service adds the fields it changed.
TOUCHED_FIELDS = (
    "last_activity_at", "market", "country", "currency", "language", "device", "status",
    "abandoned_at", "was_abandoned", "updated_at",
)  # fmt: skip


def _touch(cart: Cart, activity: Activity, *changed: str) -> None:
    """Record the activity: its time, locale and device; an abandoned cart is active again.
    ``changed`` names the other fields the caller set, so only they are written."""
    locale = activity.locale
    if cart.pk and cart.currency and cart.currency != locale.currency:
        _reprice_seen(cart, activity)
    cart.last_activity_at = timezone.now()
    cart.market = locale.market
    cart.country = locale.country
    cart.currency = locale.currency
    cart.language = locale.language
    if activity.device:
        cart.device = activity.device
    if cart.status == CartStatus.ABANDONED:
        cart.status = CartStatus.ACTIVE
        cart.abandoned_at = None
        cart.was_abandoned = True  # an order from it still counts as recovered
    cart.save(update_fields=[*TOUCHED_FIELDS, *changed])


def _reprice_seen(cart: Cart, activity: Activity) -> None:
    """The shopper now sees another currency: the prices they saw become today's prices in it,
    so every line of the cart speaks one currency (and no warning compares two)."""
    context = price_context(activity.locale, region=cart.region)
    lines = list(
        CartLine.objects.filter(cart=cart).select_related("variant__product")
        .prefetch_related("variant__prices")
    )  # fmt: skip
    for line in lines:
        line.unit_price_seen = variant_unit_price(line.variant, context).shown
    CartLine.objects.bulk_update(lines, ["unit_price_seen", "unit_price_seen_currency"])


def _check_stock(variant: Variant, quantity: int) -> None:
    if not variant.track_stock:
        return
    if variant.stock_quantity <= 0:
        raise CartError(
            _("%(name)s is sold out.") % {"name": variant.product.name},
            field="quantity",
            code="out_of_stock",
        )
    if quantity > variant.stock_quantity:
        raise CartError(
            ngettext(
                "Only %(count)s of %(name)s left.",
                "Only %(count)s of %(name)s left.",
                variant.stock_quantity,
            )
            % {"count": variant.stock_quantity, "name": variant.product.name},
            field="quantity",
            code="insufficient_stock",
        )


def _variant_by_sku(sku: str) -> tuple[Variant, VariantDetails]:
    """The variant on sale under ``sku`` (its stock read now) and its cached details."""
    sku = (sku or "").strip()
    variant = Variant.objects.filter(sku=sku, active=True, product__active=True).first()
    if variant is None:
        raise UnknownVariant(sku)
    details = variant_details([variant.pk])[variant.pk]
    variant.product = details.product
    return variant, details


def add_line(*, cart: Cart, sku: str, quantity, activity: Activity) -> CartLine:
    """Add ``quantity`` of a variant; a variant already in the cart gets the sum."""
    quantity = parse_quantity(quantity)
    variant, details = _variant_by_sku(sku)
    seen = unit_price(
        net_base=variant.price, tax_class=details.product.tax_class,
        fixed_prices=details.fixed_prices,
        context=price_context(activity.locale, region=cart.region),
    ).shown  # fmt: skip
    with _writing(cart) as cart:
        line = CartLine.objects.filter(cart=cart, variant=variant).first()
        new_quantity = quantity + (line.quantity if line else 0)
        if new_quantity > settings.CART_MAX_LINE_QUANTITY:
            raise CartError(
                _max_message(settings.CART_MAX_LINE_QUANTITY),
                field="quantity",
                code="max_value",
            )
        _check_stock(variant, new_quantity)
        now = timezone.now()
        if line is None:
            line = CartLine.objects.create(
                cart=cart, variant=variant, quantity=new_quantity, unit_price_seen=seen,
                added_at=now, updated_at=now,
            )  # fmt: skip
        else:
            line.quantity = new_quantity  # safe: the cart's row lock serialises its writers
            line.updated_at = now
            line.unit_price_seen = seen  # the shopper has just seen today's price
            line.save(
                update_fields=[
                    "quantity",
                    "updated_at",
                    "unit_price_seen",
                    "unit_price_seen_currency",
                ]
            )
        _touch(cart, activity)
    product_added.send(sender=Cart, cart=cart, line=line, quantity=quantity)
    return line


def _line(cart: Cart, line_id) -> CartLine:
    line = (
        CartLine.objects.select_related("variant__product")
        .filter(cart=cart, pk=_int_or_none(line_id))
        .first()
    )
    if line is None:
        raise CartError(
            _("This item is no longer in your cart."), field="line", code="unknown_line"
        )
    return line


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def set_quantity(*, cart: Cart, line_id, quantity, activity: Activity) -> CartLine:
    quantity = parse_quantity(quantity)
    with _writing(cart) as cart:
        line = _line(cart, line_id)
        _check_stock(line.variant, quantity)
        line.quantity = quantity
        line.updated_at = timezone.now()
        line.save(update_fields=["quantity", "updated_at"])
        _touch(cart, activity)
    return line


def remove_line(*, cart: Cart, line_id, activity: Activity) -> None:
    with _writing(cart) as cart:
        _line(cart, line_id).delete()
        _touch(cart, activity)


def clear_cart(*, cart: Cart, activity: Activity) -> None:
    with _writing(cart) as cart:
        cart.lines.all().delete()
        cart.voucher = None
        _touch(cart, activity, "voucher")


def apply_voucher(*, cart: Cart, code: str, activity: Activity) -> Voucher:
    """Attach a voucher if it applies to this cart now; otherwise say why and change nothing."""
    from cart.pricing import price_cart

    code = (code or "").strip()
    if not code:
        raise CartError(_("Enter a voucher code."), field="code", code="required")
    voucher = Voucher.objects.filter(code__iexact=code).first()
    if voucher is None:
        raise CartError(
            _("“%(code)s” is not a valid voucher code.") % {"code": code},
            field="code",
            code="unknown_voucher",
        )
    with _writing(cart) as cart:
        cart.voucher = voucher
        pricing = price_cart(cart, activity.locale, with_suggestions=False)
        if pricing.voucher_error:
            raise CartError(pricing.voucher_error, field="code", code="voucher_not_applicable")
        _touch(cart, activity, "voucher")
    return voucher


def remove_voucher(*, cart: Cart, activity: Activity) -> None:
    with _writing(cart) as cart:
        cart.voucher = None
        _touch(cart, activity, "voucher")


def set_region(*, cart: Cart, region: str, activity: Activity) -> None:
    """The state or province of the address, where tax depends on it (US, CA)."""
    region = (region or "").strip()[:10]
    with _writing(cart) as cart:
        if cart.region != region:
            cart.region = region
            _touch(cart, activity, "region")


def select_shipping(*, cart: Cart, method_id, activity: Activity) -> None:
    from cart.pricing import price_cart

    with _writing(cart) as cart:
        pricing = price_cart(cart, activity.locale, with_suggestions=False)
        chosen = _int_or_none(method_id)
        if chosen not in {option.method_id for option in pricing.shipping_options}:
            raise CartError(
                _("This shipping method is not available for your country."),
                field="shipping_method",
                code="invalid_choice",
            )
        cart.shipping_method_id = chosen
        _touch(cart, activity, "shipping_method")
    shipping_chosen.send(sender=Cart, cart=cart)


def attach_contact(
    *,
    cart: Cart,
    email: str,
    activity: Activity,
    phone: str = "",
    first_name: str = "",
    last_name: str = "",
    marketing_consent: bool | None = None,
    sms_consent: bool | None = None,
    signed_in_user=None,
    consent_source: str = ConsentSource.CHECKOUT,
) -> Customer:
    """Store the shopper's contact as soon as it is given, so a guest cart can be recovered.

    Finds the customer by e-mail (any case) or creates a guest; a phone is validated for the
    cart's country and stored as E.164. Consent (e-mail and SMS apart) is recorded only when
    the shopper answered, "no" as well as "yes", with its time and source.
    Anyone can type anyone's e-mail: a registered customer's phone, name and consent change
    only when that customer is the one signed in (``signed_in_user``), and a guest who existed
    before this cart keeps their phone, name and consent whatever this cart's shopper types
    (the order keeps what was typed; shop/consent.py reads what the customer really said).
    """
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise CartError(_("Enter a valid e-mail address."), field="email", code="invalid") from None
    country = activity.locale.country
    try:
        phone = normalize_phone(phone, country)
    except ValidationError as error:
        raise CartError(error.messages[0], field="phone", code="invalid_phone") from None
    with _writing(cart) as cart:
        customer = Customer.objects.filter(email__iexact=email).first()
        created = customer is None
        if customer is None:
            try:
                with transaction.atomic():
                    customer = Customer.objects.create(
                        email=email, language=activity.locale.language, country=country,
                    )  # fmt: skip
            except IntegrityError:  # created by a concurrent request just now
                customer = Customer.objects.get(email__iexact=email)
                created = False
        changed = []
        # Only the customer's own shopper changes them: the signed-in owner of an account, or
        # the guest who gave this address during this very cart.
        if customer.user_id is not None:
            owner = signed_in_user is not None and signed_in_user.pk == customer.user_id
        else:
            owner = created or _guest_of_this_cart(customer, cart)
        for field_name, value in (("phone", phone), ("first_name", first_name),
                                  ("last_name", last_name)):  # fmt: skip
            if owner and value and getattr(customer, field_name) != value:
                setattr(customer, field_name, value)
                changed.append(field_name)
        if owner:
            for prefix, field_name, answer in (("", "marketing_consent", marketing_consent),
                                               ("sms_", "sms_consent", sms_consent)):  # fmt: skip
                if answer is not None and answer != getattr(customer, field_name):
                    setattr(customer, field_name, answer)
                    setattr(customer, f"{prefix}consent_at", timezone.now())
                    setattr(customer, f"{prefix}consent_source", consent_source)
                    changed += [field_name, f"{prefix}consent_at", f"{prefix}consent_source"]
        if changed:
            customer.save(update_fields=changed)
        cart.customer = customer
        _touch(cart, activity, "customer")
    contact_entered.send(sender=Cart, cart=cart, customer=customer)
    return customer


def _guest_of_this_cart(customer: Customer, cart: Cart) -> bool:
    """The guest came to be during this cart (an earlier step of the same checkout), and has
    no other cart: whoever types the address now is the one who gave it first."""
    return (
        customer.user_id is None
        and customer.created_at >= cart.created_at
        and not Cart.objects.filter(customer=customer).exclude(pk=cart.pk).exists()
    )


def merge_carts(*, source: Cart, target: Cart, activity: Activity) -> Cart:
    """Merge an anonymous cart into the customer's cart at login.

    Quantities of the same variant are summed within stock and the per-line maximum; the
    earliest added-at time is kept. The source cart ends as *merged*.
    """
    if source.pk == target.pk:
        return target
    with transaction.atomic():
        # Lock both carts in a fixed order so two logins at once cannot deadlock.
        first, second = sorted([source.pk, target.pk])
        locked = {
            c.pk: c
            for c in Cart.objects.select_for_update().filter(pk__in=[first, second]).order_by("pk")
        }
        source, target = locked[source.pk], locked[target.pk]
        if not target.is_open:  # ordered meanwhile on another device: keep the new cart
            source.customer_id = target.customer_id
            _touch(source, activity, "customer")
            return source
        existing = {
            line.variant_id: line for line in target.lines.select_related("variant__product")
        }
        for line in source.lines.select_related("variant__product"):
            variant = line.variant
            mine = existing.get(variant.pk)
            limit = settings.CART_MAX_LINE_QUANTITY
            if variant.track_stock:
                limit = min(limit, max(variant.stock_quantity, 0))
            if mine is None:
                line.cart = target
                if limit > 0:  # a sold-out line keeps its quantity and shows as sold out
                    line.quantity = min(line.quantity, limit)
                line.save(update_fields=["cart", "quantity"])
            else:
                mine.quantity = max(min(mine.quantity + line.quantity, limit), mine.quantity)
                mine.added_at = min(mine.added_at, line.added_at)
                mine.updated_at = timezone.now()
                mine.save(update_fields=["quantity", "added_at", "updated_at"])
                line.delete()
        if target.voucher_id is None and source.voucher_id is not None:
            target.voucher_id = source.voucher_id
        source.status = CartStatus.MERGED
        source.save(update_fields=["status", "updated_at"])
        _touch(target, activity, "voucher")
    return target
