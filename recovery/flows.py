"""Automated recovery flows: enrolment, stops and the due steps, all set-based.

``run_flows`` is the RQ cron job (every minute, ``settings.SHOP_CRON_JOBS``). Each run:

1. **stops** running enrolments whose cart was ordered (or whose customer ordered since), whose
   cart changed (the shopper came back: a later abandonment is a new enrolment), whose customer
   unsubscribed from everything, or whose flow was switched off: one ``UPDATE`` for the flows
   switched off and one per active flow, over the enrolments whose cart or customer changed
   since the last run;
2. **enrols** the carts abandoned since each active flow was switched on, in the markets it
   serves: one ``SELECT`` of the new abandonments per flow, the control group drawn per customer
   (``recovery.variants.in_holdout``), one ``INSERT`` (``recovery.bulk``; the unique constraint
   on flow, cart and abandonment makes a second run write nothing);
3. **writes the due steps**: one query per step finds the enrolments whose step became due since
   its last run and has no outbox row yet; one ``INSERT`` writes their rows with the variant
   (stable per customer), the text in the customer's language (else the step's fallback) and,
   for SMS and WhatsApp in the customer's night, the time they may leave
   (``recovery.quiet_hours``). The control group gets a row skipped as ``holdout`` (a second
   ``INSERT``), so the reports count it per step;
4. **queues** the flow rows no job holds yet (and those whose night is over) for the workers:
   one ``UPDATE`` names their jobs, then RQ jobs of ``BATCH_SIZE`` rows.

So a run costs the same number of statements for 3 carts or 300,000 (asserted in
``tests/test_recovery_flows.py``; timed by ``tests/bench/flows.py``). The outbox key is the flow,
the step and the enrolment (one abandonment of one cart), unique, as is (enrolment, step): two
overlapping runs write each message once; a row written but never queued (a run killed in
between) is queued by the next run. Consent, the frequency cap, quiet hours and every stop are
checked again right before a message leaves (``recovery.sending``), and the voucher of a step's
incentive is made then (``recovery.incentives``).
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import django_rq
from django.db import connection, transaction
from django.db.models import Case, Exists, F, OuterRef, Prefetch, Q, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from redis.exceptions import RedisError
from rq import Queue

from cart.models import Cart, CartStatus
from checkout.models import Order
from recovery.bulk import insert_ignoring_conflicts
from recovery.models import (
    Flow,
    FlowEnrollment,
    FlowStep,
    FlowStepText,
    FlowStepVariant,
    MessageStatus,
    RecoveryMessage,
    SkipReason,
)
from recovery.quiet_hours import wait_until
from recovery.sending import BATCH_SIZE
from recovery.variants import in_holdout, pick, variant_key
from shop.models import Customer, Market

logger = logging.getLogger(__name__)

# A step more than this late (the cron was down) is not sent: "an hour after you left" a day
# later reads wrong. It also bounds what each run reads to recent abandonments.
MAX_LATE = timedelta(days=1)
# How long after its abandonment time a cart may be enrolled (detection runs every minute and
# dates the abandonment at the end of the cut-off; an outage of either job delays it more).
ENROLMENT_LAG = timedelta(hours=2)
CLOSED = (CartStatus.CONVERTED, CartStatus.RECOVERED, CartStatus.MERGED)
ANALYZE_AFTER = 10_000  # rows written by one run after which their tables are analysed
MAX_QUEUED = 100_000  # rows queued per run; the next run queues the rest


@dataclass(frozen=True)
class FlowRun:
    stopped: int
    enrolled: int
    written: int
    queued: int


def message_key(*, flow_id: int, step_id: int, cart_id: int, enrollment_id: int) -> str:
    return f"flow:{flow_id}:step:{step_id}:cart:{cart_id}:enrollment:{enrollment_id}"


def run_flows(*, now: datetime | None = None) -> FlowRun:
    """The cron job: stop, enrol, write the due steps, queue them."""
    now = now or timezone.now()
    flows = active_flows()
    stopped = stop_enrollments(now=now, flows=flows)
    enrolled = sum(enrol(flow=flow, now=now) for flow in flows)
    markets = Market.objects.in_bulk() if flows else {}
    written = sum(write_due_step(step=step, now=now, markets=markets)
                  for flow in flows for step in flow.steps.all())  # fmt: skip
    if enrolled + written >= ANALYZE_AFTER and connection.vendor == "postgresql":
        # Fresh statistics before the next run plans its queries: with the new rows unknown
        # to the planner, a minute later a step's query took 65 s instead of 0.1 s
        # (tests/bench/flows.py); autovacuum would catch up, but only after some minutes.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE recovery_flowenrollment, recovery_recoverymessage")
    queued = queue_flow_messages(now=now)
    return FlowRun(stopped=stopped, enrolled=enrolled, written=written, queued=queued)


def active_flows() -> list[Flow]:
    """Active flows with their markets, steps, active variants and texts: four queries."""
    variants = FlowStepVariant.objects.filter(active=True).prefetch_related(
        Prefetch("texts", queryset=FlowStepText.objects.all()))  # fmt: skip
    steps = FlowStep.objects.order_by("position").prefetch_related(
        Prefetch("variants", queryset=variants))  # fmt: skip
    return list(Flow.objects.filter(active=True, activated_at__isnull=False)
                .prefetch_related("markets", Prefetch("steps", queryset=steps)))  # fmt: skip


def horizon(flow: Flow) -> timedelta:
    """How far back an abandonment can still have a step to come."""
    delays = [step.delay for step in flow.steps.all()]
    return max(delays, default=timedelta(0)) + MAX_LATE


# --- enrolment ---------------------------------------------------------------------------------


def enrol(*, flow: Flow, now: datetime) -> int:
    """Enrol the carts abandoned since ``flow`` was switched on that it has not seen yet. One
    query finds them, one writes them (``recovery.bulk``)."""
    if not flow.steps.all():
        return 0
    since = max(flow.activated_at, now - horizon(flow))
    seen = FlowEnrollment.objects.filter(flow_id=flow.pk, cart_id=OuterRef("pk"),
                                         abandoned_at=OuterRef("abandoned_at"))  # fmt: skip
    carts = Cart.objects.filter(status=CartStatus.ABANDONED, customer__isnull=False,
                                abandoned_at__gte=since, abandoned_at__lte=now)  # fmt: skip
    market_ids = [market.pk for market in flow.markets.all()]
    if market_ids:
        carts = carts.filter(market_id__in=market_ids)
    percent = flow.holdout_percent
    rows = [
        {"flow_id": flow.pk, "cart_id": cart_id, "customer_id": customer_id,
         "abandoned_at": abandoned_at, "created_at": now,
         "holdout": in_holdout(customer_id=customer_id, flow_id=flow.pk, percent=percent)}
        for cart_id, customer_id, abandoned_at in carts.filter(~Exists(seen)).values_list(
            "pk", "customer_id", "abandoned_at")
    ]  # fmt: skip
    insert_ignoring_conflicts(FlowEnrollment, rows)
    return len(rows)


# --- stops -------------------------------------------------------------------------------------


def stop_enrollments(*, now: datetime, flows: list[Flow] | None = None) -> int:
    """Stop running enrolments: those of flows switched off (one ``UPDATE``), and per active
    flow one ``UPDATE`` over its enrolments that may still have a step to come (the index of
    running enrolments, by flow and abandonment time), each with its reason. Returns how many
    stopped. An order placed later still reaches its enrolment (``stop_for_order``)."""
    flows = active_flows() if flows is None else flows
    stopped = FlowEnrollment.objects.filter(stopped_at__isnull=True, flow__active=False).update(
        stopped_at=now, stop_reason=SkipReason.FLOW_OFF)  # fmt: skip
    orders = Order.objects.exclude(status="cancelled").filter(
        created_at__gte=OuterRef("abandoned_at"))  # fmt: skip
    from_cart = orders.filter(cart_id=OuterRef("cart_id"))
    closed = Cart.objects.filter(pk=OuterRef("cart_id"), status__in=CLOSED)
    still_abandoned = Cart.objects.filter(pk=OuterRef("cart_id"), status=CartStatus.ABANDONED,
                                          abandoned_at=OuterRef("abandoned_at"))
    for flow in flows:
        # Subqueries, not joins: an UPDATE's SET may not refer to joined tables.
        ordered = (Q(Exists(from_cart)) | Q(Exists(closed))
                   | Q(Exists(orders.filter(customer_id=OuterRef("customer_id")))))  # fmt: skip
        unsubscribed = Q(Exists(Customer.objects.filter(pk=OuterRef("customer_id"),
                                                        unsubscribed_at__isnull=False)))
        changed = ~Q(Exists(still_abandoned))
        running = FlowEnrollment.objects.filter(flow_id=flow.pk, stopped_at__isnull=True,
                                                abandoned_at__gt=now - horizon(flow))  # fmt: skip
        since = checked_since(flow, now)
        if since is not None:  # only what can have changed since the last run
            running = running.filter(changed_since(since))
        # One pass over those enrolments, each stopped for its first reason.
        stopped += running.filter(ordered | unsubscribed | changed).update(
            stopped_at=now,
            stop_reason=Case(When(ordered, then=Value(SkipReason.ORDERED)),
                             When(unsubscribed, then=Value(SkipReason.UNSUBSCRIBED)),
                             default=Value(SkipReason.CART_CHANGED)),
            order=Subquery(from_cart.order_by("created_at").values("pk")[:1]),
        )  # fmt: skip
    return stopped


def checked_since(flow: Flow, now: datetime) -> datetime | None:
    """From when the stops must be looked for: the flow's last run (its steps' watermark) less
    ``ENROLMENT_LAG``; None on a first run (everything is looked at)."""
    marks = [step.written_until for step in flow.steps.all()]
    if not marks or None in marks or max(marks) > now:  # new step, or the clock was set back
        return None
    return min(marks) - ENROLMENT_LAG


def changed_since(since: datetime) -> Q:
    """Enrolments whose cart or customer may have changed since ``since``: an order placed (by
    the cart or the customer), a cart touched (a shopper coming back or emptying it bumps its
    activity), an unsubscribe. Each found through an index of recent rows, not by reading
    every running enrolment. A change outside these (staff editing a customer) is still
    caught by the check before sending."""
    orders = Order.objects.filter(created_at__gt=since)
    return (Q(cart_id__in=orders.values("cart_id")) | Q(customer_id__in=orders.values(
                "customer_id"))
            | Q(cart_id__in=Cart.objects.filter(last_activity_at__gt=since,
                                                customer__isnull=False).values("pk"))
            | Q(customer_id__in=Customer.objects.filter(unsubscribed_at__gt=since)
                .values("pk")))  # fmt: skip


def stop_for_order(*, order: Order) -> int:
    """The moment an order is placed: its cart's and customer's running enrolments stop."""
    match = Q(cart_id=order.cart_id) if order.cart_id else Q(pk__in=[])
    if order.customer_id:
        match |= Q(customer_id=order.customer_id)
    return FlowEnrollment.objects.filter(match, stopped_at__isnull=True).update(
        stopped_at=timezone.now(), stop_reason=SkipReason.ORDERED,
        order=Subquery(Order.objects.filter(pk=order.pk, cart_id=OuterRef("cart_id"))
                       .values("pk")[:1]),
    )  # fmt: skip


@transaction.atomic
def unsubscribe_customer(*, customer: Customer, channel: str | None = None) -> None:
    """From everything (``channel`` None: every running enrolment stops), or from one channel
    (that channel's steps are skipped; the others go on)."""
    now = timezone.now()
    if channel is None:
        Customer.objects.filter(pk=customer.pk, unsubscribed_at__isnull=True).update(
            unsubscribed_at=now)  # fmt: skip
        FlowEnrollment.objects.filter(customer_id=customer.pk, stopped_at__isnull=True).update(
            stopped_at=now, stop_reason=SkipReason.UNSUBSCRIBED)  # fmt: skip
        return
    field = f"{channel}_unsubscribed_at"
    Customer.objects.filter(pk=customer.pk, **{f"{field}__isnull": True}).update(**{field: now})


@transaction.atomic
def set_flow_active(*, flow: Flow, active: bool) -> Flow:
    """Switch a flow on (it enrols carts abandoned from now on) or off (its running enrolments
    stop, and its queued messages are skipped when they come up)."""
    now = timezone.now()
    flow = Flow.objects.select_for_update().get(pk=flow.pk)
    if active and not flow.active:
        flow.active, flow.activated_at = True, now
        flow.save(update_fields=["active", "activated_at"])
    elif not active and flow.active:
        flow.active = False
        flow.save(update_fields=["active"])
        FlowEnrollment.objects.filter(flow=flow, stopped_at__isnull=True).update(
            stopped_at=now, stop_reason=SkipReason.FLOW_OFF)  # fmt: skip
    return flow


@transaction.atomic
def end_test(*, step: FlowStep, winner_label: str) -> FlowStepVariant:
    """End a step's A/B test: only the variant ``winner_label`` stays active (its weight kept),
    so every customer gets it from now on. Raises ``ValueError`` for an unknown label."""
    variants = FlowStepVariant.objects.select_for_update().filter(step=step)
    winner = variants.filter(label=winner_label).first()
    if winner is None:
        raise ValueError(_("This step has no variant “%(label)s”.") % {"label": winner_label})
    FlowStepVariant.objects.filter(step=step).exclude(pk=winner.pk).update(active=False)
    if not winner.active or winner.weight == 0:
        winner.active, winner.weight = True, winner.weight or 1
        winner.save(update_fields=["active", "weight"])
    return winner


# --- due steps ---------------------------------------------------------------------------------


def due_enrollments(step: FlowStep, now: datetime):
    """The enrolments whose ``step`` is due and has no outbox row yet: one query. It looks at
    the abandonments that became due since the step's last run (less ``ENROLMENT_LAG``: a cart
    is enrolled a little after its abandonment time), at most ``MAX_LATE`` back."""
    since = now - step.delay - MAX_LATE
    if step.written_until is not None and step.written_until <= now:  # not a clock set back
        since = max(since, step.written_until - step.delay - ENROLMENT_LAG)
    written = RecoveryMessage.objects.filter(enrollment_id=OuterRef("pk"), flow_step_id=step.pk)
    return (
        FlowEnrollment.objects
        .filter(flow_id=step.flow_id, stopped_at__isnull=True,
                abandoned_at__lte=now - step.delay, abandoned_at__gt=since,
                cart__status=CartStatus.ABANDONED, cart__abandoned_at=F("abandoned_at"))
        .filter(~Exists(written))
        .values_list("pk", "cart_id", "customer_id", "holdout", "customer__language",
                     "cart__language", "cart__market_id", "cart__country", "cart__region",
                     "customer__country")
    )  # fmt: skip


def _text(variant: FlowStepVariant, language: str, fallback: str) -> FlowStepText | None:
    texts = {text.language: text for text in variant.texts.all()}
    return texts.get(language) or texts.get(fallback) or next(iter(texts.values()), None)


def write_due_step(*, step: FlowStep, now: datetime, markets: dict[int, Market]) -> int:
    """Write the outbox rows of ``step`` for the enrolments it is due for. Returns the rows."""
    variants = {variant.label: variant for variant in step.variants.all() if variant.weight}
    if not variants:
        return 0
    weighted = [(label, variant.weight) for label, variant in variants.items()]
    flow_id = step.flow_id
    rows, holdout_rows = [], []
    for (enrollment_id, cart_id, customer_id, holdout, customer_language, cart_language,
         market_id, cart_country, region, customer_country) in due_enrollments(
            step, now):  # fmt: skip
        row = {
            "key": message_key(flow_id=flow_id, step_id=step.pk, cart_id=cart_id,
                               enrollment_id=enrollment_id),
            "customer_id": customer_id, "cart_id": cart_id, "channel": step.channel,
            "flow_step_id": step.pk, "enrollment_id": enrollment_id, "created_by": "flow",
            "created_at": now,
        }  # fmt: skip
        language = customer_language or cart_language or step.fallback_language
        if holdout:
            row.update(status=MessageStatus.SKIPPED, skip_reason=SkipReason.HOLDOUT,
                       language=language, body="")  # fmt: skip
            holdout_rows.append(row)
            continue
        label = pick(variant_key(customer_id, f"flow-step:{step.pk}"), weighted)
        text = _text(variants[label], language, step.fallback_language)
        if text is None:
            logger.warning("Flow step %s variant %s has no text: nothing written", step.pk, label)
            continue
        row.update(variant=label, language=text.language, subject=text.subject, body=text.body,
                   not_before=wait_until(now, step.channel, markets.get(market_id),
                                         cart_country or customer_country, region))  # fmt: skip
        rows.append(row)
    # One statement for the messages, one for the control group's rows (each statement's rows
    # have the same columns).
    insert_ignoring_conflicts(RecoveryMessage, rows)
    insert_ignoring_conflicts(RecoveryMessage, holdout_rows)
    FlowStep.objects.filter(pk=step.pk).update(written_until=now)
    return len(rows) + len(holdout_rows)


_NAME_JOBS = """
UPDATE recovery_recoverymessage AS m SET job_id = b.job_id, heartbeat_at = NULL
  FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[]) AS b(first_id, last_id, job_id)
 WHERE m.id BETWEEN b.first_id AND b.last_id AND m.status = %s AND m.job_id = ''
   AND m.flow_step_id IS NOT NULL AND (m.not_before IS NULL OR m.not_before <= %s)
"""


def _name_jobs(ready, first: int, bounds: list[tuple[str, int]], now: datetime) -> None:
    """One ``UPDATE`` naming each waiting row's job. PostgreSQL joins the batches' pk ranges
    (an index range each); elsewhere a ``CASE`` over the ranges (fine for the demo's sizes,
    quadratic for a large backlog)."""
    if connection.vendor == "postgresql":
        lasts = [last for _, last in bounds]
        firsts = [first] + [last + 1 for last in lasts[:-1]]
        with connection.cursor() as cursor:
            cursor.execute(_NAME_JOBS, [firsts, lasts, [job_id for job_id, _ in bounds],
                                        MessageStatus.QUEUED, now])  # fmt: skip
        return
    ready.filter(pk__gte=first, pk__lte=bounds[-1][1]).update(
        job_id=Case(*(When(pk__lte=last, then=Value(job_id)) for job_id, last in bounds),
                    default=Value("")),
        heartbeat_at=None,
    )  # fmt: skip


def queue_flow_messages(*, now: datetime) -> int:
    """Give the flow rows that no job holds (new, or whose night is over) to the workers, in
    batches of ``BATCH_SIZE``: three statements whatever their number. One ``UPDATE`` names each
    row's job, and only for rows no job holds yet, so two overlapping runs never queue a row
    twice."""
    ready = RecoveryMessage.objects.filter(
        Q(not_before__isnull=True) | Q(not_before__lte=now),
        flow_step__isnull=False, status=MessageStatus.QUEUED, job_id="",
    )  # fmt: skip
    waiting = list(ready.order_by("pk").values_list("pk", flat=True)[:MAX_QUEUED])
    if not waiting:
        return 0
    bounds = [(uuid.uuid4().hex, waiting[min(start + BATCH_SIZE, len(waiting)) - 1])
              for start in range(0, len(waiting), BATCH_SIZE)]  # fmt: skip
    # Batch i takes the pks above batch i-1's last one up to its own last one.
    _name_jobs(ready, waiting[0], bounds, now)
    by_job = defaultdict(list)
    for pk, job_id in RecoveryMessage.objects.filter(
        job_id__in=[bound[0] for bound in bounds]
    ).values_list("pk", "job_id"):  # fmt: skip
        by_job[job_id].append(pk)
    queue = django_rq.get_queue("mail")
    jobs = [Queue.prepare_data("recovery.campaigns.send_batch", [sorted(ids)], job_id=job_id,
                               timeout=1800)
            for job_id, ids in by_job.items()]  # fmt: skip
    try:  # one Redis pipeline for all the jobs
        queue.enqueue_many(jobs)
    except RedisError:  # the rows name jobs that do not exist: requeue_stale_messages
        logger.exception("Could not queue flow messages")
        return 0
    return sum(len(ids) for ids in by_job.values())
