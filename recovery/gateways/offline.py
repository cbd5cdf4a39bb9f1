"""Offline gateways, the default: each message becomes a JSON line in a file under
``VAR_DIR`` (``sms.jsonl``, ``whatsapp.jsonl``), what a gateway would have been sent. The demo
and the tests need no network and no account."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from recovery.gateways.base import TemplateMessage


def _append(name: str, record: dict) -> str:
    message_id = f"offline-{uuid.uuid4().hex}"
    path = Path(settings.VAR_DIR) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        record = {**record, "id": message_id, "at": timezone.now().isoformat()}
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return message_id


class OfflineSmsBackend:
    """Appends each SMS to ``VAR_DIR/sms.jsonl``."""

    def send(self, *, to: str, text: str) -> str:
        return _append("sms.jsonl", {"to": to, "text": text})


class OfflineWhatsAppBackend:
    """Appends each template message to ``VAR_DIR/whatsapp.jsonl``."""

    def send(self, message: TemplateMessage) -> str:
        return _append("whatsapp.jsonl", {
            "to": message.to, "template": message.template, "language": message.language,
            "parameters": message.parameters, "text": message.preview,
        })  # fmt: skip
