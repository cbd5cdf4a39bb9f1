"""Fixtures shared by the suite: factories, recorded exchange rates and a real Redis."""

import os
import shutil

import pytest
from django.conf import settings
from django.utils import translation

from shop import embedded_redis
from tests import factories


@pytest.fixture(scope="session", autouse=True)
def _remove_test_media():
    yield
    shutil.rmtree(settings.MEDIA_ROOT.parent, ignore_errors=True)


@pytest.fixture(autouse=True)
def _english_between_tests():
    """Each test starts in the default language.

    A request leaves its language active in the thread, and modeltranslation writes ``name`` to
    the active language's column: a product created after a ``/zh-hans/`` request would have no
    English name.
    """
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def market_factory(db):
    return factories.MarketFactory


@pytest.fixture
def market_country_factory(db):
    return factories.MarketCountryFactory


@pytest.fixture
def tax_rate_factory(db):
    return factories.TaxRateFactory


@pytest.fixture
def product_factory(db):
    return factories.ProductFactory


@pytest.fixture
def variant_factory(db):
    return factories.VariantFactory


@pytest.fixture
def variant_price_factory(db):
    return factories.VariantPriceFactory


@pytest.fixture
def customer_factory(db):
    return factories.CustomerFactory


@pytest.fixture
def rates(db):
    """The recorded ECB rates stored in django-money's tables; returns (base, {code: rate})."""
    from shop.jobs import update_exchange_rates
    from shop.selectors import exchange_rates

    update_exchange_rates("shop.exchange.RecordedRatesBackend")
    return exchange_rates()


@pytest.fixture(scope="session", autouse=True)
def redis_url():
    """The suite's real Redis: ``REDIS_URL`` when the environment gives one (CI), else an
    embedded server on the socket ``tests/settings.py`` points the queues at. Started for the
    whole session so that anything that queues a job (an order's confirmation) reaches Redis."""
    from django.conf import settings

    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    process = embedded_redis.start(settings.TEST_REDIS_SOCKET)
    try:
        yield settings.REDIS_URL
    finally:
        embedded_redis.stop(process)



@pytest.fixture
def cart_factory(db):
    return factories.CartFactory


@pytest.fixture
def cart_line_factory(db):
    return factories.CartLineFactory


@pytest.fixture
def voucher_factory(db):
    return factories.VoucherFactory


@pytest.fixture
def voucher_currency_factory(db):
    return factories.VoucherCurrencyFactory


@pytest.fixture
def promotion_factory(db):
    return factories.PromotionFactory


@pytest.fixture
def shipping_method_factory(db):
    return factories.ShippingMethodFactory


@pytest.fixture
def payment_method_factory(db):
    return factories.PaymentMethodFactory


@pytest.fixture
def cart_world(db, rates, settings):
    """Markets (eu, us, br, gb, ch, jp, bh) and a catalog, created as a test reads them; see
    ``tests/cart_world.py`` for their rules. Requests default to Germany."""
    from tests.cart_world import CartWorld

    settings.SHOP_DEFAULT_COUNTRY = "DE"
    return CartWorld()


@pytest.fixture(autouse=True)
def _empty_cache(redis_url):
    """Each test starts with an empty shared cache (its own Redis database, see settings) and
    without this process's copy of the shop's configuration (``shop.config``): a test's rows
    are rolled back after it, and the next test must not see them."""
    from django.core.cache import cache

    from shop import config

    cache.clear()
    config.clear_local()
    yield
    config.clear_local()


@pytest.fixture
def mail_queue(redis_url):
    """The real "mail" queue in the suite's Redis, empty before and after the test."""
    import django_rq

    queue = django_rq.get_queue("mail")
    queue.empty()
    yield queue
    queue.empty()
