"""Checkout forms: the shopper's contact and a shipping address shaped by the chosen country.

The forms only translate :mod:`checkout.addresses` into HTML: which fields, in which order, how
they are labelled, which keyboard a phone shows and what the browser may autofill. The rules
themselves (required fields, postcode formats, region lists) live in ``addresses`` so that the
JSON API, which has no form, applies exactly the same ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from checkout.addresses import (
    AddressField,
    AddressFieldSpec,
    AddressLayout,
    address_layout,
    validate_address,
)

# Shown when the country select says one country and the form was built for another: the view
# builds the form for the submitted country (see ``AddressForm.country_in``), so this only
# happens when that country is not one the shop ships to.
_COUNTRY_CHANGED = pgettext_lazy(
    "address", "The address form has changed for this country. Check the address and try again."
)
_EMAIL = pgettext_lazy("checkout", "E-mail")
_TOTAL_INVALID = pgettext_lazy(
    "checkout", "The total sent with the order is not a number. Reload the page and try again."
)

# Fields whose content is not prose: no spell-check squiggles, no auto-capitalised first letter.
_NOT_PROSE = {AddressField.POSTAL_CODE, AddressField.SORTING_CODE, AddressField.PHONE}
# Written left to right in every script, also on an Arabic page: digits, +, Latin letters.
_LEFT_TO_RIGHT = {AddressField.POSTAL_CODE, AddressField.SORTING_CODE, AddressField.PHONE}


class AddressForm(forms.Form):
    """A shipping address for one country, its fields as :func:`address_layout` lays them out.

    ``AddressForm(request.POST, country_code="BR", language="pt-br", phone_required=True)``.
    After ``is_valid()``, ``cleaned_data`` is the normalised address from
    :func:`~checkout.addresses.validate_address` (region keys, E.164 phone, ``country_code``);
    its errors sit on the fields they concern. ``rows`` groups bound fields as the country
    writes them (``[city, state]`` on one line in Brazil) for the template.

    ``country_choices`` turns ``country_code`` into a select of the countries the shop ships
    to; without it the country is a hidden field (the page chooses it elsewhere).
    """

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        *,
        country_code: str,
        language: str | None = None,
        phone_required: bool = False,
        country_choices: Sequence[tuple[str, str]] | None = None,
        autocomplete_section: str = "shipping",
        **kwargs: Any,
    ) -> None:
        super().__init__(data, files, **kwargs)
        self.layout: AddressLayout = address_layout(
            country_code, language, phone_required=phone_required
        )
        self.country_code = self.layout.country_code
        self.phone_required = phone_required
        self._section = autocomplete_section
        fields: dict[str, forms.Field] = {
            str(AddressField.COUNTRY_CODE): self._country_field(country_choices)
        }
        for name in self.layout.field_names:
            fields[name] = self._field(self.layout.fields[name])
        self.fields = fields

    @staticmethod
    def country_in(
        data: Mapping[str, Any] | None,
        default: str,
        allowed: Sequence[str] | None = None,
        prefix: str | None = None,
    ) -> str:
        """The country to build the form for: the one submitted if it is allowed, else
        ``default``. A shopper without JavaScript who switches the country and submits gets
        the form of the new country back, with what they typed kept."""
        key = f"{prefix}-{AddressField.COUNTRY_CODE}" if prefix else AddressField.COUNTRY_CODE
        submitted = str((data or {}).get(key) or "").strip().upper()
        if submitted and (allowed is None or submitted in {c.upper() for c in allowed}):
            try:
                return address_layout(submitted, "en").country_code
            except ValueError:
                pass
        return default.upper()

    @property
    def rows(self) -> list[list[BoundField]]:
        """Bound fields grouped in the country's lines, the phone last."""
        return [[self[name] for name in row] for row in self.layout.rows]

    def clean_country_code(self) -> str:
        submitted = (self.cleaned_data.get(AddressField.COUNTRY_CODE) or "").upper()
        if submitted and submitted != self.country_code:
            raise ValidationError(_COUNTRY_CHANGED, code="country_changed")
        return self.country_code

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean() or {}
        address = {name: cleaned.get(name, "") for name in self.layout.field_names}
        try:
            normalized = validate_address(
                address,
                self.country_code,
                phone_required=self.phone_required,
                language=self.layout.language,
            )
        except ValidationError as invalid:
            for field, errors in invalid.error_dict.items():
                if field in self._errors:
                    continue  # the field's own check already said it (e.g. required)
                for error in errors:
                    self.add_error(field if field in self.fields else None, error)
            return cleaned
        return normalized

    def _country_field(self, choices: Sequence[tuple[str, str]] | None) -> forms.Field:
        label = pgettext_lazy("address", "Country")
        if choices:
            return forms.ChoiceField(
                label=label,
                choices=list(choices),
                initial=self.country_code,
                widget=forms.Select(attrs={"autocomplete": self._autocomplete("country")}),
            )
        return forms.CharField(
            label=label, required=False, initial=self.country_code, widget=forms.HiddenInput
        )

    def _autocomplete(self, token: str) -> str:
        return f"{self._section} {token}" if token and self._section else token

    def _field(self, spec: AddressFieldSpec) -> forms.Field:
        attrs: dict[str, Any] = {}
        if spec.autocomplete:
            attrs["autocomplete"] = self._autocomplete(spec.autocomplete)
        if spec.input_mode:
            attrs["inputmode"] = spec.input_mode
        if spec.pattern:
            attrs["pattern"] = spec.pattern
        if spec.placeholder:
            attrs["placeholder"] = spec.placeholder
        if spec.name in _NOT_PROSE:
            attrs.update(spellcheck="false", autocapitalize="characters" if spec.upper else "off")
        if spec.name in _LEFT_TO_RIGHT:
            attrs["dir"] = "ltr"
        if spec.name in (AddressField.FIRST_NAME, AddressField.LAST_NAME):
            attrs.update(spellcheck="false", autocapitalize="words")
        if spec.help_text:
            attrs["title"] = spec.help_text  # the browser shows it when ``pattern`` refuses
        common: dict[str, Any] = {"label": spec.label, "required": spec.required}
        if spec.choices:
            blank: list[tuple[str, str | Promise]] = [("", "")]
            return forms.ChoiceField(
                choices=blank + list(spec.choices), widget=forms.Select(attrs=attrs), **common
            )
        widget = forms.TextInput(attrs=attrs)
        if spec.name == AddressField.PHONE:
            widget.input_type = "tel"
        return forms.CharField(max_length=spec.max_length, widget=widget, **common)


