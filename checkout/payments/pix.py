"""Pix "BR Code" payloads (the *copia e cola* text) and their QR codes.

A Pix BR Code is an EMV® QRCPS Merchant-Presented Mode payload profiled by the Banco Central do
Brasil in its *Manual de Padrões para Iniciação do Pix*. It is a flat string of TLV fields: a
two-digit ID, a two-digit length and the value, some of whose values are themselves TLV
(templates). The payer's bank app reads it from a QR code or from the clipboard, so a payload
that is off by one character is rejected by every bank: everything here is built to reproduce
the manual's published example byte for byte (see ``tests/test_pix_brcode.py``).

This module builds *static* codes: the Pix key is in the payload itself, so no PSP API call is
needed. A PSP-issued dynamic code (field 26-25, a URL to a charge) is out of its scope.

Choices the specification leaves to the issuer, and the reason for each:

* **Text fields are ASCII.** EMV restricts every field outside the Merchant Information Language
  Template (ID 64) to its Common Character Set, printable ASCII. Merchant name, city and
  description therefore lose their accents ("São Paulo" becomes "Sao Paulo"); a character with no
  ASCII equivalent is refused rather than silently dropped. Since the result is ASCII, the length
  prefix counts characters and bytes alike, and no bank can disagree about it.
* **Case is kept.** Upper case is customary on card terminals but not required, and the BCB's own
  example carries the mixed-case name "Fulano de Tal"; upper-casing would not reproduce it.
* **Over-long text is refused, not truncated.** Names are set once in the shop's configuration;
  a clear error there is better than a name cut mid-word on every shopper's banking app.
* **Point of Initiation Method (ID 01)** is written only as "12", when the caller says the code is
  single-use. The BCB manual makes the field optional and defines only "12" ("the BR Code may be
  used once"); its published static example omits the field, so absence is the canonical form
  of a reusable code, and EMV's "11" is never written.
* **Amount (ID 54)** is always written with two decimals ("10.00"). EMV allows "10", "10.0" or
  "10.00" and requires a non-zero amount made of digits and one "." (at most 13 characters);
  two decimals is the real's minor unit and the format of ``valor.original`` in the Pix API,
  so static and dynamic charges show the same text. Without an amount the field is omitted and
  the payer types the amount in.
"""

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

import segno

__all__ = [
    "PixKey",
    "PixKeyType",
    "build_payload",
    "crc16_ccitt",
    "parse_payload",
    "parse_pix_key",
    "qr_svg",
    "verify_payload",
]

PIX_GUI = "br.gov.bcb.pix"
"""Globally Unique Identifier that tells a reader the Merchant Account Information is Pix's."""

NO_TXID = "***"
"""Reference label for "no transaction identifier", as the BCB manual prescribes."""

MAX_FIELD_LENGTH = 99
"""A TLV length prefix has two digits: no value, template or not, can be longer."""

MAX_MERCHANT_NAME_LENGTH = 25
MAX_MERCHANT_CITY_LENGTH = 15
MAX_TXID_LENGTH = 25
MAX_AMOUNT_LENGTH = 13

_GUI_FIELD_LENGTH = 4 + len(PIX_GUI)
MAX_KEY_LENGTH = MAX_FIELD_LENGTH - _GUI_FIELD_LENGTH - 4
"""77: what is left of field 26's 99 characters once the GUI sub-field and the key's own ID and
length are written. It is also the longest key DICT registers (an e-mail of 77 characters)."""

_CRC_FIELD_PREFIX = "6304"
_TXID_PATTERN = re.compile(r"[A-Za-z0-9]{1,25}")
_TEMPLATE_IDS = frozenset(
    [f"{tag:02d}" for tag in range(26, 52)] + ["62", "64"] + [f"{tag}" for tag in range(80, 100)]
)
"""EMV IDs whose value is itself TLV: merchant account templates, additional data, language
template and the unreserved templates. Everything else is a primitive string."""

_ASCII_LOOKALIKES = str.maketrans(
    {
        "ß": "ss",
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "Ø": "O",
        "ø": "o",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "–": "-",
        "—": "-",
    }
)
"""Letters and punctuation that Unicode decomposition leaves alone but that have an obvious
ASCII spelling; everything else with an accent is handled by NFKD."""


# --- CRC ---------------------------------------------------------------------------------------


