"""Duties: on the customs value (the goods without tax, plus shipping where the destination values
goods that way, CIF), unless under the market's de-minimis threshold, which compares either the
goods' value or the duty itself (``Market.duty_de_minimis_basis``). Prepaid (DDP) duties are
charged in the total; estimated (DAP) ones are shown and collected on delivery."""

from __future__ import annotations

from decimal import Decimal

from cart.pricing.types import HUNDRED, ZERO
from shop.models import DeMinimisBasis, DutyMode, Market


def duties(market: Market | None, goods_net: Decimal, shipping_net: Decimal):
    """(amount at full precision, duty mode, prepaid)."""
    if market is None or market.duty_mode == DutyMode.NONE or market.duty_rate <= 0:
        return ZERO, DutyMode.NONE, False
    prepaid = market.duty_mode == DutyMode.DDP
    if goods_net <= 0:
        return ZERO, market.duty_mode, prepaid
    customs_value = goods_net + (shipping_net if market.duty_value_includes_shipping else ZERO)
    amount = customs_value * market.duty_rate / HUNDRED
    if market.duty_de_minimis_basis == DeMinimisBasis.DUTY_AMOUNT:
        exempt = amount <= market.duty_de_minimis
    else:
        exempt = goods_net < market.duty_de_minimis
    return (ZERO if exempt else amount), market.duty_mode, prepaid
