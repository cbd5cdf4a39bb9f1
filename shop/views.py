"""Storefront pages: the product list and the product page. Reads go through selectors."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from shop.prices import UnitPrice, variant_unit_price
from shop.selectors import price_context, storefront_products


@dataclass(frozen=True)
class VariantOffer:
    variant: object
    price: UnitPrice
    attributes: list


def _offers(product, context) -> list[VariantOffer]:
    offers = []
    for variant in product.variants.all():
        variant.product = product  # already loaded: avoid a query per variant
        attributes = sorted(variant.attribute_values.all(), key=lambda v: v.attribute.position)
        offers.append(VariantOffer(variant, variant_unit_price(variant, context), attributes))
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
