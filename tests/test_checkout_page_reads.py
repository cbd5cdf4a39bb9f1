"""The checkout page's GET is a read: the state typed in the address prices the page (US sales
tax) without being stored, and nothing else is written. The cart is priced once per request,
whatever the shopper chose or left out."""

from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

import cart.pricing
import checkout.selectors
from cart.models import Cart
from tests.checkout_world import CheckoutWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cart_world):
    return CheckoutWorld()


@pytest.fixture
def fetches(monkeypatch):
    """How often the cart and its market rules are loaded (``fetch_cart_info``), wherever the
    checkout loads them from."""
    calls = []
    real = cart.pricing.fetch_cart_info

    def counting(*args, **kwargs):
        calls.append(args[0].pk)
        return real(*args, **kwargs)

    monkeypatch.setattr(cart.pricing, "fetch_cart_info", counting)
    if hasattr(checkout.selectors, "fetch_cart_info"):
        monkeypatch.setattr(checkout.selectors, "fetch_cart_info", counting)
    return calls


def use_cart(client, cart) -> None:
    session = client.session
    session[django_settings.CART_SESSION_KEY] = str(cart.token)
    session.save()


def writes(queries) -> list[str]:
    """Writes to the shop's state: the session and the reports' append-only event ("checkout
    started", one INSERT) are not."""
    return [q["sql"] for q in queries
            if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
            and "django_session" not in q["sql"] and "reports_event" not in q["sql"]]  # fmt: skip


def test_a_get_with_a_state_prices_with_it_and_writes_nothing(world, client):
    cart = world.checkout_cart("US", (world.shirt_m, 2))
    use_cart(client, cart)
    client.get("/en/checkout/?country=US")  # the session's locale settles on the first visit
    before = Cart.objects.get(pk=cart.pk)

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/en/checkout/?country=US&country_area=NY")

    assert response.status_code == 200
    pricing = response.context["pricing"]
    assert pricing.tax_known
    taxed = pricing.subtotal.amount + pricing.shipping_price.amount  # New York taxes shipping
    expected_tax = (taxed * Decimal("0.08875")).quantize(Decimal("0.01"))
    assert pricing.tax.amount == expected_tax  # New York's sales tax on the page
    assert writes(queries.captured_queries) == []
    after = Cart.objects.get(pk=cart.pk)
    assert after.region == before.region == ""
    assert after.updated_at == before.updated_at


def test_the_page_prices_the_cart_once_when_it_picks_the_payment_method(world, client, fetches):
    cart = world.checkout_cart("DE", (world.shirt_m, 1))
    use_cart(client, cart)

    response = client.get("/de/checkout/?country=DE")

    assert response.context["payment_method"] == "card"  # the first offered
    assert fetches == [cart.pk]


def test_a_method_not_available_for_the_amount_is_replaced_with_one_pricing(
    world, client, fetches
):
    cart = world.checkout_cart("DE", (world.shirt_m, 1))  # an unknown method falls back
    use_cart(client, cart)

    response = client.get("/de/checkout/?country=DE&payment_method=nonsense")

    assert response.context["payment_method"] == "card"
    assert fetches == [cart.pk]


def test_a_recalculation_without_javascript_prices_once(world, client, fetches):
    cart = world.checkout_cart("DE", (world.shirt_m, 1))
    use_cart(client, cart)

    response = client.post("/de/checkout/?country=DE", {"payment_method": "paypal"})

    assert response.status_code == 200
    assert response.context["pricing"].payment_fee.amount == Decimal("0.35")
    assert fetches == [cart.pk]
