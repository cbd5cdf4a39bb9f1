"""Translatable promotion names (django-modeltranslation: one column per language)."""

from modeltranslation.translator import TranslationOptions, register

from cart.models import Promotion


@register(Promotion)
class PromotionTranslation(TranslationOptions):
    fields = ("name",)
