"""Phone numbers: parsed for the customer's country and stored as E.164 (phonenumbers)."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django_countries import countries


def normalize_phone(raw: str, country: str | None) -> str:
    """Return ``raw`` as E.164 (``+4930123456``), read as a number of ``country`` unless it
    starts with ``+``. Raises a translated ``ValidationError`` when it is not a valid number."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, (country or "").upper() or None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        if country:
            raise ValidationError(
                _("Enter a valid phone number for %(country)s, e.g. %(example)s."),
                code="invalid_phone",
                params={"country": countries.name(country.upper()) or country.upper(),
                        "example": example_number(country)},  # fmt: skip
            )
        raise ValidationError(
            _("Enter a valid phone number with its country code, e.g. +49 30 123456."),
            code="invalid_phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def example_number(country: str) -> str:
    example = phonenumbers.example_number_for_type(
        country.upper(), phonenumbers.PhoneNumberType.MOBILE
    )
    if example is None:
        return ""
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
