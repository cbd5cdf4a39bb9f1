"""Markets: the countries a shop sells to, grouped by currency and rules.

A market says which currency and language its countries see, whether shown prices include tax,
the tax rates per country (and region), duties, shipping, payment methods, trust badges and the
abandonment cut-off. Amounts on a market (shipping prices, thresholds, fees) are in the market's
currency; ``amount_in_market`` turns them into ``Money``.
"""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from moneyed import Money

from shop.models.catalog import TaxClass
from shop.money import is_known_currency

NON_NEGATIVE = [MinValueValidator(Decimal("0"))]
PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


def amount_field(verbose_name, **kwargs) -> models.DecimalField:
    """An amount in the market's currency; three decimals so that BHD fits."""
    kwargs.setdefault("validators", NON_NEGATIVE)
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=3, **kwargs)


class DutyMode(models.TextChoices):
    NONE = "none", _("No duties (domestic or customs union)")
    DDP = "ddp", _("Prepaid (DDP): included, no fees on delivery")
    DAP = "dap", _("Estimated (DAP): paid by the shopper on delivery")


class DeMinimisBasis(models.TextChoices):
    GOODS_VALUE = "goods_value", _("Value of the goods")
    DUTY_AMOUNT = "duty_amount", _("Amount of the duty")


class PriceRounding(models.TextChoices):
    NONE = "none", _("Exact conversion")
    NINETY_NINE = "x99", _("Round up to .99")
    WHOLE = "whole", _("Round up to whole units")


