"""Markets refuse inconsistent data, in ``full_clean`` and therefore in the admin."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from shop.models import Market, MarketCountry, PaymentMethod, ShippingMethod, ShippingZone, TaxRate

pytestmark = pytest.mark.django_db


@pytest.fixture
def eurozone(market_factory):
    return market_factory(name="Eurozone", code="eu", currency="EUR", countries=["DE", "FR"])


@pytest.fixture
def dach(market_factory):
    return market_factory(name="DACH", code="dach", currency="CHF", countries=["CH"])


def errors_of(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        instance.full_clean()
    return raised.value.message_dict


def test_country_in_two_markets_is_refused_naming_the_other_market(eurozone, dach):
    errors = errors_of(MarketCountry(market=dach, country="DE"))

    assert errors == {"country": ["Germany already belongs to the market “Eurozone”."]}


def test_country_may_be_saved_again_in_its_own_market(eurozone):
    row = MarketCountry.objects.get(country="DE")

    row.full_clean()  # no error against itself


def test_a_free_country_may_join_a_market(dach):
    MarketCountry(market=dach, country="AT").full_clean()


def test_the_database_refuses_a_country_in_two_markets_too(eurozone, dach):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        MarketCountry.objects.create(market=dach, country="DE")


def admin_form_data(response) -> dict[str, str]:
    """The POST data a browser would send back for an admin change form as rendered."""
    data: dict[str, str] = {}

    def add_form(form):
        for name, field in form.fields.items():
            value = form[name].value()
            key = form.add_prefix(name)
            if isinstance(value, bool) or field.widget.input_type == "checkbox":
                if value:
                    data[key] = "on"
            elif isinstance(value, (list, tuple)):
                data[key] = [str(v) for v in value]
            else:
                data[key] = "" if value is None else str(value)

    add_form(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add_form(formset.management_form)
        for form in formset.forms:
            add_form(form)
    return data


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("admin", "admin@example.com", "secret")
    client.force_login(user)
    return client


def test_admin_refuses_adding_a_country_of_another_market_and_saves_nothing(
    staff_client, eurozone, dach
):
    url = f"/admin/shop/market/{dach.pk}/change/"
    data = admin_form_data(staff_client.get(url))
    total = int(data["countries-TOTAL_FORMS"])
    data.update({
        "countries-TOTAL_FORMS": str(total + 1),
        f"countries-{total}-market": str(dach.pk),
        f"countries-{total}-country": "DE",
        "name_en": "DACH renamed",
    })  # fmt: skip

    response = staff_client.post(url, data)

    assert response.status_code == 200, "the form is shown again, not saved and redirected"
    assert "Germany already belongs to the market “Eurozone”." in response.text
    assert MarketCountry.objects.get(country="DE").market == eurozone
    assert list(dach.countries.values_list("country", flat=True)) == ["CH"]
    assert Market.objects.get(pk=dach.pk).name == "DACH"


def test_admin_saves_a_valid_market_change(staff_client, dach):
    url = f"/admin/shop/market/{dach.pk}/change/"
    data = admin_form_data(staff_client.get(url))
    total = int(data["countries-TOTAL_FORMS"])
    data.update({
        "countries-TOTAL_FORMS": str(total + 1),
        f"countries-{total}-market": str(dach.pk),
        f"countries-{total}-country": "AT",
    })  # fmt: skip

    response = staff_client.post(url, data)

    assert response.status_code == 302, response.context and response.context.get("errors")
    assert sorted(dach.countries.values_list("country", flat=True)) == ["AT", "CH"]


def test_unknown_currency_is_refused(market_factory):
    market = Market(name="Nowhere", code="nowhere", currency="xyz")

    errors = errors_of(market)

    assert errors["currency"] == ["“XYZ” is not a known ISO 4217 currency."]


def test_currency_the_shop_has_no_exchange_rates_for_is_refused(settings):
    assert "AUD" not in settings.CURRENCIES
    market = Market(name="Australia", code="au", currency="AUD")

    assert "currency" in errors_of(market)


def test_currency_is_stored_upper_case(market_factory):
    market = Market(name="Japan", code="jp", currency="jpy")

    market.full_clean()

    assert market.currency == "JPY"


def tax_rate(market, rate) -> TaxRate:
    return TaxRate(market=market, country="DE", tax_class="standard", rate=Decimal(rate))


def test_negative_tax_rate_is_refused(eurozone):
    assert "rate" in errors_of(tax_rate(eurozone, "-1"))


def test_tax_rate_above_100_percent_is_refused(eurozone):
    assert "rate" in errors_of(tax_rate(eurozone, "100.001"))


@pytest.mark.parametrize("rate", ["0", "19", "100"])
def test_tax_rates_from_0_to_100_percent_are_accepted(eurozone, rate):
    tax_rate(eurozone, rate).full_clean()


def test_negative_duty_rate_is_refused():
    market = Market(name="X", code="x", currency="EUR", duty_rate=Decimal("-5"))

    assert "duty_rate" in errors_of(market)


def test_payment_method_minimum_above_maximum_is_refused(eurozone):
    method = PaymentMethod(
        market=eurozone, code="klarna", min_order_amount=Decimal("100"),
        max_order_amount=Decimal("50"),
    )  # fmt: skip

    assert errors_of(method) == {"max_order_amount": ["The maximum cannot be below the minimum."]}


def test_shipping_days_minimum_above_maximum_is_refused(eurozone):
    zone = ShippingZone.objects.create(market=eurozone, name="Germany", countries=["DE"])
    method = ShippingMethod(
        zone=zone, name="DHL", price=Decimal("4.90"), min_delivery_days=5, max_delivery_days=2,
    )  # fmt: skip

    assert errors_of(method) == {"max_delivery_days": ["The maximum cannot be below the minimum."]}


def test_payment_method_accepts_orders_within_its_limits(eurozone):
    method = PaymentMethod(
        market=eurozone, code="klarna", min_order_amount=Decimal("10"),
        max_order_amount=Decimal("1000"),
    )  # fmt: skip

    assert not method.accepts(Decimal("9.99"))
    assert method.accepts(Decimal("10"))
    assert method.accepts(Decimal("1000"))
    assert not method.accepts(Decimal("1000.01"))


def test_payment_method_without_limits_accepts_any_amount(eurozone):
    method = PaymentMethod(market=eurozone, code="card")

    assert method.accepts(Decimal("0.01"))
    assert method.accepts(Decimal("1000000"))


def test_payment_method_with_only_a_minimum_has_no_maximum(eurozone):
    method = PaymentMethod(market=eurozone, code="boleto", min_order_amount=Decimal("5"))

    assert not method.accepts(Decimal("4.99"))
    assert method.accepts(Decimal("99999"))


def test_shipping_zone_without_countries_covers_every_country(eurozone):
    everywhere = ShippingZone(market=eurozone, name="All")
    germany = ShippingZone(market=eurozone, name="Germany", countries=["DE"])

    assert everywhere.covers("FR")
    assert germany.covers("DE") and not germany.covers("FR")
