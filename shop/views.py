"""Storefront pages: the product list and the product page. Reads go through selectors.

Also ``health``: one query through the full middleware stack, the floor the benchmark compares
every page with and a load balancer's health check.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from shop.money import MissingRateError
from shop.prices import UnitPrice, variant_unit_price
from shop.selectors import price_context, storefront_products

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VariantOffer:
    variant: object
    price: UnitPrice
    attributes: list


def _offers(product, context) -> list[VariantOffer]:
    offers = []
    for variant in product.variants.all():
        variant.product = product  # already loaded: avoid a query per variant
        try:
            price = variant_unit_price(variant, context)
        except MissingRateError:  # no rate for the currency yet: not for sale there, no error
            logger.warning("No exchange rate for %s: %s not offered", context.currency, variant)
            continue
        attributes = sorted(variant.attribute_values.all(), key=lambda v: v.attribute.position)
        offers.append(VariantOffer(variant, price, attributes))
    return offers


def home(request: HttpRequest) -> HttpResponse:
    context = price_context(request.shop)
    cards = []
    for product in storefront_products():
        offers = _offers(product, context)
        if offers:
            cheapest = min(offers, key=lambda offer: offer.price.shown.amount)
            cards.append({"product": product, "from_price": cheapest.price, "count": len(offers)})
    return render(request, "shop/home.html", {"cards": cards})


def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    product = storefront_products().filter(slug=slug).first()
    if product is None:
        raise Http404
    offers = _offers(product, price_context(request.shop))
    selected_sku = request.GET.get("sku")
    selected = next((o for o in offers if o.variant.sku == selected_sku), None)
    if selected is None:
        selected = next((o for o in offers if o.variant.in_stock), offers[0] if offers else None)
    return render(
        request,
        "shop/product.html",
        {"product": product, "offers": offers, "selected": selected},
    )


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """``{"status": "ok"}`` when the database answers (exactly one query), else a 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: the database did not answer")
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
