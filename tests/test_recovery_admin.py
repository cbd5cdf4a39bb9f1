"""Abandoned carts in the admin: the customer list's filters and columns (like shopGold's), and
the cart page with each product, when it was added and the cart's totals.

Times are stored in UTC and shown and filtered in the shop's time zone: the admin works in the
current time zone, which Django takes from ``settings.TIME_ZONE`` on every request (nothing in
the project activates another one), so these tests set ``TIME_ZONE`` to São Paulo (UTC-3): a
cart abandoned at 23:30 there on one day is abandoned on the next day in UTC.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal as D
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from moneyed import Money

from cart import services as cart_services
from cart.models import CartLine, CartStatus
from cart.pricing import locale_for_cart, price_cart
from shop.models import Attribute, AttributeValue
from shop.money import format_money
from tests import factories
from tests.recovery_world import abandoned_cart, cart_idle_since, variant

CUSTOMERS = "/admin/shop/customer/"
SAO_PAULO = "America/Sao_Paulo"


@pytest.fixture
def shop_time_zone(settings):
    settings.TIME_ZONE = SAO_PAULO
    return timezone.get_default_timezone()


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_superuser("admin", "admin@example.com", "secret")
    client.force_login(user)
    return client


@pytest.fixture
def market(db):
    return factories.MarketFactory(currency="EUR", abandonment_cutoff_minutes=60)


@pytest.fixture
def shirt(db):
    return variant("10.00", sku="SHIRT")


def local(day: str, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in the current (shop's) time zone, as an aware datetime."""
    naive = datetime.fromisoformat(day).replace(hour=hour, minute=minute)
    return timezone.make_aware(naive, timezone.get_current_timezone())


def listed(client, query: str = "") -> set[int]:
    response = client.get(f"{CUSTOMERS}?{query}")
    assert response.status_code == 200, response.status_code
    return {customer.pk for customer in response.context["cl"].result_list}


def customer_with_cart_abandoned_at(market, shirt, when, **fields):
    customer = factories.CustomerFactory(**fields)
    abandoned_cart(market, when, (shirt, 1, "10.00"), customer=customer)
    return customer


# --- filters ----------------------------------------------------------------------------------


def test_filter_abandoned_cart_yes_and_no(staff, market, shirt):
    now = timezone.now()
    abandoned = customer_with_cart_abandoned_at(market, shirt, now - timedelta(hours=2))
    shopping = factories.CustomerFactory()
    cart_idle_since(market, now, (shirt, 1, "10"), customer=shopping)
    expired = factories.CustomerFactory()
    cart_idle_since(market, now - timedelta(days=100), (shirt, 1, "10"), customer=expired,
                    status=CartStatus.EXPIRED)  # fmt: skip
    ordered = factories.CustomerFactory()
    cart_idle_since(market, now, (shirt, 1, "10"), customer=ordered, status=CartStatus.RECOVERED)
    without_cart = factories.CustomerFactory()

    assert listed(staff, "abandoned_cart=yes") == {abandoned.pk}
    assert listed(staff, "abandoned_cart=no") == {shopping.pk, expired.pk, ordered.pk,
                                                  without_cart.pk}  # fmt: skip
    assert len(listed(staff)) == 5


def test_filter_customer_type_registered_or_guest(staff, market, shirt, django_user_model):
    when = timezone.now() - timedelta(hours=2)
    account = django_user_model.objects.create_user("ana", "ana@example.com", "secret")
    registered = customer_with_cart_abandoned_at(market, shirt, when, user=account)
    guest = customer_with_cart_abandoned_at(market, shirt, when)
    guest_without_cart = factories.CustomerFactory()

    assert listed(staff, "type=registered") == {registered.pk}
    assert listed(staff, "type=guest") == {guest.pk, guest_without_cart.pk}
    assert listed(staff, "type=guest&abandoned_cart=yes") == {guest.pk}


