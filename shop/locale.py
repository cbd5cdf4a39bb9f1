"""Which language, country and currency a request is served in.

Language: the URL prefix (``i18n_patterns``), then Accept-Language (Django's LocaleMiddleware).
Country, first that belongs to an active market: ``?country=XX`` on any URL, the cookie that
remembers that choice, a CDN country header (``CF-IPCountry``...), the region of an
Accept-Language entry (``pt-BR`` -> BR), then ``SHOP_DEFAULT_COUNTRY``.
Currency: the country's market.
Unknown or unsupported values are skipped, never an error page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language, to_locale
from django.utils.translation.trans_real import parse_accept_lang_header

from shop.models import Market


@dataclass(frozen=True)
class ShopLocale:
    language: str
    country: str
    currency: str
    market: Market | None
    country_from_query: bool = False

    @property
    def prices_include_tax(self) -> bool:
        return self.market.prices_include_tax if self.market else True


def language_tag(language: str) -> str:
    """The BCP 47 tag of a Django language code, as ``Content-Language`` and ``lang`` want it:
    ``pt-br`` -> ``pt-BR``, ``zh-hans`` -> ``zh-Hans``, ``es`` -> ``es``."""
    return to_locale(language).replace("_", "-")


def header_name(header: str) -> str:
    """``CF-IPCountry`` -> ``HTTP_CF_IPCOUNTRY`` (how Django stores request headers)."""
    return "HTTP_" + header.upper().replace("-", "_")


def _clean_code(value: str | None) -> str | None:
    value = (value or "").strip().upper()
    return value if len(value) == 2 and value.isalpha() else None


def country_candidates(request: HttpRequest) -> list[tuple[str, str]]:
    """(source, code) pairs in the order they are tried."""
    candidates = [
        ("query", request.GET.get("country")),
        ("cookie", request.COOKIES.get(settings.SHOP_COUNTRY_COOKIE)),
    ]
    candidates += [
        ("header", request.META.get(header_name(header)))
        for header in settings.SHOP_COUNTRY_HEADERS
    ]
    for language, _quality in parse_accept_lang_header(
        request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    ):
        parts = language.replace("_", "-").split("-")
        candidates.append(("accept-language", parts[-1] if len(parts) > 1 else None))
    candidates.append(("default", settings.SHOP_DEFAULT_COUNTRY))
    return [(source, code) for source, raw in candidates if (code := _clean_code(raw))]


def resolve_locale(request: HttpRequest, markets_by_country: dict[str, Market]) -> ShopLocale:
    """Pick the request's country and currency from ``markets_by_country`` (active markets)."""
    language = get_language() or settings.LANGUAGE_CODE
    for source, code in country_candidates(request):
        market = markets_by_country.get(code)
        if market is not None:
            return ShopLocale(
                language=language, country=code, currency=market.currency, market=market,
                country_from_query=source == "query",
            )  # fmt: skip
    if markets_by_country:  # the default country is in no market: take any market's country
        code, market = sorted(markets_by_country.items())[0]
        return ShopLocale(language=language, country=code, currency=market.currency, market=market)
    return ShopLocale(
        language=language, country=settings.SHOP_DEFAULT_COUNTRY,
        currency=settings.BASE_CURRENCY, market=None,
    )  # fmt: skip
