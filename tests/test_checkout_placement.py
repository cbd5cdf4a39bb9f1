"""Order placement (``checkout.services.place_order``): the order is a snapshot of exactly what
the shopper was shown, stock really exists and is taken once, and a double click, a retry or a
changed total never produce a second or a different order."""

import re
from decimal import Decimal

import django_rq
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from moneyed import Money

from cart.models import Cart, CartStatus, Voucher, VoucherRedemption
from checkout.models import ORDER_NUMBER_ALPHABET, Order, OrderStatus, new_order_number
from checkout.services import CheckoutError, TotalChanged, order_placed, scoped_key
from shop.models import Variant
from shop.money import format_money
from tests import factories
from tests.checkout_world import ADDRESSES, PHONES, CheckoutWorld

pytestmark = pytest.mark.django_db

ORDER_NUMBER = re.compile(rf"^[{ORDER_NUMBER_ALPHABET}]{{3}}-[{ORDER_NUMBER_ALPHABET}]{{3}}-"
                          rf"[{ORDER_NUMBER_ALPHABET}]{{3}}$")  # fmt: skip


@pytest.fixture
def world(cart_world):
    return CheckoutWorld()


def stock(variant) -> int:
    return Variant.objects.get(pk=variant.pk).stock_quantity


def assert_snapshot_equals(order: Order, pricing) -> None:
    assert order.currency == pricing.currency
    assert order.language == pricing.language
    assert order.country.code == pricing.country
    assert order.prices_include_tax == pricing.prices_include_tax
    assert order.subtotal == pricing.subtotal.amount
    assert order.discount == pricing.discount.amount
    assert order.shipping_price == pricing.shipping_price.amount
    assert order.tax == pricing.tax.amount
    assert order.duties == pricing.duties.amount
    assert order.duty_mode == pricing.duty_mode
    assert order.duties_prepaid == pricing.duties_prepaid
    assert order.payment_fee == pricing.payment_fee.amount
    assert order.total == pricing.total.amount
    assert order.payment_method == pricing.payment_method
    assert order.shipping_method_name == pricing.shipping.name
    assert order.carrier == pricing.shipping.carrier
    assert (order.delivery_from, order.delivery_to) == (
        pricing.shipping.delivery_from, pricing.shipping.delivery_to,
    )  # fmt: skip
    assert [
        (line.sku, line.product_name, line.quantity, line.unit_price, line.line_total,
         line.tax_rate, line.attributes)
        for line in order.lines.all()
    ] == [
        (line.sku, line.product_name, line.quantity, line.unit_price.amount,
         line.line_total.amount, line.unit.tax_rate, [list(a) for a in line.attributes])
        for line in pricing.lines
    ]  # fmt: skip


# --- the snapshot ---------------------------------------------------------------------------


def test_order_snapshot_equals_the_cart_pricing_with_voucher_promotion_and_payment_fee(world):
    world.eu  # noqa: B018  (creates the market)
    voucher = factories.VoucherFactory(code="TEN", percentage=Decimal("10"))
    factories.PromotionFactory(name="Cookbook week", percentage=Decimal("20"),
                               products=[world.cookbook.product])  # fmt: skip
    cart = world.checkout_cart("DE", (world.shirt_m, 2), (world.cookbook, 1), voucher=voucher)
    shown = world.quote(cart, "paypal")
    assert shown.payment_fee.amount == Decimal("0.35") and shown.discount.amount > 0

    order = world.place(cart, "paypal", pricing=shown)

    assert_snapshot_equals(order, shown)
    assert order.voucher_code == "TEN"
    assert order.shipping_address == {**ADDRESSES["DE"], "phone": PHONES["DE"],
                                      "country_code": "DE"}  # fmt: skip
    assert order.email == "shopper@example.com"
    assert order.market == world.eu
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.total == (order.subtotal - order.discount + order.shipping_price
                           + order.payment_fee)  # prices include tax in Germany  # fmt: skip


def test_order_snapshot_keeps_prepaid_duties_and_the_market_currency(world):
    cart = world.checkout_cart("GB", (world.shirt_m, 10), (world.cookbook, 5))
    shown = world.quote(cart, "card")
    assert shown.duties_prepaid and shown.duties.amount > 0

    order = world.place(cart, "card", pricing=shown)

    assert_snapshot_equals(order, shown)
    assert order.currency == "GBP"
    assert order.total == (order.subtotal - order.discount + order.shipping_price
                           + order.duties)  # fmt: skip


