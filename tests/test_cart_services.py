"""Writes to carts (``cart.services``): add, change, remove, clear, vouchers, shipping, contact,
merge at login. Every write moves the last activity; bad input raises ``CartError`` with a clear
message and leaves the cart as it was."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from moneyed import Money

from cart import services
from cart.models import Cart, CartLine, CartStatus
from cart.services import Activity, CartError
from shop.models import Customer
from tests import factories

D = Decimal


@pytest.fixture
def de(cart_world):
    """A German shopper on a phone, their empty cart (last active an hour ago), the catalog."""
    w = cart_world
    w.shirt_m, w.shirt_l, w.cookbook, w.gift_card  # noqa: B018  (creates them)
    w.activity = Activity(locale=w.locale(w.eu, "DE", language="de"), device="mobile")
    w.cart_ = w.cart(w.eu, "DE", last_activity_at=timezone.now() - timedelta(hours=1))
    return w


def contents(cart: Cart) -> list[tuple[str, int]]:
    return sorted(CartLine.objects.filter(cart=cart).values_list("variant__sku", "quantity"))


def state(cart: Cart) -> tuple:
    """Everything a refused write must leave as it was."""
    fresh = Cart.objects.get(pk=cart.pk)
    return contents(cart), fresh.voucher_id, fresh.shipping_method_id, fresh.last_activity_at


def add(w, sku, quantity=1, cart=None):
    return services.add_line(cart=cart or w.cart_, sku=sku, quantity=quantity, activity=w.activity)


# --- add ----------------------------------------------------------------------------------------


def test_adding_a_variant_creates_a_line_with_the_price_the_shopper_saw(de):

    line = add(de, "SHIRT-M", 2)

    assert contents(de.cart_) == [("SHIRT-M", 2)]
    assert line.unit_price_seen == Money("11.90", "EUR")
    assert line.added_at == line.updated_at


def test_adding_the_same_variant_again_sums_the_quantity_in_one_line(de):
    first = add(de, "SHIRT-M", 2)

    second = add(de, "SHIRT-M", 3)

    assert second.pk == first.pk
    assert contents(de.cart_) == [("SHIRT-M", 5)]
    assert CartLine.objects.get().added_at == first.added_at  # still when first added


def test_adding_other_variants_makes_other_lines(de):

    add(de, "SHIRT-M")
    add(de, " BOOK ")  # surrounding spaces from a form are ignored
    add(de, "SHIRT-L", "2")

    assert contents(de.cart_) == [("BOOK", 1), ("SHIRT-L", 2), ("SHIRT-M", 1)]


def test_a_write_records_the_shoppers_locale_and_device(de):
    de.cart_.language, de.cart_.device = "en", "desktop"
    de.cart_.save()

    add(de, "SHIRT-M")

    cart = Cart.objects.get(pk=de.cart_.pk)
    assert (cart.language, cart.country.code, cart.currency, cart.market) == (
        "de", "DE", "EUR", de.eu,
    )  # fmt: skip
    assert cart.device == "mobile"


# --- last activity and abandonment --------------------------------------------------------------


def write_each_way(w):
    """Each kind of cart write, in an order that works on one cart."""
    voucher = factories.VoucherFactory(code="TEN")
    cart = w.cart_
    yield "add", lambda: add(w, "SHIRT-M", 2)
    line = CartLine.objects.get(cart=cart)
    yield "set quantity", lambda: services.set_quantity(cart=cart, line_id=line.pk, quantity=3,
                                                        activity=w.activity)  # fmt: skip
    yield "apply voucher", lambda: services.apply_voucher(cart=cart, code=voucher.code,
                                                          activity=w.activity)  # fmt: skip
    yield "remove voucher", lambda: services.remove_voucher(cart=cart, activity=w.activity)
    yield "select shipping", lambda: services.select_shipping(
        cart=cart, method_id=w.de_express.pk, activity=w.activity
    )
    yield "attach contact", lambda: services.attach_contact(cart=cart, email="kim@example.com",
                                                            activity=w.activity)  # fmt: skip
    yield "remove", lambda: services.remove_line(cart=cart, line_id=line.pk, activity=w.activity)
    yield "clear", lambda: services.clear_cart(cart=cart, activity=w.activity)


def test_every_write_moves_the_last_activity(de):
    for name, write in write_each_way(de):
        an_hour_ago = timezone.now() - timedelta(hours=1)
        Cart.objects.filter(pk=de.cart_.pk).update(last_activity_at=an_hour_ago)

        write()

        moved = Cart.objects.get(pk=de.cart_.pk).last_activity_at
        assert moved > an_hour_ago + timedelta(minutes=59), name


def test_every_write_makes_an_abandoned_cart_active_again(de):
    for name, write in write_each_way(de):
        Cart.objects.filter(pk=de.cart_.pk).update(
            status=CartStatus.ABANDONED, abandoned_at=timezone.now() - timedelta(minutes=5)
        )

        write()

        cart = Cart.objects.get(pk=de.cart_.pk)
        assert (cart.status, cart.abandoned_at) == (CartStatus.ACTIVE, None), name


def test_an_ordered_cart_cannot_change(de):
    Cart.objects.filter(pk=de.cart_.pk).update(status=CartStatus.CONVERTED)

    with pytest.raises(CartError) as error:
        add(de, "SHIRT-M")

    assert error.value.messages == ["This cart has already been ordered. Start a new one."]
    assert contents(de.cart_) == []


# --- bad input ----------------------------------------------------------------------------------

WHOLE_NUMBER = "Enter the quantity as a whole number."
AT_LEAST_ONE = "The quantity must be at least 1."
AT_MOST_99 = "You can buy at most 99 of one item."


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (0, AT_LEAST_ONE),
        ("0", AT_LEAST_ONE),
        (-1, AT_LEAST_ONE),
        ("-3", AT_LEAST_ONE),
        ("abc", WHOLE_NUMBER),
        ("", WHOLE_NUMBER),
        ("1.5", WHOLE_NUMBER),
        (1.5, WHOLE_NUMBER),
        (2.0, WHOLE_NUMBER),
        (None, WHOLE_NUMBER),
        (True, WHOLE_NUMBER),
        ([1], WHOLE_NUMBER),
        ("1e3", WHOLE_NUMBER),
        (100, AT_MOST_99),
        (10**12, AT_MOST_99),
    ],
)
def test_a_bad_quantity_is_refused_with_a_clear_message_and_changes_nothing(
    de, quantity, message
):
    add(de, "SHIRT-M", 2)
    line = CartLine.objects.get()
    before = state(de.cart_)

    with pytest.raises(CartError) as adding:
        add(de, "SHIRT-M", quantity)
    with pytest.raises(CartError) as setting:
        services.set_quantity(cart=de.cart_, line_id=line.pk, quantity=quantity,
                              activity=de.activity)  # fmt: skip

    for error in (adding.value, setting.value):
        assert error.messages == [message]
        assert error.field == "quantity"
    assert state(de.cart_) == before


def test_a_quantity_typed_with_arabic_indic_digits_is_read_as_a_number(de):
    add(de, "SHIRT-M", "٣")

    assert contents(de.cart_) == [("SHIRT-M", 3)]


def test_a_huge_typed_quantity_is_refused(de):

    with pytest.raises(CartError) as error:
        add(de, "SHIRT-M", "99999999999999999999")

    assert error.value.field == "quantity"
    assert contents(de.cart_) == []


def test_per_line_maximum_is_a_setting(de, settings):
    settings.CART_MAX_LINE_QUANTITY = 5
    add(de, "GIFT", 4)

    with pytest.raises(CartError) as error:
        add(de, "GIFT", 2)

    assert error.value.messages == ["You can buy at most 5 of one item."]
    assert contents(de.cart_) == [("GIFT", 4)]


def test_adding_more_than_the_line_maximum_in_two_steps_is_refused(de):
    add(de, "GIFT", 60)
    before = state(de.cart_)

    with pytest.raises(CartError) as error:
        add(de, "GIFT", 40)

    assert error.value.messages == [AT_MOST_99]
    assert state(de.cart_) == before


@pytest.mark.parametrize("sku", ["NOPE", "", "   ", "shirt-m"])
def test_an_unknown_sku_is_refused(de, sku):

    with pytest.raises(services.UnknownVariant) as error:
        add(de, sku)

    assert error.value.messages == [f"We could not find the product “{sku.strip()}”."]
    assert error.value.field == "sku"
    assert contents(de.cart_) == []


def test_an_inactive_variant_cannot_be_added(de):
    de.shirt_m.active = False
    de.shirt_m.save()

    with pytest.raises(services.UnknownVariant):
        add(de, "SHIRT-M")

    assert contents(de.cart_) == []


def test_a_variant_of_an_inactive_product_cannot_be_added(de):
    de.shirt.active = False
    de.shirt.save()

    with pytest.raises(services.UnknownVariant):
        add(de, "SHIRT-M")

    assert contents(de.cart_) == []


def test_more_than_in_stock_is_refused(de):
    add(de, "SHIRT-L", 2)
    before = state(de.cart_)

    with pytest.raises(CartError) as error:
        add(de, "SHIRT-L", 2)

    assert error.value.messages == ["Only 3 of Linen Shirt left."]
    assert error.value.field == "quantity"
    assert state(de.cart_) == before


def test_a_sold_out_variant_is_refused(de):
    de.shirt_m.stock_quantity = 0
    de.shirt_m.save()

    with pytest.raises(CartError) as error:
        add(de, "SHIRT-M")

    assert error.value.messages == ["Linen Shirt is sold out."]
    assert contents(de.cart_) == []


def test_untracked_stock_has_no_stock_limit(de):

    add(de, "GIFT", 99)

    assert contents(de.cart_) == [("GIFT", 99)]


# --- set quantity, remove, clear ----------------------------------------------------------------


def test_setting_a_quantity_replaces_it(de):
    line = add(de, "SHIRT-M", 2)

    services.set_quantity(cart=de.cart_, line_id=line.pk, quantity="7", activity=de.activity)

    assert contents(de.cart_) == [("SHIRT-M", 7)]


def test_setting_more_than_in_stock_is_refused(de):
    line = add(de, "SHIRT-L", 1)
    before = state(de.cart_)

    with pytest.raises(CartError) as error:
        services.set_quantity(cart=de.cart_, line_id=line.pk, quantity=4, activity=de.activity)

    assert error.value.messages == ["Only 3 of Linen Shirt left."]
    assert state(de.cart_) == before


@pytest.mark.parametrize("line_id", [987654, "abc", None, ""])
def test_changing_or_removing_an_unknown_line_is_refused(de, line_id):
    add(de, "SHIRT-M")
    before = state(de.cart_)

    for change in (
        lambda: services.set_quantity(cart=de.cart_, line_id=line_id, quantity=2,
                                      activity=de.activity),
        lambda: services.remove_line(cart=de.cart_, line_id=line_id, activity=de.activity),
    ):  # fmt: skip
        with pytest.raises(CartError) as error:
            change()
        assert error.value.messages == ["This item is no longer in your cart."]
    assert state(de.cart_) == before


def test_a_line_of_another_cart_cannot_be_changed_or_removed(de):
    other = de.cart(de.eu, "DE", (de.shirt_m, 1))
    others_line = other.lines.get()

    with pytest.raises(CartError):
        services.set_quantity(cart=de.cart_, line_id=others_line.pk, quantity=5,
                              activity=de.activity)  # fmt: skip
    with pytest.raises(CartError):
        services.remove_line(cart=de.cart_, line_id=others_line.pk, activity=de.activity)

    assert contents(other) == [("SHIRT-M", 1)]


def test_removing_a_line_keeps_the_others(de):
    line = add(de, "SHIRT-M")
    add(de, "BOOK")

    services.remove_line(cart=de.cart_, line_id=line.pk, activity=de.activity)

    assert contents(de.cart_) == [("BOOK", 1)]


def test_clearing_empties_the_cart_and_drops_its_voucher(de):
    add(de, "SHIRT-M")
    add(de, "BOOK")
    services.apply_voucher(cart=de.cart_, code=factories.VoucherFactory().code,
                           activity=de.activity)  # fmt: skip

    services.clear_cart(cart=de.cart_, activity=de.activity)

    assert contents(de.cart_) == []
    assert Cart.objects.get(pk=de.cart_.pk).voucher is None


# --- vouchers -----------------------------------------------------------------------------------


def test_a_voucher_code_is_applied_whatever_its_case_and_spaces(de):
    add(de, "SHIRT-M")
    voucher = factories.VoucherFactory(code="AUTUMN10")

    applied = services.apply_voucher(cart=de.cart_, code="  autumn10 ", activity=de.activity)

    assert applied == voucher
    assert Cart.objects.get(pk=de.cart_.pk).voucher == voucher


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "Enter a voucher code."),
        ("   ", "Enter a voucher code."),
        ("NOSUCH", "“NOSUCH” is not a valid voucher code."),
        ("MIN100", "This voucher needs an order of at least 100,00\xa0€."),
        ("EXPIRED", "This voucher has expired."),
    ],
)
def test_a_voucher_that_does_not_apply_is_refused_and_changes_nothing(de, code, message):
    add(de, "SHIRT-M")
    minimum = factories.VoucherFactory(code="MIN100")
    factories.VoucherCurrencyFactory(voucher=minimum, amount_off=None, minimum_order=D("100"))
    factories.VoucherFactory(code="EXPIRED", valid_until=timezone.now() - timedelta(days=1))
    before = state(de.cart_)

    with pytest.raises(CartError) as error:
        services.apply_voucher(cart=de.cart_, code=code, activity=de.activity)

    assert error.value.messages == [message]
    assert error.value.field == "code"
    assert state(de.cart_) == before


def test_a_refused_voucher_keeps_the_voucher_already_applied(de):
    add(de, "SHIRT-M")
    good = factories.VoucherFactory(code="GOOD")
    factories.VoucherFactory(code="OFF", active=False)
    services.apply_voucher(cart=de.cart_, code="GOOD", activity=de.activity)

    with pytest.raises(CartError):
        services.apply_voucher(cart=de.cart_, code="OFF", activity=de.activity)

    assert Cart.objects.get(pk=de.cart_.pk).voucher == good


def test_removing_the_voucher(de):
    add(de, "SHIRT-M")
    services.apply_voucher(cart=de.cart_, code=factories.VoucherFactory().code,
                           activity=de.activity)  # fmt: skip

    services.remove_voucher(cart=de.cart_, activity=de.activity)

    assert Cart.objects.get(pk=de.cart_.pk).voucher is None


# --- shipping -----------------------------------------------------------------------------------


def test_selecting_a_shipping_method_of_the_country(de):
    add(de, "SHIRT-M")

    services.select_shipping(cart=de.cart_, method_id=str(de.de_express.pk), activity=de.activity)

    assert Cart.objects.get(pk=de.cart_.pk).shipping_method == de.de_express


@pytest.mark.parametrize("method", ["austria", "abc", None, 987654])
def test_selecting_a_shipping_method_not_offered_is_refused(de, method):
    add(de, "SHIRT-M")
    austria = de.eu.shipping_zones.get(name="Austria").methods.get()
    before = state(de.cart_)

    with pytest.raises(CartError) as error:
        services.select_shipping(cart=de.cart_, method_id=austria.pk if method == "austria"
                                 else method, activity=de.activity)  # fmt: skip

    assert error.value.messages == ["This shipping method is not available for your country."]
    assert state(de.cart_) == before


# --- contact ------------------------------------------------------------------------------------


def test_attaching_a_contact_creates_a_guest_customer(de):
    customer = services.attach_contact(cart=de.cart_, email=" Kim.Lee@Example.com ",
                                       phone="030 1234567", first_name="Kim",
                                       activity=de.activity)  # fmt: skip

    assert Cart.objects.get(pk=de.cart_.pk).customer == customer
    assert (customer.email, customer.phone, customer.first_name) == (
        "Kim.Lee@Example.com", "+49301234567", "Kim",
    )  # fmt: skip
    assert (customer.language, customer.country.code) == ("de", "DE")
    assert not customer.is_registered


def test_attaching_a_known_e_mail_in_another_case_finds_the_customer(de):
    known = factories.CustomerFactory(email="kim@example.com")

    customer = services.attach_contact(cart=de.cart_, email="KIM@EXAMPLE.COM",
                                       activity=de.activity)  # fmt: skip

    assert customer == known
    assert Customer.objects.count() == 1


@pytest.mark.parametrize("email", ["", "kim", "kim@", "@example.com", "kim@example", None])
def test_an_invalid_e_mail_is_refused(de, email):
    before = state(de.cart_)

    with pytest.raises(CartError) as error:
        services.attach_contact(cart=de.cart_, email=email, activity=de.activity)

    assert error.value.messages == ["Enter a valid e-mail address."]
    assert error.value.field == "email"
    assert Customer.objects.count() == 0
    assert Cart.objects.get(pk=de.cart_.pk).customer is None
    assert state(de.cart_) == before


@pytest.mark.parametrize("phone", ["123", "abc", "+1 202"])
def test_a_phone_number_invalid_for_the_country_is_refused(de, phone):
    with pytest.raises(CartError) as error:
        services.attach_contact(cart=de.cart_, email="kim@example.com", phone=phone,
                                activity=de.activity)  # fmt: skip

    assert error.value.field == "phone"
    message = error.value.messages[0]
    assert message.startswith("Enter a valid phone number for") and "+49" in message
    assert Customer.objects.count() == 0


def test_a_phone_number_is_read_for_the_carts_country_and_stored_as_e164(cart_world):
    w = cart_world
    cart = w.cart(w.br, "BR")
    activity = Activity(locale=w.locale(w.br, "BR", language="pt-br"))

    customer = services.attach_contact(cart=cart, email="ana@example.com",
                                       phone="(11) 91234-5678", activity=activity)  # fmt: skip

    assert customer.phone == "+5511912345678"


def test_marketing_consent_is_recorded_with_its_time_and_source_when_given(de):
    before = timezone.now()

    customer = services.attach_contact(cart=de.cart_, email="kim@example.com",
                                       marketing_consent=True, activity=de.activity)  # fmt: skip

    customer.refresh_from_db()
    assert customer.marketing_consent
    assert before <= customer.consent_at <= timezone.now()
    assert customer.consent_source == "checkout"


def test_nothing_is_recorded_when_the_shopper_did_not_answer(de):
    """Not asked is not "no": the market's default applies (an explicit "no" is recorded with
    its time, see tests/test_consent.py)."""
    customer = services.attach_contact(cart=de.cart_, email="kim@example.com",
                                       marketing_consent=None, activity=de.activity)  # fmt: skip

    customer.refresh_from_db()
    assert customer.marketing_consent is None and customer.sms_consent is None
    assert customer.consent_at is None and customer.consent_source == ""


def test_not_answering_keeps_a_consent_given_before(de):
    given = timezone.now() - timedelta(days=30)
    factories.CustomerFactory(email="kim@example.com", marketing_consent=True, consent_at=given,
                              consent_source="account")  # fmt: skip

    customer = services.attach_contact(cart=de.cart_, email="kim@example.com",
                                       activity=de.activity)  # fmt: skip

    customer.refresh_from_db()
    assert (customer.marketing_consent, customer.consent_at, customer.consent_source) == (
        True, given, "account",
    )  # fmt: skip


def test_a_guest_typing_a_registered_customers_e_mail_cannot_change_their_details(de):
    """Anyone can type anyone's e-mail into a cart: that must not rewrite the account holder's
    phone (where recovery texts go), name or marketing consent."""
    user = get_user_model().objects.create_user("kim", "kim@example.com", "pw")
    factories.CustomerFactory(user=user, email="kim@example.com", phone="+49301234567",
                              first_name="Kim", marketing_consent=True,
                              consent_source="account")  # fmt: skip

    services.attach_contact(cart=de.cart_, email="kim@example.com", phone="0151 23456789",
                            first_name="Mallory", marketing_consent=False,
                            activity=de.activity)  # fmt: skip

    account = Customer.objects.get(user=user)
    assert (account.phone, account.first_name, account.marketing_consent) == (
        "+49301234567", "Kim", True,
    )  # fmt: skip


# --- merge --------------------------------------------------------------------------------------


@pytest.fixture
def two_carts(de):
    """An anonymous cart and the customer's older cart, both in Germany."""
    w = de
    w.customer = factories.CustomerFactory()
    long_ago = timezone.now() - timedelta(days=3)
    w.mine = w.cart(w.eu, "DE", customer=w.customer, last_activity_at=long_ago)
    w.guest = w.cart(w.eu, "DE")
    return w


