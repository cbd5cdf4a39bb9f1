"""The pricing function's components, each pure and tested on its own (``cart.pricing.*``), and
the tax and duty rules they apply: shipping and fees taxed where the place taxes them, duties on
the customs value the destination uses, de-minimis on goods or on the duty, no order at 0 % by
omission (a system check and the market's admin page name the gap)."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from moneyed import Money

from cart.pricing.duties import duties
from cart.pricing.fees import chosen_fee, payment_options
from cart.pricing.shipping import choose_shipping
from cart.pricing.tax import charge_tax, goods_tax, tax_in
from cart.pricing.vouchers import spread_voucher
from shop.checks import check_tax_rates, missing_tax_rates
from shop.models import DeMinimisBasis, DutyMode, Market, PaymentMethod
from shop.prices import PriceContext
from tests import factories

D = Decimal


def context(*, included: bool, rates=None, taxes_shipping: bool = True) -> PriceContext:
    return PriceContext(
        currency="EUR", country="DE", prices_include_tax=included, price_rounding="none",
        base_currency="EUR", rates={}, tax_rates=rates or {"standard": D("19"), "reduced": D("7")},
        taxes_shipping=taxes_shipping,
    )  # fmt: skip


# --- tax ------------------------------------------------------------------------------------


def test_tax_held_in_a_price_and_added_to_a_price():
    assert tax_in(D("119"), D("19"), included=True) == D("19")
    assert tax_in(D("100"), D("19"), included=False) == D("19")


def test_goods_tax_is_computed_per_tax_class():
    tax = goods_tax(context(included=True), {"standard": D("119"), "reduced": D("107")})
    assert tax == D("26")


def test_shipping_and_fees_carry_the_standard_rate_where_the_place_taxes_them():
    assert charge_tax(context(included=False), D("10")) == D("1.9")
    assert charge_tax(context(included=True), D("11.9")) == D("1.9")


def test_shipping_and_fees_carry_no_tax_where_the_place_exempts_them():
    assert charge_tax(context(included=False, taxes_shipping=False), D("10")) == 0


# --- duties ---------------------------------------------------------------------------------


def market(**fields) -> Market:
    values = {"duty_mode": DutyMode.DDP, "duty_rate": D("10"), "duty_de_minimis": D("0")}
    return Market(currency="EUR", **{**values, **fields})


def test_duties_on_goods_alone_where_the_customs_value_leaves_out_shipping():
    amount, mode, prepaid = duties(market(duty_value_includes_shipping=False), D("100"), D("20"))
    assert (amount, mode, prepaid) == (D("10"), DutyMode.DDP, True)


def test_duties_on_goods_and_shipping_where_the_customs_value_includes_it():
    amount, _, _ = duties(market(duty_value_includes_shipping=True), D("100"), D("20"))
    assert amount == D("12")


def test_de_minimis_on_the_goods_value():
    below = market(duty_de_minimis=D("150"))
    assert duties(below, D("149.99"), D("20"))[0] == 0
    assert duties(below, D("150"), D("20"))[0] == D("15")


def test_de_minimis_on_the_duty_amount():
    """China waives a duty of RMB 50 or less, whatever the goods' value."""
    rule = market(duty_rate=D("9.1"), duty_de_minimis=D("50"),
                  duty_de_minimis_basis=DeMinimisBasis.DUTY_AMOUNT)  # fmt: skip
    assert duties(rule, D("549"), D("0"))[0] == 0  # 49.96 of duty
    assert duties(rule, D("560"), D("0"))[0] == D("50.96")


def test_estimated_duties_are_not_prepaid_and_none_without_a_duty():
    assert duties(market(duty_mode=DutyMode.DAP), D("100"), D("0"))[2] is False
    assert duties(market(duty_rate=D("0")), D("100"), D("0")) == (0, DutyMode.NONE, False)
    assert duties(None, D("100"), D("0")) == (0, DutyMode.NONE, False)


# --- voucher, shipping, payment --------------------------------------------------------------


def test_a_voucher_is_spread_over_tax_classes_in_proportion():
    spread = spread_voucher({"standard": D("60"), "reduced": D("40")}, D("100"), D("10"))
    assert spread == {"standard": D("54"), "reduced": D("36")}
    assert spread_voucher({"standard": D("60")}, D("60"), D("0")) == {"standard": D("60")}


def test_the_asked_shipping_method_or_else_the_first(cart_world):
    w = cart_world
    options = w.price(w.cart(w.eu, "DE", (w.shirt_m, 1))).shipping_options
    assert choose_shipping(options, options[1].method_id) == options[1]
    assert choose_shipping(options, 999_999) == options[0]
    assert choose_shipping([], None) is None


