"""Exchange-rate backends for django-money (``djmoney.contrib.exchange``).

* :class:`EcbBackend` reads the European Central Bank's daily reference rates, a public feed
  that needs no key. The ECB does not quote currencies pegged to the US dollar (SAR, AED, BHD);
  their official pegs are added through USD. Schedule it with the ``update_exchange_rates`` job.
* :class:`RecordedRatesBackend` serves rates recorded from that feed (``shop/data/rates.json``),
  so the demo and the tests never need the network.

``manage.py update_rates --backend=shop.exchange.EcbBackend`` stores either into the rate
tables, which ``shop.selectors.exchange_rates`` reads.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from djmoney.contrib.exchange.backends.base import BaseExchangeBackend

RECORDED_RATES = Path(__file__).parent / "data" / "rates.json"
ECB_NAMESPACE = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"
# Currencies fixed to the US dollar by their central banks: units per 1 USD.
USD_PEGS = {"SAR": Decimal("3.75"), "AED": Decimal("3.6725"), "BHD": Decimal("0.376")}


def rebase(eur_rates: dict[str, Decimal], base_currency: str) -> dict[str, Decimal]:
    """Turn rates quoted per 1 EUR into rates per 1 ``base_currency``, pegs included."""
    rates = {"EUR": Decimal(1), **eur_rates}
    if "USD" in rates:
        for code, per_usd in USD_PEGS.items():
            rates.setdefault(code, rates["USD"] * per_usd)
    if base_currency not in rates:
        raise ValueError(f"The feed has no rate for the base currency {base_currency}")
    base_rate = rates[base_currency]
    return {
        code: (rate / base_rate).quantize(Decimal("0.000001"))
        for code, rate in rates.items()
        if code != base_currency
    }


def parse_ecb_xml(payload: bytes) -> dict[str, Decimal]:
    """The ``currency: rate per EUR`` pairs of an ECB eurofxref XML document."""
    root = ET.fromstring(payload)
    return {
        cube.attrib["currency"]: Decimal(cube.attrib["rate"])
        for cube in root.iter(f"{ECB_NAMESPACE}Cube")
        if "currency" in cube.attrib
    }


class EcbBackend(BaseExchangeBackend):
    name = "ecb"

    def __init__(self, url: str | None = None) -> None:
        self.url = url or settings.ECB_RATES_URL

    def get_rates(self, base_currency: str = "EUR", **params) -> dict[str, Decimal]:
        return rebase(parse_ecb_xml(self.get_response()), base_currency)


class RecordedRatesBackend(BaseExchangeBackend):
    name = "recorded"

    def __init__(self, path: Path = RECORDED_RATES) -> None:
        self.path = path

    def get_rates(self, base_currency: str = "EUR", **params) -> dict[str, Decimal]:
        recorded = json.loads(self.path.read_text(), parse_float=Decimal)
        eur_rates = {code: Decimal(str(rate)) for code, rate in recorded["rates"].items()}
        return rebase(eur_rates, base_currency)
