"""What Turkish and Mexican shoppers expect at checkout: card instalments ("taksit") with the
amount of each payment, province and district in the Turkish address, and OXXO cash vouchers
whose reference and expiry the confirmation shows, with pesos written the Mexican way."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from moneyed import Money

from cart.pricing.fees import instalment_plans
from checkout.models import Order
from checkout.payments.offline import voucher_number
from shop.models import Variant
from shop.money import format_money
from tests.test_checkout_every_market import ADDRESSES, mobile


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)
    Variant.objects.filter(track_stock=True).update(stock_quantity=50)


def sku() -> str:
    return Variant.objects.filter(active=True, track_stock=True).order_by("sku").values_list(
        "sku", flat=True
    )[0]


def open_checkout(client, language: str, country: str):
    client.get(f"/{language}/?country={country}")
    client.post(f"/{language}/cart/add/", {"sku": sku(), "quantity": "2"})
    return client.get(f"/{language}/checkout/")


def test_instalment_plans_split_the_total_up_to_the_methods_limit():
    plans = instalment_plans(Decimal("1000"), "TRY", 6)
    assert [(p.count, p.amount) for p in plans] == [
        (2, Money("500.00", "TRY")), (3, Money("333.33", "TRY")), (6, Money("166.67", "TRY")),
    ]  # fmt: skip
    assert instalment_plans(Decimal("1000"), "TRY", 1) == ()
    assert instalment_plans(Decimal("0"), "TRY", 12) == ()


def test_turkish_card_choice_shows_each_taksit_with_its_amount(demo, client):
    page = open_checkout(client, "tr", "TR")
    pricing = page.context["pricing"]
    card = next(o for o in pricing.payment_options if o.code == "card")

    assert pricing.currency == "TRY" and pricing.prices_include_tax
    assert [plan.count for plan in card.instalments] == [2, 3, 6, 9, 12]
    three = next(plan for plan in card.instalments if plan.count == 3)
    assert three.amount.amount == (pricing.total.amount / 3).quantize(Decimal("0.01"))
    assert format_money(three.amount, "tr", "TR") in page.text
    assert 'data-instalments="card"' in page.text

    quote = client.post("/api/v1/checkout/quote/", {"payment_method": "card"},
                        content_type="application/json", HTTP_ACCEPT_LANGUAGE="tr")  # fmt: skip
    assert quote.status_code == 200  # the JSON the page re-prices with carries the same plans
    card_json = next(o for o in quote.json()["payment_options"] if o["code"] == "card")
    assert [plan["count"] for plan in card_json["instalments"]] == [2, 3, 6, 9, 12]
    assert card_json["instalments"][1]["amount"]["formatted"] == format_money(
        three.amount, "tr", "TR"
    )


def test_turkish_address_needs_province_and_district_and_a_turkish_phone(demo, client):
    page = open_checkout(client, "tr", "TR")
    pricing = page.context["pricing"]
    layout = page.context["address_form"].layout
    assert layout.fields["country_area"].required and layout.fields["city"].required
    assert ("Adana", "Adana") in layout.country_area_choices
    data = {
        "email": "elif@example.com", "first_name": "Elif", "last_name": "Yılmaz",
        "phone": "0212 1", "shipping_method": pricing.shipping.method_id,
        "payment_method": "card", "expected_total": str(pricing.total.amount),
        "place_order": "1", **ADDRESSES["TR"], "country_area": "", "postal_code": "3471",
    }  # fmt: skip

    refused = client.post("/tr/checkout/", data)

    assert refused.status_code == 200
    errors = refused.context["address_form"].errors
    assert {"country_area", "postal_code", "phone"} <= set(errors)
    assert not Order.objects.exists()


def test_mexican_shopper_pays_cash_at_oxxo_with_a_voucher_shown_on_the_confirmation(
    demo, client
):
    page = open_checkout(client, "es", "MX")
    pricing = page.context["pricing"]
    assert "oxxo" in [o.code for o in pricing.payment_options if o.available]
    data = {
        "email": "fernanda@example.com", "first_name": "Fernanda", "last_name": "López",
        "phone": mobile("MX"), "shipping_method": pricing.shipping.method_id,
        "payment_method": "oxxo", **ADDRESSES["MX"],
    }  # fmt: skip
    total = client.post("/es/checkout/", data).context["pricing"].total

    response = client.post("/es/checkout/", {**data, "expected_total": str(total.amount),
                                            "place_order": "1"})  # fmt: skip

    assert response.status_code == 302 and "/checkout/order/" in response["Location"]
    order = Order.objects.get(email="fernanda@example.com")
    assert order.payment_method == "oxxo" and order.payment_due_at is not None
    payment = order.payments.get()
    assert payment.instructions["reference"] == voucher_number(order.number)
    confirmation = client.get(response["Location"]).text
    assert voucher_number(order.number) in confirmation
    assert 'class="voucher-expiry"' in confirmation
    assert format_money(total, "es", "MX").startswith("$")
    assert format_money(total, "es", "MX") in confirmation
    assert "MX$" not in confirmation.split("</header>")[-1]


def test_voucher_numbers_are_fourteen_digits_with_a_luhn_check_and_stable_per_order():
    number = voucher_number("K7P-4QW-93M").replace(" ", "")
    assert len(number) == 14 and number.isdigit()
    assert number == voucher_number("K7P-4QW-93M").replace(" ", "")
    assert number != voucher_number("K7P-4QW-93N").replace(" ", "")
    digits = [int(d) for d in reversed(number)]
    checksum = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2)
                   for i, d in enumerate(digits))  # fmt: skip
    assert checksum % 10 == 0
