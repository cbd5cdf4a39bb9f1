"""Demo data of recovery, run by ``manage.py load_demo`` after the carts (``DEMO_LOADERS``):
the customer list's latest abandoned carts, and an automated flow per market: an e-mail after an
hour, an SMS or WhatsApp message after a day where the market uses them, and an e-mail with 10 %
off after three days, with texts in every language the shop ships.

The texts are the English strings through gettext, rendered once per language, so the
translation catalogues translate them. Loading twice changes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from recovery import latest_carts
from recovery.flows import set_flow_active
from recovery.models import Channel, Flow, FlowStep, FlowStepText, FlowStepVariant
from shop.models import Market

# The second step's channel where the market's shoppers expect one besides e-mail.
SECOND_CHANNEL = {
    "united-states": Channel.SMS, "canada": Channel.SMS, "united-kingdom": Channel.SMS,
    "brazil": Channel.WHATSAPP, "saudi-arabia": Channel.WHATSAPP,
    "united-arab-emirates": Channel.WHATSAPP,
}  # fmt: skip


def _texts(position: int) -> tuple[str, str]:
    """The step's subject and body in the active language."""
    if position == 1:
        return (gettext("You left something in your cart, {first_name}"),
                gettext("Hello {first_name},\n\nyour cart is still waiting for you:\n"
                        "{cart_items}\nTotal: {cart_total}\n\nPick up where you left off: "
                        "{restore_link}"))  # fmt: skip
    if position == 2:
        return "", gettext("{first_name}, your cart is still saved for you: {restore_link}")
    # The "%" signs are not %-placeholders (the texts take {placeholders}):
    # xgettext:no-python-format
    subject = gettext("10 % off your cart, this week only")
    # xgettext:no-python-format
    body = gettext("Hello {first_name},\n\nhere is 10 % off the items in your cart with the "
                   "code {voucher_code}:\n{cart_items}\n\n{restore_link}")  # fmt: skip
    return subject, body


def _steps(market: Market) -> list[tuple[int, str, int, bool]]:
    """(position, channel, hours after abandonment, offers 10 %)."""
    steps = [(1, Channel.EMAIL, 1, False)]
    if market.code in SECOND_CHANNEL:
        steps.append((2, SECOND_CHANNEL[market.code], 24, False))
    steps.append((3, Channel.EMAIL, 72, True))
    return steps


@transaction.atomic
def load_flows() -> int:
    created = 0
    for market in Market.objects.filter(active=True).order_by("code"):
        name = f"Cart reminder ({market.name})"
        if Flow.objects.filter(name=name).exists():
            continue
        flow = Flow.objects.create(name=name, holdout_percent=10)
        flow.markets.add(market)
        for position, channel, hours, incentive in _steps(market):
            step = FlowStep.objects.create(
                flow=flow, position=position, channel=channel, delay=timedelta(hours=hours),
                fallback_language=market.default_language or settings.LANGUAGE_CODE,
            )  # fmt: skip
            variant = FlowStepVariant.objects.create(
                step=step, label="A", incentive_kind="percentage" if incentive else "",
                incentive_percentage=Decimal("10") if incentive else None, incentive_days=7,
            )  # fmt: skip
            for language, _name in settings.LANGUAGES:
                with translation.override(language):
                    subject, body = _texts(position if position < 3 else 3)
                FlowStepText.objects.create(variant=variant, language=language,
                                            subject=subject, body=body)  # fmt: skip
        set_flow_active(flow=flow, active=True)
        created += 1
    return created


def load() -> str:
    latest_carts.rebuild()
    flows = load_flows()
    return f"latest abandoned carts, {flows} recovery flows"