def test_filter_abandoned_today_last_7_and_last_30_days_in_the_shop_s_time_zone(
    staff, market, shirt, shop_time_zone
):
    today = timezone.localdate()

    def start_of(days_ago: int) -> datetime:
        return local((today - timedelta(days=days_ago)).isoformat(), 0)

    minute = timedelta(minutes=1)
    just_now = customer_with_cart_abandoned_at(market, shirt, timezone.now())
    today_first_minute = customer_with_cart_abandoned_at(market, shirt, start_of(0))
    yesterday_last_minute = customer_with_cart_abandoned_at(market, shirt, start_of(0) - minute)
    sixth_day_back = customer_with_cart_abandoned_at(market, shirt, start_of(6))
    seventh_day_back = customer_with_cart_abandoned_at(market, shirt, start_of(6) - minute)
    day_29_back = customer_with_cart_abandoned_at(market, shirt, start_of(29))
    day_30_back = customer_with_cart_abandoned_at(market, shirt, start_of(29) - minute)
    factories.CustomerFactory()  # no cart at all

    today_set = {just_now.pk, today_first_minute.pk}
    week = today_set | {yesterday_last_minute.pk, sixth_day_back.pk}
    month = week | {seventh_day_back.pk, day_29_back.pk}
    assert listed(staff, "abandoned_within=1") == today_set
    assert listed(staff, "abandoned_within=7") == week
    assert listed(staff, "abandoned_within=30") == month
    assert day_30_back.pk in listed(staff, "abandoned_cart=yes")


def test_a_date_range_counts_days_of_the_shop_s_time_zone_across_midnight(
    staff, market, shirt, shop_time_zone
):
    late_evening = local("2026-11-19", 23, 30)  # 2026-11-20 02:30 UTC
    after_midnight = local("2026-11-20", 0, 30)  # 2026-11-20 03:30 UTC
    assert late_evening.astimezone(timezone.UTC).date().isoformat() == "2026-11-20"
    evening = customer_with_cart_abandoned_at(market, shirt, late_evening)
    night = customer_with_cart_abandoned_at(market, shirt, after_midnight)

    assert listed(staff, "abandoned_from=2026-11-19&abandoned_to=2026-11-19") == {evening.pk}
    assert listed(staff, "abandoned_to=2026-11-19") == {evening.pk}
    assert listed(staff, "abandoned_from=2026-11-20&abandoned_to=2026-11-20") == {night.pk}
    assert listed(staff, "abandoned_from=2026-11-20") == {night.pk}
    both = {evening.pk, night.pk}
    assert listed(staff, "abandoned_from=2026-11-18&abandoned_to=2026-11-21") == both
    assert listed(staff, "abandoned_from=2026-11-21") == set()


def test_the_date_range_and_the_other_filters_combine(staff, market, shirt, django_user_model,
                                                      shop_time_zone):  # fmt: skip
    account = django_user_model.objects.create_user("ana", "ana@example.com", "secret")
    registered = customer_with_cart_abandoned_at(market, shirt, local("2026-11-19", 12),
                                                 user=account)  # fmt: skip
    guest = customer_with_cart_abandoned_at(market, shirt, local("2026-11-19", 12))

    query = "type=guest&abandoned_from=2026-11-19&abandoned_to=2026-11-19"
    assert listed(staff, query) == {guest.pk}
    assert registered.pk in listed(staff, "abandoned_from=2026-11-19&abandoned_to=2026-11-19")


def test_the_range_form_keeps_the_other_active_filters(staff, market, shirt):
    """Submitting the from–to form must not drop "Customer type: guest" (a GET form sends only
    its own fields, so the other filters have to be hidden inputs of the form)."""
    response = staff.get(f"{CUSTOMERS}?type=guest&abandoned_cart=yes&abandoned_from=2026-11-19")

    form = response.text.split('class="abandoned-range"', 1)[1].split("</form>", 1)[0]
    assert 'name="abandoned_from" value="2026-11-19"' in form, "the range typed stays shown"
    assert '<input type="hidden" name="type" value="guest">' in form
    assert '<input type="hidden" name="abandoned_cart" value="yes">' in form


