"""What the flow's admin page reads: per step, its outbox rows by status and skip reason, and
the carts waiting for it; a real abandoned cart to preview a step's texts on."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from cart.models import Cart, CartStatus
from recovery.flows import MAX_LATE
from recovery.models import Flow, FlowEnrollment, FlowStep, MessageStatus, RecoveryMessage


def step_counts(flow: Flow, *, now: datetime | None = None) -> dict[int, dict]:
    """Per step id: ``queued``, ``sent`` (delivered included), ``failed``, ``skipped`` (by
    reason), ``waiting`` (running enrolments outside the control group with no row for the
    step yet, its time to come). One query for the rows, one per step for the waiting."""
    now = now or timezone.now()
    steps = list(flow.steps.order_by("position"))
    result = {step.pk: {"step": step, "queued": 0, "sent": 0, "failed": 0, "skipped": {},
                        "skipped_total": 0, "waiting": 0} for step in steps}  # fmt: skip
    rows = (RecoveryMessage.objects.filter(flow_step__flow=flow)
            .values_list("flow_step_id", "status", "skip_reason")
            .annotate(n=Count("pk")).order_by())  # fmt: skip
    for step_id, status, reason, n in rows:
        counts = result.get(step_id)
        if counts is None:
            continue
        if status == MessageStatus.SKIPPED:
            counts["skipped"][reason] = counts["skipped"].get(reason, 0) + n
            counts["skipped_total"] += n
        elif status in (MessageStatus.SENT, MessageStatus.DELIVERED):
            counts["sent"] += n
        elif status in (MessageStatus.FAILED, MessageStatus.UNDELIVERABLE):
            counts["failed"] += n
        else:
            counts["queued"] += n
    for step in steps:
        written = RecoveryMessage.objects.filter(enrollment_id=OuterRef("pk"), flow_step=step)
        result[step.pk]["waiting"] = FlowEnrollment.objects.filter(
            flow=flow, stopped_at__isnull=True, holdout=False,
            abandoned_at__gt=now - step.delay - MAX_LATE,
        ).filter(~Exists(written)).count()  # fmt: skip
    return result


def control_group(flow: Flow) -> dict[str, int]:
    """Enrolments in and out of the control group (one query)."""
    counts = defaultdict(int, FlowEnrollment.objects.filter(flow=flow).values_list("holdout")
                         .annotate(n=Count("pk")).order_by())  # fmt: skip
    return {"holdout": counts[True], "treated": counts[False]}


def preview_cart(step: FlowStep, language: str) -> Cart | None:
    """A real abandoned cart of the flow's markets, one of a customer of ``language`` when
    there is one: what the preview renders."""
    carts = (Cart.objects.filter(status=CartStatus.ABANDONED, customer__isnull=False,
                                 lines__isnull=False)
             .select_related("customer", "market").order_by("-abandoned_at"))  # fmt: skip
    market_ids = list(step.flow.markets.values_list("pk", flat=True))
    if market_ids:
        carts = carts.filter(market_id__in=market_ids)
    return (carts.filter(customer__language=language).first()
            or carts.filter(language=language).first() or carts.first())  # fmt: skip


def previews(step: FlowStep) -> list[dict]:
    """Each active variant's text in each of its languages, rendered for a real abandoned cart
    with the manual messages' renderer (``recovery.outbox.rendered``); a voucher code where the
    variant offers one. Empty when the shop has no abandoned cart yet."""
    from cart.models import Voucher
    from recovery.outbox import rendered

    result = []
    carts: dict[str, Cart | None] = {}
    for variant in step.variants.filter(active=True).prefetch_related("texts"):
        for text in sorted(variant.texts.all(), key=lambda t: t.language):
            if text.language not in carts:
                carts[text.language] = preview_cart(step, text.language)
            cart = carts[text.language]
            if cart is None:
                return []
            message = RecoveryMessage(
                customer=cart.customer, cart=cart, channel=step.channel, language=text.language,
                subject=text.subject, body=text.body, variant=variant.label,
            )  # fmt: skip
            if variant.incentive_kind:  # an example code, never saved
                message.voucher_id = -1
                message._state.fields_cache["voucher"] = Voucher(code="R-EXAMPLE1")
            result.append({"variant": variant.label, "language": text.language,
                           "cart": cart, **rendered(message)})  # fmt: skip
    return result
