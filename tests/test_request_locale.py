"""Each request knows its language (URL prefix), country and currency (its market).

Country order: ``?country=`` > the cookie that remembers it > CDN header > Accept-Language region
> ``SHOP_DEFAULT_COUNTRY``. Unknown or unsupported values are skipped, never an error page.
"""

import pytest
from django_countries import countries

from shop.locale import country_candidates

pytestmark = pytest.mark.django_db

COOKIE = "shop_country"


@pytest.fixture(autouse=True)
def markets(market_factory, settings):
    settings.SHOP_DEFAULT_COUNTRY = "DE"
    return {
        "eu": market_factory(
            name="Eurozone", code="eu", currency="EUR", countries=["DE", "FR", "NL"]
        ),
        "us": market_factory(
            name="United States", code="us", currency="USD", prices_include_tax=False,
            countries=["US"],
        ),
        "br": market_factory(name="Brasil", code="br", currency="BRL", countries=["BR"]),
        "pl": market_factory(name="Polska", code="pl", currency="PLN", countries=["PL"]),
        "ch": market_factory(
            name="Schweiz", code="ch", currency="CHF", active=False, countries=["CH"]
        ),
    }  # fmt: skip


def shop_of(response):
    """The locale the request was served in, as the middleware resolved it."""
    assert response.status_code == 200, response.status_code
    return response.wsgi_request.shop


def country_of(response) -> str:
    shop = shop_of(response)
    name = countries.name(shop.country)
    assert f"Prices for {name} in {shop.currency}." in response.text
    return shop.country


def test_country_from_query_wins_over_cookie_header_and_accept_language(client):
    client.cookies[COOKIE] = "FR"

    response = client.get(
        "/en/?country=PL", headers={"CF-IPCountry": "US", "Accept-Language": "pt-BR"}
    )

    assert country_of(response) == "PL"


def test_country_from_cookie_wins_over_header_and_accept_language(client):
    client.cookies[COOKIE] = "FR"

    response = client.get("/en/", headers={"CF-IPCountry": "US", "Accept-Language": "pt-BR"})

    assert country_of(response) == "FR"


def test_country_from_cdn_header_wins_over_accept_language(client):
    response = client.get("/en/", headers={"CF-IPCountry": "US", "Accept-Language": "pt-BR"})

    assert country_of(response) == "US"


def test_cloudfront_header_is_read_when_cloudflare_says_nothing(client):
    response = client.get("/en/", headers={"CloudFront-Viewer-Country": "NL"})

    assert country_of(response) == "NL"


def test_country_from_accept_language_region_wins_over_default(client):
    response = client.get("/en/", headers={"Accept-Language": "pt-BR,pt;q=0.9,en;q=0.5"})

    assert country_of(response) == "BR"


def test_accept_language_regions_are_tried_in_order_of_preference(client):
    response = client.get("/en/", headers={"Accept-Language": "es-MX;q=0.9,en-US;q=0.8,fr-FR"})

    assert country_of(response) == "FR"  # fr-FR has the implicit q=1; MX is in no market


def test_without_any_hint_the_shop_default_country_is_used(client, settings):
    settings.SHOP_DEFAULT_COUNTRY = "NL"

    assert country_of(client.get("/en/")) == "NL"


def test_default_country_in_no_market_falls_back_to_a_market_country(client, settings):
    settings.SHOP_DEFAULT_COUNTRY = "JP"

    shop = shop_of(client.get("/en/"))

    assert shop.market is not None
    assert shop.currency == shop.market.currency


def test_country_query_is_remembered_in_a_cookie(client):
    response = client.get("/en/?country=fr")

    cookie = response.cookies[COOKIE]
    assert cookie.value == "FR"
    assert cookie["max-age"] == 365 * 24 * 60 * 60
    assert cookie["samesite"] == "Lax"
    assert country_of(client.get("/en/")) == "FR"  # the next page, without the query


