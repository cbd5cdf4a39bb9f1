"""Helpers for the recovery newsletter tests: audiences of any size written with ``bulk_create``,
an order placed since a cart was abandoned, a campaign with its texts, and the mails a loopback
SMTP server received, counted per recipient.

Carts are written straight to the database, like ``tests/recovery_world.py`` does: an abandoned
cart of one product at a given price seen, in its market's currency and the customer's language.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone
from moneyed import Money

from cart.models import Cart, CartLine, CartStatus
from checkout.models import Order, OrderStatus
from recovery.models import Campaign, CampaignText
from shop.models import Customer, Market, Variant
from tests.smtp_server import ReceivedMail


@dataclass
class Audience:
    """Customers written in bulk, by what the campaign should do with them (their e-mails)."""

    eligible: list[str] = field(default_factory=list)
    no_consent: list[str] = field(default_factory=list)
    unsubscribed: list[str] = field(default_factory=list)
    languages: dict[str, str] = field(default_factory=dict)  # e-mail -> language

    @property
    def skipped(self) -> list[str]:
        return self.no_consent + self.unsubscribed


def bulk_audience(
    market: Market,
    product: Variant,
    *,
    eligible: int,
    no_consent: int = 0,
    unsubscribed: int = 0,
    abandoned_at: datetime,
    languages: tuple[str, ...] = ("en",),
    registered_every: int = 0,
    prefix: str = "shopper",
) -> Audience:
    """``eligible + no_consent + unsubscribed`` customers, each with one abandoned cart of one
    ``product`` at 11.90 in ``market``'s currency. Languages go round ``languages``; every
    ``registered_every``-th customer has a user account (0: all guests)."""
    audience = Audience()
    kinds = ["eligible"] * eligible + ["no_consent"] * no_consent + ["unsubscribed"] * unsubscribed
    now = timezone.now()
    customers = []
    for number, kind in enumerate(kinds):
        email = f"{prefix}{number:05d}@example.com"
        language = languages[number % len(languages)]
        getattr(audience, kind).append(email)
        audience.languages[email] = language
        customers.append(Customer(
            email=email, first_name=f"Shopper{number}", language=language, country="DE",
            marketing_consent=kind != "no_consent",
            unsubscribed_at=now if kind == "unsubscribed" else None,
        ))  # fmt: skip
    if registered_every:
        users = get_user_model().objects.bulk_create(
            get_user_model()(username=customer.email, email=customer.email, password="!")
            for customer in customers[::registered_every]
        )
        for customer, user in zip(customers[::registered_every], users, strict=True):
            customer.user = user
    customers = Customer.objects.bulk_create(customers, batch_size=1000)
    idle_since = abandoned_at - timedelta(minutes=market.abandonment_cutoff_minutes)
    carts = Cart.objects.bulk_create(
        (Cart(market=market, country="DE", currency=market.currency, language=customer.language,
              customer=customer, status=CartStatus.ABANDONED, last_activity_at=idle_since,
              abandoned_at=abandoned_at) for customer in customers),
        batch_size=1000,
    )  # fmt: skip
    CartLine.objects.bulk_create(
        (CartLine(cart=cart, variant=product, quantity=1,
                  unit_price_seen=Money(Decimal("11.90"), market.currency), added_at=idle_since,
                  updated_at=idle_since) for cart in carts),
        batch_size=1000,
    )  # fmt: skip
    return audience


def order_since(cart: Cart, *, placed_at: datetime, status: str = OrderStatus.PAID) -> Order:
    """An order of ``cart``'s customer placed from ``cart`` at ``placed_at`` (written directly:
    only the fact that the customer ordered matters here)."""
    day = timezone.localdate(placed_at)
    return Order.objects.create(
        cart=cart, customer=cart.customer, market=cart.market, status=status,
        email=cart.customer.email, language=cart.language, country="DE", currency=cart.currency,
        shipping_address={}, shipping_method_name="Standard", delivery_from=day,
        delivery_to=day + timedelta(days=3), payment_method="card", prices_include_tax=True,
        subtotal=Decimal("10"), discount=Decimal("0"), shipping_price=Decimal("0"),
        tax=Decimal("0"), duties=Decimal("0"), duty_mode="none", duties_prepaid=False,
        payment_fee=Decimal("0"), total=Decimal("10"), created_at=placed_at,
    )  # fmt: skip


def newsletter(texts: dict[str, tuple[str, str]], **fields) -> Campaign:
    """A draft campaign with ``{language: (subject, body)}`` texts."""
    campaign = Campaign.objects.create(name=fields.pop("name", "Come back"), **fields)
    CampaignText.objects.bulk_create(
        CampaignText(campaign=campaign, language=language, subject=subject, body=body)
        for language, (subject, body) in texts.items()
    )
    return campaign


def mails_per_recipient(messages: list[ReceivedMail]) -> Counter[str]:
    """How many mails each envelope recipient received."""
    return Counter(address for mail in messages for address in mail.rcpt_to)