class ContactForm(forms.Form):
    """The shopper's e-mail (required: receipts and recovery go there) and marketing consent.

    The consent text is the caller's: it says what the shopper will receive and differs per
    market, and so does whether it starts ticked (never where opt-in is the law: EU, UK).
    """

    email = forms.EmailField(
        label=_EMAIL,
        max_length=254,
        widget=forms.EmailInput(
            attrs={
                "autocomplete": "email",
                "autocapitalize": "off",
                "spellcheck": "false",
                "dir": "ltr",
            }  # fmt: skip
        ),
    )
    marketing_consent = forms.BooleanField(required=False)
    # Its own tick where SMS marketing needs one (shop.consent.sms_needs_own_tick: US, EU, UK).
    sms_consent = forms.BooleanField(required=False)

    def __init__(
        self,
        *args: Any,
        consent_label: str | Promise,
        consent_initial: bool = False,
        sms_consent_label: str | Promise | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        consent = self.fields["marketing_consent"]
        consent.label = consent_label
        consent.initial = consent_initial
        if sms_consent_label is None:
            del self.fields["sms_consent"]
        else:
            self.fields["sms_consent"].label = sms_consent_label

    def sms_answer(self) -> bool:
        """The SMS answer: its own tick where shown, else the one box that covers both."""
        field = "sms_consent" if "sms_consent" in self.fields else "marketing_consent"
        return bool(self.cleaned_data.get(field))

    def clean_email(self) -> str:
        """Domain in lower case (it is case-insensitive), the mailbox as typed."""
        return BaseUserManager.normalize_email(self.cleaned_data["email"])


class PlacementForm(forms.Form):
    """The page's own hidden fields: the total the shopper confirmed and the attempt's key.

    A finite decimal only: ``NaN``, ``sNaN``, ``Infinity`` or a huge exponent is refused here
    (the page always sends the number it showed), never compared with the real total.
    """

    expected_total = forms.DecimalField(
        max_digits=14,
        decimal_places=3,
        error_messages={
            "required": _TOTAL_INVALID,
            "invalid": _TOTAL_INVALID,
            "max_digits": _TOTAL_INVALID,
            "max_decimal_places": _TOTAL_INVALID,
            "max_whole_digits": _TOTAL_INVALID,
        },
    )
    attempt = forms.CharField(required=False)  # any length: it is hashed (``scoped_key``)

    def clean_expected_total(self):
        total = self.cleaned_data["expected_total"]
        # Zero with a huge exponent ("0E+1000000000000") passes Django's digit count.
        if not total.is_finite() or total.as_tuple().exponent > 14:
            raise ValidationError(_TOTAL_INVALID, code="invalid")
        return total
