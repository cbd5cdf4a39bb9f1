"""A message from staff to one customer about their cart: preview and send (via the outbox)."""

from __future__ import annotations

from django.db import transaction

from cart.models import Cart
from recovery.models import RecoveryMessage
from recovery.outbox import create_voucher, queue_message, rendered


def _message(cart: Cart, data: dict) -> RecoveryMessage:
    customer = cart.customer
    return RecoveryMessage(
        customer=customer, cart=cart, channel=data["channel"],
        language=customer.language or cart.language, subject=data.get("subject") or "",
        body=data["body"],
    )  # fmt: skip


def preview_manual_message(*, cart: Cart, data: dict) -> dict[str, str]:
    """What the customer will read, in their language (links are filled in when sent)."""
    return rendered(_message(cart, data))


@transaction.atomic
def send_manual_message(*, cart: Cart, data: dict, staff) -> RecoveryMessage:
    """Queue it once per form submission: a double-clicked Send queues one message."""
    key = f"manual:{data['submission']}:{cart.pk}"
    existing = RecoveryMessage.objects.filter(key=key).first()
    if existing is not None:
        return existing
    voucher = None
    if data.get("voucher_kind"):
        voucher = create_voucher(
            customer=cart.customer, kind=data["voucher_kind"],
            percentage=data.get("voucher_percentage"), valid_days=data.get("voucher_days") or 7,
        )  # fmt: skip
    message = _message(cart, data)
    return queue_message(
        key=key, cart=cart, channel=message.channel, subject=message.subject, body=message.body,
        voucher=voucher, created_by=staff.get_username(),
    )  # fmt: skip
