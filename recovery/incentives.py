"""The incentive of a flow step's variant, as a single-use personal voucher made when the
message leaves (a message skipped makes none).

A later step never repeats an incentive: when a message about the same cart already carried a
voucher (from a flow, a newsletter or staff), the new message makes none and names that one
again, so its ``{voucher_code}`` still reads right and the customer holds one offer per cart.
A fixed amount needs an amount in the cart's currency; without one the message goes without.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from cart.models import Voucher, VoucherCurrency
from recovery.models import FlowStepVariant, IncentiveKind, MessageStatus, RecoveryMessage

logger = logging.getLogger(__name__)


def _variants(messages: list[RecoveryMessage]) -> dict[tuple[int, str], FlowStepVariant]:
    step_ids = {m.flow_step_id for m in messages}
    return {(v.step_id, v.label): v for v in FlowStepVariant.objects.filter(step_id__in=step_ids)}


def _given_before(messages: list[RecoveryMessage]) -> dict[int, int]:
    """Per cart, a voucher an earlier message about it carried (sent or on its way). One
    query."""
    rows = (RecoveryMessage.objects
            .filter(cart_id__in={m.cart_id for m in messages}, voucher__isnull=False,
                    status__in=[MessageStatus.QUEUED, MessageStatus.SENT,
                                MessageStatus.DELIVERED])
            .exclude(pk__in=[m.pk for m in messages])
            .order_by("created_at").values_list("cart_id", "voucher_id"))  # fmt: skip
    return dict(reversed(list(rows)))  # the first voucher of each cart


def give_flow_vouchers(messages: list[RecoveryMessage]) -> None:
    """Vouchers for the flow messages among ``messages`` whose variant offers one: a fixed
    number of queries for the batch."""
    from recovery.outbox import new_voucher

    flow_messages = [m for m in messages if m.flow_step_id and m.variant and m.voucher_id is None]
    if not flow_messages:
        return
    variants = _variants(flow_messages)
    needing = [(m, variants.get((m.flow_step_id, m.variant))) for m in flow_messages]
    needing = [(m, v) for m, v in needing if v is not None and v.incentive_kind]
    if not needing:
        return
    given = _given_before([m for m, _ in needing])
    reused, new, amounts = [], [], []
    for message, variant in needing:
        if message.cart_id in given:
            message.voucher_id = given[message.cart_id]
            reused.append(message)
            continue
        amount = None
        if variant.incentive_kind == IncentiveKind.FIXED:
            raw = (variant.incentive_amounts or {}).get(message.cart.currency)
            if raw in (None, ""):
                logger.warning("Flow variant %s has no amount in %s: no voucher", variant.pk,
                               message.cart.currency)  # fmt: skip
                continue
            amount = Decimal(str(raw))
        voucher = new_voucher(customer=message.customer, kind=variant.incentive_kind,
                              percentage=variant.incentive_percentage,
                              valid_days=variant.incentive_days)  # fmt: skip
        new.append((message, voucher))
        amounts.append(amount)
    vouchers = Voucher.objects.bulk_create([voucher for _, voucher in new])
    VoucherCurrency.objects.bulk_create([
        VoucherCurrency(voucher=voucher, currency=message.cart.currency, amount_off=amount)
        for (message, _), voucher, amount in zip(new, vouchers, amounts, strict=True)
        if amount is not None
    ])  # fmt: skip
    for (message, _), voucher in zip(new, vouchers, strict=True):
        message.voucher = voucher
    if reused:
        by_id = Voucher.objects.in_bulk({m.voucher_id for m in reused})
        for message in reused:
            message.voucher = by_id[message.voucher_id]
    changed = [m for m, _ in new] + reused
    if changed:
        RecoveryMessage.objects.bulk_update(changed, ["voucher"])