def test_an_impossible_date_in_the_range_is_not_a_server_error(staff, market, shirt):
    customer = customer_with_cart_abandoned_at(market, shirt, timezone.now())

    response = staff.get(f"{CUSTOMERS}?abandoned_from=2026-02-30")

    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert customer.pk in {c.pk for c in response.context["cl"].result_list}


# --- columns ----------------------------------------------------------------------------------


def test_columns_show_the_cart_icon_value_in_the_cart_s_currency_and_time_in_the_shop_s_zone(
    staff, shop_time_zone, rates
):
    yen = factories.MarketFactory(currency="JPY", abandonment_cutoff_minutes=60)
    euro = factories.MarketFactory(currency="EUR", abandonment_cutoff_minutes=60)
    customer = factories.CustomerFactory(first_name="Hana", last_name="Sato", country="DE")
    tea, cup = variant(sku="TEA"), variant(sku="CUP")
    abandoned_cart(euro, local("2026-11-10", 9), (tea, 1, "5.00"), customer=customer)
    latest = abandoned_cart(yen, local("2026-11-19", 23, 30), (tea, 2, "1280"), (cup, 1, "990"),
                            customer=customer)  # fmt: skip
    others = factories.CustomerFactory(first_name="Ola", last_name="Nordmann")

    response = staff.get(CUSTOMERS)

    html = response.text
    url = reverse("admin:cart_cart_change", args=[latest.pk])
    assert f'<a href="{url}"' in html
    value = format_money(Money("3550", "JPY"), "en", "DE")
    assert "3.550" in value and "¥" in value, "yen in the admin's language, customer's country"
    assert value in html
    assert "2026-11-19 23:30" in html, "abandoned at, in the shop's time zone (02:30 UTC next day)"
    row = row_of(html, "Hana Sato")
    assert value in row and "2026-11-19 23:30" in row and url in row
    assert "2026-11-10" not in html, "only the latest abandoned cart is shown"
    row = row_of(html, "Ola Nordmann")
    assert "/admin/cart/cart/" not in row, f"{others} has no abandoned cart, so no icon"
    assert staff.get(url).status_code == 200


def test_the_cart_value_does_not_add_a_price_seen_in_another_currency_as_if_it_were_the_cart_s(
    staff, cart_world
):
    """A shopper adds a shirt in Germany (EUR), switches to Brazil and adds a book (BRL): the
    cart is now in BRL, and so is the price its first line remembers (repriced when the currency
    changed). The list's value is the cart's subtotal, never 11.90 + 123.99 "R$"."""
    w = cart_world
    customer = factories.CustomerFactory(first_name="Maria", last_name="Silva", country="BR")
    in_germany = cart_services.Activity(locale=w.locale(w.eu, "DE"))
    in_brazil = cart_services.Activity(locale=w.locale(w.br, "BR", language="pt-br"))
    cart = cart_services.create_cart(activity=in_germany, customer=customer)
    cart_services.add_line(cart=cart, sku=w.shirt_m.sku, quantity=1, activity=in_germany)
    cart_services.add_line(cart=cart, sku=w.cookbook.sku, quantity=1, activity=in_brazil)
    cart.refresh_from_db()
    cart.status, cart.abandoned_at = CartStatus.ABANDONED, timezone.now()
    cart.save()
    pricing = price_cart(cart, locale_for_cart(cart), with_suggestions=False)
    seen = {line.variant.sku: line.unit_price_seen for line in cart.lines.select_related("variant")}
    assert (cart.currency, seen["SHIRT-M"].currency.code) == ("BRL", "BRL")

    row = row_of(staff.get(CUSTOMERS).text, "Maria Silva")

    mixed = format_money(Money(D("11.90") + seen["BOOK"].amount, "BRL"), "en", "BR")
    assert mixed not in row, "11.90 EUR counted as R$ 11.90"
    assert format_money(pricing.subtotal, "en", "BR") in row