@pytest.mark.parametrize(("country", "method"), [("BR", "pix"), ("JP", "konbini"),
                                                 ("SA", "cod"), ("US", "card")])  # fmt: skip
def test_order_snapshot_is_in_the_shoppers_currency_and_language(world, country, method):
    cart = world.checkout_cart(country, (world.shirt_m, 2))
    shown = world.quote(cart, method)

    order = world.place(cart, method, pricing=shown)

    assert_snapshot_equals(order, shown)
    assert (order.currency, order.language) == (
        world.market_of(country).currency, cart.language,
    )  # fmt: skip


def test_us_order_to_a_california_address_charges_california_sales_tax(world):
    """The US market adds sales tax by state (CA 7.25 %); before the address is known the page
    says "calculated from your address". Once the shopper gives a California address the order
    must carry California's tax: an order placed without any tax undercharges every US sale."""
    cart = world.checkout_cart("US", (world.shirt_m, 2))
    before_address = world.quote(cart, "card", region="")
    assert not before_address.tax_known
    tax = (before_address.subtotal.amount * Decimal("0.0725")).quantize(Decimal("0.01"))
    with_tax = before_address.total.amount + tax  # goods are taxed, shipping is not

    order = world.place(cart, "card", pricing=before_address, country_area="CA",
                        expected_total=with_tax)  # fmt: skip

    assert order.shipping_address["country_area"] == "CA"
    assert (order.tax, order.total) == (tax, with_tax)


# --- what placing changes -----------------------------------------------------------------


def test_placing_decrements_the_stock_of_every_line(world):
    world.eu  # noqa: B018
    cart = world.checkout_cart("DE", (world.shirt_m, 4), (world.shirt_l, 3), (world.gift_card, 2))

    world.place(cart, "card")

    assert stock(world.shirt_m) == 6
    assert stock(world.shirt_l) == 0
    assert stock(world.gift_card) == 0  # untracked: left alone, never negative


def test_placing_converts_an_active_cart_and_records_its_customer(world):
    world.eu  # noqa: B018
    cart = world.checkout_cart("DE", (world.shirt_m, 1))
    customer = world.customer("anna@example.com")

    order = world.place(cart, "card", customer=customer)

    cart.refresh_from_db()
    assert cart.status == CartStatus.CONVERTED
    assert cart.customer == customer == order.customer


def test_placing_an_abandoned_cart_marks_it_recovered(world):
    world.eu  # noqa: B018
    cart = world.checkout_cart("DE", (world.shirt_m, 1), status=CartStatus.ABANDONED)

    world.place(cart, "card")

    cart.refresh_from_db()
    assert cart.status == CartStatus.RECOVERED


def test_placing_with_a_voucher_counts_its_use_and_records_the_redemption(world):
    world.eu  # noqa: B018
    voucher = factories.VoucherFactory(code="WELCOME", usage_limit=100)
    cart = world.checkout_cart("DE", (world.shirt_m, 2), voucher=voucher)
    customer = world.customer()

    world.place(cart, "card", customer=customer)

    assert Voucher.objects.get(pk=voucher.pk).times_used == 1
    redemption = VoucherRedemption.objects.get(voucher=voucher)
    assert (redemption.customer, redemption.cart_id) == (customer, cart.pk)


# --- order numbers --------------------------------------------------------------------------


def test_order_numbers_read_aloud_and_use_only_the_documented_alphabet():
    numbers = [new_order_number() for _ in range(5_000)]

    assert all(ORDER_NUMBER.match(number) for number in numbers)
    assert len(set(numbers)) == len(numbers)
    assert ORDER_NUMBER.match("K7P-4QW-93M")
    for look_alike in "0O1IL2Z5S8B":
        assert look_alike not in ORDER_NUMBER_ALPHABET


def test_placed_orders_get_unique_numbers(world):
    world.eu  # noqa: B018
    world.gift_card  # noqa: B018
    orders = [
        world.place(world.checkout_cart("DE", (world.gift_card, 1)), "card",
                    email=f"shopper{n}@example.com")
        for n in range(25)
    ]  # fmt: skip

    numbers = [order.number for order in orders]
    assert len(set(numbers)) == 25
    assert all(ORDER_NUMBER.match(number) for number in numbers)


# --- refusals that place nothing ------------------------------------------------------------


