"""Customers: registered (linked to a Django user) or guests (contact given without an account)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField

from shop.phones import normalize_phone


class ConsentSource(models.TextChoices):
    CHECKOUT = "checkout", pgettext_lazy("consent given during", "Checkout")
    ACCOUNT = "account", _("Account")
    ADMIN = "admin", _("Admin")
    IMPORT = "import", _("Import")
    # The shopper asked to have their cart saved by e-mail (exit intent, recovery.capture).
    SAVED_CART = "saved_cart", pgettext_lazy("consent given during", "Saving the cart")
    # The customer answered STOP to an SMS (recovery.delivery, Twilio's inbound webhook).
    SMS_REPLY = "sms_reply", pgettext_lazy("consent given during", "Reply to an SMS")


class Customer(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customer",
        verbose_name=_("user account"),
    )
    email = models.EmailField(_("e-mail"), max_length=254)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    phone = models.CharField(
        _("phone"), max_length=20, blank=True, db_index=True, help_text=_("E.164, e.g. +4930123456")
    )
    language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    country = CountryField(_("country"), blank=True)
    # Consent per channel, each with when and where the shopper answered. ``None``: never asked
    # (the market's default applies); ``False``: an explicit "no", honoured in every market.
    marketing_consent = models.BooleanField(
        _("e-mail marketing consent"), null=True, blank=True, default=None,
        help_text=_("Empty: never asked."),
    )  # fmt: skip
    consent_at = models.DateTimeField(_("e-mail consent answered at"), null=True, blank=True)
    consent_source = models.CharField(
        _("e-mail consent source"), max_length=16, choices=ConsentSource.choices, blank=True
    )
    sms_consent = models.BooleanField(
        _("SMS marketing consent"), null=True, blank=True, default=None,
        help_text=_("Empty: never asked."),
    )  # fmt: skip
    sms_consent_at = models.DateTimeField(_("SMS consent answered at"), null=True, blank=True)
    sms_consent_source = models.CharField(
        _("SMS consent source"), max_length=16, choices=ConsentSource.choices, blank=True
    )
    whatsapp_consent = models.BooleanField(
        _("WhatsApp marketing consent"), null=True, blank=True, default=None,
        help_text=_("Empty: never asked."),
    )  # fmt: skip
    whatsapp_consent_at = models.DateTimeField(_("WhatsApp consent answered at"), null=True,
                                               blank=True)  # fmt: skip
    whatsapp_consent_source = models.CharField(
        _("WhatsApp consent source"), max_length=16, choices=ConsentSource.choices, blank=True
    )
    # Unsubscribed from everything (``unsubscribed_at``), or from one channel only: the other
    # channels keep going only when the customer chose "this channel only".
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)
    email_unsubscribed_at = models.DateTimeField(_("unsubscribed from e-mail at"), null=True,
                                                 blank=True)  # fmt: skip
    sms_unsubscribed_at = models.DateTimeField(_("unsubscribed from SMS at"), null=True,
                                               blank=True)  # fmt: skip
    whatsapp_unsubscribed_at = models.DateTimeField(_("unsubscribed from WhatsApp at"),
                                                    null=True, blank=True)  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        # One index serves uniqueness and every look-up: ``email__iexact`` compiles to
        # UPPER(email) = UPPER(%s) on PostgreSQL, so the index is on UPPER(email) too.
        constraints = [
            models.UniqueConstraint(Upper("email"), name="unique_customer_email_ci"),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="customer_name_idx"),
        ]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.full_name or self.email

    def save(self, *args, **kwargs) -> None:
        self.email = self.email.strip()
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def is_registered(self) -> bool:
        return self.user_id is not None

    @property
    def can_receive_marketing(self) -> bool:
        return bool(self.marketing_consent) and self.unsubscribed_at is None

    def clean_fields(self, exclude=None) -> None:
        self.email = (self.email or "").strip()  # before the e-mail validator sees it
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        if self.phone:
            try:
                self.phone = normalize_phone(
                    self.phone, self.country.code if self.country else None
                )
            except ValidationError as error:
                raise ValidationError({"phone": error.messages}) from None
        if self.email:
            clash = Customer.objects.filter(email__iexact=self.email).exclude(pk=self.pk)
            if clash.exists():
                raise ValidationError({"email": _("A customer with this e-mail already exists.")})
