"""Template context every page needs: the shopper's locale and the selectors' choices."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language_bidi

from shop.selectors import country_choices, language_choices


def shop_locale(request: HttpRequest) -> dict:
    shop = getattr(request, "shop", None)
    return {
        "shop": shop,
        "shop_name": settings.SHOP_NAME,
        "is_rtl": get_language_bidi(),
        "country_choices": country_choices(getattr(request, "shop_markets", {})),
        "language_choices": language_choices(),
    }
