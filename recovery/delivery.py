"""What SMS and WhatsApp gateways report after a message left: delivered, read, failed or
undeliverable (``recovery.webhooks`` verifies the calls and calls these), and an SMS reply
"STOP", which is the customer's "no" to SMS marketing.

Gateways call more than once and out of order (Twilio's "sent" may arrive after "delivered";
Meta retries a call it did not see answered). Each update is one ``UPDATE`` guarded by the
states it may leave, so a row only moves forward: sent → delivered, undeliverable or failed;
a late or repeated call changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from recovery.models import MessageStatus, RecoveryMessage
from shop.models import ConsentSource, Customer

#: The state a delivery report may move a row from. (A row whose attempt got no answer is
#: still queued and has no gateway id yet: its report finds nothing.)
REPORTABLE = (MessageStatus.SENT,)
#: How an SMS reply unsubscribes, as ``Customer.sms_consent_source``.
SMS_REPLY_SOURCE = ConsentSource.SMS_REPLY
#: The opt-out words carriers and Twilio honour (case-insensitive, the whole reply).
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}


def _rows(channel: str, provider_message_id: str):
    if not provider_message_id:  # rows sent before gateways kept ids have none: match nothing
        return RecoveryMessage.objects.none()
    return RecoveryMessage.objects.filter(channel=channel, provider_message_id=provider_message_id)


def record_delivered(*, channel: str, provider_message_id: str, at: datetime | None = None,
                     read: bool = False) -> int:  # fmt: skip
    """The gateway delivered the message (``read``: and the customer opened it, WhatsApp's
    blue ticks). Returns the number of rows that changed. Each statement stands alone (no
    transaction): a repeated call finishes what a broken one left."""
    at = at or timezone.now()
    rows = _rows(channel, provider_message_id)
    changed = rows.filter(status__in=REPORTABLE).update(
        status=MessageStatus.DELIVERED, delivered_at=at, failure_reason=""
    )
    # A "delivered" that arrives after "read" keeps the earlier time.
    rows.filter(status=MessageStatus.DELIVERED, delivered_at__gt=at).update(delivered_at=at)
    if read:
        changed += rows.filter(opened_at__isnull=True).update(opened_at=at)
    return changed


def record_failed(*, channel: str, provider_message_id: str, undeliverable: bool,
                  reason: str) -> int:  # fmt: skip
    """The gateway gave up on the message: the number cannot get it (``undeliverable``), or
    another failure. A row already delivered stays delivered."""
    status = MessageStatus.UNDELIVERABLE if undeliverable else MessageStatus.FAILED
    return _rows(channel, provider_message_id).filter(status__in=REPORTABLE).update(
        status=status, failure_reason=reason[:255], heartbeat_at=None
    )


def is_stop_word(text: str) -> bool:
    return text.strip().strip(".!").upper() in STOP_WORDS


def refuse_sms(*, phone: str, at: datetime | None = None) -> int:
    """The customer(s) with this E.164 ``phone`` said "no" to SMS: an explicit no, kept with
    when and how; e-mail and WhatsApp consent stay as they were."""
    if not phone:
        return 0
    at = at or timezone.now()
    return Customer.objects.filter(phone=phone).filter(
        Q(sms_consent__isnull=True) | Q(sms_consent=True)
    ).update(sms_consent=False, sms_consent_at=at, sms_consent_source=SMS_REPLY_SOURCE)

