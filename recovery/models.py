"""The outbox: every recovery message is a row before it leaves.

A message's ``key`` is unique per (what sent it, customer): a manual message, a campaign or a
sequence step. A job that runs twice, or a worker killed halfway, finds the row and sends
nothing twice; a row still *queued* is sent by the next run, so nothing is lost.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cart.models import Cart, Voucher
from checkout.models import Order
from shop.models import Customer


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    # Set by the gateway's status callback (SMS, WhatsApp) after "sent".
    DELIVERED = "delivered", _("Delivered")
    UNDELIVERABLE = "undeliverable", _("Undeliverable")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class SkipReason(models.TextChoices):
    NO_CONSENT = "no_consent", _("No marketing consent")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    ORDERED = "ordered", _("Already ordered")
    NO_CONTACT = "no_contact", _("No e-mail address or phone")
    HOLDOUT = "holdout", _("Control group (holdout)")
    CAPPED = "capped", _("Too many messages lately")
    CART_CHANGED = "cart_changed", _("Cart changed since it was abandoned")
    FLOW_OFF = "flow_off", _("Flow switched off")


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
        _("status"), max_length=16, choices=MessageStatus.choices, default=MessageStatus.QUEUED,
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
    # (``recovery.sending.requeue_stale_messages``, every minute).
    job_id = models.CharField(_("job"), max_length=64, blank=True, editable=False)
    heartbeat_at = models.DateTimeField(_("sender last seen at"), null=True, blank=True,
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
    # Automated flows: the step that wrote the row and the enrolment (one abandonment of one
    # cart in one flow) it belongs to. ``variant`` is the A/B variant's label ("A", "B", ...)
    # for a flow step or a newsletter under test; blank when nothing is tested.
    flow_step = models.ForeignKey(
        "recovery.FlowStep", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="messages", verbose_name=_("flow step"),
    )  # fmt: skip
    enrollment = models.ForeignKey(
        "recovery.FlowEnrollment", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="messages", verbose_name=_("flow enrolment"),
    )  # fmt: skip
    variant = models.CharField(pgettext_lazy("A/B test", "variant"), max_length=20, blank=True)
    # The gateway's id for the message (Twilio's SID, WhatsApp's message id), so its status
    # callback finds the row; and when the gateway reported it delivered.
    provider_message_id = models.CharField(_("gateway message id"), max_length=100,
                                           blank=True, db_index=True)  # fmt: skip
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # The shopper asked for this message (their cart saved by e-mail, ``recovery.capture``): a
    # service message they requested, so it needs no marketing consent (an unsubscribe, an
    # order or a missing address still stop it).
    requested = models.BooleanField(_("requested by the shopper"), default=False,
                                    editable=False)  # fmt: skip
    # Not sent before this time: an SMS or WhatsApp message due in the customer's quiet hours
    # waits for their morning (``recovery.quiet_hours``); the requeue cron leaves it until then.
    not_before = models.DateTimeField(_("not before"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A flow writes one message per enrolment and step; the scheduler's "no row for
            # this step yet" probes this index (exact whatever the planner's statistics say).
            models.UniqueConstraint(fields=["enrollment", "flow_step"],
                                    name="one_message_per_enrollment_step"),
        ]
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
    variant_a_weight = models.PositiveSmallIntegerField(
        _("weight of variant A"), default=1, validators=[MaxValueValidator(1000)],
        help_text=_("Variant A is this newsletter's own text and voucher. With variants B, C… "
                    "each customer gets one variant, always the same, in proportion to the "
                    "weights."),
    )  # fmt: skip
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

    def incentive(self, variant: str) -> tuple[str, Decimal | None]:
        """(voucher kind, percentage) that ``variant`` offers: variant A's are the newsletter's
        own fields. Reads ``variants`` (prefetch them when asking for many messages)."""
        for row in self.variants.all():
            if row.label == variant:
                return row.voucher_kind, row.voucher_percentage
        return self.voucher_kind, self.voucher_percentage


# The label of a newsletter's own variant (its texts, its voucher): every newsletter has it.
FIRST_VARIANT = "A"


class CampaignVariant(models.Model):
    """A newsletter's A/B test: variant B, C… next to the newsletter itself (variant A), with
    its own weight in the split and its own voucher; its subject and text are the
    ``CampaignText`` rows of its label (without them, variant A's are sent)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="variants",
                                 verbose_name=_("newsletter"))  # fmt: skip
    label = models.CharField(
        _("label"), max_length=20,
        validators=[RegexValidator(r"^[B-Z0-9][\w-]*$", _(
            "Label the variants B, C… (variant A is the newsletter itself)."))],
    )  # fmt: skip
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    voucher_kind = models.CharField(_("voucher"), max_length=16, blank=True)
    voucher_percentage = models.DecimalField(
        _("voucher percentage"), max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )  # fmt: skip

    class Meta:
        ordering = ["campaign", "label"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "label"],
                                    name="one_campaign_variant_per_label")  # fmt: skip
        ]
        verbose_name = pgettext_lazy("A/B test", "variant")
        verbose_name_plural = pgettext_lazy("A/B test", "variants")

    def __str__(self) -> str:
        return f"{self.campaign} {self.label}"

    def clean(self) -> None:
        if self.voucher_kind == "percentage" and not self.voucher_percentage:
            raise ValidationError(
                {"voucher_percentage": _("Enter the percentage the voucher takes off.")}
            )