def test_without_country_query_no_cookie_is_set(client):
    response = client.get("/en/", headers={"CF-IPCountry": "US"})

    assert COOKIE not in response.cookies


@pytest.mark.parametrize(
    "value",
    ["ZZ", "<script>alert(1)</script>", "JP", "CH", "", "D", "DEU", "1A"],
    ids=[
        "unknown",
        "markup",
        "in-no-market",
        "inactive-market",
        "empty",
        "short",
        "alpha3",
        "digit",
    ],
)
def test_unsupported_country_query_falls_back_without_error(client, value):
    response = client.get("/en/", {"country": value}, headers={"CF-IPCountry": "PL"})

    assert country_of(response) == "PL"
    assert COOKIE not in response.cookies
    assert "<script>alert(1)" not in response.text


def test_unsupported_cookie_and_header_values_are_skipped(client):
    client.cookies[COOKIE] = "<b>"

    response = client.get("/en/", headers={"CF-IPCountry": "XX", "Accept-Language": "fr-FR"})

    assert country_of(response) == "FR"


def test_a_cookie_for_a_market_since_deactivated_is_ignored(client):
    client.cookies[COOKIE] = "CH"

    assert country_of(client.get("/en/")) == "DE"


@pytest.mark.parametrize(
    ("country", "currency"),
    [("DE", "EUR"), ("FR", "EUR"), ("US", "USD"), ("BR", "BRL"), ("PL", "PLN")],
)
def test_currency_follows_the_countrys_market(client, markets, country, currency):
    shop = shop_of(client.get(f"/en/?country={country}"))

    assert shop.currency == currency
    assert shop.market.currency == currency
    assert shop.prices_include_tax is (country != "US")


def test_tax_note_in_footer_follows_the_market(client):
    assert "All prices include tax." in client.get("/en/?country=DE").text
    assert "Tax is added at checkout." in client.get("/en/?country=US").text


@pytest.mark.parametrize("language", ["en", "de", "pt-br", "ja", "ar", "zh-hans"])
def test_language_comes_from_the_url_prefix(client, language):
    response = client.get(f"/{language}/", headers={"Accept-Language": "fr"})

    assert shop_of(response).language == language
    assert f'<html lang="{language}"' in response.text


def test_country_does_not_change_the_language(client):
    response = client.get("/de/?country=BR")

    shop = shop_of(response)
    assert (shop.language, shop.country, shop.currency) == ("de", "BR", "BRL")


def test_root_redirects_to_the_language_of_accept_language(client):
    response = client.get("/", headers={"Accept-Language": "pt-BR,pt;q=0.9"})

    assert response.status_code == 302
    assert response["Location"] == "/pt-br/"


def test_root_redirects_to_english_for_an_unsupported_accept_language(client):
    response = client.get("/", headers={"Accept-Language": "sw"})

    assert response.status_code == 302
    assert response["Location"] == "/en/"


def test_arabic_pages_are_right_to_left(client):
    assert 'dir="rtl"' in client.get("/ar/").text
    assert 'dir="ltr"' in client.get("/de/").text


def test_unknown_language_prefix_is_not_found(client):
    assert client.get("/xx/").status_code == 404


def test_unknown_product_is_not_found(client):
    assert client.get("/de/p/no-such-product/").status_code == 404


def test_country_candidates_are_listed_in_order(rf, settings):
    settings.SHOP_COUNTRY_HEADERS = ["CF-IPCountry"]
    settings.SHOP_DEFAULT_COUNTRY = "DE"
    request = rf.get("/en/?country=pl", headers={"CF-IPCountry": "us", "Accept-Language": "pt-BR"})
    request.COOKIES[COOKIE] = "fr"

    assert country_candidates(request) == [
        ("query", "PL"), ("cookie", "FR"), ("header", "US"), ("accept-language", "BR"),
        ("default", "DE"),
    ]  # fmt: skip