class Market(models.Model):
    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    currency = models.CharField(_("currency"), max_length=3, help_text=_("ISO 4217, e.g. EUR."))
    default_language = models.CharField(
        _("default language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    prices_include_tax = models.BooleanField(
        _("prices include tax"),
        default=True,
        help_text=_("Shown prices include tax (EU, UK, AU, BR) or tax is added at checkout (US)."),
    )
    price_rounding = models.CharField(
        _("price rounding"), max_length=8, choices=PriceRounding.choices, default=PriceRounding.NONE
    )
    duty_mode = models.CharField(
        _("duties"), max_length=8, choices=DutyMode.choices, default=DutyMode.NONE
    )
    duty_rate = models.DecimalField(
        _("duty rate (%)"), max_digits=6, decimal_places=3, default=Decimal("0"), validators=PERCENT
    )
    duty_de_minimis = amount_field(
        _("duty de-minimis threshold"),
        default=Decimal("0"),
        help_text=_("No duties below this amount (market currency); see the basis below."),
    )
    duty_de_minimis_basis = models.CharField(
        _("de-minimis threshold applies to"),
        max_length=12,
        choices=DeMinimisBasis.choices,
        default=DeMinimisBasis.GOODS_VALUE,
        help_text=_(
            "What the threshold is compared with: the goods' value (UK, GCC, Japan) or the duty "
            "itself (China waives duty and import VAT of RMB 50 or less)."
        ),
    )
    duty_value_includes_shipping = models.BooleanField(
        _("customs value includes shipping"),
        default=False,
        help_text=_(
            "Duties are charged on goods plus shipping (CIF: EU, UK, China, Brazil, Japan, GCC) "
            "rather than on the goods alone (FOB: United States, Canada)."
        ),
    )
    abandonment_cutoff_minutes = models.PositiveIntegerField(
        _("abandonment cut-off (minutes)"),
        default=60,
        validators=[MinValueValidator(1)],
        help_text=_("A cart without activity for this long is abandoned."),
    )
    marketing_opt_in_required = models.BooleanField(
        _("marketing needs opt-in"),
        default=True,
        help_text=_("Marketing messages need an explicit, unticked-by-default consent (EU, UK)."),
    )
    phone_required = models.BooleanField(_("phone required at checkout"), default=False)
    # Quiet hours: no SMS or WhatsApp marketing between these two local times of the customer
    # (their country's time zone, else the market's); a message due then waits for the end.
    quiet_hours_start = models.TimeField(
        _("quiet hours from"), null=True, blank=True, default=datetime.time(21, 0),
        help_text=_("No SMS or WhatsApp from this local time on; empty: no quiet hours."),
    )  # fmt: skip
    quiet_hours_end = models.TimeField(_("quiet hours until"), null=True, blank=True,
                                       default=datetime.time(9, 0))  # fmt: skip
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True,
        help_text=_("For customers whose country does not tell theirs, e.g. Europe/Berlin."),
    )  # fmt: skip
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("market")
        verbose_name_plural = _("markets")

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"

    def clean(self) -> None:
        self.currency = (self.currency or "").upper()
        if not is_known_currency(self.currency):
            raise ValidationError(
                {
                    "currency": _("“%(code)s” is not a known ISO 4217 currency.")
                    % {"code": self.currency}
                }
            )
        if self.currency not in settings.CURRENCIES:
            raise ValidationError(
                {
                    "currency": _(
                        "The shop has no exchange rates for %(code)s. Add it to the CURRENCIES "
                        "setting and update the rates first."
                    )
                    % {"code": self.currency}
                }
            )
        if self.time_zone:
            try:
                zoneinfo.ZoneInfo(self.time_zone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ValidationError(
                    {"time_zone": _("“%(zone)s” is not a known time zone.")
                     % {"zone": self.time_zone}}
                ) from None

    def amount_in_market(self, amount: Decimal) -> Money:
        return Money(amount, self.currency)


class MarketCountry(models.Model):
    """A country of a market. A country belongs to one market only."""

    market = models.ForeignKey(
        Market, on_delete=models.CASCADE, related_name="countries", verbose_name=_("market")
    )
    country = CountryField(_("country"), unique=True)

    class Meta:
        ordering = ["country"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")

    def __str__(self) -> str:
        return str(self.country.name)

    def validate_unique(self, exclude=None) -> None:
        other = (
            MarketCountry.objects.filter(country=self.country)
            .exclude(pk=self.pk)
            .select_related("market")
            .first()
        )
        if other is not None:
            raise ValidationError(
                {
                    "country": _("%(country)s already belongs to the market “%(market)s”.")
                    % {"country": self.country.name, "market": other.market.name}
                }
            )
        super().validate_unique(exclude=exclude)


class TaxRate(models.Model):
    """The tax rate of a tax class in a country, or in one region of it (US state, CA province)."""

    market = models.ForeignKey(
        Market, on_delete=models.CASCADE, related_name="tax_rates", verbose_name=_("market")
    )
    country = CountryField(_("country"))
    region = models.CharField(
        _("region"),
        max_length=10,
        blank=True,
        help_text=_("State or province code; blank for all."),
    )
    tax_class = models.CharField(
        _("tax class"), max_length=16, choices=TaxClass.choices, default=TaxClass.STANDARD
    )
    rate = models.DecimalField(_("rate (%)"), max_digits=6, decimal_places=3, validators=PERCENT)
    name = models.CharField(
        _("name"), max_length=40, blank=True, help_text=_("e.g. VAT, GST, HST.")
    )
    taxes_shipping = models.BooleanField(
        _("also taxes shipping and fees"),
        default=True,
        help_text=_(
            "The standard rate also applies to shipping and payment fees (VAT, Canadian GST/HST, "
            "New York). Untick where they are exempt when stated separately (e.g. California)."
        ),
    )

    class Meta:
        ordering = ["country", "region", "tax_class"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "region", "tax_class"], name="unique_tax_rate_per_class"
            ),
        ]
        verbose_name = _("tax rate")
        verbose_name_plural = _("tax rates")

    def __str__(self) -> str:
        where = f"{self.country}-{self.region}" if self.region else str(self.country)
        return f"{where} {self.tax_class} {self.rate}%"

    def clean(self) -> None:
        self.region = (self.region or "").upper().strip()


class ShippingZone(models.Model):
    """A group of a market's countries that share shipping methods; no countries means all."""

    market = models.ForeignKey(
        Market, on_delete=models.CASCADE, related_name="shipping_zones", verbose_name=_("market")
    )
    name = models.CharField(_("name"), max_length=100)
    countries = CountryField(_("countries"), multiple=True, blank=True)

    class Meta:
        ordering = ["market", "name"]
        verbose_name = _("shipping zone")
        verbose_name_plural = _("shipping zones")

    def __str__(self) -> str:
        return f"{self.market.name}: {self.name}"

    def covers(self, country_code: str) -> bool:
        return not self.countries or country_code in {c.code for c in self.countries}