def test_a_changed_total_places_nothing_and_gives_the_new_pricing(world):
    world.eu  # noqa: B018
    cart = world.checkout_cart("DE", (world.shirt_m, 2))
    shown = world.quote(cart, "card")
    world.shirt_m.price = Money("11.00", "EUR")  # the catalog changes while the shopper types
    world.shirt_m.save()

    with pytest.raises(TotalChanged) as changed:
        world.place(cart, "card", pricing=shown)

    now = world.quote(cart, "card")
    assert changed.value.pricing.total == now.total != shown.total
    assert changed.value.field == "expected_total"
    assert format_money(now.total, "de", "DE") in changed.value.message
    assert Order.objects.count() == 0
    assert stock(world.shirt_m) == 10
    assert Cart.objects.get(pk=cart.pk).status == CartStatus.ACTIVE


def test_a_line_out_of_stock_places_nothing_and_says_what_is_left(world):
    world.eu  # noqa: B018
    cart = world.checkout_cart("DE", (world.shirt_m, 2), (world.shirt_l, 3))
    shown = world.quote(cart, "card")
    Variant.objects.filter(pk=world.shirt_l.pk).update(stock_quantity=1)  # bought meanwhile

    with pytest.raises(CheckoutError) as refused:
        world.place(cart, "card", pricing=shown)

    assert refused.value.code == "out_of_stock"
    assert refused.value.field == "lines"
    assert refused.value.message == "Only 1 of Linen Shirt left."
    assert Order.objects.count() == 0
    assert (stock(world.shirt_m), stock(world.shirt_l)) == (10, 1)
    assert Cart.objects.get(pk=cart.pk).status == CartStatus.ACTIVE


def test_a_line_sold_out_meanwhile_says_it_is_sold_out(world):
    """The cart page says "… is sold out." for stock 0; placement should too, not
    "Only 0 of … left."."""
    world.eu  # noqa: B018
    cart = world.checkout_cart("DE", (world.shirt_l, 1))
    shown = world.quote(cart, "card")
    Variant.objects.filter(pk=world.shirt_l.pk).update(stock_quantity=0)

    with pytest.raises(CheckoutError) as refused:
        world.place(cart, "card", pricing=shown)

    assert refused.value.code == "out_of_stock"
    assert refused.value.message == "Linen Shirt is sold out."
    assert Order.objects.count() == 0


def test_a_variant_no_longer_sold_places_nothing(world):
    world.eu  # noqa: B018
    cart = world.checkout_cart("DE", (world.shirt_m, 1))
    shown = world.quote(cart, "card")
    Variant.objects.filter(pk=world.shirt_m.pk).update(active=False)

    with pytest.raises(CheckoutError) as refused:
        world.place(cart, "card", pricing=shown)

    assert refused.value.code == "out_of_stock"
    assert "no longer sold" in refused.value.message
    assert Order.objects.count() == 0


def test_cash_on_delivery_over_its_maximum_is_refused(world):
    world.eu  # noqa: B018
    cart = world.checkout_cart("DE", (world.shirt_m, 10), (world.cookbook, 10))
    assert world.quote(cart, "card").total.amount > Decimal("300")  # COD's maximum in the EU

    with pytest.raises(CheckoutError) as refused:
        world.place(cart, "cod")

    assert refused.value.field == "payment_method"
    assert refused.value.message == "This payment method is not available for this order."
    assert Order.objects.count() == 0
    assert stock(world.shirt_m) == 10


def test_klarna_under_its_minimum_is_refused(world):
    world.us  # noqa: B018
    cart = world.checkout_cart("US", (world.shirt_m, 1))
    assert world.quote(cart, "card").total.amount < Decimal("35")  # Klarna's minimum in the US

    with pytest.raises(CheckoutError) as refused:
        world.place(cart, "klarna")

    assert refused.value.field == "payment_method"
    assert Order.objects.count() == 0


def test_a_payment_method_the_market_does_not_offer_is_refused(world):
    world.eu  # noqa: B018
    cart = world.checkout_cart("DE", (world.shirt_m, 1))

    with pytest.raises(CheckoutError) as refused:
        world.place(cart, "pix")

    assert refused.value.field == "payment_method"
    assert Order.objects.count() == 0


def test_an_ordered_cart_cannot_be_ordered_by_someone_else_via_a_new_checkout(world):
    world.eu  # noqa: B018
    cart = world.checkout_cart("DE", (world.shirt_m, 1))
    Cart.objects.filter(pk=cart.pk).update(status=CartStatus.MERGED)

    with pytest.raises(CheckoutError) as refused:
        world.place(cart, "card")

    assert refused.value.code == "closed"
    assert Order.objects.count() == 0


