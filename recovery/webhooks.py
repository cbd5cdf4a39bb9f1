"""Status callbacks of the SMS and WhatsApp gateways: each call is verified against its
signature (403 otherwise, and nothing changes), then handed to ``recovery.delivery``.

- Twilio signs every call with ``X-Twilio-Signature`` (HMAC-SHA1 of the URL it called and the
  posted fields, keyed with ``TWILIO_AUTH_TOKEN``). Status callbacks report each message's
  state; replies to the shop's number arrive at the inbound URL, where a "STOP" unsubscribes
  the number from SMS. Twilio also stops sending to that number itself (error 21610).
- Meta signs with ``X-Hub-Signature-256`` (HMAC-SHA256 of the raw body, keyed with
  ``WHATSAPP_APP_SECRET``) and first checks the URL with a GET handshake that echoes
  ``hub.challenge`` when ``hub.verify_token`` is ``WHATSAPP_VERIFY_TOKEN``.

These views are exempt from CSRF (a gateway has no session or token): the signature is what
proves the caller. Nothing else in the shop is.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from recovery import delivery
from recovery.gateways import whatsapp_cloud
from recovery.gateways.base import InvalidRecipient
from recovery.models import Channel

logger = logging.getLogger(__name__)

#: Twilio's message states that end a message; the others (queued, sending, sent…) leave the
#: row as it is.
TWILIO_UNDELIVERABLE = {"undelivered"}
TWILIO_FAILED = {"failed", "canceled"}


def _twilio_signed(request: HttpRequest) -> bool:
    """Whether Twilio signed this call: against the URL as this request sees it, as the shop's
    public address names it (behind a proxy that changed scheme or host), or as configured."""
    signature = request.headers.get("X-Twilio-Signature", "")
    token = settings.TWILIO_AUTH_TOKEN
    if not signature or not token:
        return False
    validator = RequestValidator(token)
    urls = {request.build_absolute_uri(),
            settings.SHOP_BASE_URL.rstrip("/") + request.get_full_path()}  # fmt: skip
    if settings.TWILIO_STATUS_CALLBACK_URL:  # the URL the shop gave Twilio with each message
        urls.add(settings.TWILIO_STATUS_CALLBACK_URL)
    return any(validator.validate(url, request.POST, signature) for url in urls)


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    if not _twilio_signed(request):
        return HttpResponseForbidden()
    sid = request.POST.get("MessageSid") or request.POST.get("SmsSid") or ""
    status = (request.POST.get("MessageStatus") or request.POST.get("SmsStatus") or "").lower()
    code = request.POST.get("ErrorCode", "")
    if status == "delivered":
        delivery.record_delivered(channel=Channel.SMS, provider_message_id=sid)
    elif status == "read":
        delivery.record_delivered(channel=Channel.SMS, provider_message_id=sid, read=True)
    elif status in TWILIO_UNDELIVERABLE | TWILIO_FAILED:
        from recovery.gateways.sms_twilio import INVALID_RECIPIENT

        undeliverable = status in TWILIO_UNDELIVERABLE or (code.isdigit()
                                                           and int(code) in INVALID_RECIPIENT)
        delivery.record_failed(
            channel=Channel.SMS, provider_message_id=sid, undeliverable=undeliverable,
            reason=f"Twilio {status}" + (f": error {code}" if code else ""),
        )  # fmt: skip
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    """A reply to the shop's number: "STOP" (and its synonyms) unsubscribes from SMS. The
    answer is empty TwiML: Twilio sends its own opt-out confirmation."""
    if not _twilio_signed(request):
        return HttpResponseForbidden()
    if delivery.is_stop_word(request.POST.get("Body", "")):
        delivery.refuse_sms(phone=request.POST.get("From", "").strip())
    return HttpResponse(str(MessagingResponse()), content_type="text/xml")


def _meta_signed(request: HttpRequest) -> bool:
    secret = settings.WHATSAPP_APP_SECRET
    signature = request.headers.get("X-Hub-Signature-256", "")
    if not secret or not signature.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature.removeprefix("sha256="), expected)


def _at(timestamp: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(str(timestamp)), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _whatsapp_status(status: dict) -> None:
    message_id = str(status.get("id") or "")
    state = status.get("status")
    at = _at(status.get("timestamp"))
    if not message_id:
        return
    if state in {"delivered", "read"}:
        delivery.record_delivered(channel=Channel.WHATSAPP, provider_message_id=message_id,
                                  at=at, read=state == "read")  # fmt: skip
    elif state == "failed":
        errors = status.get("errors") or [{}]
        error = errors[0] if isinstance(errors[0], dict) else {}
        code = error.get("code", "")
        verdict = whatsapp_cloud.classify(400, {"error": {
            "code": code, "message": error.get("title") or error.get("message"),
            "error_data": error.get("error_data") or {},
        }})  # fmt: skip
        delivery.record_failed(
            channel=Channel.WHATSAPP, provider_message_id=message_id,
            undeliverable=isinstance(verdict, InvalidRecipient), reason=str(verdict),
        )  # fmt: skip


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        token = request.GET.get("hub.verify_token", "")
        expected = settings.WHATSAPP_VERIFY_TOKEN
        if (request.GET.get("hub.mode") == "subscribe" and expected
                and hmac.compare_digest(token, expected)):  # fmt: skip
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponseForbidden()
    if not _meta_signed(request):
        return HttpResponseForbidden()
    try:
        payload = json.loads(request.body)
    except ValueError:
        return HttpResponse(status=400)
    entries = payload.get("entry") if isinstance(payload, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        for change in (entry.get("changes") if isinstance(entry, dict) else None) or []:
            value = change.get("value") if isinstance(change, dict) else None
            for status in (value.get("statuses") if isinstance(value, dict) else None) or []:
                if isinstance(status, dict):
                    _whatsapp_status(status)
    return HttpResponse(status=200)
