"""Reads of the shared domain. Each function states how many queries it runs.

Market configuration and the catalog's descriptive data are read through ``shop.config``: once
per process until staff change them, so a request usually runs no query for them at all.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils.module_loading import import_string
from django.utils.translation import get_language, get_language_info
from django_countries import countries
from djmoney.contrib.exchange.models import ExchangeBackend, Rate, get_default_backend_name
from moneyed import Money

from shop.config import cached
from shop.models import (
    AttributeValue,
    Market,
    MarketCountry,
    PaymentMethod,
    Product,
    ShippingMethod,
    TaxRate,
    TrustBadge,
    Variant,
    VariantPrice,
)
from shop.prices import PriceContext


def markets_by_country() -> dict[str, Market]:
    """Country code -> its active market. Cached (``shop.config``): no query once loaded."""
    return cached("markets_by_country", _load_markets_by_country)


def markets_by_id() -> dict[int, Market]:
    """Every market (active or not) by id. Cached: no query once loaded."""
    return cached("markets_by_id", lambda: {m.pk: m for m in Market.objects.all()})


def _load_markets_by_country() -> dict[str, Market]:
    rows = MarketCountry.objects.filter(market__active=True).select_related("market")
    markets: dict[int, Market] = {}
    # One object per market, so that every country of a market shares it.
    return {row.country.code: markets.setdefault(row.market_id, row.market) for row in rows}


def country_choices(markets: dict[str, Market]) -> list[tuple[str, str]]:
    """(code, localized name) of the countries the shop sells to, sorted by name. No query;
    computed once per language while the markets stay the same."""
    language = get_language() or settings.LANGUAGE_CODE
    return cached(
        f"country_choices:{language}:{','.join(sorted(markets))}",
        lambda: sorted(((code, str(countries.name(code))) for code in markets),
                       key=lambda c: c[1]),
    )  # fmt: skip


# The countries customers live in change with every sign-up from a new country, rarely: the
# admin's filter reads them from the shared cache, refreshed at most this often.
CUSTOMER_COUNTRIES_KEY = "customer-countries"
CUSTOMER_COUNTRIES_SECONDS = 600


def customer_filter_countries() -> list[tuple[str, str]]:
    """(code, localized name) of the countries the shop's markets serve or its customers live
    in, sorted by name: the admin's country filter, instead of every country in the world.
    No query while the shared cache holds the customers' countries (one ``DISTINCT`` query
    otherwise, every ``CUSTOMER_COUNTRIES_SECONDS`` at most)."""
    codes = set(markets_by_country()) | set(_customer_countries())
    return country_choices(dict.fromkeys(codes))


def _customer_countries() -> list[str]:
    from django.core.cache import cache

    from shop.models import Customer

    codes = cache.get(CUSTOMER_COUNTRIES_KEY)
    if codes is None:
        codes = sorted(
            Customer.objects.exclude(country="").order_by().values_list("country", flat=True)
            .distinct()
        )  # fmt: skip
        cache.set(CUSTOMER_COUNTRIES_KEY, codes, CUSTOMER_COUNTRIES_SECONDS)
    return codes


def language_choices() -> list[tuple[str, str]]:
    """(code, the language's own name) of every language the shop speaks. Computed once."""
    return cached(
        "language_choices",
        lambda: [(code, get_language_info(code)["name_local"]) for code, _ in settings.LANGUAGES],
    )


def exchange_rates() -> tuple[str, dict[str, Decimal]]:
    """(base currency, currency -> rate per base unit) of the configured backend. Cached."""
    return cached("exchange_rates", _load_exchange_rates)


def _load_exchange_rates() -> tuple[str, dict[str, Decimal]]:
    name = get_default_backend_name()
    backend = ExchangeBackend.objects.filter(name=name).first()
    if backend is None:
        return settings.BASE_CURRENCY, {}
    rates = dict(Rate.objects.filter(backend=backend).values_list("currency", "value"))
    return backend.base_currency, rates


def tax_rates(market: Market | None, country: str, region: str = "") -> dict[str, Decimal]:
    """tax class -> rate (%) in a country; a region's rate wins over the country's. Cached."""
    return {row.tax_class: row.rate for row in _tax_rows(market, country, region).values()}


def _tax_rows(market: Market | None, country: str, region: str) -> dict[str, TaxRate]:
    if market is None:
        return {}
    rows = cached("tax_rates", _load_tax_rates).get((market.pk, str(country)), [])
    found: dict[str, TaxRate] = {}
    wanted = {"", (region or "").upper()}
    for row in rows:  # country-wide first, region overrides
        if row.region in wanted:
            found[row.tax_class] = row
    return found


def _load_tax_rates() -> dict[tuple[int, str], list[TaxRate]]:
    by_place: dict[tuple[int, str], list[TaxRate]] = defaultdict(list)
    for row in TaxRate.objects.all():
        by_place[(row.market_id, str(row.country))].append(row)
    for rows in by_place.values():
        rows.sort(key=lambda r: r.region != "")
    return dict(by_place)


@dataclass(frozen=True)
class MarketRules:
    """A market's shipping methods for one country, payment methods and trust badges."""

    shipping_methods: tuple[ShippingMethod, ...] = ()
    payment_methods: tuple[PaymentMethod, ...] = ()
    trust_badges: tuple[TrustBadge, ...] = ()


def market_rules(market: Market | None, country: str) -> MarketRules:
    """What the market offers in ``country``. Cached: no query once loaded."""
    if market is None:
        return MarketRules()
    return cached(f"market_rules:{market.pk}:{country}", lambda: _load_rules(market, country))


def _load_rules(market: Market, country: str) -> MarketRules:
    shipping = [
        method
        for method in ShippingMethod.objects.filter(zone__market=market, active=True)
        .select_related("zone")
        if method.zone.covers(country)
    ]
    # A method no provider can take here (``SHOP_PAYMENT_METHOD_PROBLEM``, the checkout's
    # registry) is shown nowhere: not in the cart, the API, the checkout or a mail.
    problem = (
        import_string(settings.SHOP_PAYMENT_METHOD_PROBLEM)
        if getattr(settings, "SHOP_PAYMENT_METHOD_PROBLEM", "")
        else None
    )
    return MarketRules(
        shipping_methods=tuple(shipping),
        payment_methods=tuple(
            method for method in PaymentMethod.objects.filter(market=market, active=True)
            if problem is None or not problem(method.code)
        ),  # fmt: skip
        trust_badges=tuple(TrustBadge.objects.filter(market=market)),
    )


@dataclass(frozen=True)
class VariantDetails:
    """What a cart shows of a variant besides its stock and net price: the product (with its
    names in every language), fixed prices per currency, attributes in order, the image."""

    product: Product
    fixed_prices: dict[str, Money]
    attributes: tuple[AttributeValue, ...]
    image_url: str | None


def variant_details(variant_ids: Iterable[int]) -> dict[int, VariantDetails]:
    """Details of these variants, from this process's catalog cache; the ones not yet in it
    are loaded together (five queries whatever their number), the rest cost nothing."""
    known: OrderedDict[int, VariantDetails] = cached("variant_details", OrderedDict)
    wanted = set(variant_ids)
    missing = [pk for pk in wanted if pk not in known]
    if missing:
        loaded = _load_variant_details(missing)
        known.update(loaded)
        while len(known) > settings.SHOP_CATALOG_CACHE_SIZE:
            known.popitem(last=False)
        found = {pk: known[pk] for pk in wanted if pk in known}
        found.update(loaded)  # even if the cache is smaller than the request
        return found
    return {pk: known[pk] for pk in wanted}


def _load_variant_details(variant_ids: list[int]) -> dict[int, VariantDetails]:
    variants = (
        Variant.objects.filter(pk__in=variant_ids)
        .select_related("product", "image")
        .prefetch_related(
            Prefetch("prices", queryset=VariantPrice.objects.all()),
            "attribute_values__attribute",
            "product__images",
        )
    )
    details = {}
    for variant in variants:
        images = list(variant.product.images.all())
        image = variant.image or (images[0] if images else None)
        details[variant.pk] = VariantDetails(
            product=variant.product,
            fixed_prices={str(p.price.currency): p.price for p in variant.prices.all()},
            attributes=tuple(
                sorted(variant.attribute_values.all(), key=lambda v: v.attribute.position)
            ),
            image_url=image.image.url if image else None,
        )
    return details


def price_context(shop_locale, region: str = "") -> PriceContext:
    """Everything :func:`shop.prices.unit_price` needs for a request's locale. Cached."""
    market = shop_locale.market
    # A region without a rate of its own prices like the country: one entry for all of them,
    # so regions typed by shoppers cannot grow this process's cache.
    region = (region or "").upper()
    if not any(row.region == region for row in _tax_rows(market, shop_locale.country, region)
               .values()):  # fmt: skip
        region = ""
    key = (
        f"price_context:{shop_locale.currency}:{shop_locale.country}:{region}:"
        f"{market.pk if market else ''}"
    )
    return cached(key, lambda: _load_price_context(shop_locale, region))


def _load_price_context(shop_locale, region: str) -> PriceContext:
    base, rates = exchange_rates()
    market = shop_locale.market
    standard = _tax_rows(market, shop_locale.country, region).get("standard")
    return PriceContext(
        taxes_shipping=standard.taxes_shipping if standard is not None else True,
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
