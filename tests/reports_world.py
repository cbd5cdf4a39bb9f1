"""A known world for the reports: every number the Reports page shows is written down here.

Funnel, payments and causes are recorded as events (``recovery.reports.recording``, the receivers'
own functions); recovery and the A/B test as flows, enrolments, messages and orders.

Funnel (carts → checkout → contact → payment → orders):
  DE (EU market, mobile)  10 → 6 → 5 → 4 → 3   card, 1 failure (declined, card_declined)
  FR (EU market, desktop)  4 → 2 → 2 → 2 → 1   card, 1 failure (cancelled)
  BR (BR market, mobile)   6 → 3 → 3 → 2 → 1   pix, 1 failure (expired)
Causes: EU: price changed 2 carts (one seen twice), out of stock 1, payment declined 1,
  payment cancelled 1, shopper's answer "too expensive" 1; BR: expired 1, no shipping 1.
Recovery: flow "Reminder" (10 % control), step 1 with variants A and B.
  A: 100 sent, 95 delivered, 30 opened, 10 clicked, 5 orders of 40 EUR.
  B: 100 sent, 98 delivered, 50 opened, 25 clicked, 20 orders: 19 of 40 EUR, 1 of 309.65 BRL
     (50 EUR at the recorded 6.193).
  Control: 40 enrolments, 2 orders of 40 EUR, no message (returned by itself).
  240 carts abandoned (the enrolments' carts, 40 EUR each: 9,600 EUR).
  Newsletter "Winter": 10 sent, 4 opened, 1 clicked. Manual: 2 sent, 1 opened.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from checkout.models import Order
from recovery.models import (
    Campaign,
    Flow,
    FlowEnrollment,
    FlowStep,
    FlowStepVariant,
    MessageStatus,
    RecoveryMessage,
)
from recovery.reports.models import Cause, EventKind, FailureCategory
from recovery.reports.recording import record
from tests import factories

K = EventKind


@dataclass
class World:
    eu: object
    br: object
    flow: Flow
    step: FlowStep


def _funnel(market, country, device, counts, method, failure, language="en"):
    carts = [factories.CartFactory(market=market, country=country, device=device,
                                   language=language) for _ in range(counts[0])]  # fmt: skip
    for cart in carts:
        record(K.CART_CREATED, cart=cart)
    for cart in carts[: counts[1]]:
        record(K.CHECKOUT_STARTED, cart=cart, amount=Decimal("40"))
    for cart in carts[: counts[2]]:
        record(K.CONTACT_ENTERED, cart=cart)
    for cart in carts[: counts[3]]:
        record(K.PAYMENT_STARTED, cart=cart, payment_method=method, amount=Decimal("40"))
    for cart in carts[: counts[4]]:
        record(K.ORDER_PLACED, cart=cart, payment_method=method, amount=Decimal("40"))
    failed = carts[counts[4]]  # started paying, no order
    category, code = failure
    record(K.PAYMENT_FAILED, cart=failed, payment_method=method, failure_category=category,
           detail=code, cause=Cause.PAYMENT_FAILED, amount=Decimal("40"))  # fmt: skip
    return carts


def _order(customer, cart, market, total="40.00", currency="EUR") -> Order:
    today = timezone.localdate()
    return Order.objects.create(
        cart=cart, customer=customer, market=market, email=customer.email, language="en",
        country=cart.country, currency=currency, shipping_address={}, shipping_method_name="S",
        delivery_from=today, delivery_to=today, payment_method="card", prices_include_tax=True,
        subtotal=Decimal(total), discount=0, shipping_price=0, tax=0, duties=0, duty_mode="ddp",
        duties_prepaid=True, payment_fee=0, total=Decimal(total), status="paid",
    )  # fmt: skip


def build(rates) -> World:
    eu = factories.MarketFactory(name="EU", currency="EUR", countries=["DE", "FR"])
    br = factories.MarketFactory(name="Brasil", currency="BRL", countries=["BR"])
    de = _funnel(eu, "DE", "mobile", (10, 6, 5, 4, 3), "card",
                 (FailureCategory.DECLINED, "card_declined"), language="de")  # fmt: skip
    fr = _funnel(eu, "FR", "desktop", (4, 2, 2, 2, 1), "card",
                 (FailureCategory.CANCELLED, "cancelled"), language="fr")  # fmt: skip
    brc = _funnel(br, "BR", "mobile", (6, 3, 3, 2, 1), "pix",
                  (FailureCategory.EXPIRED, "expired"), language="pt-br")  # fmt: skip
    record(K.CART_VIEWED, cart=de[5], cause=Cause.PRICE_CHANGED)
    record(K.CART_VIEWED, cart=de[5], cause=Cause.PRICE_CHANGED)
    record(K.CART_VIEWED, cart=fr[2], cause=Cause.PRICE_CHANGED)
    record(K.CART_VIEWED, cart=fr[3])  # no cause
    record(K.CHECKOUT_REFUSED, cart=de[6], cause=Cause.OUT_OF_STOCK, detail="out_of_stock")
    record(K.FEEDBACK_GIVEN, cart=de[7], cause=Cause.SHOPPER_ANSWER, detail="too expensive")
    record(K.CHECKOUT_REFUSED, cart=brc[4], cause=Cause.SHIPPING_UNAVAILABLE, detail="no_shipping")

    flow = Flow.objects.create(name="Reminder", holdout_percent=10, active=True)
    step = FlowStep.objects.create(flow=flow, position=1, delay=dt.timedelta(hours=1))
    FlowStepVariant.objects.create(step=step, label="A")
    FlowStepVariant.objects.create(step=step, label="B")
    now = timezone.now()
    plan = (
        # label, sent, delivered, opened, clicked, orders
        ("A", 100, 95, 30, 10, 5),
        ("B", 100, 98, 50, 25, 20),
    )
    for label, sent, delivered, opened, clicked, orders in plan:
        for n in range(sent):
            customer, cart, enrollment = _enrolled(eu, flow, now)
            message = RecoveryMessage.objects.create(
                key=f"flow:{step.pk}:{customer.pk}", customer=customer, cart=cart,
                channel="email", language="en", body="…", status=MessageStatus.SENT,
                sent_at=now, delivered_at=now if n < delivered else None,
                opened_at=now if n < opened else None, clicked_at=now if n < clicked else None,
                flow_step=step, enrollment=enrollment, variant=label,
            )  # fmt: skip
            if n < orders:
                brl = label == "B" and n == orders - 1
                order = _order(customer, cart, eu, "309.65" if brl else "40.00",
                               "BRL" if brl else "EUR")  # fmt: skip
                enrollment.order = order
                enrollment.save(update_fields=["order"])
                message.recovered_order = order
                message.save(update_fields=["recovered_order"])
    for n in range(40):
        customer, cart, enrollment = _enrolled(eu, flow, now, holdout=True)
        if n < 2:
            enrollment.order = _order(customer, cart, eu)
            enrollment.save(update_fields=["order"])

    campaign = Campaign.objects.create(name="Winter")
    for n in range(10):
        customer = factories.CustomerFactory()
        cart = factories.CartFactory(market=eu, country="DE", device="mobile", customer=customer)
        RecoveryMessage.objects.create(
            key=f"campaign:{campaign.pk}:{customer.pk}", customer=customer, cart=cart,
            channel="email", language="en", body="…", status=MessageStatus.SENT, sent_at=now,
            opened_at=now if n < 4 else None, clicked_at=now if n < 1 else None,
            campaign=campaign,
        )  # fmt: skip
    for n in range(2):
        customer = factories.CustomerFactory()
        cart = factories.CartFactory(market=eu, country="DE", device="mobile", customer=customer)
        RecoveryMessage.objects.create(
            key=f"manual:{customer.pk}", customer=customer, cart=cart, channel="email",
            language="en", body="…", status=MessageStatus.SENT, sent_at=now,
            opened_at=now if n < 1 else None,
        )  # fmt: skip
    return World(eu=eu, br=br, flow=flow, step=step)


def _enrolled(market, flow, now, *, holdout=False):
    customer = factories.CustomerFactory(marketing_consent=True)
    cart = factories.CartFactory(market=market, country="DE", device="mobile",
                                 customer=customer, language="de")  # fmt: skip
    record(K.CART_ABANDONED, cart=cart, amount=Decimal("40"))
    enrollment = FlowEnrollment.objects.create(
        flow=flow, cart=cart, customer=customer, abandoned_at=now, holdout=holdout
    )
    return customer, cart, enrollment



