"""Catalog: products, their variants (colour, size, material), images, prices and stock.

Catalog prices are *net* amounts (without tax) in ``settings.BASE_CURRENCY``. A variant may also
carry a fixed price per currency; that one is the *shown* price in every market using the
currency (tax included where the market shows prices with tax). ``shop.prices`` turns either
into the price a shopper sees.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField
from djmoney.models.validators import MinMoneyValidator


class TaxClass(models.TextChoices):
    STANDARD = "standard", _("Standard rate")
    REDUCED = "reduced", _("Reduced rate")
    ZERO = "zero", _("Zero rate")


class Attribute(models.Model):
    """A kind of variant attribute the cart shows, such as colour, size or material."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("attribute")
        verbose_name_plural = _("attributes")

    def __str__(self) -> str:
        return self.name


class AttributeValue(models.Model):
    """One value of an attribute ("Red", "M", "Cotton"), translatable, with an optional swatch."""

    attribute = models.ForeignKey(
        Attribute, on_delete=models.CASCADE, related_name="values", verbose_name=_("attribute")
    )
    value = models.CharField(_("value"), max_length=80)
    swatch = models.CharField(
        _("swatch colour"), max_length=7, blank=True, help_text=_("A hex colour such as #c0392b.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["attribute__position", "position", "value"]
        constraints = [
            models.UniqueConstraint(fields=["attribute", "value"], name="unique_attribute_value")
        ]
        verbose_name = _("attribute value")
        verbose_name_plural = _("attribute values")

    def __str__(self) -> str:
        return f"{self.attribute.name}: {self.value}"


class Product(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    tax_class = models.CharField(
        _("tax class"), max_length=16, choices=TaxClass.choices, default=TaxClass.STANDARD
    )
    active = models.BooleanField(_("active"), default=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("shop:product", kwargs={"slug": self.slug})

    @property
    def main_image(self) -> ProductImage | None:
        images = list(self.images.all())  # uses a prefetch when there is one
        return images[0] if images else None


class ProductImage(models.Model):
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="images", verbose_name=_("product")
    )
    image = models.FileField(_("image"), upload_to="products/")
    alt = models.CharField(_("alternative text"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("product image")
        verbose_name_plural = _("product images")

    def __str__(self) -> str:
        return self.alt or self.image.name


class Variant(models.Model):
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="variants", verbose_name=_("product")
    )
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    attribute_values = models.ManyToManyField(
        AttributeValue, blank=True, related_name="variants", verbose_name=_("attributes")
    )
    image = models.ForeignKey(
        ProductImage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("image"),
        help_text=_("Shown in the cart for this variant; the product's first image otherwise."),
    )
    price = MoneyField(
        _("net price"),
        max_digits=12,
        decimal_places=3,
        default_currency=settings.BASE_CURRENCY,
        validators=[MinMoneyValidator(0)],
        help_text=_("Without tax, in the shop's base currency."),
    )
    weight_grams = models.PositiveIntegerField(_("weight (g)"), default=0)
    track_stock = models.BooleanField(_("track stock"), default=True)
    stock_quantity = models.PositiveIntegerField(_("stock quantity"), default=0)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["product_id", "position", "id"]
        verbose_name = _("variant")
        verbose_name_plural = _("variants")

    def __str__(self) -> str:
        return f"{self.product.name} ({self.sku})"

    def clean(self) -> None:
        if self.price is not None and str(self.price.currency) != settings.BASE_CURRENCY:
            raise ValidationError(
                {
                    "price": _("The net price must be in the base currency %(currency)s.")
                    % {"currency": settings.BASE_CURRENCY}
                }
            )

    @property
    def in_stock(self) -> bool:
        return not self.track_stock or self.stock_quantity > 0


class VariantPrice(models.Model):
    """A fixed shown price in one currency, used instead of converting the net base price."""

    variant = models.ForeignKey(
        Variant, on_delete=models.CASCADE, related_name="prices", verbose_name=_("variant")
    )
    price = MoneyField(
        _("shown price"), max_digits=12, decimal_places=3, validators=[MinMoneyValidator(0)]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["variant", "price_currency"], name="unique_variant_price_currency"
            )
        ]
        verbose_name = _("fixed price")
        verbose_name_plural = _("fixed prices")

    def __str__(self) -> str:
        return f"{self.variant.sku}: {self.price}"