class CampaignText(models.Model):
    """The subject and body of one variant in one language; customers whose language has none
    get the shop's default language."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="texts")
    variant = models.CharField(pgettext_lazy("A/B test", "variant"), max_length=20,
                               default=FIRST_VARIANT)  # fmt: skip
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "variant", "language"],
                                    name="one_text_per_variant_and_language")  # fmt: skip
        ]
        ordering = ["variant", "language"]
        verbose_name = _("text")
        verbose_name_plural = _("texts")

    def __str__(self) -> str:
        return f"{self.campaign} {self.variant} ({self.language})"


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


class IncentiveKind(models.TextChoices):
    NONE = "", _("No incentive")
    PERCENTAGE = "percentage", _("Percentage off")
    FIXED = "fixed", _("Fixed amount off")
    FREE_SHIPPING = "free_shipping", _("Free shipping")


class Flow(models.Model):
    """An automated recovery sequence: ordered steps, each sent a fixed time after a cart was
    abandoned, to the markets it serves (none chosen: every market)."""

    name = models.CharField(_("name"), max_length=120)
    markets = models.ManyToManyField(
        "shop.Market", blank=True, related_name="+", verbose_name=_("markets"),
        help_text=_("Leave empty to serve every market."),
    )  # fmt: skip
    active = models.BooleanField(_("active"), default=False)
    # When staff last switched the flow on: only carts abandoned since then are enrolled (a flow
    # switched on does not send its one-hour reminder to carts abandoned weeks ago).
    activated_at = models.DateTimeField(_("switched on at"), null=True, blank=True,
                                        editable=False)  # fmt: skip
    holdout_percent = models.PositiveSmallIntegerField(
        _("control group (%)"), default=0,
        validators=[MinValueValidator(0), MaxValueValidator(50)],
        help_text=_("Share of eligible carts that get no message, so the reports can show what "
                    "the flow adds beyond carts that come back by themselves."),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("recovery flow")
        verbose_name_plural = _("recovery flows")

    def __str__(self) -> str:
        return self.name


class FlowStep(models.Model):
    """One message of a flow: when (a delay after abandonment) and by which channel. What it
    says and offers is in its variants (one variant: no A/B test)."""

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="steps",
                             verbose_name=_("flow"))  # fmt: skip
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    delay = models.DurationField(_("delay after abandonment"))
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices,
                               default=Channel.EMAIL)  # fmt: skip
    fallback_language = models.CharField(
        _("fallback language"), max_length=10, choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("Used for customers whose language has no text."),
    )  # fmt: skip
    # Until when the scheduler has written this step's due rows: the next run looks only at
    # abandonments since (less ``recovery.flows.ENROLMENT_LAG``), not at a whole day of them.
    written_until = models.DateTimeField(_("written until"), null=True, blank=True,
                                         editable=False)  # fmt: skip

    class Meta:
        ordering = ["flow", "position"]
        constraints = [
            models.UniqueConstraint(fields=["flow", "position"], name="one_step_per_position")
        ]
        verbose_name = _("flow step")
        verbose_name_plural = _("flow steps")

    def __str__(self) -> str:
        return f"{self.flow} #{self.position}"


class FlowStepVariant(models.Model):
    """What a step says and offers. Two or more variants of a step are an A/B test: each
    customer gets one, chosen by weight and stable per customer (``recovery.variants``)."""

    step = models.ForeignKey(FlowStep, on_delete=models.CASCADE, related_name="variants",
                             verbose_name=_("step"))  # fmt: skip
    label = models.CharField(_("label"), max_length=20, default="A")
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    active = models.BooleanField(_("active"), default=True)
    incentive_kind = models.CharField(_("incentive"), max_length=16, blank=True,
                                      choices=IncentiveKind.choices)  # fmt: skip
    incentive_percentage = models.DecimalField(
        _("percentage off"), max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )  # fmt: skip
    incentive_amounts = models.JSONField(
        _("amount off per currency"), default=dict, blank=True,
        help_text=_('For a fixed amount: {"EUR": "5.00", "BRL": "25.00"}.'),
    )  # fmt: skip
    incentive_days = models.PositiveSmallIntegerField(_("voucher valid for (days)"), default=7)

    class Meta:
        ordering = ["step", "label"]
        constraints = [
            models.UniqueConstraint(fields=["step", "label"], name="one_variant_per_label")
        ]
        verbose_name = pgettext_lazy("A/B test", "variant")
        verbose_name_plural = pgettext_lazy("A/B test", "variants")

    def __str__(self) -> str:
        return f"{self.step} {self.label}"


class FlowStepText(models.Model):
    """A variant's subject and body in one language (SMS and WhatsApp use the body only)."""

    variant = models.ForeignKey(FlowStepVariant, on_delete=models.CASCADE, related_name="texts",
                                verbose_name=pgettext_lazy("A/B test", "variant"))  # fmt: skip
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["variant", "language"],
                                    name="one_step_text_per_language")  # fmt: skip
        ]
        verbose_name = _("text")
        verbose_name_plural = _("texts")

    def __str__(self) -> str:
        return f"{self.variant} ({self.language})"