def line_at(cart, variant, quantity, added_at):
    return factories.CartLineFactory(cart=cart, variant=variant, quantity=quantity,
                                     added_at=added_at)  # fmt: skip


def test_merging_sums_quantities_and_keeps_the_earliest_added_time(two_carts):
    w = two_carts
    early, late = timezone.now() - timedelta(days=2), timezone.now() - timedelta(hours=1)
    line_at(w.mine, w.shirt_m, 2, late)
    line_at(w.guest, w.shirt_m, 3, early)
    line_at(w.guest, w.cookbook, 1, late)
    line_at(w.mine, w.gift_card, 1, early)

    merged = services.merge_carts(source=w.guest, target=w.mine, activity=w.activity)

    assert merged.pk == w.mine.pk
    assert contents(w.mine) == [("BOOK", 1), ("GIFT", 1), ("SHIRT-M", 5)]
    assert CartLine.objects.get(cart=w.mine, variant=w.shirt_m).added_at == early
    assert contents(w.guest) == []
    guest = Cart.objects.get(pk=w.guest.pk)
    assert guest.status == CartStatus.MERGED and not guest.is_open
    assert Cart.objects.get(pk=w.mine.pk).last_activity_at > timezone.now() - timedelta(minutes=1)


def test_merging_keeps_quantities_within_stock(two_carts):
    w = two_carts  # SHIRT-L: 3 in stock
    line_at(w.mine, w.shirt_l, 2, timezone.now())
    line_at(w.guest, w.shirt_l, 2, timezone.now())

    services.merge_carts(source=w.guest, target=w.mine, activity=w.activity)

    assert contents(w.mine) == [("SHIRT-L", 3)]


