"""What happened to carts, as append-only rows, and their daily rollups.

``Event`` is written once per happening by ``recovery.reports.recording`` (one INSERT, nothing read)
and never updated. It keeps the cart's id, not a foreign key: carts of guests are deleted after
their retention, their events stay for the statistics (they hold no personal data: market,
country, currency, language, device class, amounts). ``DailyRollup`` sums the events of a
finished day per market × country × device × language × kind (× method, failure, cause), kept
by the ``recovery.reports.rollups.roll_up`` cron job; the report reads rollups for the days before
``RollupState.rolled_up_to`` and the live events from then on.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    CART_CREATED = "cart_created", _("Cart created")
    PRODUCT_ADDED = "product_added", _("Product added")
    CART_VIEWED = "cart_viewed", _("Cart viewed")
    CHECKOUT_STARTED = "checkout_started", _("Checkout started")
    CONTACT_ENTERED = "contact_entered", _("Contact entered")
    SHIPPING_CHOSEN = "shipping_chosen", _("Shipping chosen")
    PAYMENT_STARTED = "payment_started", _("Payment started")
    PAYMENT_FAILED = "payment_failed", _("Payment failed")
    ORDER_PLACED = "order_placed", _("Order placed")
    CHECKOUT_REFUSED = "checkout_refused", _("Order refused at placement")
    CART_ABANDONED = "cart_abandoned", _("Cart abandoned")
    CART_RESTORED = "cart_restored", _("Cart restored from a message")
    CART_RECOVERED = "cart_recovered", _("Cart recovered")
    FEEDBACK_GIVEN = "feedback_given", _("Shopper said why they left")


class FailureCategory(models.TextChoices):
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled by the shopper")
    EXPIRED = "expired", _("Expired unpaid")
    PROVIDER_ERROR = "provider_error", _("Provider error")


class Cause(models.TextChoices):
    """Why a cart is lost, recorded where it happens."""

    PRICE_CHANGED = "price_changed", _("Price changed since added")
    OUT_OF_STOCK = "out_of_stock", _("Out of stock at checkout")
    TOTAL_CHANGED = "total_changed", _("Total changed at placement")
    PAYMENT_FAILED = "payment_failed", _("Payment failed")
    SHIPPING_UNAVAILABLE = "no_shipping", _("Shipping not available")
    METHOD_MISSING = "method_missing", _("Payment method missing")
    SHOPPER_ANSWER = "shopper_answer", _("The shopper's own answer")


class Event(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    created_at = models.DateTimeField(_("at"), default=timezone.now)
    cart_id = models.BigIntegerField(_("cart"), null=True, blank=True)
    market_id = models.BigIntegerField(_("market"), null=True, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    device = models.CharField(_("device"), max_length=8, blank=True)
    payment_method = models.CharField(_("payment method"), max_length=20, blank=True)
    failure_category = models.CharField(_("failure"), max_length=16, blank=True,
                                        choices=FailureCategory.choices)  # fmt: skip
    cause = models.CharField(_("cause"), max_length=16, blank=True, choices=Cause.choices)
    # The provider's code of a failed payment ("card_declined"), or the reason the shopper chose.
    detail = models.CharField(_("detail"), max_length=64, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=3, null=True,
                                 blank=True)  # fmt: skip
    base_amount = models.DecimalField(_("amount in base currency"), max_digits=14,
                                      decimal_places=3, null=True, blank=True)  # fmt: skip

    class Meta:
        # The one index: the report reads today's events and the rollup job one day, both by
        # time. Every further index would cost each shopper's write an insertion.
        indexes = [models.Index(fields=["created_at"], name="event_created_at")]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        permissions = [("view_reports", _("Can view reports"))]

    def __str__(self) -> str:
        return f"{self.kind} {self.cart_id} @ {self.created_at:%Y-%m-%d %H:%M}"


ROLLUP_DIMENSIONS = (
    "market_id", "country", "device", "language", "kind", "payment_method", "failure_category",
    "cause",
)  # fmt: skip


class DailyRollup(models.Model):
    day = models.DateField(_("day"))
    market_id = models.BigIntegerField(_("market"), null=True, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    device = models.CharField(_("device"), max_length=8, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    payment_method = models.CharField(_("payment method"), max_length=20, blank=True)
    failure_category = models.CharField(_("failure"), max_length=16, blank=True)
    cause = models.CharField(_("cause"), max_length=16, blank=True)
    # The shopper's own answer (feedback events only; other details are not rolled up).
    answer = models.CharField(_("answer"), max_length=64, blank=True)
    events = models.PositiveIntegerField(_("events"))
    # Distinct carts of the day in this group: the funnel counts a cart once per day and step.
    carts = models.PositiveIntegerField(_("carts"))
    base_amount = models.DecimalField(_("amount in base currency"), max_digits=18,
                                      decimal_places=3, default=0)  # fmt: skip

    class Meta:
        indexes = [models.Index(fields=["day", "kind"], name="rollup_day_kind")]
        verbose_name = _("daily rollup")
        verbose_name_plural = _("daily rollups")

    def __str__(self) -> str:
        return f"{self.day} {self.kind}"


class RollupState(models.Model):
    """One row: days before ``rolled_up_to`` are in ``DailyRollup``, later ones are read live."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    rolled_up_to = models.DateField(_("rolled up to"))

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup state")

    def __str__(self) -> str:
        return str(self.rolled_up_to)


class Report(Event):
    """The admin's "Reports" entry (``recovery.reports.admin.ReportAdmin``): a proxy, no table."""

    class Meta:
        proxy = True
        default_permissions = ()
        verbose_name = _("report")
        verbose_name_plural = _("reports")
