"""The one pricing function (``cart.pricing.price_cart``): tax, prices, vouchers, promotions,
shipping with delivery dates, free shipping, duties, payment options, stock and price notices,
add-on suggestions. The markets and catalog are described in ``tests/cart_world.py``."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from moneyed import Money

from cart.models import VoucherRedemption
from cart.pricing import StockState
from tests import factories
from tests.cart_world import NOW

D = Decimal


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def at(year, month, day, hour, minute=0):
    return timezone.make_aware(datetime(year, month, day, hour, minute))


# --- tax ----------------------------------------------------------------------------------------


def test_german_prices_include_vat_and_the_included_tax_is_shown(cart_world):
    w = cart_world
    cart = w.cart(w.eu, "DE", (w.shirt_m, 2), (w.cookbook, 1))

    pricing = w.price(cart)

    assert [line.unit_price for line in pricing.lines] == [eur("11.90"), eur("21.40")]
    assert pricing.subtotal == eur("45.20")
    assert pricing.shipping_price == eur("4.90")
    # 23.80 * 19/119 + 21.40 * 7/107 + shipping 4.90 * 19/119 = 3.80 + 1.40 + 0.7823...
    assert pricing.tax == eur("5.98")
    assert pricing.tax_included and pricing.tax_known and pricing.prices_include_tax
    assert pricing.tax_rate == D("19")
    assert pricing.added_tax == eur("0")
    assert pricing.total == eur("50.10")  # the tax is inside the prices, not added


def test_austrian_cart_uses_austrian_rates_of_the_same_market(cart_world):
    w = cart_world
    cart = w.cart(w.eu, "AT", (w.shirt_m, 2), (w.cookbook, 1))

    pricing = w.price(cart)

    assert [line.unit_price for line in pricing.lines] == [eur("12.00"), eur("22.00")]
    # 24.00 * 20/120 + 22.00 * 10/110 + shipping 6.90 * 20/120 = 4.00 + 2.00 + 1.15
    assert pricing.tax == eur("7.15")
    assert pricing.tax_rate == D("20")


# NY taxes shipping: (23.18 + 5.99) * 8.875 % = 2.589; CA does not: 23.18 * 7.25 % = 1.680
@pytest.mark.parametrize(("region", "tax"), [("NY", "2.59"), ("CA", "1.68")])
def test_us_sales_tax_of_the_carts_state_is_added_to_the_net_prices(cart_world, region, tax):
    w = cart_world
    cart = w.cart(w.us, "US", (w.shirt_m, 2), region=region)

    pricing = w.price(cart)

    assert pricing.lines[0].unit_price == Money("11.59", "USD")  # 10 EUR net at 1.1587
    assert pricing.subtotal == Money("23.18", "USD")
    assert pricing.tax == Money(tax, "USD")
    assert pricing.tax_known and not pricing.tax_included
    assert pricing.added_tax == pricing.tax
    assert pricing.total == Money("23.18", "USD") + Money("5.99", "USD") + Money(tax, "USD")


def test_us_cart_without_a_state_has_unknown_tax_and_adds_none(cart_world):
    w = cart_world
    cart = w.cart(w.us, "US", (w.shirt_m, 2))

    pricing = w.price(cart)

    assert not pricing.tax_known
    assert pricing.tax == Money("0", "USD")
    assert pricing.total == Money("29.17", "USD")  # 23.18 + shipping 5.99, tax comes later


def test_fixed_price_in_the_carts_currency_wins_over_conversion_and_rounding(cart_world):
    w = cart_world
    factories.VariantPriceFactory(variant=w.shirt_m, price=Money("49.90", "BRL"))
    cart = w.cart(w.br, "BR", (w.shirt_m, 1), (w.shirt_l, 1))

    pricing = w.price(cart)

    by_sku = {line.sku: line.unit_price for line in pricing.lines}
    assert by_sku["SHIRT-M"] == Money("49.90", "BRL")  # not 10 * 6.193 * 1.17, not x.99
    assert by_sku["SHIRT-L"] == Money("86.99", "BRL")  # 12 * 6.193 * 1.17 = 86.95 -> 86.99


def test_x99_market_lifts_converted_prices_to_the_next_99(cart_world):
    w = cart_world
    cart = w.cart(w.br, "BR", (w.shirt_m, 3))

    pricing = w.price(cart)

    assert pricing.lines[0].unit_price == Money("72.99", "BRL")  # 72.458 -> 72.99
    assert pricing.lines[0].line_total == Money("218.97", "BRL")


# --- vouchers -----------------------------------------------------------------------------------


@pytest.fixture
def de_cart(cart_world):
    """2 x SHIRT-M (11.90) + 1 cookbook (21.40) = 45.20 EUR in Germany."""
    w = cart_world
    return w.cart(w.eu, "DE", (w.shirt_m, 2), (w.cookbook, 1))


def with_voucher(cart, voucher):
    cart.voucher = voucher
    cart.save()
    return cart


def test_percentage_voucher_takes_its_share_off_the_goods_and_the_tax(cart_world, de_cart):
    voucher = factories.VoucherFactory(code="TEN", percentage=D("10"))

    pricing = cart_world.price(with_voucher(de_cart, voucher))

    assert pricing.voucher_code == "TEN" and pricing.voucher_error == ""
    assert [(d.kind, d.code, d.amount) for d in pricing.discounts] == [
        ("voucher", "TEN", eur("4.52"))
    ]
    assert pricing.discount == eur("4.52")
    # 90 % of each tax class: 21.42 * 19/119 + 19.26 * 7/107 + 0.78 shipping = 3.42 + 1.26 + 0.78
    assert pricing.tax == eur("5.46")
    assert pricing.total == eur("45.58")  # 45.20 - 4.52 + 4.90


def test_fixed_voucher_takes_the_amount_set_for_the_carts_currency(cart_world, de_cart):
    w = cart_world
    voucher = factories.VoucherFactory(code="FIVE", kind="fixed", percentage=None)
    factories.VoucherCurrencyFactory(voucher=voucher, currency="EUR", amount_off=D("5"))
    factories.VoucherCurrencyFactory(voucher=voucher, currency="USD", amount_off=D("6"))
    us_cart = w.cart(w.us, "US", (w.shirt_m, 4), region="NY", voucher=voucher)

    de = w.price(with_voucher(de_cart, voucher))
    us = w.price(us_cart)

    assert de.discount == eur("5.00") and de.total == eur("45.10")
    assert us.discount == Money("6.00", "USD")
    assert us.subtotal == Money("46.36", "USD")
    assert us.tax == Money("4.11", "USD")  # 8.875 % of 40.36 + 5.99 shipping = 4.114
    assert us.total == Money("46.36", "USD") - Money("6", "USD") + Money("5.99", "USD") + us.tax


def test_fixed_voucher_never_takes_off_more_than_the_goods(cart_world):
    w = cart_world
    voucher = factories.VoucherFactory(code="BIG", kind="fixed", percentage=None)
    factories.VoucherCurrencyFactory(voucher=voucher, currency="EUR", amount_off=D("100"))
    cart = w.cart(w.eu, "DE", (w.shirt_m, 1), voucher=voucher)

    pricing = w.price(cart)

    assert pricing.discount == eur("11.90")
    assert pricing.tax == eur("0.78")  # only the shipping's VAT is left
    assert pricing.total == eur("4.90")


def test_fixed_voucher_without_an_amount_in_the_carts_currency_does_not_apply(cart_world):
    w = cart_world
    voucher = factories.VoucherFactory(code="EURONLY", kind="fixed", percentage=None)
    factories.VoucherCurrencyFactory(voucher=voucher, currency="EUR", amount_off=D("5"))
    cart = w.cart(w.br, "BR", (w.shirt_m, 1), voucher=voucher)

    pricing = w.price(cart)

    assert pricing.voucher_error == "This voucher cannot be used in BRL."
    assert pricing.discount == Money("0", "BRL")
    assert pricing.discounts == []


def test_free_shipping_voucher_makes_the_cheapest_shipping_free_not_express(cart_world, de_cart):
    voucher = factories.VoucherFactory(code="SHIPFREE", kind="free_shipping", percentage=None)

    pricing = cart_world.price(with_voucher(de_cart, voucher))

    assert pricing.voucher_error == ""
    assert [(o.name, o.price, o.is_free) for o in pricing.shipping_options] == [
        ("Standard", eur("0"), True),
        ("Express", eur("12.90"), False),
    ]
    assert pricing.shipping_price == eur("0")
    assert pricing.free_shipping.unlocked
    assert [d.code for d in pricing.discounts] == ["SHIPFREE"]
    assert pricing.total == eur("45.20")


def test_voucher_below_its_minimum_order_says_so_and_takes_nothing_off(cart_world, de_cart):
    voucher = factories.VoucherFactory(code="MIN50")
    factories.VoucherCurrencyFactory(voucher=voucher, currency="EUR", amount_off=None,
                                     minimum_order=D("50"))  # fmt: skip

    pricing = cart_world.price(with_voucher(de_cart, voucher))

    # English words, the amount as written in Germany (en_DE)
    assert pricing.voucher_error == "This voucher needs an order of at least 50,00\xa0€."
    assert pricing.discount == eur("0")
    assert pricing.total == eur("50.10")


def test_voucher_at_its_minimum_order_applies(cart_world, de_cart):
    voucher = factories.VoucherFactory(code="MIN45")
    factories.VoucherCurrencyFactory(voucher=voucher, currency="EUR", amount_off=None,
                                     minimum_order=D("45.20"))  # fmt: skip

    pricing = cart_world.price(with_voucher(de_cart, voucher))

    assert pricing.voucher_error == ""
    assert pricing.discount == eur("4.52")


@pytest.mark.parametrize(
    ("window", "error"),
    [
        ({"valid_from": NOW + timedelta(minutes=1)}, "This voucher is not valid yet."),
        ({"valid_until": NOW}, "This voucher has expired."),
        ({"valid_until": NOW - timedelta(days=1)}, "This voucher has expired."),
    ],
)
def test_voucher_outside_its_validity_window_does_not_apply(cart_world, de_cart, window, error):
    voucher = factories.VoucherFactory(code="WINDOW", **window)

    pricing = cart_world.price(with_voucher(de_cart, voucher))

    assert pricing.voucher_error == error
    assert pricing.discount == eur("0")


def test_voucher_inside_its_validity_window_applies(cart_world, de_cart):
    voucher = factories.VoucherFactory(code="NOW", valid_from=NOW, valid_until=NOW + timedelta(1))

    assert cart_world.price(with_voucher(de_cart, voucher)).discount == eur("4.52")


def test_voucher_that_reached_its_usage_limit_is_used_up(cart_world, de_cart):
    voucher = factories.VoucherFactory(code="LIMITED", usage_limit=3, times_used=3)

    pricing = cart_world.price(with_voucher(de_cart, voucher))

    assert pricing.voucher_error == "This voucher has been used up."
    assert pricing.discount == eur("0")


def test_voucher_below_its_usage_limit_applies(cart_world, de_cart):
    voucher = factories.VoucherFactory(code="LIMITED", usage_limit=3, times_used=2)

    assert cart_world.price(with_voucher(de_cart, voucher)).voucher_error == ""


def test_inactive_voucher_is_no_longer_valid(cart_world, de_cart):
    voucher = factories.VoucherFactory(code="OLD", active=False)

    assert (
        cart_world.price(with_voucher(de_cart, voucher)).voucher_error
        == "This voucher is no longer valid."
    )


def test_once_per_customer_voucher_already_redeemed_by_the_customer_does_not_apply(
    cart_world, de_cart
):
    customer = factories.CustomerFactory()
    voucher = factories.VoucherFactory(code="WELCOME", once_per_customer=True)
    VoucherRedemption.objects.create(voucher=voucher, customer=customer)
    de_cart.customer = customer

    pricing = cart_world.price(with_voucher(de_cart, voucher))

    assert pricing.voucher_error == "You have already used this voucher."
    assert pricing.discount == eur("0")


def test_once_per_customer_voucher_applies_to_a_customer_who_has_not_used_it(cart_world, de_cart):
    voucher = factories.VoucherFactory(code="WELCOME", once_per_customer=True)
    VoucherRedemption.objects.create(voucher=voucher, customer=factories.CustomerFactory())
    de_cart.customer = factories.CustomerFactory()

    assert cart_world.price(with_voucher(de_cart, voucher)).discount == eur("4.52")


def test_personal_voucher_does_not_apply_to_another_customers_cart(cart_world, de_cart):
    owner, other = factories.CustomerFactory(), factories.CustomerFactory()
    voucher = factories.VoucherFactory(code="FORYOU", customer=owner)
    de_cart.customer = other

    pricing = cart_world.price(with_voucher(de_cart, voucher))

    assert pricing.voucher_error == "This voucher belongs to another customer."
    assert pricing.discount == eur("0")


def test_personal_voucher_applies_to_its_customers_cart(cart_world, de_cart):
    owner = factories.CustomerFactory()
    voucher = factories.VoucherFactory(code="FORYOU", customer=owner)
    de_cart.customer = owner

    assert cart_world.price(with_voucher(de_cart, voucher)).discount == eur("4.52")


def test_personal_voucher_does_not_apply_to_an_anonymous_cart(cart_world, de_cart):
    voucher = factories.VoucherFactory(code="FORYOU", customer=factories.CustomerFactory())

    assert cart_world.price(with_voucher(de_cart, voucher)).voucher_error


# --- promotions ---------------------------------------------------------------------------------


def running(**kwargs):
    """A promotion running at NOW."""
    kwargs.setdefault("starts_at", NOW - timedelta(days=1))
    kwargs.setdefault("ends_at", NOW + timedelta(days=2))
    return factories.PromotionFactory(**kwargs)


def test_each_line_gets_the_best_promotion_that_covers_it(cart_world, de_cart):
    w = cart_world
    everything = running(name="Autumn sale", percentage=D("10"))
    shirts = running(name="Shirt week", percentage=D("25"), products=[w.shirt],
                     ends_at=NOW + timedelta(hours=5))  # fmt: skip

    pricing = w.price(de_cart)

    by_label = {d.label: d for d in pricing.discounts}
    assert by_label["Shirt week"].amount == eur("5.95")  # 25 % of 23.80; not also the 10 %
    assert by_label["Autumn sale"].amount == eur("2.14")  # 10 % of the cookbook's 21.40
    assert by_label["Shirt week"].ends_at == shirts.ends_at
    assert by_label["Autumn sale"].ends_at == everything.ends_at
    assert pricing.discount == eur("8.09")
    assert pricing.promotion_ends_at == shirts.ends_at  # the page counts down to the first end
    assert pricing.total == eur("45.20") - eur("8.09") + eur("4.90")


def test_a_smaller_promotion_is_not_stacked_on_a_bigger_one(cart_world):
    w = cart_world
    running(name="Small", percentage=D("5"), products=[w.shirt])
    running(name="Big", percentage=D("30"))
    cart = w.cart(w.eu, "DE", (w.shirt_m, 2))

    pricing = w.price(cart)

    assert [(d.label, d.amount) for d in pricing.discounts] == [("Big", eur("7.14"))]


@pytest.mark.parametrize(
    "promotion",
    [
        {"starts_at": NOW + timedelta(minutes=1)},
        {"ends_at": NOW},
        {"active": False},
    ],
    ids=["not-started", "ended", "inactive"],
)
def test_promotion_that_is_not_running_gives_nothing(cart_world, de_cart, promotion):
    running(name="Sale", percentage=D("50"), **promotion)

    pricing = cart_world.price(de_cart)

    assert pricing.discounts == []
    assert pricing.promotion_ends_at is None


def test_promotion_for_other_products_gives_nothing(cart_world):
    w = cart_world
    running(name="Books", percentage=D("50"), products=[w.cookbook.product])
    cart = w.cart(w.eu, "DE", (w.shirt_m, 1))

    assert w.price(cart).discounts == []


def test_voucher_is_taken_off_the_goods_after_promotions(cart_world, de_cart):
    w = cart_world
    running(name="Sale", percentage=D("20"))
    voucher = factories.VoucherFactory(code="TEN", percentage=D("10"))

    pricing = w.price(with_voucher(de_cart, voucher))

    # 45.20 - 20 % = 36.16; 10 % of that = 3.616 -> 3.62
    assert [d.amount for d in pricing.discounts] == [eur("9.04"), eur("3.62")]
    assert pricing.total == eur("45.20") - eur("12.66") + eur("4.90")


# --- shipping -----------------------------------------------------------------------------------


def test_shipping_options_for_the_country_cheapest_first_with_delivery_dates(cart_world, de_cart):
    pricing = cart_world.price(de_cart)  # Wednesday 25 Nov, 10:00: leaves today

    options = [(o.name, o.price, o.delivery_from, o.delivery_to) for o in pricing.shipping_options]
    assert options == [
        ("Standard", eur("4.90"), datetime(2026, 11, 27).date(), datetime(2026, 11, 30).date()),
        ("Express", eur("12.90"), datetime(2026, 11, 26).date(), datetime(2026, 11, 26).date()),
    ]
    assert pricing.shipping.name == "Standard"  # the cheapest unless one was chosen
    assert pricing.shipping_options[0].carrier == "DHL" and pricing.shipping_options[0].tracked


def test_other_countries_of_the_market_see_their_own_zones_methods(cart_world):
    w = cart_world
    cart = w.cart(w.eu, "AT", (w.shirt_m, 1))

    assert [o.name for o in w.price(cart).shipping_options] == ["Austria Standard"]


def test_inactive_shipping_method_is_not_offered(cart_world, de_cart):
    w = cart_world
    w.de_express.active = False
    w.de_express.save()

    assert [o.name for o in w.price(de_cart).shipping_options] == ["Standard"]


def test_delivery_window_skips_the_weekend(cart_world, de_cart):
    friday_morning = at(2026, 11, 27, 9)

    pricing = cart_world.price(de_cart, now=friday_morning)

    standard, express = pricing.shipping_options
    assert (standard.delivery_from, standard.delivery_to) == (
        datetime(2026, 12, 1).date(),  # Fri + 2 business days = Tue
        datetime(2026, 12, 2).date(),
    )
    assert express.delivery_from == datetime(2026, 11, 30).date()  # Monday, not Saturday


def test_order_on_a_saturday_leaves_on_monday(cart_world, de_cart):
    pricing = cart_world.price(de_cart, now=at(2026, 11, 28, 9))

    assert pricing.shipping_options[1].delivery_from == datetime(2026, 12, 1).date()  # Mon + 1


def test_after_the_dispatch_cut_off_the_parcel_leaves_the_next_business_day(cart_world, de_cart):
    pricing = cart_world.price(de_cart, now=at(2026, 11, 25, 14, 0))  # cut-off 14:00

    assert pricing.shipping_options[1].delivery_from == datetime(2026, 11, 27).date()  # Thu + 1


def test_dispatch_cut_off_hour_is_a_setting(cart_world, de_cart, settings):
    settings.SHOP_DISPATCH_CUTOFF_HOUR = 16

    pricing = cart_world.price(de_cart, now=at(2026, 11, 25, 15, 30))

    assert pricing.shipping_options[1].delivery_from == datetime(2026, 11, 26).date()


def test_after_the_cut_off_on_friday_the_parcel_leaves_on_monday(cart_world, de_cart):
    pricing = cart_world.price(de_cart, now=at(2026, 11, 27, 18))

    assert pricing.shipping_options[1].delivery_from == datetime(2026, 12, 1).date()


def test_the_chosen_shipping_method_is_priced_instead_of_the_cheapest(cart_world, de_cart):
    w = cart_world
    de_cart.shipping_method = w.de_express
    de_cart.save()

    pricing = w.price(de_cart)

    assert pricing.shipping.name == "Express"
    assert pricing.shipping_price == eur("12.90")
    assert pricing.total == eur("58.10")
    # VAT now includes the express shipping's: 3.80 + 1.40 + 12.90 * 19/119 = 7.2596...
    assert pricing.tax == eur("7.26")


def test_a_shipping_method_passed_in_wins_over_the_carts(cart_world, de_cart):
    w = cart_world

    pricing = w.price(de_cart, shipping_method_id=w.de_express.pk)

    assert pricing.shipping.name == "Express" and pricing.total == eur("58.10")


def test_a_chosen_method_not_offered_in_the_country_falls_back_to_the_cheapest(cart_world):
    w = cart_world
    cart = w.cart(w.eu, "AT", (w.shirt_m, 1))
    cart.shipping_method = w.de_express  # chosen while shipping to Germany
    cart.save()

    assert w.price(cart).shipping.name == "Austria Standard"


def test_country_without_a_shipping_method_has_no_shipping_and_is_still_priced(cart_world):
    w = cart_world
    factories.MarketCountryFactory(market=w.eu, country="FR")  # no zone covers France
    factories.TaxRateFactory(market=w.eu, country="FR", rate=D("20"))
    cart = w.cart(w.eu, "FR", (w.shirt_m, 1))

    pricing = w.price(cart)

    assert pricing.shipping_options == [] and pricing.shipping is None
    assert pricing.shipping_price == eur("0")
    assert pricing.total == pricing.subtotal == eur("12.00")


# --- free shipping ------------------------------------------------------------------------------


def test_free_shipping_bar_shows_the_missing_amount_and_progress(cart_world, de_cart):
    free = cart_world.price(de_cart).free_shipping

    assert free.threshold == eur("50.00")
    assert free.missing == eur("4.80")
    assert free.progress == D("0.90")
    assert not free.unlocked


def test_free_shipping_is_unlocked_at_the_threshold(cart_world):
    w = cart_world
    cart = w.cart(w.eu, "DE", (w.shirt_m, 5))  # 59.50

    pricing = w.price(cart)

    assert pricing.free_shipping.unlocked
    assert pricing.free_shipping.missing == eur("0")
    assert pricing.free_shipping.progress == D("1")
    standard = pricing.shipping_options[0]
    assert standard.name == "Standard" and standard.is_free
    assert standard.price == eur("0") and standard.regular_price == eur("4.90")
    assert pricing.shipping_price == eur("0")
    assert pricing.total == eur("59.50")
    assert not pricing.shipping_options[1].is_free  # Express has no threshold


def test_free_shipping_threshold_counts_the_goods_after_discounts(cart_world):
    w = cart_world
    voucher = factories.VoucherFactory(code="TWENTY", percentage=D("20"))
    cart = w.cart(w.eu, "DE", (w.shirt_m, 5), voucher=voucher)  # 59.50 - 11.90 = 47.60

    pricing = w.price(cart)

    assert not pricing.free_shipping.unlocked
    assert pricing.free_shipping.missing == eur("2.40")
    assert pricing.shipping_price == eur("4.90")


def test_market_without_a_free_shipping_threshold_shows_no_bar(cart_world):
    w = cart_world
    cart = w.cart(w.gb, "GB", (w.shirt_m, 1))

    assert w.price(cart).free_shipping is None


# --- duties -------------------------------------------------------------------------------------


def test_prepaid_duties_above_the_de_minimis_are_added_to_the_total(cart_world):
    w = cart_world
    cart = w.cart(w.gb, "GB", (w.gift_card, 10))

    pricing = w.price(cart)

    assert pricing.lines[0].unit_price == Money("26.44", "GBP")  # 25 * 0.8812 * 1.20 = 26.436
    assert pricing.subtotal == Money("264.40", "GBP")
    assert pricing.duty_mode == "ddp" and pricing.duties_prepaid
    # 12 % of the goods without VAT: 264.40 / 1.2 = 220.333 -> 26.44
    assert pricing.duties == Money("26.44", "GBP")
    assert pricing.prepaid_duties == pricing.duties
    assert pricing.total == Money("264.40", "GBP") + Money("3.95", "GBP") + Money("26.44", "GBP")


def test_prepaid_duties_below_the_de_minimis_are_none(cart_world):
    w = cart_world
    cart = w.cart(w.gb, "GB", (w.shirt_m, 2))  # 21.14 GBP

    pricing = w.price(cart)

    assert pricing.duty_mode == "ddp" and pricing.duties_prepaid
    assert pricing.duties == Money("0", "GBP")
    assert pricing.total == Money("25.09", "GBP")


def test_estimated_duties_are_shown_but_not_charged_in_the_total(cart_world):
    w = cart_world
    cart = w.cart(w.ch, "CH", (w.gift_card, 3))

    pricing = w.price(cart)

    assert pricing.lines[0].unit_price == Money("25.19", "CHF")  # 25 * 0.9321 * 1.081 = 25.19
    assert pricing.duty_mode == "dap" and not pricing.duties_prepaid
    # 10 % of 75.57 / 1.081 = 69.907 -> 6.99
    assert pricing.duties == Money("6.99", "CHF")
    assert pricing.prepaid_duties == Money("0", "CHF")
    assert pricing.total == Money("75.57", "CHF") + Money("9.00", "CHF")


def test_domestic_market_has_no_duties(cart_world, de_cart):
    pricing = cart_world.price(de_cart)

    assert pricing.duty_mode == "none" and pricing.duties.amount == 0


# --- payment ------------------------------------------------------------------------------------


def payment(pricing, code):
    return next(option for option in pricing.payment_options if option.code == code)


def test_payment_method_is_unavailable_below_its_minimum_order(cart_world):
    w = cart_world
    small = w.price(w.cart(w.us, "US", (w.shirt_m, 1)))  # 11.59 + 5.99 = 17.58
    enough = w.price(w.cart(w.us, "US", (w.shirt_m, 3)))  # 34.77 + 5.99 = 40.76

    assert not payment(small, "klarna").available
    assert payment(small, "klarna").min_order == Money("35", "USD")
    assert payment(small, "card").available
    assert payment(enough, "klarna").available


def test_payment_method_is_unavailable_above_its_maximum_order(cart_world):
    w = cart_world
    pricing = w.price(w.cart(w.eu, "DE", (w.gift_card, 11)))  # 11 * 29.75 = 327.25

    assert not payment(pricing, "cod").available
    assert payment(pricing, "cod").max_order == eur("300")
    assert payment(pricing, "card").available


def test_payment_fee_is_added_only_when_that_method_is_chosen(cart_world, de_cart):
    w = cart_world

    browsing = w.price(de_cart)
    paying = w.price(de_cart, payment_method="paypal")

    assert payment(browsing, "paypal").fee == eur("0.35")
    assert browsing.payment_fee == eur("0") and browsing.payment_method == ""
    assert browsing.total == eur("50.10")
    assert paying.payment_method == "paypal"
    assert paying.payment_fee == eur("0.35")
    assert paying.total == eur("50.45")


def test_choosing_an_unavailable_payment_method_adds_no_fee(cart_world):
    w = cart_world
    cart = w.cart(w.eu, "DE", (w.gift_card, 11))

    pricing = w.price(cart, payment_method="cod")

    assert pricing.payment_method == ""
    assert pricing.payment_fee == eur("0")
    assert pricing.total == eur("327.25")


def test_payment_options_and_trust_badges_are_the_markets(cart_world, de_cart):
    pricing = cart_world.price(de_cart)

    assert [o.code for o in pricing.payment_options] == ["card", "paypal", "klarna", "cod"]
    assert [b.text for b in pricing.trust_badges] == ["Secure payment", "30-day free returns"]


# --- stock and price notices --------------------------------------------------------------------


def test_stock_states_of_the_lines(cart_world):
    w = cart_world
    sold_out = factories.VariantFactory(product=w.shirt, sku="SHIRT-XL", stock_quantity=0)
    cart = w.cart(w.eu, "DE", (w.shirt_m, 2), (w.shirt_l, 1), (w.cookbook, 60), (sold_out, 1),
                  (w.gift_card, 40))  # fmt: skip

    pricing = w.price(cart)

    states = {line.sku: (line.stock_state, line.stock_available) for line in pricing.lines}
    assert states == {
        "SHIRT-M": (StockState.IN_STOCK, 10),
        "SHIRT-L": (StockState.LOW, 3),  # 3 left, low from 5
        "BOOK": (StockState.INSUFFICIENT, 50),
        "SHIRT-XL": (StockState.OUT, 0),
        "GIFT": (StockState.IN_STOCK, None),  # stock not tracked
    }
    assert "Only 50 of Cookbook left: lower the quantity to check out." in pricing.warnings
    assert "Linen Shirt is sold out." in pricing.warnings
    assert not pricing.can_check_out


def test_cart_with_lines_in_stock_can_check_out(cart_world, de_cart):
    pricing = cart_world.price(de_cart)

    assert pricing.can_check_out and pricing.warnings == []


def test_low_stock_level_is_a_setting(cart_world, settings):
    w = cart_world
    settings.CART_LOW_STOCK = 10
    cart = w.cart(w.eu, "DE", (w.shirt_m, 1))

    assert w.price(cart).lines[0].stock_state == StockState.LOW


def test_deactivated_variant_in_the_cart_shows_as_sold_out(cart_world):
    w = cart_world
    cart = w.cart(w.eu, "DE", (w.shirt_m, 1))
    w.shirt_m.active = False
    w.shirt_m.save()

    pricing = w.price(cart)

    assert pricing.lines[0].stock_state == StockState.OUT
    assert not pricing.can_check_out


def test_deactivated_product_with_untracked_stock_cannot_be_checked_out(cart_world):
    w = cart_world
    cart = w.cart(w.eu, "DE", (w.gift_card, 1))
    product = w.gift_card.product
    product.active = False
    product.save()

    pricing = w.price(cart)

    assert pricing.lines[0].stock_state == StockState.OUT
    assert not pricing.can_check_out


def test_price_rise_since_adding_shows_the_old_and_the_new_price(cart_world):
    w = cart_world
    cart = w.cart(w.eu, "DE")
    factories.CartLineFactory(cart=cart, variant=w.shirt_m, unit_price_seen=eur("10.90"))

    line = w.price(cart).lines[0]

    assert line.price_changed and not line.price_went_down
    assert line.price_seen == eur("10.90")
    assert line.unit_price == eur("11.90")
    assert "The price of Linen Shirt has changed since you added it." in w.price(cart).warnings


def test_price_drop_since_adding_is_flagged_as_good_news(cart_world):
    w = cart_world
    cart = w.cart(w.eu, "DE")
    factories.CartLineFactory(cart=cart, variant=w.shirt_m, unit_price_seen=eur("12.90"))

    line = w.price(cart).lines[0]

    assert line.price_changed and line.price_went_down
    assert (line.price_seen, line.unit_price) == (eur("12.90"), eur("11.90"))


def test_unchanged_price_is_not_flagged(cart_world, de_cart):
    assert not any(line.price_changed for line in cart_world.price(de_cart).lines)


def test_price_seen_in_another_currency_is_not_compared(cart_world):
    w = cart_world
    cart = w.cart(w.eu, "DE")
    factories.CartLineFactory(cart=cart, variant=w.shirt_m,
                              unit_price_seen=Money("11.59", "USD"))  # fmt: skip

    assert not w.price(cart).lines[0].price_changed


def test_lines_carry_name_attributes_image_and_added_time(cart_world):
    from shop.models import Attribute, AttributeValue, ProductImage

    w = cart_world
    colour = Attribute.objects.create(code="colour", name="Colour", position=1)
    size = Attribute.objects.create(code="size", name="Size", position=2)
    blue = AttributeValue.objects.create(attribute=colour, value="Blue", swatch="#1f4e9c")
    medium = AttributeValue.objects.create(attribute=size, value="M")
    w.shirt_m.attribute_values.set([medium, blue])
    ProductImage.objects.create(product=w.shirt, image="products/shirt.jpg")
    cart = w.cart(w.eu, "DE", (w.shirt_m, 1))

    line = w.price(cart).lines[0]

    assert (line.product_name, line.product_slug, line.sku) == ("Linen Shirt", "linen-shirt",
                                                                "SHIRT-M")  # fmt: skip
    assert line.attributes == [("Colour", "Blue", "#1f4e9c"), ("Size", "M", "")]
    assert line.image_url.endswith("products/shirt.jpg")
    assert line.added_at == cart.lines.get().added_at


# --- add-on suggestions -------------------------------------------------------------------------


def test_suggestions_close_the_free_shipping_gap_with_other_products_in_stock(cart_world, de_cart):
    w = cart_world  # the cart misses 4.80 EUR for free shipping, 4.03 EUR net

    def offer(name, net, **kwargs):
        product = factories.ProductFactory(name=name, **kwargs.pop("product", {}))
        return factories.VariantFactory(product=product, price=eur(net), **kwargs)

    socks = offer("Socks", "4.50")  # 5.36 shown: closes the gap
    pins = offer("Pins", "4.20")  # 5.00 shown: closes the gap, cheaper than the socks
    keyring = offer("Key ring", "3.00")  # 3.57 shown: nearest below the gap
    offer("Sold-out scarf", "4.10", stock_quantity=0)
    offer("Hidden belt", "4.30", active=False)
    offer("Retired cap", "4.30", product={"active": False})
    offer("Coat", "90.00")  # far from the gap
    factories.VariantFactory(product=w.shirt, sku="SHIRT-S", price=eur("4.00"))  # in the cart

    pricing = w.price(de_cart)

    assert [s.sku for s in pricing.suggestions] == [pins.sku, socks.sku, keyring.sku]
    assert [s.price for s in pricing.suggestions] == [eur("5.00"), eur("5.36"), eur("3.57")]
    assert pricing.suggestions[0].product_name == "Pins"


def test_no_suggestions_once_free_shipping_is_unlocked(cart_world):
    w = cart_world
    factories.VariantFactory(price=eur("4.00"))
    cart = w.cart(w.eu, "DE", (w.shirt_m, 5))

    assert w.price(cart).suggestions == []


# --- empty cart ---------------------------------------------------------------------------------


def test_empty_cart_costs_nothing_but_shows_shipping_and_payment_information(cart_world):
    w = cart_world
    cart = w.cart(w.eu, "DE")

    pricing = w.price(cart)

    assert pricing.is_empty and not pricing.can_check_out
    assert pricing.item_count == 0
    assert pricing.total.amount == 0 and pricing.shipping_price.amount == 0
    assert [o.name for o in pricing.shipping_options] == ["Standard", "Express"]
    assert len(pricing.payment_options) == 4 and len(pricing.trust_badges) == 2


def test_item_count_is_the_number_of_units(cart_world, de_cart):
    assert cart_world.price(de_cart).item_count == 3


# --- minor units --------------------------------------------------------------------------------


def decimals(money: Money) -> int:
    return -money.amount.as_tuple().exponent


@pytest.mark.parametrize(("market", "country", "places"),
                         [("bh", "BH", 3), ("eu", "DE", 2), ("jp", "JP", 0)])  # fmt: skip
def test_every_total_has_the_currencys_decimals_even_when_zero(cart_world, market, country,
                                                               places):  # fmt: skip
    w = cart_world
    cart = w.cart(getattr(w, market), country, (w.shirt_m, 2))

    pricing = w.price(cart)

    parts = {
        "subtotal": pricing.subtotal, "discount": pricing.discount,
        "shipping": pricing.shipping_price, "tax": pricing.tax, "duties": pricing.duties,
        "payment fee": pricing.payment_fee, "total": pricing.total,
    }  # fmt: skip
    assert {name: decimals(m) for name, m in parts.items()} == dict.fromkeys(parts, places)


def test_payment_limits_have_the_currencys_decimals(cart_world, de_cart):
    pricing = cart_world.price(de_cart)

    assert str(payment(pricing, "klarna").min_order.amount) == "10.00"
    assert str(payment(pricing, "klarna").max_order.amount) == "1500.00"
