"""Phone numbers are read for the customer's country and stored as E.164."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from shop.models import Customer
from shop.phones import example_number, normalize_phone

INVALID_FOR_COUNTRY = "Enter a valid phone number for %(country)s, e.g. %(example)s."
INVALID_WITHOUT_COUNTRY = "Enter a valid phone number with its country code, e.g. +49 30 123456."
DUPLICATE_EMAIL = "A customer with this e-mail already exists."


@pytest.mark.parametrize(
    ("raw", "country", "e164"),
    [
        ("030 123456", "DE", "+4930123456"),
        ("0151 23456789", "de", "+4915123456789"),
        ("(11) 91234-5678", "BR", "+5511912345678"),
        ("+44 20 7946 0958", "DE", "+442079460958"),  # international: the country is ignored
        ("+1 212 555 0123", None, "+12125550123"),
        ("  030/123456  ", "DE", "+4930123456"),
    ],
)
def test_valid_numbers_are_normalised_to_e164(raw, country, e164):
    assert normalize_phone(raw, country) == e164


def test_an_empty_number_stays_empty():
    assert normalize_phone("   ", "DE") == ""


def message_of(raw, country) -> ValidationError:
    with pytest.raises(ValidationError) as raised:
        normalize_phone(raw, country)
    assert raised.value.code == "invalid_phone"
    return raised.value


def test_invalid_number_names_the_country_and_shows_an_example():
    error = message_of("123", "DE")

    assert error.messages == ["Enter a valid phone number for Germany, e.g. +49 1512 3456789."]


@pytest.mark.parametrize("raw", ["12", "not a phone", "+49 0", "0000000000000000000"])
def test_invalid_numbers_are_refused(raw):
    message_of(raw, "BR")


def test_national_number_without_country_asks_for_the_country_code():
    assert message_of("030 123456", None).messages == [INVALID_WITHOUT_COUNTRY]


def test_example_number_is_a_valid_mobile_of_the_country():
    example = example_number("BR")

    assert example.startswith("+55 ")
    assert normalize_phone(example, "BR").startswith("+55")


@pytest.mark.translations
def test_invalid_number_message_is_translated_to_german():
    with translation.override("de"):
        error = message_of("123", "DE")

    (message,) = error.messages
    assert message != INVALID_FOR_COUNTRY % {"country": "Germany", "example": "+49 1512 3456789"}, (
        f"msgid {INVALID_FOR_COUNTRY!r} has no German translation in locale/de"
    )
    assert "Telefonnummer" in message
    assert "Deutschland" in message and "+49 1512 3456789" in message


@pytest.mark.django_db
def test_customer_full_clean_stores_the_phone_as_e164():
    customer = Customer(email="anna@example.com", phone="030 123456", country="DE")

    customer.full_clean()
    customer.save()

    assert Customer.objects.get(pk=customer.pk).phone == "+4930123456"


@pytest.mark.django_db
def test_customer_with_invalid_phone_gets_the_error_on_the_phone_field():
    customer = Customer(email="joao@example.com", phone="1234", country="BR")

    with pytest.raises(ValidationError) as raised:
        customer.full_clean()

    assert list(raised.value.message_dict) == ["phone"]
    assert "Brazil" in raised.value.message_dict["phone"][0]


@pytest.mark.django_db
def test_customer_email_is_unique_whatever_its_case(customer_factory):
    customer_factory(email="anna@example.com")
    twin = Customer(email="Anna@Example.COM", country="DE")

    with pytest.raises(ValidationError) as raised:
        twin.full_clean()

    assert raised.value.message_dict == {"email": [DUPLICATE_EMAIL]}


@pytest.mark.django_db
def test_customer_email_typed_with_surrounding_spaces_is_stripped_not_refused():
    customer = Customer(email="  anna@example.com ", country="DE")

    customer.full_clean()  # Customer.clean strips, but only after clean_fields has refused it

    assert customer.email == "anna@example.com"


@pytest.mark.django_db
def test_customer_may_keep_its_own_email(customer_factory):
    customer = customer_factory(email="anna@example.com")
    customer.email = "ANNA@example.com"

    customer.full_clean()


@pytest.mark.django_db
def test_the_database_refuses_the_same_email_in_another_case(customer_factory):
    from django.db import IntegrityError, transaction

    customer_factory(email="anna@example.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.create(email="ANNA@EXAMPLE.COM")