def test_merging_a_line_new_to_the_target_keeps_it_within_stock(two_carts):
    w = two_carts
    line_at(w.guest, w.shirt_l, 3, timezone.now())
    w.shirt_l.stock_quantity = 1
    w.shirt_l.save()

    services.merge_carts(source=w.guest, target=w.mine, activity=w.activity)

    assert contents(w.mine) == [("SHIRT-L", 1)]


def test_merging_keeps_quantities_within_the_line_maximum(two_carts, settings):
    w = two_carts
    settings.CART_MAX_LINE_QUANTITY = 5
    line_at(w.mine, w.gift_card, 4, timezone.now())
    line_at(w.guest, w.gift_card, 3, timezone.now())

    services.merge_carts(source=w.guest, target=w.mine, activity=w.activity)

    assert contents(w.mine) == [("GIFT", 5)]


def test_merging_brings_the_guest_voucher_when_the_customer_cart_has_none(two_carts):
    w = two_carts
    voucher = factories.VoucherFactory()
    w.guest.voucher = voucher
    w.guest.save()

    services.merge_carts(source=w.guest, target=w.mine, activity=w.activity)

    assert Cart.objects.get(pk=w.mine.pk).voucher == voucher


def test_merging_into_a_cart_ordered_meanwhile_keeps_the_lines_in_an_open_cart(two_carts):
    """The customer's cart was read before the login's transaction; an order placed from it on
    another device just now closed it. Its lines belong to that order now."""
    w = two_carts
    line_at(w.guest, w.shirt_m, 2, timezone.now())
    Cart.objects.filter(pk=w.mine.pk).update(status=CartStatus.CONVERTED)

    try:
        services.merge_carts(source=w.guest, target=w.mine, activity=w.activity)
    except CartError:
        pass  # refusing is fine too, as long as nothing is lost

    assert contents(w.mine) == []  # the ordered cart is left alone
    still_open = Cart.objects.filter(
        status__in=[CartStatus.ACTIVE, CartStatus.ABANDONED], lines__variant=w.shirt_m
    )
    assert still_open.exists()