class ShippingMethod(models.Model):
    zone = models.ForeignKey(
        ShippingZone, on_delete=models.CASCADE, related_name="methods", verbose_name=_("zone")
    )
    name = models.CharField(_("name"), max_length=100)
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    price = amount_field(_("price"))
    free_shipping_threshold = amount_field(
        _("free shipping from"),
        null=True,
        blank=True,
        help_text=_("Order subtotal from which this method is free; blank for never."),
    )
    min_delivery_days = models.PositiveSmallIntegerField(_("min delivery (business days)"))
    max_delivery_days = models.PositiveSmallIntegerField(_("max delivery (business days)"))
    tracked = models.BooleanField(_("tracked"), default=True)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "price"]
        verbose_name = _("shipping method")
        verbose_name_plural = _("shipping methods")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if (
            self.min_delivery_days is not None
            and self.max_delivery_days is not None
            and self.min_delivery_days > self.max_delivery_days
        ):
            raise ValidationError(
                {"max_delivery_days": _("The maximum cannot be below the minimum.")}
            )


class PaymentMethodCode(models.TextChoices):
    CARD = "card", _("Card")
    PAYPAL = "paypal", _("PayPal")
    APPLE_PAY = "apple_pay", _("Apple Pay")
    GOOGLE_PAY = "google_pay", _("Google Pay")
    KLARNA = "klarna", _("Klarna")
    SEPA_DEBIT = "sepa_debit", _("SEPA Direct Debit")
    IDEAL = "ideal", _("iDEAL")
    BANCONTACT = "bancontact", _("Bancontact")
    BLIK = "blik", _("BLIK")
    P24 = "p24", _("Przelewy24")
    PIX = "pix", _("Pix")
    BOLETO = "boleto", _("Boleto")
    CARD_INSTALMENTS = "card_instalments", _("Card in instalments")
    COD = "cod", _("Cash on delivery")
    MADA = "mada", _("mada")
    ALIPAY = "alipay", _("Alipay")
    WECHAT_PAY = "wechat_pay", _("WeChat Pay")
    KONBINI = "konbini", _("Konbini")
    OXXO = "oxxo", _("OXXO")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")


class PaymentMethod(models.Model):
    market = models.ForeignKey(
        Market, on_delete=models.CASCADE, related_name="payment_methods", verbose_name=_("market")
    )
    code = models.CharField(_("method"), max_length=20, choices=PaymentMethodCode.choices)
    min_order_amount = amount_field(_("minimum order"), null=True, blank=True)
    max_order_amount = amount_field(_("maximum order"), null=True, blank=True)
    fee = amount_field(_("fee"), default=Decimal("0"))
    max_instalments = models.PositiveSmallIntegerField(
        _("instalments"), default=1, validators=[MinValueValidator(1)]
    )
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["market", "code"], name="unique_payment_method")
        ]
        verbose_name = _("payment method")
        verbose_name_plural = _("payment methods")

    def __str__(self) -> str:
        return str(self.get_code_display())

    def clean(self) -> None:
        if (
            self.min_order_amount is not None
            and self.max_order_amount is not None
            and self.min_order_amount > self.max_order_amount
        ):
            raise ValidationError(
                {"max_order_amount": _("The maximum cannot be below the minimum.")}
            )

    def accepts(self, amount: Decimal) -> bool:
        """Whether an order of ``amount`` (market currency) may be paid with this method."""
        if self.min_order_amount is not None and amount < self.min_order_amount:
            return False
        return self.max_order_amount is None or amount <= self.max_order_amount


class TrustBadgeKind(models.TextChoices):
    SECURE_PAYMENT = "secure_payment", _("Secure payment")
    RETURNS = "returns", _("Returns policy")
    DELIVERY = "delivery", _("Delivery promise")
    REVIEW = "review", _("Review")


class TrustBadge(models.Model):
    market = models.ForeignKey(
        Market, on_delete=models.CASCADE, related_name="trust_badges", verbose_name=_("market")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TrustBadgeKind.choices)
    text = models.CharField(_("text"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("trust badge")
        verbose_name_plural = _("trust badges")

    def __str__(self) -> str:
        return self.text
