"""Translatable catalog and market texts (django-modeltranslation).

modeltranslation adds one column per language (``name_de``, ``name_ja``...) to the same row, so
reading a translated product costs no extra query or join, which keeps the cart's pricing at a
fixed number of queries. Missing translations fall back to English.
"""

from modeltranslation.translator import TranslationOptions, register

from shop.models import (
    Attribute,
    AttributeValue,
    Market,
    Product,
    ProductImage,
    ShippingMethod,
    TrustBadge,
)


@register(Product)
class ProductTranslation(TranslationOptions):
    fields = ("name", "description")


@register(ProductImage)
class ProductImageTranslation(TranslationOptions):
    fields = ("alt",)


@register(Attribute)
class AttributeTranslation(TranslationOptions):
    fields = ("name",)


@register(AttributeValue)
class AttributeValueTranslation(TranslationOptions):
    fields = ("value",)


@register(Market)
class MarketTranslation(TranslationOptions):
    fields = ("name",)


@register(ShippingMethod)
class ShippingMethodTranslation(TranslationOptions):
    fields = ("name",)


@register(TrustBadge)
class TrustBadgeTranslation(TranslationOptions):
    fields = ("text",)
