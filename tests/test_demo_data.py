"""``manage.py load_demo`` builds the demo shop, and running it again changes nothing."""

import json
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from shop.models import Customer, MarketCountry, Product

DEMO_COUNTRIES = {"US", "CA", "GB", "DE", "FR", "NL", "PL", "BR", "SA", "AE", "CN", "JP"}
PROJECT_APPS = ("shop", "cart", "checkout", "recovery", "auth", "exchange")

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for app_label in PROJECT_APPS
        for model in apps.get_app_config(app_label).get_models()
    }


def shop_dump() -> list[dict]:
    out = StringIO()
    call_command("dumpdata", "shop", format="json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def demo():
    call_command("load_demo", stdout=StringIO())


def test_loading_the_demo_twice_gives_identical_data():
    call_command("load_demo", stdout=StringIO())
    counts, dump = row_counts(), shop_dump()

    call_command("load_demo", stdout=StringIO())

    assert row_counts() == counts
    assert shop_dump() == dump


def test_demo_has_a_catalog_of_at_least_20_products(demo):
    assert Product.objects.filter(active=True).count() >= 20
    assert all(product.variants.exists() for product in Product.objects.all())


def test_demo_has_markets_for_every_demo_country(demo):
    countries = set(
        MarketCountry.objects.filter(market__active=True).values_list("country", flat=True)
    )

    assert countries >= DEMO_COUNTRIES


def test_demo_has_registered_and_guest_customers_with_and_without_consent(demo):
    registered = Customer.objects.filter(user__isnull=False)
    guests = Customer.objects.filter(user__isnull=True)

    assert registered.exists() and guests.exists()
    for group in (registered, guests):
        assert group.filter(marketing_consent=True).exists()
        assert group.filter(marketing_consent=False).exists()


def test_demo_storefront_shows_its_products_in_local_currencies(demo, client):
    for url, sign in [
        ("/en/?country=US", "$"),
        ("/pt-br/?country=BR", "R$"),
        ("/ja/?country=JP", "￥"),
    ]:
        response = client.get(url)

        assert response.status_code == 200
        assert sign in response.text