# --- idempotency ----------------------------------------------------------------------------


def test_placing_the_same_cart_twice_returns_the_same_order(world):
    world.eu  # noqa: B018
    cart = world.checkout_cart("DE", (world.shirt_m, 2))
    shown = world.quote(cart, "card")

    first = world.place(cart, "card", pricing=shown)
    second = world.place(cart, "card", pricing=shown)  # the double click

    assert second.pk == first.pk
    assert Order.objects.count() == 1
    assert stock(world.shirt_m) == 8


def test_the_same_idempotency_key_returns_the_same_order(world):
    world.eu  # noqa: B018
    cart = world.checkout_cart("DE", (world.shirt_m, 2))
    shown = world.quote(cart, "card")

    first = world.place(cart, "card", pricing=shown, idempotency_key="retry-1")
    again = world.place(cart, "card", pricing=shown, idempotency_key="retry-1")

    assert again.pk == first.pk
    assert first.idempotency_key == scoped_key(cart, "retry-1")  # bound to this cart
    assert Order.objects.count() == 1
    assert stock(world.shirt_m) == 8


def test_an_idempotency_key_of_another_cart_does_not_hand_out_that_carts_order(world):
    """The key is the caller's; a second cart that (by mistake or on purpose) sends a key
    already used must not receive the first shopper's order, its address and its payment."""
    world.eu  # noqa: B018
    mine = world.place(world.checkout_cart("DE", (world.shirt_m, 1)), "card",
                       idempotency_key="shared-key")  # fmt: skip
    other_cart = world.checkout_cart("DE", (world.shirt_l, 1))

    try:
        theirs = world.place(other_cart, "card", idempotency_key="shared-key",
                             email="someone.else@example.com")  # fmt: skip
    except CheckoutError:
        theirs = None  # refusing the reused key is fine too

    assert theirs is None or theirs.pk != mine.pk


# --- the signal -----------------------------------------------------------------------------


def test_order_placed_is_sent_once_after_the_commit(world, django_capture_on_commit_callbacks):
    world.eu  # noqa: B018
    cart = world.checkout_cart("DE", (world.shirt_m, 1))
    received = []

    def listener(sender, order, **kwargs):
        received.append(order.pk)

    mail = django_rq.get_queue("mail")
    queued_before = set(mail.job_ids)
    order_placed.connect(listener, dispatch_uid="test-listener")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            order = world.place(cart, "card")
            world.place(cart, "card")  # the double click sends nothing more
            assert received == []  # not before the transaction commits
        assert received == [order.pk]
    finally:
        order_placed.disconnect(dispatch_uid="test-listener")
        for job_id in set(mail.job_ids) - queued_before:  # leave no job for a later test
            mail.remove(job_id)


def test_a_refused_order_sends_no_signal(world, django_capture_on_commit_callbacks):
    world.eu  # noqa: B018
    cart = world.checkout_cart("DE", (world.shirt_m, 1))
    shown = world.quote(cart, "card")
    world.shirt_m.price = Money("11.00", "EUR")
    world.shirt_m.save()
    received = []

    def listener(sender, order, **kwargs):
        received.append(order.pk)

    order_placed.connect(listener, dispatch_uid="test-listener")
    try:
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(TotalChanged):
            world.place(cart, "card", pricing=shown)
    finally:
        order_placed.disconnect(dispatch_uid="test-listener")
    assert received == []


# --- query budget ---------------------------------------------------------------------------


def placing_queries(world, size: int) -> int:
    cart = world.checkout_cart("DE")
    for number in range(size):
        variant = factories.VariantFactory(price=Money(10 + number, "EUR"), stock_quantity=50)
        factories.CartLineFactory(cart=cart, variant=variant, quantity=2)
    shown = world.quote(cart, "card")
    customer = world.customer(f"size{size}@example.com")
    with CaptureQueriesContext(connection) as queries:
        order = world.place(cart, "card", pricing=shown, customer=customer)
    assert order.lines.count() == size
    return len(queries)


def test_placing_runs_the_same_number_of_queries_for_1_and_10_lines(world):
    world.eu  # noqa: B018
    placing_queries(world, 1)  # warm caches (content types, markets)

    assert placing_queries(world, 1) == placing_queries(world, 10)
