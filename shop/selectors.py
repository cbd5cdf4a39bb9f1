"""Reads of the shared domain. Each function states how many queries it runs."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django_countries import countries
from djmoney.contrib.exchange.models import ExchangeBackend, Rate, get_default_backend_name

from shop.models import Market, MarketCountry, Product, TaxRate, Variant, VariantPrice
from shop.prices import PriceContext


def markets_by_country() -> dict[str, Market]:
    """Country code -> its active market. One query."""
    rows = MarketCountry.objects.filter(market__active=True).select_related("market")
    return {row.country.code: row.market for row in rows}


def country_choices(markets: dict[str, Market]) -> list[tuple[str, str]]:
    """(code, localized name) of the countries the shop sells to, sorted by name. No query."""
    return sorted(((code, str(countries.name(code))) for code in markets), key=lambda c: c[1])


def exchange_rates() -> tuple[str, dict[str, Decimal]]:
    """(base currency, currency -> rate per base unit) of the configured backend. Two queries."""
    name = get_default_backend_name()
    backend = ExchangeBackend.objects.filter(name=name).first()
    if backend is None:
        return settings.BASE_CURRENCY, {}
    rates = dict(Rate.objects.filter(backend=backend).values_list("currency", "value"))
    return backend.base_currency, rates


def tax_rates(market: Market | None, country: str, region: str = "") -> dict[str, Decimal]:
    """tax class -> rate (%) in a country; a region's rate wins over the country's. One query."""
    if market is None:
        return {}
    found: dict[str, Decimal] = {}
    rows = TaxRate.objects.filter(market=market, country=country, region__in={"", region.upper()})
    for row in sorted(rows, key=lambda r: r.region != ""):  # country-wide first, region overrides
        found[row.tax_class] = row.rate
    return found


def price_context(shop_locale, region: str = "") -> PriceContext:
    """Everything :func:`shop.prices.unit_price` needs for a request's locale. Three queries."""
    base, rates = exchange_rates()
    market = shop_locale.market
    return PriceContext(
        currency=shop_locale.currency,
        country=shop_locale.country,
        prices_include_tax=market.prices_include_tax if market else True,
        price_rounding=market.price_rounding if market else "none",
        base_currency=base,
        rates=rates,
        tax_rates=tax_rates(market, shop_locale.country, region),
    )


def storefront_products() -> QuerySet[Product]:
    """Active products with their active variants, fixed prices, images and attribute values
    prefetched: a fixed number of queries however many products are listed."""
    variants = (
        Variant.objects.filter(active=True)
        .select_related("image")
        .prefetch_related(
            Prefetch("prices", queryset=VariantPrice.objects.all()),
            "attribute_values__attribute",
        )
    )
    return (
        Product.objects.filter(active=True)
        .prefetch_related("images", Prefetch("variants", queryset=variants))
        .order_by("name")
    )
