"""The outbox: every recovery message is a row before it leaves.

A message's ``key`` is unique per (what sent it, customer): a manual message, a campaign or a
sequence step. A job that runs twice, or a worker killed halfway, finds the row and sends
nothing twice; a row still *queued* is sent by the next run, so nothing is lost.
"""

from __future__ import annotations

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
    recovered_order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("recovered order"),
        help_text=_("The order placed after the customer followed this message's link."),
    )  # fmt: skip

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("recovery message")
        verbose_name_plural = _("recovery messages")
        permissions = [("send_recovery_message", _("Can send recovery messages"))]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.customer} ({self.get_status_display()})"
