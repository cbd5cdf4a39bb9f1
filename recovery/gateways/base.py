"""What a gateway tells its caller when a message does not leave, so the sender can decide
between "try again later" and "give up now".

- ``InvalidRecipient``: the number is not valid, or cannot receive this channel (Twilio 21211,
  21614; WhatsApp 131026, 100 on the "to" field). Trying again sends nothing: the row ends
  *undeliverable*.
- ``Rejected``: the gateway refused the request for a reason a retry will not change (bad
  credentials, unknown template, a blocked sender). The row ends *failed*.
- ``Unavailable``: rate limited (429, Twilio 20429, WhatsApp 130429/131048/80007) or down (5xx,
  connection refused). Nothing was sent; RQ retries with back-off.
- ``Unconfirmed``: the request left but no answer came back (read timeout, connection reset
  after sending): the gateway may have accepted it. Retried like ``Unavailable``; a gateway that
  can look a message up (Twilio) looks before sending again, the others may repeat it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class ChannelError(Exception):
    """The channel refused the message; the reason is kept on the outbox row. Retried unless
    a subclass says otherwise."""

    #: True: trying again cannot help; the row fails for good at once.
    permanent = False
    #: True: the recipient cannot be reached on this channel (the row ends *undeliverable*).
    undeliverable = False

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code

    def __str__(self) -> str:
        text = super().__str__()
        return f"{self.code}: {text}" if self.code else text


class GatewayError(ChannelError):
    """A gateway's answer other than "accepted"."""


class InvalidRecipient(GatewayError):
    permanent = True
    undeliverable = True


class Rejected(GatewayError):
    permanent = True


class Unavailable(GatewayError):
    """Rate limited or down: nothing was sent."""


class Unconfirmed(GatewayError):
    """Sent, perhaps: no answer came back."""


class NoRecipient(ChannelError):
    """The customer has no number for this channel."""

    permanent = True
    undeliverable = True


@dataclass(frozen=True)
class TemplateMessage:
    """A WhatsApp template message: WhatsApp only lets a business start a conversation with a
    template Meta approved, in one of the template's languages, with its ``{{1}}``, ``{{2}}``...
    filled by ``parameters`` (in order: first name, cart total, restore link, voucher code)."""

    to: str
    template: str
    language: str
    parameters: list[str] = field(default_factory=list)
    #: What the template says once filled, for the offline backend's file and the admin.
    preview: str = ""


def transport_error(error: Exception, *, gateway: str) -> GatewayError:
    """A ``requests`` error as the gateway error it means: the connection was never made
    (refused, DNS, connect timeout) → ``Unavailable``, nothing left; anything after the
    request may have been sent (read timeout, connection reset) → ``Unconfirmed``."""
    import requests

    text = f"{gateway}: {error.__class__.__name__}"
    if isinstance(error, requests.ConnectTimeout):
        return Unavailable(text, code="connect-timeout")
    if isinstance(error, requests.ConnectionError):
        from urllib3.exceptions import NewConnectionError

        reason = getattr(error.args[0], "reason", None) if error.args else None
        if isinstance(reason, NewConnectionError) or isinstance(error.args[0], NewConnectionError):
            return Unavailable(text, code="connection-refused")
        return Unconfirmed(text, code=UNCONFIRMED)
    return Unconfirmed(text, code=UNCONFIRMED)


#: The code an ``Unconfirmed`` error leaves at the start of the row's failure reason, so the
#: next attempt knows to look before sending again.
UNCONFIRMED = "unconfirmed"