def crc16_ccitt(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR.

    This is the checksum EMV QRCPS prescribes for ID 63. Banks reject a payload whose CRC does
    not match, so a typo in a copied code is caught before any money moves. The check value of
    ``b"123456789"`` is 0x29B1.
    """
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def _crc_text(payload_without_crc: str) -> str:
    """The four uppercase hex digits of ID 63, computed over everything before them.

    The CRC covers its own ID and length ("6304"), so the caller passes them in.
    """
    return f"{crc16_ccitt(payload_without_crc.encode('ascii')):04X}"


# --- Pix keys ----------------------------------------------------------------------------------


class PixKeyType(StrEnum):
    """The five kinds of key the DICT (Pix's key directory) registers."""

    EMAIL = "email"
    PHONE = "phone"
    CPF = "cpf"
    CNPJ = "cnpj"
    EVP = "evp"


@dataclass(frozen=True)
class PixKey:
    """A Pix key in the form DICT stores it, with its kind."""

    type: PixKeyType
    value: str


_EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE_PATTERN = re.compile(r"\+55[1-9]{2}\d{8,9}")
_EVP_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_CNPJ_PATTERN = re.compile(r"[0-9A-Z]{12}[0-9]{2}")
_DOCUMENT_PUNCTUATION = re.compile(r"[.\-/\s()]")
_PHONE_PUNCTUATION = re.compile(r"[\s\-()]")


def parse_pix_key(raw_key: str) -> PixKey:
    """Recognise a Pix key's kind and write it the way DICT stores it.

    The check is deliberately loose: only the PSP, by asking DICT, knows whether a key exists
    and belongs to the shop. What is checked catches the mistakes made when typing a key into
    settings: the shape of each kind, and the check digits of a CPF or CNPJ.

    * e-mail: ``name@domain.tld``, lower-cased (DICT registers e-mail keys in lower case);
    * phone: ``+55``, a two-digit area code and 8 or 9 digits; spaces, dashes and parentheses
      are removed. The ``+55`` is required (DICT stores phone keys in E.164): without it an
      11-digit mobile number cannot be told apart from a CPF, and is read as one;
    * CPF: 11 digits, CNPJ: 14 characters (12 letters or digits, since the 2026 alphanumeric
      CNPJ, then 2 check digits); dots, dashes, slashes, spaces and parentheses are removed;
    * random key (EVP): a UUID in its hyphenated form, lower-cased.

    Raises ``ValueError`` naming what is wrong.
    """
    key = raw_key.strip()
    if not key:
        raise ValueError("The Pix key is empty.")
    if len(key) > MAX_KEY_LENGTH:
        raise ValueError(
            f"The Pix key is {len(key)} characters long; "
            f"a BR Code can carry at most {MAX_KEY_LENGTH}."
        )
    if "@" in key:
        if not _EMAIL_PATTERN.fullmatch(key):
            raise ValueError(f"The Pix key {key!r} is not a valid e-mail address.")
        return PixKey(PixKeyType.EMAIL, key.lower())
    if key.startswith("+"):
        phone = _PHONE_PUNCTUATION.sub("", key)
        if not _PHONE_PATTERN.fullmatch(phone):
            raise ValueError(
                f"The Pix key {key!r} is not a Brazilian phone number: "
                "write it as +55, the area code and the number, e.g. +5511912345678."
            )
        return PixKey(PixKeyType.PHONE, phone)
    if _EVP_PATTERN.fullmatch(key.lower()):
        return PixKey(PixKeyType.EVP, key.lower())
    document = _DOCUMENT_PUNCTUATION.sub("", key).upper()
    if len(document) == 11 and document.isdigit():
        if not _cpf_is_valid(document):
            raise ValueError(
                f"The Pix key {key!r} is not a valid CPF (its check digits do not match). "
                "Phone keys must start with +55."
            )
        return PixKey(PixKeyType.CPF, document)
    if len(document) == 14 and _CNPJ_PATTERN.fullmatch(document):
        if not _cnpj_is_valid(document):
            raise ValueError(
                f"The Pix key {key!r} is not a valid CNPJ (its check digits do not match)."
            )
        return PixKey(PixKeyType.CNPJ, document)
    raise ValueError(
        f"The Pix key {key!r} is not an e-mail address, a +55 phone number, a CPF, a CNPJ "
        "or a random key (UUID)."
    )


def _cpf_is_valid(digits: str) -> bool:
    """Modulo-11 check digits of a CPF; a run of one digit passes them but is never issued."""
    if len(set(digits)) == 1:
        return False
    for length in (9, 10):
        total = sum(
            int(digit) * weight
            for digit, weight in zip(digits[:length], range(length + 1, 1, -1), strict=True)
        )
        if (total * 10) % 11 % 10 != int(digits[length]):
            return False
    return True


def _cnpj_is_valid(characters: str) -> bool:
    """Modulo-11 check digits of a CNPJ, numeric or alphanumeric.

    The Receita Federal's alphanumeric CNPJ gives each character the value of its ASCII code
    minus 48, so digits keep their value and the same weights work for both forms.
    """
    if len(set(characters)) == 1:
        return False
    for length in (12, 13):
        weights = [*range(length - 7, 1, -1), *range(9, 1, -1)]
        total = sum(
            (ord(char) - 48) * weight
            for char, weight in zip(characters[:length], weights, strict=True)
        )
        remainder = total % 11
        if (0 if remainder < 2 else 11 - remainder) != int(characters[length]):
            return False
    return True


# --- Building ----------------------------------------------------------------------------------


def _field(tag: str, value: str) -> str:
    """One TLV field: ID, two-digit length, value."""
    if len(value) > MAX_FIELD_LENGTH:
        raise ValueError(
            f"Field {tag} would be {len(value)} characters long; "
            f"a BR Code field holds at most {MAX_FIELD_LENGTH}."
        )
    return f"{tag}{len(value):02d}{value}"


def _ascii_text(value: str, label: str) -> str:
    """Text in EMV's Common Character Set: accents removed, whitespace collapsed.

    Raises ``ValueError`` for a character with no ASCII spelling, because dropping it would
    show the shopper a name the shop never chose.
    """
    decomposed = unicodedata.normalize("NFKD", value.translate(_ASCII_LOOKALIKES))
    text = "".join(char for char in decomposed if not unicodedata.combining(char))
    text = " ".join(text.split())
    for char in text:
        if not " " <= char <= "~":
            raise ValueError(
                f"The {label} contains {char!r}, which a Pix code cannot carry: "
                "use letters, digits and basic punctuation."
            )
    return text


def _bounded_text(value: str, label: str, max_length: int) -> str:
    """Required ASCII text no longer than the field allows."""
    text = _ascii_text(value, label)
    if not text:
        raise ValueError(f"The {label} is empty.")
    if len(text) > max_length:
        raise ValueError(
            f"The {label} {text!r} is {len(text)} characters long; "
            f"a Pix code allows at most {max_length}."
        )
    return text


def _amount_text(amount: Decimal) -> str:
    """ID 54: digits, a dot and two decimals, e.g. ``"1234.50"``.

    The amount must already be in reais and centavos: rounding here would charge the shopper
    something other than the total the shop computed.
    """
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise TypeError(f"The amount must be a Decimal, not {type(amount).__name__}.")
    amount = Decimal(amount)
    if not amount.is_finite():
        raise ValueError(f"The amount {amount} is not a number.")
    if amount < 0:
        raise ValueError(f"The amount {amount} is negative.")
    if amount == 0:
        raise ValueError("The amount is zero; pass None to let the payer type the amount in.")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"The amount {amount} has more than 2 decimal places.")
    text = f"{amount:.2f}"
    if len(text) > MAX_AMOUNT_LENGTH:
        raise ValueError(
            f"The amount {text} is too large: a Pix code holds at most "
            f"{MAX_AMOUNT_LENGTH} characters."
        )
    return text


def build_payload(
    *,
    key: str,
    merchant_name: str,
    merchant_city: str,
    amount: Decimal | None,
    txid: str = NO_TXID,
    description: str = "",
    point_of_initiation_dynamic: bool = False,
) -> str:
    """The BR Code (*Pix copia e cola*) for a payment to ``key``.

    ``amount`` is in reais; ``None`` leaves it to the payer. ``txid`` (1 to 25 letters or
    digits, ``"***"`` for none) comes back in the payer's transfer so the shop can match the
    payment to its order. ``description`` is shown to the payer by most banks.
    ``point_of_initiation_dynamic`` marks the code as single-use (ID 01 = "12").

    Merchant name, city and description are converted to ASCII and keep their case; see the
    module docstring for why. Raises ``ValueError`` with a message for any invalid input.
    """
    pix_key = parse_pix_key(key)
    name = _bounded_text(merchant_name, "merchant name", MAX_MERCHANT_NAME_LENGTH)
    city = _bounded_text(merchant_city, "merchant city", MAX_MERCHANT_CITY_LENGTH)
    if txid != NO_TXID and not _TXID_PATTERN.fullmatch(txid):
        raise ValueError(
            f"The txid {txid!r} is invalid: use 1 to {MAX_TXID_LENGTH} letters (A-Z, a-z) "
            f"and digits, or {NO_TXID!r} for none."
        )

    account_info = _field("00", PIX_GUI) + _field("01", pix_key.value)
    info = _ascii_text(description, "description")
    if info:
        room = MAX_FIELD_LENGTH - len(account_info) - 4
        if len(info) > room:
            raise ValueError(
                f"The description is {len(info)} characters long; with this Pix key it can "
                f"have at most {room}."
            )
        account_info += _field("02", info)

    payload = _field("00", "01")
    if point_of_initiation_dynamic:
        payload += _field("01", "12")
    payload += _field("26", account_info)
    payload += _field("52", "0000")
    payload += _field("53", "986")
    if amount is not None:
        payload += _field("54", _amount_text(amount))
    payload += _field("58", "BR")
    payload += _field("59", name)
    payload += _field("60", city)
    payload += _field("62", _field("05", txid))
    payload += _CRC_FIELD_PREFIX
    return payload + _crc_text(payload)


# --- Reading -----------------------------------------------------------------------------------


type PayloadFields = dict[str, str | dict[str, str]]


def _split_tlv(data: str) -> dict[str, str]:
    """Split flat TLV text into ``{id: value}``; raises ``ValueError`` if it is not TLV."""
    fields: dict[str, str] = {}
    position = 0
    while position < len(data):
        header = data[position : position + 4]
        if len(header) < 4 or not header.isdigit():
            raise ValueError(f"Malformed field header {header!r} at position {position}.")
        tag, length = header[:2], int(header[2:])
        value = data[position + 4 : position + 4 + length]
        if len(value) != length:
            raise ValueError(f"Field {tag} at position {position} is cut short.")
        if tag in fields:
            raise ValueError(f"Field {tag} appears twice.")
        fields[tag] = value
        position += 4 + length
    return fields


def parse_payload(payload: str) -> PayloadFields:
    """Read a BR Code back into ``{id: value}``, templates (26-51, 62, 64, 80-99) as nested dicts.

    It checks structure only, not the CRC (see ``verify_payload``), so a damaged code can still
    be inspected. Raises ``ValueError`` if the text is not well-formed TLV.
    """
    fields: PayloadFields = {}
    for tag, value in _split_tlv(payload).items():
        fields[tag] = _split_tlv(value) if tag in _TEMPLATE_IDS else value
    return fields


def verify_payload(payload: str) -> bool:
    """Whether ``payload`` is well-formed TLV that starts with ID 00 and ends with a matching CRC.

    Used to check a code before showing it, and by tests; it does not judge the Pix fields.
    """
    if not payload.isascii() or len(payload) < 8:
        return False
    try:
        fields = _split_tlv(payload)
    except ValueError:
        return False
    tags = list(fields)
    crc = fields[tags[-1]]
    if tags[0] != "00" or tags[-1] != "63" or not re.fullmatch(r"[0-9A-Fa-f]{4}", crc):
        return False
    return int(crc, 16) == crc16_ccitt(payload[:-4].encode("ascii"))


# --- QR code -----------------------------------------------------------------------------------

QR_TARGET_SIZE_PX = 240
"""Display size aimed at: large enough for any phone camera at arm's length, small enough to
sit beside the order summary on a laptop."""


def qr_svg(payload: str, *, title: str = "Pix QR code") -> str:
    """An SVG of the payload's QR code, ready to be inlined in HTML.

    Error correction is level M, the level banks' own Pix QR codes use: it survives a smudged or
    partly covered screen while keeping the symbol small enough to scan from a phone screen.
    Modules are whole pixels (an integer scale chosen to land near ``QR_TARGET_SIZE_PX``) so the
    code stays crisp; the ``viewBox`` lets CSS resize it. There is no XML declaration, and the
    ``<title>`` with ``role="img"`` names the image for screen readers; pass a translated title.
    """
    qr = segno.make_qr(payload, error="m", boost_error=False)
    modules = qr.symbol_size(scale=1)[0]
    scale = max(1, round(QR_TARGET_SIZE_PX / modules))
    size = qr.symbol_size(scale=scale)[0]
    svg = qr.svg_inline(scale=scale, title=title, svgclass="pix-qr", lineclass=None, omitsize=True)
    return svg.replace("<svg ", f'<svg width="{size}" height="{size}" role="img" ', 1)
