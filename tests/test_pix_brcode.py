"""Pix BR Codes match the Banco Central's specification byte for byte, and their QR codes inline.

A bank app rejects a payload that differs by one character from what the spec prescribes, so the
published BCB example is the reference: the CRC must reproduce it, and ``build_payload`` must
rebuild it exactly from its field values.
"""

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from checkout.payments.pix import (
    MAX_KEY_LENGTH,
    PixKey,
    PixKeyType,
    build_payload,
    crc16_ccitt,
    parse_payload,
    parse_pix_key,
    qr_svg,
    verify_payload,
)

BCB_STATIC_EXAMPLE = (
    "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000"
    "5204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D"
)
BCB_EXAMPLE_KEY = "123e4567-e12b-12d1-a456-426655440000"
VALID_CPF = "12345678909"
VALID_CNPJ = "11222333000181"
VALID_ALPHANUMERIC_CNPJ = "12ABC34501DE35"  # the Receita Federal's own example


def shop_payload(**overrides) -> str:
    fields = {
        "key": BCB_EXAMPLE_KEY,
        "merchant_name": "Loja Exemplo",
        "merchant_city": "SAO PAULO",
        "amount": Decimal("123.45"),
        "txid": "PEDIDO42",
    }
    return build_payload(**(fields | overrides))


# --- CRC ---------------------------------------------------------------------------------------


def test_crc16_ccitt_false_has_the_standard_check_value():
    assert crc16_ccitt(b"123456789") == 0x29B1


def test_crc_of_the_bcb_static_example_is_the_published_one():
    assert crc16_ccitt(BCB_STATIC_EXAMPLE[:-4].encode("ascii")) == 0x1D3D


def test_bcb_static_example_verifies():
    assert verify_payload(BCB_STATIC_EXAMPLE)


# --- The published example, rebuilt --------------------------------------------------------------


def test_build_payload_reproduces_the_bcb_static_example_byte_for_byte():
    payload = build_payload(
        key=BCB_EXAMPLE_KEY,
        merchant_name="Fulano de Tal",
        merchant_city="BRASILIA",
        amount=None,
        txid="***",
    )
    assert payload == BCB_STATIC_EXAMPLE


def test_bcb_static_example_parses_into_its_fields():
    assert parse_payload(BCB_STATIC_EXAMPLE) == {
        "00": "01",
        "26": {"00": "br.gov.bcb.pix", "01": BCB_EXAMPLE_KEY},
        "52": "0000",
        "53": "986",
        "58": "BR",
        "59": "Fulano de Tal",
        "60": "BRASILIA",
        "62": {"05": "***"},
        "63": "1D3D",
    }


def test_a_reusable_code_has_no_point_of_initiation_field():
    assert "01" not in parse_payload(shop_payload())


def test_a_single_use_code_declares_point_of_initiation_12_right_after_the_format():
    payload = shop_payload(point_of_initiation_dynamic=True)
    assert payload.startswith("000201010212")
    assert parse_payload(payload)["01"] == "12"
    assert verify_payload(payload)


# --- Amount, txid, description -------------------------------------------------------------------


def test_payload_with_amount_and_txid_round_trips_and_verifies():
    payload = shop_payload(description="Pedido 42")

    assert verify_payload(payload)
    fields = parse_payload(payload)
    assert fields["26"] == {"00": "br.gov.bcb.pix", "01": BCB_EXAMPLE_KEY, "02": "Pedido 42"}
    assert fields["54"] == "123.45"
    assert fields["59"] == "Loja Exemplo"
    assert fields["60"] == "SAO PAULO"
    assert fields["62"] == {"05": "PEDIDO42"}
    assert list(fields) == ["00", "26", "52", "53", "54", "58", "59", "60", "62", "63"]
    assert fields["63"] == f"{crc16_ccitt(payload[:-4].encode()):04X}"


@pytest.mark.parametrize(
    ("amount", "written"),
    [
        (Decimal("10"), "10.00"),
        (Decimal("0.5"), "0.50"),
        (Decimal("1234.5"), "1234.50"),
        (Decimal("10.500"), "10.50"),
        (Decimal("0.01"), "0.01"),
        (Decimal("9999999999.99"), "9999999999.99"),
        (25, "25.00"),
    ],
)
def test_amount_is_written_with_a_dot_two_decimals_and_no_thousands_separator(amount, written):
    assert parse_payload(shop_payload(amount=amount))["54"] == written


