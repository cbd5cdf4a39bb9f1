"""Every demo market can be checked out end to end: its language, currency, address format,
phone rule and a payment method it offers, ending on a confirmation (or the provider's page).

17 markets, whose own languages are 12: every shop language is one market's default language;
Switzerland and Canada are also checked out in their other languages."""

from __future__ import annotations

import re

import phonenumbers
import pytest
from django.core.management import call_command

from checkout.models import Order
from shop.models import MarketCountry, Variant

ADDRESSES = {
    "US": {"street_address": "1 Infinite Loop", "city": "Cupertino", "country_area": "CA",
           "postal_code": "95014"},
    "CA": {"street_address": "290 Bremner Blvd", "city": "Toronto", "country_area": "ON",
           "postal_code": "M5V 3L9"},
    "GB": {"street_address": "10 Downing Street", "city": "London", "postal_code": "SW1A 2AA"},
    "DE": {"street_address": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117"},
    "AT": {"street_address": "Stephansplatz 1", "city": "Wien", "postal_code": "1010"},
    "FR": {"street_address": "1 rue de Rivoli", "city": "Paris", "postal_code": "75001"},
    "NL": {"street_address": "Dam 1", "city": "Amsterdam", "postal_code": "1012 JS"},
    "BE": {"street_address": "Grote Markt 1", "city": "Brussel", "postal_code": "1000"},
    "IT": {"street_address": "Via del Corso 1", "city": "Roma", "country_area": "RM",
           "postal_code": "00186"},
    "ES": {"street_address": "Calle Mayor 1", "city": "Madrid", "country_area": "M",
           "postal_code": "28013"},
    "PL": {"street_address": "ul. Marszałkowska 1", "city": "Warszawa", "postal_code": "00-624"},
    "BR": {"street_address": "Av. Paulista, 1000", "city_area": "Bela Vista", "city": "São Paulo",
           "country_area": "SP", "postal_code": "01310-100"},
    "SA": {"street_address": "King Fahd Road 1", "city": "Riyadh", "postal_code": "12211"},
    "AE": {"street_address": "Sheikh Zayed Road 1", "country_area": "إمارة دبيّ"},
    "CN": {"street_address": "建国路 1 号", "city": "朝阳区",
           "country_area": "北京市", "postal_code": "100022"},
    "JP": {"street_address": "千代田1-1", "country_area": "東京都", "postal_code": "100-0001"},
    "CH": {"street_address": "Bahnhofstrasse 1", "city": "Zürich", "postal_code": "8001"},
    "LI": {"street_address": "Städtle 1", "city": "Vaduz", "postal_code": "9490"},
    "TR": {"street_address": "Caferağa Mah. Moda Cad. No: 10 D: 3", "city": "Kadıköy",
           "country_area": "İstanbul", "postal_code": "34710"},
    "MX": {"street_address": "Av. Chapultepec 480", "city_area": "Americana",
           "city": "Guadalajara", "country_area": "Jal.", "postal_code": "44160"},
}  # fmt: skip
# Markets that serve more than their default language (language, country).
OTHER_LANGUAGES = [("CH", "fr"), ("CH", "it"), ("CA", "fr")]


def mobile(country: str) -> str:
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)
    Variant.objects.filter(track_stock=True).update(stock_quantity=50)


def cases():
    """(country, language): every country in its market's language, then the other languages
    of multilingual markets."""
    from shop.demo.markets import MARKETS  # the demo's own list, so a new market is tested too

    by_country = {country: market.language for market in MARKETS for country in market.countries}
    return sorted(by_country.items()) + OTHER_LANGUAGES


def test_the_demo_has_seventeen_markets_in_twelve_languages():
    from django.conf import settings

    from shop.demo.markets import MARKETS

    assert len(MARKETS) == 17
    assert len(settings.LANGUAGES) == 12
    assert {market.language for market in MARKETS} == {code for code, _ in settings.LANGUAGES}
    assert set(ADDRESSES) == {country for market in MARKETS for country in market.countries}


@pytest.mark.parametrize(("country", "language"), cases())
def test_a_shopper_in_each_demo_market_can_check_out(demo, client, country, language):
    row = MarketCountry.objects.select_related("market").get(country=country)
    sku = Variant.objects.filter(active=True, track_stock=True).order_by("sku").values_list(
        "sku", flat=True
    )[0]
    client.get(f"/{language}/?country={country}")
    client.post(f"/{language}/cart/add/", {"sku": sku, "quantity": "1"})

    page = client.get(f"/{language}/checkout/")
    assert page.status_code == 200
    pricing = page.context["pricing"]
    assert pricing.currency == row.market.currency
    method = page.context["payment_method"]
    assert method, f"no payment method offered in {country}"
    data = {
        "email": f"shopper-{country.lower()}@example.com",
        "first_name": "Sam",
        "last_name": "Lee",
        "phone": mobile(country),
        "shipping_method": pricing.shipping.method_id,
        "payment_method": method,
        "expected_total": str(pricing.total.amount),
        "place_order": "1",
        **ADDRESSES[country],
    }

    # As a shopper without JavaScript would: the address first (sales tax in US and CA
    # depends on the state), then confirm the total it shows.
    address_only = {key: value for key, value in data.items() if key != "place_order"}
    recalculated = client.post(f"/{language}/checkout/", address_only)
    total = recalculated.context["pricing"].total
    data["expected_total"] = str(total.amount)
    response = client.post(f"/{language}/checkout/", data)

    if response.status_code != 302:
        errors = {
            name: form.errors
            for name, form in (("contact", response.context["contact_form"]),
                               ("address", response.context["address_form"]))
            if form.is_bound and form.errors
        }  # fmt: skip
        pytest.fail(f"{country}: not placed; errors {errors}; page says "
                    f"{re.findall(r'class=\"message[^>]*>([^<]*)', response.text)}")  # fmt: skip
    order = Order.objects.get(email=data["email"])
    assert order.total == total.amount
    assert order.currency == row.market.currency
    assert order.language == language
    next_page = response["Location"]
    assert "/checkout/order/" in next_page or "/checkout/sandbox/" in next_page
    if "/checkout/order/" in next_page:  # offline methods: the confirmation in the language
        confirmation = client.get(next_page)
        assert confirmation.status_code == 200
        assert f'lang="{language}"' in confirmation.text
