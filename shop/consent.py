"""Who may be sent marketing, on which channel: the one rule every sender asks.

Consent is kept per channel on the customer (``marketing_consent`` for e-mail, ``sms_consent``),
each ``True`` (yes), ``False`` (an explicit "no") or ``None`` (never asked). The rule:

- unsubscribed, or an explicit "no" for the channel: never sent, in any market;
- never asked: sent only where the market does not require an opt-in;
- SMS needs its own "yes" in the countries of ``CONSENT_SMS_OPT_IN_COUNTRIES`` (the US: TCPA)
  and in markets that require an opt-in (EU, UK: consent is given per channel there).
  Elsewhere the one checkout box covers both channels, so an SMS never asked about follows the
  e-mail answer.

- WhatsApp always needs its own "yes" (WhatsApp Business requires an opt-in for the channel in
  every country).
- Unsubscribing: from everything (``unsubscribed_at``), or from one channel only
  (``email_unsubscribed_at``, ...), which leaves the other channels as they were.

The reasons returned are the outbox's skip reasons (``recovery.models.SkipReason`` values), so
a caller records them as they are.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from shop.models import Customer, Market

NO_CONSENT = "no_consent"
UNSUBSCRIBED = "unsubscribed"
EMAIL = "email"
SMS = "sms"
WHATSAPP = "whatsapp"
CHANNELS = (EMAIL, SMS, WHATSAPP)


def opt_in_required(market: Market | None) -> bool:
    """Marketing needs an explicit "yes" here (unknown market: assume it does)."""
    return market is None or market.marketing_opt_in_required


def _sms_own_tick(market_opt_in: bool | None, country: str | None) -> bool:
    countries = {code.upper() for code in settings.CONSENT_SMS_OPT_IN_COUNTRIES}
    return market_opt_in is not False or (country or "").upper() in countries


def sms_needs_own_tick(market: Market | None, country: str | None) -> bool:
    """SMS marketing needs its own "yes", apart from e-mail (TCPA in the US; the market's rule)."""
    return _sms_own_tick(opt_in_required(market), country)


def skip_reason(
    *,
    channel: str,
    email_consent: bool | None,
    sms_consent: bool | None,
    unsubscribed_at: datetime | None,
    market_opt_in: bool | None,
    country: str | None,
    whatsapp_consent: bool | None = None,
    channel_unsubscribed_at: datetime | None = None,
) -> str | None:
    """Why a marketing message on ``channel`` must not be sent, or None: the rule on plain
    values, for callers that read customers as rows (``values_list``). ``market_opt_in`` is the
    market's ``marketing_opt_in_required`` (None: no market, so opt-in is assumed)."""
    if unsubscribed_at is not None or channel_unsubscribed_at is not None:
        return UNSUBSCRIBED
    if channel == WHATSAPP:
        answer, needs_yes = whatsapp_consent, True
    elif channel == SMS:
        own_tick = _sms_own_tick(market_opt_in, country)
        answer = sms_consent if (sms_consent is not None or own_tick) else email_consent
        needs_yes = own_tick
    else:
        answer = email_consent
        needs_yes = market_opt_in is not False
    if answer is False or (answer is None and needs_yes):
        return NO_CONSENT
    return None


def skip_reason_for(
    customer: Customer, channel: str, market: Market | None, *, country: str | None = None
) -> str | None:
    """Why ``customer`` must not get a marketing message on ``channel`` in ``market``, or None.
    ``country`` defaults to the customer's own."""
    if country is None:
        country = customer.country.code if customer.country else ""
    return skip_reason(
        channel=channel,
        email_consent=customer.marketing_consent,
        sms_consent=customer.sms_consent,
        unsubscribed_at=customer.unsubscribed_at,
        market_opt_in=opt_in_required(market),
        country=country,
        whatsapp_consent=customer.whatsapp_consent,
        channel_unsubscribed_at=channel_unsubscribed_at(customer, channel),
    )


def channel_unsubscribed_at(customer: Customer, channel: str) -> datetime | None:
    """When ``customer`` unsubscribed from ``channel`` alone, or None."""
    return getattr(customer, f"{channel}_unsubscribed_at", None)


def unsubscribed_from(customer: Customer, channel: str) -> bool:
    """Unsubscribed from everything, or from this one channel."""
    return (customer.unsubscribed_at is not None
            or channel_unsubscribed_at(customer, channel) is not None)  # fmt: skip