def test_without_an_amount_field_54_is_omitted_so_the_payer_types_it():
    assert "54" not in parse_payload(shop_payload(amount=None))


def test_every_single_character_change_breaks_verification():
    payload = shop_payload()
    for index, char in enumerate(payload):
        replacement = "0" if char != "0" else "1"
        tampered = payload[:index] + replacement + payload[index + 1 :]
        assert not verify_payload(tampered), f"change at {index} went unnoticed"


@pytest.mark.parametrize(
    "payload",
    [
        "",
        BCB_STATIC_EXAMPLE[:-1],
        BCB_STATIC_EXAMPLE + "0",
        BCB_STATIC_EXAMPLE[:-8],  # no CRC field
        BCB_STATIC_EXAMPLE.replace("Fulano", "Fulanõ"),
        "not a payload at all",
    ],
)
def test_malformed_payloads_do_not_verify(payload):
    assert not verify_payload(payload)


def test_parse_payload_rejects_text_that_is_not_tlv():
    with pytest.raises(ValueError, match="cut short"):
        parse_payload(BCB_STATIC_EXAMPLE[:-1])


# --- Text normalisation --------------------------------------------------------------------------


def test_accents_are_removed_before_lengths_are_counted():
    payload = shop_payload(
        merchant_name="José da Conceição",
        merchant_city="São Paulo",
        description="Café ótimo",
    )

    assert "5917Jose da Conceicao" in payload
    assert "6009Sao Paulo" in payload
    assert "0210Cafe otimo" in payload
    assert payload.isascii()
    assert verify_payload(payload)


def test_case_is_kept_and_whitespace_collapsed():
    fields = parse_payload(shop_payload(merchant_name="  Loja   da Ana ", merchant_city="Brasília"))
    assert fields["59"] == "Loja da Ana"
    assert fields["60"] == "Brasilia"


def test_letters_without_a_decomposition_get_their_ascii_spelling():
    fields = parse_payload(shop_payload(merchant_name="Straße’s Ørsted Œuvre"))
    assert fields["59"] == "Strasse's Orsted OEuvre"


def test_names_at_the_field_limits_are_accepted():
    fields = parse_payload(shop_payload(merchant_name="N" * 25, merchant_city="C" * 15))
    assert fields["59"] == "N" * 25
    assert fields["60"] == "C" * 15


def test_the_longest_key_fills_the_merchant_account_field_exactly():
    key = "a" * (MAX_KEY_LENGTH - len("@example.com")) + "@example.com"
    payload = shop_payload(key=key)
    assert MAX_KEY_LENGTH == 77
    assert "2699" in payload
    assert parse_payload(payload)["26"]["01"] == key


def test_the_description_may_use_what_the_key_leaves_of_field_26():
    # 99 - "0014br.gov.bcb.pix" (18) - "0136" + 36-character key (40) - "02NN" (4) = 37
    fields = parse_payload(shop_payload(description="d" * 37))
    assert fields["26"]["02"] == "d" * 37
    with pytest.raises(ValueError, match="at most 37"):
        shop_payload(description="d" * 38)


# --- Pix keys ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Loja@Example.COM", PixKey(PixKeyType.EMAIL, "loja@example.com")),
        ("+55 (11) 91234-5678", PixKey(PixKeyType.PHONE, "+5511912345678")),
        ("+556132221234", PixKey(PixKeyType.PHONE, "+556132221234")),
        ("123.456.789-09", PixKey(PixKeyType.CPF, VALID_CPF)),
        ("11.222.333/0001-81", PixKey(PixKeyType.CNPJ, VALID_CNPJ)),
        ("12.abc.345/01de-35", PixKey(PixKeyType.CNPJ, VALID_ALPHANUMERIC_CNPJ)),
        (BCB_EXAMPLE_KEY.upper(), PixKey(PixKeyType.EVP, BCB_EXAMPLE_KEY)),
        (f"  {BCB_EXAMPLE_KEY}  ", PixKey(PixKeyType.EVP, BCB_EXAMPLE_KEY)),
    ],
)
def test_pix_keys_are_recognised_and_written_as_dict_stores_them(raw, expected):
    assert parse_pix_key(raw) == expected