# --- merge at login through django.contrib.auth.login -------------------------------------------


@pytest.fixture
def registered(two_carts):
    w = two_carts
    w.user = get_user_model().objects.create_user("kim", "kim@example.com", "secret-pw")
    w.customer.user = w.user
    w.customer.save()
    return w


def log_in(client):
    response = client.post("/login/", {"username": "kim", "password": "secret-pw"},
                           headers={"accept-language": "de"})  # fmt: skip
    assert response.status_code == 302, "the login failed"


def session_token(client, settings) -> str | None:
    return client.session.get(settings.CART_SESSION_KEY)


@pytest.mark.urls("tests.cart_login_urls")
def test_logging_in_merges_the_session_cart_into_the_customers_cart(registered, client, settings):
    w = registered
    line_at(w.mine, w.shirt_m, 1, timezone.now() - timedelta(days=3))
    client.post("/de/cart/add/", {"sku": "SHIRT-M", "quantity": "2"})
    client.post("/de/cart/add/", {"sku": "SHIRT-L", "quantity": "1"})
    session_cart = Cart.objects.get(token=session_token(client, settings))

    log_in(client)

    assert contents(w.mine) == [("SHIRT-L", 1), ("SHIRT-M", 3)]
    assert Cart.objects.get(pk=session_cart.pk).status == CartStatus.MERGED
    assert session_token(client, settings) == str(w.mine.token)
    page = client.get("/de/cart/")
    assert page.context["pricing"].item_count == 4


