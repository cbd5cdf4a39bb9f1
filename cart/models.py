"""Carts, their lines, vouchers and promotions.

A cart remembers the market, country, currency and language of its last activity, so recovery
messages and the checkout use the same ones the shopper saw. Each line keeps the unit price the
shopper saw when adding it, in the cart's currency, to warn when the price changes.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from djmoney.models.fields import MoneyField

from shop.models import Customer, Market, Product, ShippingMethod, Variant


class CartStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ABANDONED = "abandoned", _("Abandoned")
    RECOVERED = "recovered", _("Recovered")
    CONVERTED = "converted", _("Converted")
    MERGED = "merged", _("Merged")
    EXPIRED = "expired", _("Expired")


class DeviceClass(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    TABLET = "tablet", _("Tablet")
    DESKTOP = "desktop", _("Desktop")
    UNKNOWN = "unknown", _("Unknown")


class Cart(models.Model):
    token = models.UUIDField(_("token"), default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="carts",
        verbose_name=_("customer"), db_index=False,  # indexed where set: see Meta
    )  # fmt: skip
    # Not indexed, nor are status, created_at, the voucher and the shipping method: detection
    # turns 300,000 carts abandoned in one statement, and every index of a changed row costs an
    # insertion. No query reads these alone (deleting a market, voucher or shipping method,
    # rare staff actions, scans the carts).
    market = models.ForeignKey(
        Market, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("market"), db_index=False,
    )  # fmt: skip
    country = CountryField(_("country"), blank=True)
    region = models.CharField(_("region"), max_length=10, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    language = models.CharField(_("language"), max_length=10)
    status = models.CharField(
        _("status"), max_length=12, choices=CartStatus.choices, default=CartStatus.ACTIVE
    )
    device = models.CharField(
        _("device"), max_length=8, choices=DeviceClass.choices, default=DeviceClass.UNKNOWN
    )
    voucher = models.ForeignKey(
        "cart.Voucher", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("voucher"), db_index=False,
    )  # fmt: skip
    shipping_method = models.ForeignKey(
        ShippingMethod, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("shipping method"), db_index=False,
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now, db_index=True)
    abandoned_at = models.DateTimeField(_("abandoned at"), null=True, blank=True)  # see Meta
    was_abandoned = models.BooleanField(
        _("was abandoned"), default=False,
        help_text=_("Abandoned at some point: an order from it counts as recovered."),
    )  # fmt: skip

    class Meta:
        ordering = ["-last_activity_at"]
        indexes = [
            # Abandonment detection: each market's active carts idle past its cut-off (a run
            # with nothing new reads an empty range per market). It replaces an index on
            # (status, last activity) of every cart, which only detection read.
            models.Index(fields=["market", "last_activity_at"], name="cart_active_idle",
                         condition=models.Q(status="active")),
            # A guest's cart (no customer) or one not abandoned adds no entry to these, so
            # writes to them, and detection abandoning guests' carts, skip them (guests' carts
            # expire through their last activity, which precedes their abandonment).
            models.Index(fields=["customer"], name="cart_customer",
                         condition=models.Q(customer__isnull=False)),
            models.Index(fields=["abandoned_at"], name="cart_abandoned_at",
                         condition=models.Q(status="abandoned", customer__isnull=False)),
            # The customer list and newsletters: a customer's abandoned carts, latest first.
            models.Index(fields=["customer", "-abandoned_at"], name="cart_customer_abandoned",
                         condition=models.Q(status="abandoned", customer__isnull=False)),
        ]  # fmt: skip
        verbose_name = _("cart")
        verbose_name_plural = _("carts")

    def __str__(self) -> str:
        return f"{_('Cart')} {str(self.token)[:8]}"

    @property
    def is_open(self) -> bool:
        """A cart the shopper can still change (not ordered, merged or expired)."""
        return self.status in {CartStatus.ACTIVE, CartStatus.ABANDONED}


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_price_seen = MoneyField(
        _("unit price when added"), max_digits=12, decimal_places=3,
        help_text=_("The shown unit price when the shopper added it, in the cart's currency."),
    )  # fmt: skip
    added_at = models.DateTimeField(_("added at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="unique_cart_variant"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="cart_line_qty_min"),
        ]
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.variant.sku}"


class VoucherKind(models.TextChoices):
    PERCENTAGE = "percentage", _("Percentage off")
    FIXED = "fixed", _("Fixed amount off")
    FREE_SHIPPING = "free_shipping", _("Free shipping")


class Voucher(models.Model):
    code = models.CharField(_("code"), max_length=40)
    kind = models.CharField(_("kind"), max_length=16, choices=VoucherKind.choices)
    percentage = models.DecimalField(
        _("percentage"), max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )  # fmt: skip
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    usage_limit = models.PositiveIntegerField(
        _("usage limit"), null=True, blank=True, help_text=_("Orders in total; blank for no limit.")
    )
    times_used = models.PositiveIntegerField(_("times used"), default=0, editable=False)
    once_per_customer = models.BooleanField(_("once per customer"), default=False)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="vouchers",
        verbose_name=_("only for customer"),
        help_text=_("A personal voucher, e.g. from a recovery message."),
    )  # fmt: skip
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(Upper("code"), name="unique_voucher_code_ci")]
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        self.code = (self.code or "").strip().upper()
        if self.kind == VoucherKind.PERCENTAGE and not self.percentage:
            raise ValidationError({"percentage": _("A percentage voucher needs a percentage.")})
        if self.valid_from and self.valid_until and self.valid_from >= self.valid_until:
            raise ValidationError({"valid_until": _("The end must be after the start.")})


class VoucherCurrency(models.Model):
    """Per currency: the amount a fixed voucher takes off, and the minimum order (shown prices)."""

    voucher = models.ForeignKey(Voucher, on_delete=models.CASCADE, related_name="currencies")
    currency = models.CharField(_("currency"), max_length=3)
    amount_off = models.DecimalField(
        _("amount off"), max_digits=12, decimal_places=3, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )  # fmt: skip
    minimum_order = models.DecimalField(
        _("minimum order"), max_digits=12, decimal_places=3, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )  # fmt: skip

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["voucher", "currency"], name="unique_voucher_currency")
        ]
        verbose_name = _("amount per currency")
        verbose_name_plural = _("amounts per currency")

    def __str__(self) -> str:
        return f"{self.voucher.code} {self.currency}"


class VoucherRedemption(models.Model):
    """A voucher used by an order; counts against once-per-customer vouchers."""

    voucher = models.ForeignKey(Voucher, on_delete=models.CASCADE, related_name="redemptions")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    cart = models.ForeignKey(Cart, on_delete=models.SET_NULL, null=True, related_name="+")
    redeemed_at = models.DateTimeField(_("redeemed at"), default=timezone.now)

    class Meta:
        verbose_name = _("voucher redemption")
        verbose_name_plural = _("voucher redemptions")

    def __str__(self) -> str:
        return f"{self.voucher.code} · {self.customer}"


class Promotion(models.Model):
    """A percentage off some products (or all) until an end time the cart counts down to."""

    name = models.CharField(_("name"), max_length=100)
    percentage = models.DecimalField(
        _("percentage"), max_digits=5, decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )  # fmt: skip
    products = models.ManyToManyField(
        Product, blank=True, related_name="promotions", verbose_name=_("products"),
        help_text=_("Leave empty for all products."),
    )  # fmt: skip
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["ends_at"]
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.starts_at >= self.ends_at:
            raise ValidationError({"ends_at": _("The end must be after the start.")})
