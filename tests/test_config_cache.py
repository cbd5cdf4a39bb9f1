"""Each process keeps the shop's configuration in memory (``shop.config``) until it changes: an
edit shows at once in the process that made it and, through the version stamp in the shared
cache, within ``SHOP_CONFIG_CHECK_SECONDS`` in every other process."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from moneyed import Money

from shop import config
from shop.selectors import markets_by_country, variant_details
from tests import factories


@pytest.fixture
def world(cart_world):
    w = cart_world
    w.eu  # noqa: B018  (creates the market)
    return w


def shipping_price(world, cart) -> Money:
    return world.price(cart).shipping_options[0].regular_price


def test_a_second_read_runs_no_query(world):
    markets_by_country()
    with CaptureQueriesContext(connection) as queries:
        markets = markets_by_country()
    assert "DE" in markets
    assert len(queries) == 0


def test_an_edit_shows_at_once_in_the_process_that_made_it(world):
    cart = world.cart(world.eu, "DE", (world.shirt_m, 1))
    assert shipping_price(world, cart) == Money("4.90", "EUR")

    world.de_standard.price = Decimal("5.90")
    world.de_standard.save()

    assert shipping_price(world, cart) == Money("5.90", "EUR")


def test_a_product_renamed_shows_its_new_name(world):
    cart = world.cart(world.eu, "DE", (world.shirt_m, 1))
    before = world.price(cart).lines[0].product_name
    product = world.shirt_m.product
    product.name = "Renamed shirt"
    product.save()

    assert before != "Renamed shirt"
    assert world.price(cart).lines[0].product_name == "Renamed shirt"


def test_stock_is_read_fresh_even_when_changed_in_bulk(world):
    from shop.models import Variant

    cart = world.cart(world.eu, "DE", (world.shirt_m, 2))
    world.price(cart)
    Variant.objects.filter(pk=world.shirt_m.pk).update(stock_quantity=1)  # no model signal

    assert world.price(cart).lines[0].stock_state == "insufficient"


def test_another_process_sees_the_change_when_it_checks_the_stamp(world, settings):
    """Another process edited a market: its commit wrote a new stamp. This process holds an old
    copy until it next compares stamps."""
    from shop.models import Market

    settings.SHOP_CONFIG_CHECK_SECONDS = 0
    markets_by_country()
    # The other process's edit: in the database without this process's signal, then its stamp.
    Market.objects.filter(pk=world.eu.pk).update(name="Europe renamed")
    assert markets_by_country()["DE"].name != "Europe renamed"  # same stamp: the copy is kept

    cache.set(config.VERSION_KEY, "written-by-another-process")

    assert markets_by_country()["DE"].name == "Europe renamed"


def test_the_stamp_is_checked_at_most_once_per_interval(world, settings):
    from shop.models import Market

    settings.SHOP_CONFIG_CHECK_SECONDS = 3600
    markets_by_country()
    Market.objects.filter(pk=world.eu.pk).update(name="Europe renamed")
    cache.set(config.VERSION_KEY, "written-by-another-process")

    with CaptureQueriesContext(connection) as queries:
        assert markets_by_country()["DE"].name != "Europe renamed"
    assert len(queries) == 0


@pytest.mark.django_db(transaction=True)
def test_a_committed_edit_writes_a_new_stamp_for_the_other_processes(cart_world, rates):
    cart_world.eu  # noqa: B018
    before = cache.get(config.VERSION_KEY)
    cart_world.de_standard.price = Decimal("6.90")
    cart_world.de_standard.save()  # autocommit: committed at once

    assert cache.get(config.VERSION_KEY) not in (None, before)


@pytest.mark.django_db(transaction=True)
def test_the_rates_job_tells_every_process(rates):
    from shop.jobs import update_exchange_rates

    before = cache.get(config.VERSION_KEY)
    update_exchange_rates("shop.exchange.RecordedRatesBackend")

    assert cache.get(config.VERSION_KEY) not in (None, before)


def test_an_unreachable_cache_means_reloading_not_serving_an_old_copy(world, settings):
    from shop.models import Market

    settings.SHOP_CONFIG_CHECK_SECONDS = 0
    markets_by_country()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens on the discard port
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
    Market.objects.filter(pk=world.eu.pk).update(name="Europe renamed")

    assert markets_by_country()["DE"].name == "Europe renamed"


def test_the_catalog_cache_is_bounded(world, settings):
    settings.SHOP_CATALOG_CACHE_SIZE = 2
    variants = [factories.VariantFactory() for _ in range(4)]

    found = variant_details(v.pk for v in variants)

    assert set(found) == {v.pk for v in variants}  # all returned, even beyond the bound
    assert len(config.cached("variant_details", dict)) == 2


def test_regions_typed_by_shoppers_do_not_grow_the_cache(world):
    from shop.selectors import price_context

    locale = world.locale(world.eu, "DE")
    for typed in ("XX", "YY", "ZZ", "??"):
        price_context(locale, region=typed)

    keys = [key for key in config._values if key.startswith("price_context:")]
    assert len(keys) == 1


def test_a_copy_older_than_the_maximum_age_is_reloaded_under_the_same_stamp(
    world, settings, monkeypatch
):
    """A change whose stamp never reached Redis (it was down at that moment) still arrives."""
    import time

    from shop.models import Market

    settings.SHOP_CONFIG_CHECK_SECONDS = 0
    settings.SHOP_CONFIG_MAX_AGE = 3600
    markets_by_country()
    Market.objects.filter(pk=world.eu.pk).update(name="Europe renamed")  # no stamp written
    assert markets_by_country()["DE"].name != "Europe renamed"

    monkeypatch.setattr(config, "_cleared_at", time.monotonic() - 3601)  # an hour later

    assert markets_by_country()["DE"].name == "Europe renamed"