def test_the_payload_carries_the_normalised_key():
    payload = shop_payload(key="123.456.789-09")
    assert parse_payload(payload)["26"]["01"] == VALID_CPF


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("a" * 70 + "@example.com", "at most 77"),
        ("loja@example", "not a valid e-mail"),
        ("(11) 91234-5678", "Phone keys must start with \\+55"),
        ("+1 212 555 0123", "not a Brazilian phone number"),
        ("+55 11 1234", "not a Brazilian phone number"),
        ("123.456.789-00", "not a valid CPF"),
        ("111.111.111-11", "not a valid CPF"),
        ("11.222.333/0001-80", "not a valid CNPJ"),
        ("12.ABC.345/01DE-36", "not a valid CNPJ"),
        ("not a key", "not an e-mail address, a \\+55 phone number, a CPF, a CNPJ"),
    ],
)
def test_invalid_pix_keys_are_refused_with_a_reason(raw, message):
    with pytest.raises(ValueError, match=message):
        shop_payload(key=raw)


# --- Invalid input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"merchant_name": ""}, "merchant name is empty"),
        ({"merchant_name": " \t "}, "merchant name is empty"),
        ({"merchant_name": "N" * 26}, "merchant name .* 26 characters long; .* at most 25"),
        ({"merchant_city": "Ç" * 16}, "merchant city 'CCCCCCCCCCCCCCCC' is 16 .* at most 15"),
        ({"merchant_city": ""}, "merchant city is empty"),
        ({"merchant_name": "Loja 🛒"}, "merchant name contains '🛒'"),
        ({"merchant_city": "東京"}, "merchant city contains"),
        ({"description": "Pedido ✓"}, "description contains"),
        ({"txid": ""}, "txid '' is invalid"),
        ({"txid": "PEDIDO-42"}, "txid 'PEDIDO-42' is invalid"),
        ({"txid": "T" * 26}, "txid .* is invalid: use 1 to 25"),
        ({"txid": "pedido 42"}, "txid 'pedido 42' is invalid"),
        ({"txid": "PEDIDOÃ"}, "is invalid"),
        ({"amount": Decimal("-1.00")}, "amount -1.00 is negative"),
        ({"amount": Decimal("0")}, "amount is zero; pass None"),
        ({"amount": Decimal("10.005")}, "amount 10.005 has more than 2 decimal places"),
        ({"amount": Decimal("NaN")}, "not a number"),
        ({"amount": Decimal("Infinity")}, "not a number"),
        ({"amount": Decimal("10000000000.00")}, "too large"),
    ],
)
def test_invalid_input_is_refused_with_a_message(overrides, message):
    with pytest.raises(ValueError, match=message):
        shop_payload(**overrides)


def test_a_float_amount_is_a_type_error_because_it_cannot_hold_centavos_exactly():
    with pytest.raises(TypeError, match="must be a Decimal"):
        shop_payload(amount=12.34)


# --- QR code -------------------------------------------------------------------------------------


def test_qr_svg_is_inline_svg_with_a_title():
    svg = qr_svg(BCB_STATIC_EXAMPLE, title="Pague com Pix & QR")

    assert svg.startswith("<svg")
    assert "<?xml" not in svg
    root = ET.fromstring(svg)  # well-formed, and the title's "&" is escaped
    assert root.tag == "svg"
    assert root.get("role") == "img"
    assert root[0].tag == "title"
    assert root[0].text == "Pague com Pix & QR"


@pytest.mark.parametrize(
    "payload",
    [BCB_STATIC_EXAMPLE, shop_payload(description="d" * 37, point_of_initiation_dynamic=True)],
)
def test_qr_svg_has_whole_pixel_modules_of_a_real_qr_version_near_240_px(payload):
    root = ET.fromstring(qr_svg(payload))
    width, height = int(root.get("width")), int(root.get("height"))
    scale = int(re.fullmatch(r"scale\((\d+)\)", root.find("path").get("transform"))[1])
    modules = width // scale - 2 * 4  # a quiet zone of 4 modules on each side

    assert width == height
    assert root.get("viewBox") == f"0 0 {width} {height}"
    assert width % scale == 0
    assert (modules - 17) % 4 == 0 and 1 <= (modules - 17) // 4 <= 40  # versions 1 to 40
    assert 180 <= width <= 300
