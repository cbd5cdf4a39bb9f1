"""SMS through Twilio's Messaging API, with the ``twilio`` library.

Settings (from the environment): ``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN``, ``TWILIO_FROM``
(a number in E.164, or a Messaging Service SID ``MG…``), ``TWILIO_STATUS_CALLBACK_URL`` (by
default ``SHOP_BASE_URL`` + the status webhook's path, so Twilio reports each message's
delivery), and ``TWILIO_API_URL`` (Twilio's API host; tests point it at a local server: the
library's domain object carries its base URL, which is the one thing changed).

Twilio has no idempotency key for messages. When an attempt ended without an answer (the
request may have been accepted), the next attempt first lists the messages sent to the same
number from the same sender since the row was written and takes one with this message's text
(links aside: each rendering signs them anew). So a timeout repeats an SMS only when Twilio
does not list it yet: a message still queued at Twilio has no send date to filter on.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.urls import reverse
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from recovery.gateways.base import (
    UNCONFIRMED,
    GatewayError,
    InvalidRecipient,
    Rejected,
    Unavailable,
    Unconfirmed,
    transport_error,
)

#: Twilio error codes for a recipient that cannot get this SMS: not a valid number, not a
#: mobile number, unsubscribed by STOP, landline or unreachable, not a mobile number.
INVALID_RECIPIENT = {21211, 21214, 21217, 21407, 21610, 21612, 21614, 21635}
RATE_LIMITED = {20429, 14107}
LINK = re.compile(r"https?://\S+")
#: The library logs each request at INFO, with the customer's number in a look-up's query:
#: quiet unless ``LOGGING`` names this logger.
HTTP_LOG = logging.getLogger(__name__ + ".http")
if HTTP_LOG.level == logging.NOTSET:
    HTTP_LOG.setLevel(logging.WARNING)


def status_callback_url() -> str:
    if settings.TWILIO_STATUS_CALLBACK_URL:
        return settings.TWILIO_STATUS_CALLBACK_URL
    return settings.SHOP_BASE_URL.rstrip("/") + reverse("recovery-webhooks:twilio-status")


def classify(error: TwilioRestException) -> GatewayError:
    code = int(error.code) if str(error.code or "").isdigit() else 0
    text = f"Twilio {error.status}: {error.msg}"
    if code in INVALID_RECIPIENT:
        return InvalidRecipient(text, code=str(code))
    if error.status == 429 or code in RATE_LIMITED:
        return Unavailable(text, code=str(code or 429))
    if error.status >= 500:
        return Unavailable(text, code=str(code or error.status))
    return Rejected(text, code=str(code or error.status))


class TwilioSmsBackend:
    #: Can find a message an unanswered attempt may have sent (``send(unconfirmed_since=…)``).
    can_look_up = True

    def __init__(self) -> None:
        self.sender = settings.TWILIO_FROM
        http = TwilioHttpClient(timeout=settings.RECOVERY_GATEWAY_TIMEOUT, logger=HTTP_LOG)
        self.client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN,
                             http_client=http)  # fmt: skip
        if settings.TWILIO_API_URL:
            self.client.api.base_url = settings.TWILIO_API_URL

    def _sender(self) -> dict[str, str]:
        if self.sender.startswith("MG"):
            return {"messaging_service_sid": self.sender}
        return {"from_": self.sender}

    def send(self, *, to: str, text: str, unconfirmed_since: datetime | None = None) -> str:
        """Send ``text`` to ``to``; return Twilio's SID (``SM…``). ``unconfirmed_since``: an
        earlier attempt got no answer; look for its message first."""
        try:
            if unconfirmed_since is not None:
                found = self._already_sent(to, text, unconfirmed_since)
                if found:
                    return found
            message = self.client.messages.create(
                to=to, body=text, status_callback=status_callback_url(), **self._sender()
            )
        except TwilioRestException as error:
            raise _still_unconfirmed(classify(error), unconfirmed_since) from error
        except TwilioException as error:  # a page of the look-up could not be read
            failure = Unavailable(f"Twilio: {error}", code="lookup")
            raise _still_unconfirmed(failure, unconfirmed_since) from error
        except requests.RequestException as error:
            failure = transport_error(error, gateway="Twilio")
            raise _still_unconfirmed(failure, unconfirmed_since) from error
        return message.sid

    def _already_sent(self, to: str, text: str, since: datetime) -> str:
        sender = self._sender()
        listed = self.client.messages.list(
            to=to, from_=sender.get("from_"), date_sent_after=since - timedelta(minutes=1),
            limit=50,
        )  # fmt: skip
        wording = _wording(text)
        for message in listed:
            if message.direction != "inbound" and _wording(message.body or "").endswith(wording):
                return message.sid
        return ""


def _still_unconfirmed(failure: GatewayError, unconfirmed_since: datetime | None) -> GatewayError:
    """After an unanswered attempt, a retry that fails for a passing reason leaves the first
    one unaccounted for: the row keeps saying so, and the next attempt looks again."""
    if unconfirmed_since is None or failure.permanent or isinstance(failure, Unconfirmed):
        return failure
    return Unconfirmed(str(failure), code=UNCONFIRMED)


def _wording(text: str) -> str:
    """The text without its links: each attempt signs its links anew (the signature holds the
    time), so two renderings of one message differ only there. (A trial account's prefix is
    left out by comparing the end.)"""
    return LINK.sub("<link>", text).strip()