def row_of(html: str, text: str) -> str:
    """The changelist's table row that contains ``text``."""
    for row in html.split("<tr")[1:]:
        if text in row:
            return row.split("</tr>", 1)[0]
    raise AssertionError(f"no row contains {text!r}")


def test_the_list_runs_the_same_queries_for_5_and_40_customers(staff, market, shirt):
    def add_customers(n: int) -> None:
        for _ in range(n):
            customer = customer_with_cart_abandoned_at(market, shirt, timezone.now())
            cart_idle_since(market, timezone.now(), (shirt, 1, "10"), customer=customer)

    def queries_of_the_list(expected_rows: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = staff.get(f"{CUSTOMERS}?abandoned_within=7")
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) == expected_rows
        return len(queries)

    add_customers(5)
    queries_of_the_list(5)  # warm-up: content types, sessions
    five = queries_of_the_list(5)
    add_customers(35)

    assert queries_of_the_list(40) == five


# --- the country filter -----------------------------------------------------------------------


def country_filter(response) -> dict[str, str]:
    """The country filter's choices on the page: {code: name} (the "All" choice left out)."""
    spec = next(spec for spec in response.context["cl"].filter_specs
                if getattr(spec, "parameter_name", "") == "country__exact")  # fmt: skip
    return dict(spec.lookup_choices)


def test_the_country_filter_lists_the_markets_countries_and_the_customers_only(staff, market):
    factories.MarketCountryFactory(market=market, country="DE")
    factories.MarketCountryFactory(market=market, country="AT")
    in_germany = factories.CustomerFactory(country="DE")
    in_france = factories.CustomerFactory(country="FR")  # no market serves France
    factories.CustomerFactory(country="")

    response = staff.get(CUSTOMERS)
    choices = country_filter(response)

    assert choices == {"AT": "Austria", "FR": "France", "DE": "Germany"}
    assert list(choices.values()) == sorted(choices.values())
    assert "Zimbabwe" not in response.text
    assert listed(staff, "country__exact=FR") == {in_france.pk}
    assert listed(staff, "country__exact=DE") == {in_germany.pk}


def test_the_country_filter_speaks_the_admin_s_language(staff, market):
    factories.MarketCountryFactory(market=market, country="DE")
    factories.CustomerFactory(country="FR")

    response = staff.get(CUSTOMERS, HTTP_ACCEPT_LANGUAGE="de")

    assert country_filter(response) == {"DE": "Deutschland", "FR": "Frankreich"}


def test_the_customers_countries_are_read_once_then_from_the_shared_cache(staff, market):
    from django.core.cache import cache

    from shop.selectors import CUSTOMER_COUNTRIES_KEY

    factories.MarketCountryFactory(market=market, country="DE")
    factories.CustomerFactory(country="FR")
    staff.get(CUSTOMERS)  # warm-up: reads the customers' countries

    with CaptureQueriesContext(connection) as queries:
        response = staff.get(CUSTOMERS)
    assert not [q for q in queries if "DISTINCT" in q["sql"].upper()], "read again"
    assert set(country_filter(response)) == {"DE", "FR"}

    # A customer from a new country shows once the cached list expires.
    factories.CustomerFactory(country="JP")
    assert set(country_filter(staff.get(CUSTOMERS))) == {"DE", "FR"}
    cache.delete(CUSTOMER_COUNTRIES_KEY)
    assert set(country_filter(staff.get(CUSTOMERS))) == {"DE", "FR", "JP"}


def test_a_bookmarked_country_outside_the_list_stays_chosen(staff, market):
    factories.MarketCountryFactory(market=market, country="DE")

    response = staff.get(f"{CUSTOMERS}?country__exact=BR")

    assert response.status_code == 200
    assert country_filter(response)["BR"] == "Brazil"
    assert response.context["cl"].result_list.count() == 0


