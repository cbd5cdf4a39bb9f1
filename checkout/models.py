"""Orders and their payments.

An order is a snapshot: the prices, tax, duties, shipping, currency, language and address the
shopper saw when placing it, copied from the cart's pricing so later catalog or market changes
never alter it. A cart gives at most one live order (a unique constraint on ``Order.cart`` for
orders not cancelled): that makes placement idempotent per checkout.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from cart.models import Cart
from shop.models import Customer, Market, Variant

# Order numbers are read aloud on the phone: no 0/O, 1/I/L, 2/Z, 5/S, 8/B look-alikes.
ORDER_NUMBER_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"


def new_order_number() -> str:
    """Like ``K7P-4QW-93M``: 25^9 (about 4·10^12) possibilities, in groups of three."""
    chars = "".join(secrets.choice(ORDER_NUMBER_ALPHABET) for _ in range(9))
    return f"{chars[:3]}-{chars[3:6]}-{chars[6:]}"


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
    PAID = "paid", _("Paid")
    CONFIRMED = "confirmed", _("Confirmed (pay on delivery)")
    CANCELLED = "cancelled", _("Cancelled")


class Order(models.Model):
    number = models.CharField(_("number"), max_length=11, unique=True, default=new_order_number)
    cart = models.ForeignKey(
        Cart, on_delete=models.PROTECT, related_name="orders", verbose_name=_("cart")
    )
    idempotency_key = models.CharField(
        _("idempotency key"), max_length=80, unique=True, null=True, blank=True
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="orders", verbose_name=_("customer")
    )
    market = models.ForeignKey(
        Market, on_delete=models.PROTECT, related_name="+", verbose_name=_("market")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices,
        default=OrderStatus.PENDING_PAYMENT, db_index=True,
    )  # fmt: skip
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    language = models.CharField(_("language"), max_length=10)
    country = CountryField(_("country"))
    currency = models.CharField(_("currency"), max_length=3)
    shipping_address = models.JSONField(_("shipping address"))
    shipping_method_name = models.CharField(_("shipping method"), max_length=100)
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    delivery_from = models.DateField(_("delivery from"))
    delivery_to = models.DateField(_("delivery by"))
    payment_method = models.CharField(_("payment method"), max_length=20)
    voucher_code = models.CharField(_("voucher"), max_length=40, blank=True)
    prices_include_tax = models.BooleanField(_("prices include tax"))
    subtotal = models.DecimalField(_("subtotal"), max_digits=14, decimal_places=3)
    discount = models.DecimalField(_("discount"), max_digits=14, decimal_places=3)
    shipping_price = models.DecimalField(_("shipping"), max_digits=14, decimal_places=3)
    tax = models.DecimalField(_("tax"), max_digits=14, decimal_places=3)
    duties = models.DecimalField(_("duties"), max_digits=14, decimal_places=3)
    duty_mode = models.CharField(_("duty mode"), max_length=8)
    duties_prepaid = models.BooleanField(_("duties prepaid"))
    payment_fee = models.DecimalField(_("payment fee"), max_digits=14, decimal_places=3)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=3)
    created_at = models.DateTimeField(_("placed at"), default=timezone.now, db_index=True)
    confirmation_sent_at = models.DateTimeField(_("confirmation sent at"), null=True, blank=True)
    # Unpaid after this, the expiry job cancels the order (settings.PAYMENT_WINDOWS per method).
    payment_due_at = models.DateTimeField(_("payment due by"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    # Staff who confirmed an offline payment (transfer, static Pix, cash on delivery).
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("marked as paid by (staff)"),
    )  # fmt: skip
    payment_mail_sent_at = models.DateTimeField(_("payment mail sent at"), null=True, blank=True)
    expired_at = models.DateTimeField(_("expired unpaid at"), null=True, blank=True)
    expiry_mail_sent_at = models.DateTimeField(_("expiry mail sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One live order per cart: placement is idempotent per checkout. A cancelled order
            # (its payment failed) frees the cart for another attempt.
            models.UniqueConstraint(
                fields=["cart"], condition=~models.Q(status="cancelled"), name="one_order_per_cart"
            ),
        ]
        indexes = [
            # The expiry job's look-up: only unpaid orders, few at any time.
            models.Index(
                fields=["payment_due_at"], condition=models.Q(status="pending_payment"),
                name="order_unpaid_due",
            ),
        ]
        verbose_name = _("order")
        verbose_name_plural = _("orders")

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, on_delete=models.SET_NULL, null=True, related_name="+")
    sku = models.CharField(_("SKU"), max_length=64)
    product_name = models.CharField(_("product"), max_length=200)
    attributes = models.JSONField(_("attributes"), default=list)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=3)
    line_total = models.DecimalField(_("line total"), max_digits=14, decimal_places=3)
    tax_rate = models.DecimalField(_("tax rate (%)"), max_digits=6, decimal_places=3)

    class Meta:
        ordering = ["id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    AUTHORIZED = "authorized", _("Authorized")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Payment(models.Model):
    """One attempt to pay an order; failed and cancelled attempts stay for the failure rate."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    provider = models.CharField(_("provider"), max_length=30)
    method = models.CharField(_("method"), max_length=20)
    status = models.CharField(
        _("status"), max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.PENDING,
        db_index=True,
    )  # fmt: skip
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=3)
    currency = models.CharField(_("currency"), max_length=3)
    reference = models.CharField(_("provider reference"), max_length=120, blank=True, db_index=True)
    instructions = models.JSONField(_("instructions"), default=dict, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return f"{self.order.number} {self.method} {self.status}"