class FlowEnrollment(models.Model):
    """One abandonment of one cart in one flow: what the flow's steps are sent for, what its
    holdout keeps out, and what a recovered order is counted against. A cart abandoned again
    after the shopper came back is a new enrolment (new ``abandoned_at``)."""

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="enrollments",
                             verbose_name=_("flow"))  # fmt: skip
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("cart"))  # fmt: skip
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("customer"))  # fmt: skip
    abandoned_at = models.DateTimeField(_("abandoned at"))
    holdout = models.BooleanField(_("control group"), default=False)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    stop_reason = models.CharField(_("stopped because"), max_length=16, blank=True,
                                   choices=SkipReason.choices)  # fmt: skip
    order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("order"),
        help_text=_("The order later placed from this cart, with or without a message."),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["flow", "cart", "abandoned_at"],
                                    name="one_enrollment_per_abandonment")  # fmt: skip
        ]
        indexes = [
            models.Index(fields=["flow", "abandoned_at"], name="enrollment_running",
                         condition=models.Q(stopped_at__isnull=True)),
        ]  # fmt: skip
        verbose_name = _("flow enrolment")
        verbose_name_plural = _("flow enrolments")

    def __str__(self) -> str:
        return f"{self.flow}: {self.cart_id} @ {self.abandoned_at:%Y-%m-%d %H:%M}"


class LeaveReason(models.TextChoices):
    SHIPPING_COST = "shipping_cost", _("Shipping cost")
    DELIVERY_TIME = "delivery_time", _("Delivery time")
    PAYMENT_METHOD_MISSING = "payment_method_missing", _("My payment method was missing")
    PRICE = "price", _("Price")
    TECHNICAL_PROBLEM = "technical_problem", _("A technical problem")
    JUST_LOOKING = "just_looking", _("Just looking")
    OTHER = "other", _("Something else")


class LeaveFeedback(models.Model):
    """Why the shopper left a cart, answered through the link in a recovery message: one answer
    per abandonment of a cart (a second answer replaces the first). What the reports of causes
    read (``recovery.signals.leave_feedback_given``)."""

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="leave_feedback",
                             verbose_name=_("cart"))  # fmt: skip
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("customer"),
    )  # fmt: skip
    message = models.ForeignKey(
        RecoveryMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("answered from message"),
    )  # fmt: skip
    abandoned_at = models.DateTimeField(_("abandoned at"))
    reason = models.CharField(_("reason"), max_length=24, choices=LeaveReason.choices)
    text = models.TextField(_("in their words"), max_length=1000, blank=True)
    language = models.CharField(_("language"), max_length=10)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        ordering = ["-abandoned_at"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "abandoned_at"],
                                    name="one_leave_feedback_per_abandonment")  # fmt: skip
        ]
        verbose_name = _("reason for leaving")
        verbose_name_plural = _("reasons for leaving")

    def __str__(self) -> str:
        return f"{self.cart_id}: {self.get_reason_display()}"
