"""Channels a recovery message leaves by: e-mail through Django's mailers, SMS and WhatsApp
through a gateway (``recovery.gateways``) named in settings (``RECOVERY_SMS_BACKEND``,
``RECOVERY_WHATSAPP_BACKEND``). The offline gateways, the default, write messages to files so
the demo and tests need no network; Twilio and WhatsApp's Cloud API are the real ones."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.module_loading import import_string

from recovery.gateways.base import ChannelError, NoRecipient, TemplateMessage
from recovery.gateways.offline import OfflineSmsBackend  # noqa: F401  (the former path)

__all__ = ["ChannelError", "send_email", "send_sms", "send_whatsapp"]


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


def send_sms(*, to: str, text: str, unconfirmed_since: datetime | None = None) -> str:
    """Send an SMS; return the gateway's id for it. ``unconfirmed_since``: an earlier attempt
    for this message got no answer (a gateway that can look it up does so first)."""
    if not to:
        raise NoRecipient("no phone number")
    backend = import_string(settings.RECOVERY_SMS_BACKEND)()
    if unconfirmed_since is not None and getattr(backend, "can_look_up", False):
        return backend.send(to=to, text=text, unconfirmed_since=unconfirmed_since)
    return backend.send(to=to, text=text)


def send_whatsapp(*, to: str, language: str, parameters: list[str], preview: str = "") -> str:
    """Send the shop's WhatsApp template (``WHATSAPP_TEMPLATE``) in ``language`` with its
    ``parameters``; return the gateway's id for it."""
    if not to:
        raise NoRecipient("no phone number")
    message = TemplateMessage(to=to, template=settings.WHATSAPP_TEMPLATE, language=language,
                              parameters=parameters, preview=preview)  # fmt: skip
    return import_string(settings.RECOVERY_WHATSAPP_BACKEND)().send(message)
