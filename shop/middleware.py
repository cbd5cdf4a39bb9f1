"""Gives each request ``request.shop``: its language, country, currency and market."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from shop.locale import resolve_locale
from shop.selectors import markets_by_country

ONE_YEAR = 365 * 24 * 60 * 60


class ShopLocaleMiddleware:
    """Runs after Django's LocaleMiddleware, so the language is already active."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.shop_markets = markets_by_country()
        request.shop = resolve_locale(request, request.shop_markets)
        response = self.get_response(request)
        if request.shop.country_from_query:
            response.set_cookie(
                settings.SHOP_COUNTRY_COOKIE, request.shop.country, max_age=ONE_YEAR,
                samesite="Lax", secure=settings.SESSION_COOKIE_SECURE,
            )  # fmt: skip
        return response