def test_a_fee_only_for_an_available_chosen_method():
    methods = [PaymentMethod(code="card"), PaymentMethod(code="cod", fee=D("2"),
                                                         max_order_amount=D("300"))]  # fmt: skip
    cheap = payment_options(methods, D("100"), "EUR")
    dear = payment_options(methods, D("400"), "EUR")
    assert chosen_fee(cheap, "cod") == (cheap[1], D("2.00"))
    assert chosen_fee(dear, "cod") == (None, D("0"))
    assert chosen_fee(cheap, None) == (None, D("0"))


# --- the rules in the pricing of real carts --------------------------------------------------


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


@pytest.fixture
def de_cart(cart_world):
    w = cart_world
    return w.cart(w.eu, "DE", (w.shirt_m, 2), (w.cookbook, 1))


def test_a_payment_fee_holds_vat_where_prices_include_it(cart_world, de_cart):
    w = cart_world
    without = w.price(de_cart)
    with_fee = w.price(de_cart, payment_method="paypal")

    # 0.35 * 19 / 119 = 0.0559 more VAT in the total
    assert with_fee.total == without.total + eur("0.35")
    assert with_fee.tax - without.tax in (eur("0.05"), eur("0.06"))


def test_a_vat_market_whose_rate_exempts_shipping_holds_no_tax_in_it(cart_world, de_cart):
    from shop.models import TaxRate

    w = cart_world
    before = w.price(de_cart)
    for rate in TaxRate.objects.filter(market=w.eu, country="DE", tax_class="standard"):
        rate.taxes_shipping = False
        rate.save()

    after = w.price(de_cart)

    assert after.total == before.total
    shipping = before.shipping_price.amount
    assert before.tax - after.tax == Money(shipping * 19 / 119, "EUR").round(2)


def test_canadian_gst_applies_to_shipping(cart_world):
    w = cart_world
    ca = factories.MarketFactory(name="Canada", code="ca", currency="USD",
                                 prices_include_tax=False, countries=["CA"])  # fmt: skip
    factories.TaxRateFactory(market=ca, country="CA", rate=D("5"), name="GST")
    zone = factories.ShippingZoneFactory(market=ca, countries=["CA"])
    factories.ShippingMethodFactory(zone=zone, price=D("10"))
    cart = w.cart(ca, "CA", (w.shirt_m, 1))

    pricing = w.price(cart)

    assert pricing.tax == Money((D("11.59") + D("10")) * 5 / 100, "USD").round(2)


def test_a_country_without_a_tax_rate_has_unknown_tax(cart_world):
    w = cart_world
    bare = factories.MarketFactory(name="No rates", code="bare", currency="EUR",
                                   prices_include_tax=False, countries=["IS"])  # fmt: skip

    pricing = w.price(w.cart(bare, "IS", (w.shirt_m, 1)))

    assert not pricing.tax_known


# --- staff see a missing rate -----------------------------------------------------------------


@pytest.fixture
def gaps(db):
    bare = factories.MarketFactory(name="Iceland", code="is", countries=["IS"])
    us = factories.MarketFactory(name="US", code="us-partial", currency="USD",
                                 prices_include_tax=False, countries=["US"])  # fmt: skip
    factories.TaxRateFactory(market=us, country="US", region="NY", rate=D("4"))
    return bare, us


def test_the_system_check_names_countries_and_regions_without_a_rate(gaps):
    bare, us = gaps
    warnings = check_tax_rates(databases=["default"])
    texts = " ".join(w.msg for w in warnings)

    assert {w.id for w in warnings} == {"shop.W001"}
    assert "for IS" in texts
    assert "for US in" in texts and "CA" in texts and "NY," not in texts


def test_the_system_check_reads_nothing_unless_given_the_database(gaps):
    assert check_tax_rates(databases=None) == []


def test_manage_check_reports_the_gap(gaps, capsys):
    call_command("check", "--database", "default")
    assert "shop.W001" in capsys.readouterr().err


def test_the_markets_admin_page_warns_about_the_gap(gaps, admin_client):
    _, us = gaps
    response = admin_client.get(f"/admin/shop/market/{us.pk}/change/")
    assert "No standard tax rate for US in" in response.text


def test_every_demo_market_has_a_rate_for_every_country_and_region(db):
    call_command("load_demo", verbosity=0)
    assert missing_tax_rates() == []
