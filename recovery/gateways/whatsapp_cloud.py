"""WhatsApp through Meta's WhatsApp Business Cloud API, over HTTPS with ``requests``.

A business may open a conversation only with a template Meta approved. Each message is that
template (``WHATSAPP_TEMPLATE``) in the customer's language, its body's ``{{1}}``, ``{{2}}``…
filled in the order of ``WHATSAPP_TEMPLATE_PARAMETERS`` (first name, cart total, restore
link by default). Settings: ``WHATSAPP_TOKEN`` (a system user's access token),
``WHATSAPP_PHONE_NUMBER_ID`` (the sending number's id), ``WHATSAPP_API_URL`` (the Graph API
with its version; tests point it at a local server).

The API has no idempotency key: a request whose answer is lost (read timeout) may have been
accepted, and its retry sends the message a second time. That is the one case that repeats.
Errors come back as ``{"error": {"code": …}}``, most with HTTP 400 whatever they mean, so the
code decides: https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes.
"""

from __future__ import annotations

import re

import requests
from django.conf import settings

from recovery.gateways.base import (
    GatewayError,
    InvalidRecipient,
    Rejected,
    TemplateMessage,
    Unavailable,
    transport_error,
)

#: Not on WhatsApp / undeliverable, not in the test number's allowed list, the sender itself.
INVALID_RECIPIENT = {131026, 131030, 131021}
#: Throughput, spam rate limit, pair rate limit, app/account rate limits.
RATE_LIMITED = {4, 80007, 130429, 131048, 131056}
#: "Something went wrong", service unavailable, temporarily unavailable.
PROVIDER_DOWN = {1, 2, 131000, 131016, 133004}
#: WhatsApp's language codes where they differ from the shop's.
LANGUAGE_CODES = {"pt-br": "pt_BR", "zh-hans": "zh_CN", "en": "en"}


def language_code(language: str) -> str:
    """The template language WhatsApp expects for one of the shop's languages."""
    configured = dict(settings.WHATSAPP_LANGUAGES)
    if language in configured:
        return configured[language]
    if language in LANGUAGE_CODES:
        return LANGUAGE_CODES[language]
    base, _, region = language.partition("-")
    return f"{base}_{region.upper()}" if region else base


def parameter_text(value: str) -> str:
    """A template parameter as WhatsApp takes it: not empty, on one line, without tabs or runs
    of more than four spaces (it refuses the message otherwise, error 132018)."""
    text = " · ".join(line.strip() for line in (value or "").splitlines() if line.strip())
    return re.sub(r"\s{2,}", " ", text.replace("\t", " ")) or "-"


def classify(status: int, body: object) -> GatewayError:
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    code = error.get("code") if isinstance(error.get("code"), int) else 0
    details = str((error.get("error_data") or {}).get("details") or "")
    text = f"WhatsApp {status}: {error.get('message') or 'no error message'}"
    if details:
        text += f" ({details})"
    if code in INVALID_RECIPIENT or (code == 100 and ("phone" in details.lower()
                                                      or "'to'" in details)):  # fmt: skip
        return InvalidRecipient(text, code=str(code))
    if status == 429 or code in RATE_LIMITED:
        return Unavailable(text, code=str(code or status))
    if status >= 500 or code in PROVIDER_DOWN:
        return Unavailable(text, code=str(code or status))
    return Rejected(text, code=str(code or status))


class WhatsAppCloudBackend:
    def __init__(self) -> None:
        self.url = (f"{settings.WHATSAPP_API_URL.rstrip('/')}/"
                    f"{settings.WHATSAPP_PHONE_NUMBER_ID}/messages")  # fmt: skip
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {settings.WHATSAPP_TOKEN}"

    def payload(self, message: TemplateMessage) -> dict:
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.to,
            "type": "template",
            "template": {
                "name": message.template,
                "language": {"code": language_code(message.language)},
                "components": [{
                    "type": "body",
                    "parameters": [{"type": "text", "text": parameter_text(value)}
                                   for value in message.parameters],
                }],
            },
        }  # fmt: skip

    def send(self, message: TemplateMessage) -> str:
        """Send the template message; return WhatsApp's message id (``wamid.…``)."""
        try:
            response = self.session.post(self.url, json=self.payload(message),
                                         timeout=settings.RECOVERY_GATEWAY_TIMEOUT)  # fmt: skip
        except requests.RequestException as error:
            raise transport_error(error, gateway="WhatsApp") from error
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 300:
            raise classify(response.status_code, body)
        try:
            return str(body["messages"][0]["id"])
        except (KeyError, IndexError, TypeError) as error:
            raise Rejected(f"WhatsApp {response.status_code}: no message id in the answer",
                           code="no-id") from error  # fmt: skip
