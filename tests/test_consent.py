"""Consent as the shopper said it: one rule (shop/consent.py) for every market and channel, the
checkout's boxes that record it, and no consent given on someone else's behalf."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from cart.services import Activity, attach_contact
from shop.consent import (
    NO_CONSENT,
    UNSUBSCRIBED,
    skip_reason,
    skip_reason_for,
    sms_needs_own_tick,
)
from shop.models import Customer
from tests import factories
from tests.checkout_world import CheckoutWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cart_world):
    return CheckoutWorld()


def market(opt_in: bool):
    return factories.MarketFactory(marketing_opt_in_required=opt_in)


# --- the rule -----------------------------------------------------------------------------------

# (e-mail answer, SMS answer, market needs opt-in, country, channel) -> skip reason
RULES = [
    # never asked: the market's default
    (None, None, True, "DE", "email", NO_CONSENT),
    (None, None, False, "BR", "email", None),
    (None, None, False, "BR", "sms", None),
    # an explicit "no" is honoured everywhere, on either channel
    (False, None, False, "BR", "email", NO_CONSENT),
    (False, None, False, "BR", "sms", NO_CONSENT),  # the one box spoke for both
    (False, False, False, "US", "sms", NO_CONSENT),
    (True, False, False, "BR", "sms", NO_CONSENT),
    (False, True, False, "BR", "sms", None),
    # "yes" where opt-in is needed
    (True, None, True, "DE", "email", None),
    # SMS needs its own "yes" in the US and in opt-in markets, whatever the e-mail answer
    (True, None, False, "US", "sms", NO_CONSENT),
    (True, None, True, "DE", "sms", NO_CONSENT),
    (True, True, False, "US", "sms", None),
    (None, True, True, "DE", "sms", None),
    (None, True, True, "DE", "email", NO_CONSENT),  # SMS consent is not e-mail consent
]


@pytest.mark.parametrize(("email", "sms", "opt_in", "country", "channel", "reason"), RULES)
def test_the_consent_rule(email, sms, opt_in, country, channel, reason):
    customer = factories.CustomerFactory(marketing_consent=email, sms_consent=sms, country=country)

    assert skip_reason_for(customer, channel, market(opt_in)) == reason


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_an_unsubscribed_customer_gets_nothing_whatever_they_consented_to(channel):
    customer = factories.CustomerFactory(marketing_consent=True, sms_consent=True, country="BR",
                                         unsubscribed_at=timezone.now())  # fmt: skip

    assert skip_reason_for(customer, channel, market(False)) == UNSUBSCRIBED


def test_without_a_market_consent_is_needed():
    customer = factories.CustomerFactory(marketing_consent=None, country="BR")

    assert skip_reason_for(customer, "email", None) == NO_CONSENT


@pytest.mark.parametrize(("email", "sms", "opt_in", "country", "channel", "reason"), RULES)
def test_the_rule_on_plain_values_agrees(email, sms, opt_in, country, channel, reason):
    """Newsletters read customers as rows: the same rule on the same answers."""
    assert skip_reason(channel=channel, email_consent=email, sms_consent=sms,
                       unsubscribed_at=None, market_opt_in=opt_in, country=country) == reason


def test_sms_opt_in_countries_come_from_settings(settings):
    settings.CONSENT_SMS_OPT_IN_COUNTRIES = ["US", "CA"]
    open_market = market(False)

    assert [sms_needs_own_tick(open_market, code) for code in ("US", "CA", "BR")] == [
        True, True, False,
    ]  # fmt: skip
    assert sms_needs_own_tick(market(True), "BR")


# --- what the checkout records ----------------------------------------------------------------


def shopper(world, mkt, country):
    cart = world.cart(mkt, country, created_at=timezone.now() - timedelta(minutes=5))
    return cart, Activity(locale=world.locale(mkt, country))


def test_an_explicit_no_is_recorded_with_its_time_and_source(world):
    cart, activity = shopper(world, world.us, "US")
    before = timezone.now()

    customer = attach_contact(cart=cart, email="sam@example.com", marketing_consent=False,
                              sms_consent=False, activity=activity)  # fmt: skip

    customer.refresh_from_db()
    assert (customer.marketing_consent, customer.sms_consent) == (False, False)
    assert before <= customer.consent_at <= timezone.now()
    assert before <= customer.sms_consent_at <= timezone.now()
    assert (customer.consent_source, customer.sms_consent_source) == ("checkout", "checkout")


def test_e_mail_and_sms_answers_are_kept_apart(world):
    cart, activity = shopper(world, world.us, "US")

    customer = attach_contact(cart=cart, email="sam@example.com", marketing_consent=True,
                              sms_consent=False, activity=activity)  # fmt: skip

    customer.refresh_from_db()
    assert (customer.marketing_consent, customer.sms_consent) == (True, False)
    assert customer.sms_consent_at is not None and customer.consent_at is not None


def test_a_later_step_of_the_same_checkout_may_answer(world):
    """The contact step created the guest; the placement that follows records the answer."""
    cart, activity = shopper(world, world.us, "US")
    attach_contact(cart=cart, email="sam@example.com", activity=activity)

    customer = attach_contact(cart=cart, email="sam@example.com", marketing_consent=True,
                              sms_consent=True, activity=activity)  # fmt: skip

    customer.refresh_from_db()
    assert (customer.marketing_consent, customer.sms_consent) == (True, True)


@pytest.mark.parametrize("answer", [True, False])
def test_typing_a_guests_e_mail_grants_or_withdraws_nothing_on_their_behalf(world, answer):
    """Someone else types a known guest's address into their own cart: the guest's consent
    stays as the guest gave it (no consent granted for them, none taken away)."""
    factories.CartFactory(market=world.us, country="US")  # the guest's own cart from before
    guest = factories.CustomerFactory(email="kim@example.com", marketing_consent=None,
                                      sms_consent=None, country="US")  # fmt: skip
    factories.CartFactory(market=world.us, country="US", customer=guest)
    cart, activity = shopper(world, world.us, "US")
    cart.created_at = timezone.now()  # a cart newer than the guest
    cart.save(update_fields=["created_at"])

    attach_contact(cart=cart, email="KIM@example.com", marketing_consent=answer,
                   sms_consent=answer, activity=activity)  # fmt: skip

    guest.refresh_from_db()
    assert (guest.marketing_consent, guest.consent_at, guest.consent_source) == (None, None, "")
    assert (guest.sms_consent, guest.sms_consent_at, guest.sms_consent_source) == (None, None, "")


def test_typing_a_guests_e_mail_changes_neither_their_phone_nor_their_name(world):
    """Recovery texts go to the guest's phone: someone typing the guest's address into their
    own cart must not redirect them."""
    guest = factories.CustomerFactory(email="kim@example.com", phone="+12025550100",
                                      first_name="Kim", country="US")  # fmt: skip
    factories.CartFactory(market=world.us, country="US", customer=guest)
    cart, activity = shopper(world, world.us, "US")
    cart.created_at = timezone.now()
    cart.save(update_fields=["created_at"])

    attach_contact(cart=cart, email="kim@example.com", phone="+12025550199",
                   first_name="Mallory", activity=activity)  # fmt: skip

    guest.refresh_from_db()
    assert (guest.phone, guest.first_name) == ("+12025550100", "Kim")
    cart.refresh_from_db()
    assert cart.customer_id == guest.pk  # the cart still reaches the address typed


def test_a_guest_corrects_their_phone_in_a_later_step_of_the_same_checkout(world):
    cart, activity = shopper(world, world.us, "US")
    attach_contact(cart=cart, email="sam@example.com", phone="+12025550100", activity=activity)

    customer = attach_contact(cart=cart, email="sam@example.com", phone="+12025550111",
                              activity=activity)  # fmt: skip

    customer.refresh_from_db()
    assert customer.phone == "+12025550111"


def test_typing_a_registered_customers_e_mail_changes_nothing_about_them(world):
    user = get_user_model().objects.create_user("kim", "kim@example.com", "pw")
    factories.CustomerFactory(user=user, email="kim@example.com", phone="+12025550100",
                              first_name="Kim", marketing_consent=False,
                              sms_consent=False)  # fmt: skip
    cart, activity = shopper(world, world.us, "US")

    attach_contact(cart=cart, email="kim@example.com", phone="+12025550199",
                   first_name="Mallory", marketing_consent=True, sms_consent=True,
                   activity=activity)  # fmt: skip

    kim = Customer.objects.get(user=user)
    assert (kim.phone, kim.first_name, kim.marketing_consent, kim.sms_consent) == (
        "+12025550100", "Kim", False, False,
    )  # fmt: skip


# --- the checkout page's boxes --------------------------------------------------------------


def checkout_page(client, world, country, language):
    cart = world.checkout_cart(country, (world.shirt_m, 1))
    session = client.session
    session[django_settings.CART_SESSION_KEY] = str(cart.token)
    session.save()
    return client.get(f"/{language}/checkout/?country={country}")


def test_the_us_checkout_asks_for_sms_consent_with_its_own_unticked_box(client, world):
    world.us.marketing_opt_in_required = False
    world.us.save()

    form = checkout_page(client, world, "US", "en").context["contact_form"]

    assert "sms_consent" in form.fields
    assert not form.fields["sms_consent"].initial
    assert "SMS" not in str(form.fields["marketing_consent"].label)


def test_a_market_without_opt_in_outside_the_us_asks_once_for_both(client, world):
    world.br.marketing_opt_in_required = False
    world.br.save()

    form = checkout_page(client, world, "BR", "pt-br").context["contact_form"]

    assert "sms_consent" not in form.fields
