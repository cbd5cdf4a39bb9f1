"""Channels a recovery message leaves by: e-mail through Django's mailers, SMS through a
backend (``settings.RECOVERY_SMS_BACKEND``). Real SMS and WhatsApp gateways plug in here; the
offline backend writes messages to a file so the demo and tests need no network."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from django.utils.module_loading import import_string


class ChannelError(Exception):
    """The channel refused the message; the reason is kept on the outbox row."""


def send_email(*, to: str, subject: str, text: str, html: str, headers: dict,
               connection=None) -> None:  # fmt: skip
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[to],
        headers=headers,
    )  # fmt: skip
    message.attach_alternative(html, "text/html")
    if connection is not None:  # a batch reuses its open connection
        connection.send_messages([message])
    else:
        message.send()


class OfflineSmsBackend:
    """Appends each SMS as a JSON line to ``var/sms.jsonl``: what a gateway would have sent."""

    def send(self, *, to: str, text: str) -> str:
        path = Path(settings.VAR_DIR) / "sms.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            record = {"to": to, "text": text, "at": timezone.now().isoformat()}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        return f"offline-{timezone.now().timestamp()}"


def send_sms(*, to: str, text: str) -> str:
    if not to:
        raise ChannelError("no phone number")
    return import_string(settings.RECOVERY_SMS_BACKEND)().send(to=to, text=text)
