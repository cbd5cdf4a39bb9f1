"""The outbox: every recovery message is a row before it leaves.

A message's ``key`` is unique per (what sent it, customer): a manual message, a campaign or a
sequence step. A job that runs twice, or a worker killed halfway, finds the row and sends
nothing twice; a row still *queued* is sent by the next run, so nothing is lost.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cart.models import Cart, Voucher
from checkout.models import Order
from shop.models import Customer


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class SkipReason(models.TextChoices):
    NO_CONSENT = "no_consent", _("No marketing consent")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    ORDERED = "ordered", _("Already ordered")
    NO_CONTACT = "no_contact", _("No e-mail address or phone")


class RecoveryMessage(models.Model):
    key = models.CharField(_("key"), max_length=120, unique=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="recovery_messages",
        verbose_name=_("customer"),
    )  # fmt: skip
    cart = models.ForeignKey(
        Cart, on_delete=models.SET_NULL, null=True, blank=True, related_name="recovery_messages",
        verbose_name=_("cart"),
    )  # fmt: skip
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=10)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    voucher = models.ForeignKey(
        Voucher, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("voucher"),
    )  # fmt: skip
    status = models.CharField(
        _("status"), max_length=8, choices=MessageStatus.choices, default=MessageStatus.QUEUED,
        db_index=True,
    )  # fmt: skip
    skip_reason = models.CharField(_("skipped because"), max_length=16, blank=True,
                                   choices=SkipReason.choices)  # fmt: skip
    failure_reason = models.CharField(_("failure reason"), max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_by = models.CharField(_("created by"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    clicked_at = models.DateTimeField(_("clicked at"), null=True, blank=True)
    # Which RQ job sends the row, and when that job last said it is alive: a row still queued
    # whose job is gone, or whose job stopped beating, is queued again within two minutes
    # (``recovery.delivery.requeue_stale_messages``, every minute).
    job_id = models.CharField(_("job"), max_length=64, blank=True, editable=False)
    heartbeat_at = models.DateTimeField(_("sender alive at"), null=True, blank=True,
                                        editable=False)  # fmt: skip
    campaign = models.ForeignKey(
        "recovery.Campaign", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="messages", verbose_name=_("newsletter"),
    )  # fmt: skip
    recovered_order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("recovered order"),
        help_text=_("The order placed after the customer followed this message's link."),
    )  # fmt: skip

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["campaign", "status"], name="recovery_message_progress"),
            models.Index(fields=["heartbeat_at"], condition=models.Q(status="queued"),
                         name="recovery_message_waiting"),
        ]  # fmt: skip
        verbose_name = _("recovery message")
        verbose_name_plural = _("recovery messages")
        permissions = [("send_recovery_message", _("Can send recovery messages"))]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.customer} ({self.get_status_display()})"


class AudienceType(models.TextChoices):
    BOTH = "both", _("Registered customers and guests")
    REGISTERED = "registered", _("Registered customers")
    GUESTS = "guests", _("Guests")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PREPARING = "preparing", _("Preparing the recipient list")
    SENDING = "sending", _("Sending")
    DONE = "done", _("Done")


class Campaign(models.Model):
    """A recovery newsletter to customers whose carts were abandoned between two dates."""

    name = models.CharField(_("name"), max_length=120)
    audience = models.CharField(
        _("audience"), max_length=12, choices=AudienceType.choices, default=AudienceType.BOTH
    )
    abandoned_from = models.DateField(_("abandoned from"), null=True, blank=True)
    abandoned_to = models.DateField(_("abandoned to"), null=True, blank=True)
    market = models.ForeignKey(
        "shop.Market", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("market"),
    )  # fmt: skip
    min_cart_value = models.DecimalField(
        _("minimum cart value"), max_digits=12, decimal_places=2, null=True, blank=True,
        help_text=_("In each cart's own currency; choose a market to compare like with like."),
    )  # fmt: skip
    customer_ids = models.JSONField(
        _("selected customers"), null=True, blank=True,
        help_text=_("Set by the customer list's action; empty means everyone in the audience."),
    )  # fmt: skip
    voucher_kind = models.CharField(_("voucher"), max_length=16, blank=True)
    voucher_percentage = models.DecimalField(
        _("voucher percentage"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    voucher_days = models.PositiveSmallIntegerField(_("voucher valid for (days)"), default=7)
    status = models.CharField(
        _("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    created_by = models.CharField(_("created by"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("recovery newsletter")
        verbose_name_plural = _("recovery newsletters")

    def __str__(self) -> str:
        return self.name


class CampaignText(models.Model):
    """The subject and body in one language; customers whose language has none get the shop's
    default language."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "language"], name="one_text_per_language")
        ]
        verbose_name = _("text")
        verbose_name_plural = _("texts")

    def __str__(self) -> str:
        return f"{self.campaign} ({self.language})"


class LatestAbandonment(models.Model):
    """Each customer's latest abandoned cart, its time, currency and value (what the shopper saw:
    quantity × unit price when added), kept by detection and by every cart save
    (``recovery.latest_carts``), so the customer list reads and filters it in one join
    instead of subqueries per customer."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="latest_abandonment",
        verbose_name=_("customer"),
    )  # fmt: skip
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("cart"))  # fmt: skip
    abandoned_at = models.DateTimeField(_("abandoned at"), db_index=True)
    currency = models.CharField(_("currency"), max_length=3)
    value = models.DecimalField(_("cart value"), max_digits=14, decimal_places=3)

    class Meta:
        verbose_name = _("latest abandoned cart")
        verbose_name_plural = _("latest abandoned carts")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.cart_id}"