# --- permissions and escaping -----------------------------------------------------------------


def test_staff_without_the_view_permission_on_customers_gets_403(client, django_user_model):
    user = django_user_model.objects.create_user("clerk", "clerk@example.com", "secret",
                                                 is_staff=True)  # fmt: skip
    client.force_login(user)

    assert client.get(CUSTOMERS).status_code == 403

    user.user_permissions.add(Permission.objects.get(codename="view_customer"))
    assert client.get(CUSTOMERS).status_code == 200


def test_a_customer_name_with_html_is_shown_escaped(staff, market, shirt):
    script = "<script>alert(1)</script>"
    customer = customer_with_cart_abandoned_at(market, shirt, timezone.now(), first_name=script,
                                               last_name="<b>Bold</b>")  # fmt: skip

    html = staff.get(CUSTOMERS).text

    assert script not in html
    assert "<b>Bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    cart = customer.carts.get()
    page = staff.get(reverse("admin:cart_cart_change", args=[cart.pk])).text
    assert script not in page


# --- the cart page ----------------------------------------------------------------------------


class TableRows(HTMLParser):
    """The text of each cell of each table row: ``[[cell, ...], ...]``."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def rows_of(html: str) -> list[list[str]]:
    parser = TableRows()
    parser.feed(html)
    return parser.rows


def test_the_cart_page_shows_each_product_when_it_was_added_and_the_totals(
    staff, cart_world, shop_time_zone
):
    w = cart_world
    colour = Attribute.objects.create(code="colour", name="Colour", position=1)
    size = Attribute.objects.create(code="size", name="Size", position=2)
    w.shirt_m.attribute_values.set([
        AttributeValue.objects.create(attribute=size, value="M"),
        AttributeValue.objects.create(attribute=colour, value="Blue", swatch="#1f4e9c"),
    ])  # fmt: skip
    customer = factories.CustomerFactory(first_name="Maria", last_name="Silva", country="BR")
    cart = w.cart(w.br, "BR", (w.shirt_m, 2), (w.cookbook, 1), customer=customer,
                  language="pt-br")  # fmt: skip
    added = {"SHIRT-M": local("2026-11-19", 23, 30), "BOOK": local("2026-11-20", 8, 5)}
    for sku, when in added.items():
        CartLine.objects.filter(cart=cart, variant__sku=sku).update(added_at=when)
    cart.status, cart.abandoned_at = CartStatus.ABANDONED, local("2026-11-20", 9, 5)
    cart.save()

    response = staff.get(reverse("admin:cart_cart_change", args=[cart.pk]))

    assert response.status_code == 200
    shown_in = response.context["shop"].country
    pricing = price_cart(cart, locale_for_cart(cart), with_suggestions=False)
    assert pricing.currency == "BRL" and pricing.total.currency.code == "BRL"

    def money(amount: Money) -> str:
        return format_money(amount, "en", shown_in)

    rows = rows_of(response.text)
    by_product = {line.sku: line for line in pricing.lines}
    shirt_row = next(row for row in rows if any("Linen Shirt" in cell for cell in row))
    book_row = next(row for row in rows if any("Cookbook" in cell for cell in row))
    shirt, book = by_product["SHIRT-M"], by_product["BOOK"]
    assert "Colour: Blue" in " ".join(shirt_row) and "Size: M" in " ".join(shirt_row)
    assert "2" in shirt_row and "1" in book_row
    assert money(shirt.line_total) in shirt_row
    assert money(book.line_total) in book_row
    assert "2026-11-19 23:30" in shirt_row, "added at, in the shop's time zone"
    assert "2026-11-20 08:05" in book_row
    text = " ".join(" ".join(row) for row in rows) + response.text
    for total in (pricing.subtotal, pricing.shipping_price, pricing.tax, pricing.total):
        assert money(total) in text
    assert "R$" in money(pricing.total)
