"""The pricing function, the cart page and the cart API read a cart in a fixed number of queries,
whatever the number of lines (1, 10, 100), with and without a voucher or promotions.

Market rules, rates, promotions and the catalog's names, prices and images are kept per process
(``shop.config``): a warm request reads only the cart, its lines with their stock, the add-on
candidates below the free-shipping threshold, and the voucher when there is one. The first
request after a change reloads them, also in a number of queries that does not grow with lines.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from moneyed import Money

from cart.pricing import locale_for_cart, price_cart
from shop.models import Attribute, AttributeValue, ProductImage
from tests import factories

SIZES = (1, 10, 100)
# What one warm pricing reads: the lines with their variants' stock, the add-on candidates.
PRICING_QUERIES = 2
# A warm page: the cart, its lines, the add-on candidates, and the reports' "cart viewed" event
# (one INSERT). With a session the same: sessions are read through the shared cache
# (SESSION_ENGINE cached_db).
PAGE_QUERIES = 4
SESSION_PAGE_QUERIES = 4
# What a cold process reads once: markets, rates (2), tax rates, promotions with products,
# shipping, payment, badges, variants with products and images, prices, attributes (2), images.
MAX_COLD_PRICING_QUERIES = 16


@pytest.fixture
def shop(cart_world):
    """The German market with a free-shipping threshold no cart here reaches, so add-on
    suggestions are looked up for every cart size; a promotion on some products."""
    w = cart_world
    w.eu  # noqa: B018  (creates the market)
    w.de_standard.free_shipping_threshold = Decimal("100000")
    w.de_standard.save()
    colour = Attribute.objects.create(code="colour", name="Colour", position=1)
    size = Attribute.objects.create(code="size", name="Size", position=2)
    values = [
        AttributeValue.objects.create(attribute=colour, value="Blue", swatch="#1f4e9c"),
        AttributeValue.objects.create(attribute=size, value="M"),
    ]
    variants = []
    for number in range(max(SIZES)):
        product = factories.ProductFactory(tax_class="reduced" if number % 3 else "standard")
        ProductImage.objects.create(product=product, image=f"products/{number}.jpg")
        variant = factories.VariantFactory(product=product, stock_quantity=500,
                                           price=Money(10 + number % 7, "EUR"))  # fmt: skip
        variant.attribute_values.set(values)
        if number % 2:
            factories.VariantPriceFactory(variant=variant, price=Money("19.99", "EUR"))
        variants.append(variant)
    factories.PromotionFactory(name="Half the catalog", percentage=Decimal("15"),
                               products=[v.product for v in variants[::2]])  # fmt: skip
    factories.PromotionFactory(name="Everything", percentage=Decimal("5"))
    for _ in range(3):  # candidates for add-on suggestions
        factories.VariantFactory(price=Money("5.00", "EUR"))
    w.variants = variants
    return w


def cart_of(shop, size: int, voucher=None):
    cart = factories.CartFactory(market=shop.eu, country="DE", voucher=voucher)
    for variant in shop.variants[:size]:
        factories.CartLineFactory(cart=cart, variant=variant, quantity=2)
    return cart


def pricing_queries(cart) -> int:
    locale = locale_for_cart(cart)
    with CaptureQueriesContext(connection) as queries:
        pricing = price_cart(cart, locale)
    assert len(pricing.lines) == cart.lines.count()
    return len(queries)


def warm(shop) -> None:
    """Price the largest cart once and resolve a request's market, as a process does on its
    first requests."""
    from shop.selectors import markets_by_country, markets_by_id

    markets_by_country()
    markets_by_id()
    price_cart(cart_of(shop, max(SIZES)), locale_for_cart(cart_of(shop, 1)))


def test_pricing_reads_a_cart_of_any_size_in_the_same_number_of_queries(
    shop, django_assert_num_queries
):
    carts = {size: cart_of(shop, size) for size in SIZES}
    warm(shop)

    for size in SIZES:
        with django_assert_num_queries(PRICING_QUERIES):
            pricing = price_cart(carts[size], locale_for_cart(carts[size]))
        assert len(pricing.lines) == size
        assert not pricing.free_shipping.unlocked  # so the suggestions were looked up too


def test_a_cold_process_reads_the_configuration_in_the_same_number_of_queries(shop):
    from shop import config

    counts = {}
    for size in SIZES:
        cart = cart_of(shop, size)
        config.clear_local()
        counts[size] = pricing_queries(cart)

    assert counts[1] == counts[10] == counts[100], counts
    assert counts[1] <= MAX_COLD_PRICING_QUERIES


def test_pricing_with_a_voucher_reads_a_cart_of_any_size_in_the_same_number_of_queries(shop):
    voucher = factories.VoucherFactory(code="TEN", once_per_customer=True)
    factories.VoucherCurrencyFactory(voucher=voucher, currency="EUR", amount_off=None,
                                     minimum_order=Decimal("1"))  # fmt: skip
    customer = factories.CustomerFactory()
    warm(shop)
    counts = {}
    for size in SIZES:
        cart = cart_of(shop, size, voucher=voucher)
        cart.customer = customer
        cart.save()
        counts[size] = pricing_queries(cart)
        assert price_cart(cart, locale_for_cart(cart)).voucher_error == ""

    assert counts[1] == counts[10] == counts[100] == PRICING_QUERIES + 1, counts  # the voucher


def test_pricing_without_suggestions_reads_no_more_than_with_them(shop):
    cart = cart_of(shop, 10)
    warm(shop)

    with CaptureQueriesContext(connection) as without:
        price_cart(cart, locale_for_cart(cart), with_suggestions=False)

    assert len(without) < pricing_queries(cart)


def page_queries(client, url: str, cart, **headers) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers={"X-Cart-Token": str(cart.token), **headers})
    assert response.status_code == 200
    return len(queries)


def test_cart_page_queries_do_not_grow_with_the_lines(shop, client):
    warm(shop)
    counts = {size: page_queries(client, "/en/cart/?country=DE", cart_of(shop, size))
              for size in SIZES}  # fmt: skip

    assert counts[1] == counts[10] == counts[100] == PAGE_QUERIES, counts


def test_cart_api_queries_do_not_grow_with_the_lines(shop, client):
    warm(shop)
    counts = {size: page_queries(client, "/api/v1/cart/?country=DE", cart_of(shop, size))
              for size in SIZES}  # fmt: skip

    assert counts[1] == counts[10] == counts[100] == PAGE_QUERIES, counts


def test_session_cart_page_queries_do_not_grow_with_the_lines(shop, client, settings):
    warm(shop)
    counts = {}
    for size in SIZES:
        cart = cart_of(shop, size)
        session = client.session
        session[settings.CART_SESSION_KEY] = str(cart.token)
        session.save()
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/en/cart/?country=DE")
        assert response.context["pricing"].item_count == 2 * size
        counts[size] = len(queries)

    assert counts[1] == counts[10] == counts[100] == SESSION_PAGE_QUERIES, counts


# Adding a unit, warm: (session,) the cart, the variant, its row lock, the line, the line's
# write, the cart's write; the API then answers with the priced cart (the cart again, its lines,
# the add-on candidates); both write the reports' "product added" event (one INSERT).
# Transaction control (the test's savepoints, SQLite's BEGIN) is not
# counted: PostgreSQL sends none of it as a statement of its own in production.
FORM_ADD_QUERIES = 8
API_ADD_QUERIES = 10


def statements(captured) -> list[str]:
    control = ("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN", "ROLLBACK TO SAVEPOINT")
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(control)]


def test_adding_a_unit_by_form_or_api_runs_a_fixed_small_number_of_queries(shop, client):
    warm(shop)
    variant = shop.variants[0]
    client.get("/en/cart/?country=DE")
    client.post("/en/cart/add/?country=DE", {"sku": variant.sku, "quantity": 1})  # the cart

    with CaptureQueriesContext(connection) as form:
        response = client.post("/en/cart/add/?country=DE", {"sku": variant.sku, "quantity": 1})
    assert response.status_code == 302
    cart = factories.CartFactory(market=shop.eu, country="DE")
    with CaptureQueriesContext(connection) as api:
        response = client.post(
            "/api/v1/cart/lines/?country=DE", {"sku": variant.sku, "quantity": 1},
            content_type="application/json", headers={"X-Cart-Token": str(cart.token)},
        )  # fmt: skip
    assert response.status_code == 201

    assert len(statements(form)) <= FORM_ADD_QUERIES, statements(form)
    assert len(statements(api)) <= API_ADD_QUERIES, statements(api)