@pytest.mark.urls("tests.cart_login_urls")
def test_logging_in_without_a_customer_cart_gives_the_session_cart_to_the_customer(
    registered, client, settings
):
    w = registered
    w.mine.delete()
    client.post("/de/cart/add/", {"sku": "SHIRT-M", "quantity": "2"})

    log_in(client)

    cart = Cart.objects.get(token=session_token(client, settings))
    assert cart.customer == w.customer and cart.status == CartStatus.ACTIVE
    assert contents(cart) == [("SHIRT-M", 2)]


@pytest.mark.urls("tests.cart_login_urls")
def test_logging_in_without_a_session_cart_brings_back_the_customers_cart(
    registered, client, settings
):
    w = registered
    line_at(w.mine, w.cookbook, 2, timezone.now())

    log_in(client)

    assert session_token(client, settings) == str(w.mine.token)
    assert client.get("/de/cart/").context["pricing"].item_count == 2


@pytest.mark.urls("tests.cart_login_urls")
def test_an_account_with_a_guests_e_mail_does_not_get_their_cart_at_sign_in(de, client, settings):
    """No takeover by e-mail: the guest customer becomes the account's only when the mailbox's
    owner confirms it (tests/test_accounts.py), not because the addresses match."""
    guest = factories.CustomerFactory(email="kim@example.com")
    guest_cart = de.cart(de.eu, "DE", (de.cookbook, 1), customer=guest)
    get_user_model().objects.create_user("kim", "KIM@example.com", "secret-pw")
    client.post("/de/cart/add/", {"sku": "SHIRT-M", "quantity": "1"})
    session_cart = session_token(client, settings)

    log_in(client)

    guest.refresh_from_db()
    assert guest.user is None
    assert contents(guest_cart) == [("BOOK", 1)]
    assert session_token(client, settings) == session_cart


def test_a_change_leaves_the_callers_cart_as_written_and_a_refused_one_as_it_was(de):
    cart = de.cart_
    before = cart.last_activity_at

    services.set_region(cart=cart, region="BY", activity=de.activity)
    assert cart.region == "BY" and cart.last_activity_at > before  # no need to read it again

    factories.VoucherFactory(code="OLD", active=False)  # refused under the lock, by pricing
    with pytest.raises(services.CartError):
        services.apply_voucher(cart=cart, code="OLD", activity=de.activity)
    assert cart.voucher_id is None
