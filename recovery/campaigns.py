"""Recovery newsletters: who gets one, who is skipped and why, and sending in batches.

The audience is each customer's latest cart abandoned in the campaign's window (registered,
guests or both; optionally one market and a minimum cart value; or the customers staff
selected). ``start_campaign`` writes one outbox row per recipient (the key is the campaign and
the customer, so starting twice writes nothing twice) and queues the rows in batches, each an
RQ job that sends over one mail connection. Progress is the outbox rows' statuses.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import django_rq
from django.conf import settings
from django.core.mail import mailers
from django.db import transaction
from django.db.models import Count, DecimalField, Exists, ExpressionWrapper, F, OuterRef, Sum
from django.utils import timezone
from redis.exceptions import RedisError

from cart.fetch import shared_market_data
from cart.models import Cart, CartLine, CartStatus
from checkout.models import Order
from recovery.models import (
    AudienceType,
    Campaign,
    CampaignStatus,
    Channel,
    MessageStatus,
    RecoveryMessage,
    SkipReason,
)
from recovery.outbox import rendered, send_message
from recovery.selectors import local_day_bounds
from shop import consent

BATCH_SIZE = 200


@dataclass(frozen=True)
class Recipient:
    customer_id: int
    cart_id: int
    language: str
    skip: str  # "" when the message will be sent


def _carts(campaign: Campaign):
    carts = Cart.objects.filter(status=CartStatus.ABANDONED, customer__isnull=False)
    if campaign.abandoned_from:
        carts = carts.filter(abandoned_at__gte=local_day_bounds(campaign.abandoned_from)[0])
    if campaign.abandoned_to:
        carts = carts.filter(abandoned_at__lt=local_day_bounds(campaign.abandoned_to)[1])
    if campaign.audience == AudienceType.REGISTERED:
        carts = carts.filter(customer__user__isnull=False)
    elif campaign.audience == AudienceType.GUESTS:
        carts = carts.filter(customer__user__isnull=True)
    if campaign.market_id:
        carts = carts.filter(market_id=campaign.market_id)
    if campaign.customer_ids:
        carts = carts.filter(customer_id__in=campaign.customer_ids)
    if campaign.min_cart_value is not None:
        value = ExpressionWrapper(
            F("lines__quantity") * F("lines__unit_price_seen"),
            output_field=DecimalField(max_digits=14, decimal_places=3),
        )
        carts = carts.annotate(value=Sum(value)).filter(value__gte=campaign.min_cart_value)
    return carts


def recipients(campaign: Campaign) -> list[Recipient]:
    """Each customer once, with their latest matching cart and why they would be skipped.
    Two queries whatever the audience's size."""
    ordered_since = Order.objects.filter(
        customer_id=OuterRef("customer_id"), created_at__gte=OuterRef("abandoned_at")
    ).exclude(status="cancelled")
    rows = (
        _carts(campaign)
        .annotate(ordered_since=Exists(ordered_since))
        .filter(Exists(CartLine.objects.filter(cart=OuterRef("pk"))))
        .order_by("customer_id", "-abandoned_at", "-pk")
        .values_list(
            "pk", "customer_id", "customer__language", "customer__unsubscribed_at",
            "customer__marketing_consent", "market__marketing_opt_in_required",
            "customer__email", "ordered_since", "language",
        )  # fmt: skip
    )
    seen: set[int] = set()
    result = []
    for (cart_id, customer_id, language, unsubscribed_at, consent_given, opt_in, email, ordered,
         cart_language) in rows:  # fmt: skip
        if customer_id in seen:
            continue
        seen.add(customer_id)
        skip = consent.skip_reason(channel=consent.EMAIL, email_consent=consent_given,
                                   sms_consent=None, unsubscribed_at=unsubscribed_at,
                                   market_opt_in=opt_in, country=None)  # fmt: skip
        if skip:
            pass
        elif ordered:
            skip = SkipReason.ORDERED
        elif not email:
            skip = SkipReason.NO_CONTACT
        else:
            skip = ""
        result.append(Recipient(customer_id, cart_id, language or cart_language, skip))
    return result


def summary(campaign: Campaign) -> dict:
    """What staff see before sending: how many get it, how many are skipped and why."""
    everyone = recipients(campaign)
    skipped = Counter(r.skip for r in everyone if r.skip)
    return {
        "recipients": sum(1 for r in everyone if not r.skip),
        "skipped": dict(skipped),
        "skipped_total": sum(skipped.values()),
        "languages": dict(Counter(r.language for r in everyone if not r.skip)),
    }


def text_for(campaign: Campaign, language: str):
    texts = {text.language: text for text in campaign.texts.all()}
    return texts.get(language) or texts.get(settings.LANGUAGE_CODE) or next(iter(texts.values()),
                                                                          None)  # fmt: skip


def previews(campaign: Campaign) -> dict[str, dict[str, str]]:
    """One rendered example per language that will be sent, on a real recipient's cart."""
    result = {}
    by_language: dict[str, Recipient] = {}
    for recipient in recipients(campaign):
        if not recipient.skip:
            by_language.setdefault(recipient.language, recipient)
    carts = Cart.objects.select_related("customer", "market").in_bulk(
        [r.cart_id for r in by_language.values()]
    )
    for language, recipient in by_language.items():
        text = text_for(campaign, language)
        if text is None:
            continue
        cart = carts[recipient.cart_id]
        example = RecoveryMessage(
            customer=cart.customer, cart=cart, channel=Channel.EMAIL, language=language,
            subject=text.subject, body=text.body,
        )  # fmt: skip
        result[language] = rendered(example)
    return result


def start_campaign(*, campaign: Campaign) -> int:
    """Write the outbox rows and queue them in batches. Safe to call twice."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status == CampaignStatus.DONE:
            return 0  # sent already: newcomers to the audience need a new newsletter
        if campaign.status == CampaignStatus.DRAFT:
            campaign.status, campaign.started_at = CampaignStatus.SENDING, timezone.now()
            campaign.save(update_fields=["status", "started_at"])
        rows = []
        for recipient in recipients(campaign):
            text = text_for(campaign, recipient.language)
            if text is None:
                continue
            rows.append(RecoveryMessage(
                key=f"campaign:{campaign.pk}:{recipient.customer_id}",
                customer_id=recipient.customer_id, cart_id=recipient.cart_id, campaign=campaign,
                channel=Channel.EMAIL, language=recipient.language or text.language,
                subject=text.subject, body=text.body,
                created_by=campaign.created_by,
            ))  # fmt: skip
        RecoveryMessage.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        ids = list(
            RecoveryMessage.objects.filter(campaign=campaign, status=MessageStatus.QUEUED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: enqueue_batches(ids))
    return len(ids)


def enqueue_batches(ids: list[int]) -> None:
    queue = django_rq.get_queue("mail")
    for start in range(0, len(ids), BATCH_SIZE):
        try:
            queue.enqueue(send_batch, ids[start : start + BATCH_SIZE], job_timeout=1800)
        except RedisError:  # requeue_stale_messages picks the rows up later
            return


def send_batch(message_ids: list[int]) -> dict[str, int]:
    """One RQ job: send each row once, over one mail connection."""
    outcome: Counter = Counter()
    with mailers.default as connection, shared_market_data():
        for message_id in message_ids:
            try:
                outcome[send_message(message_id, connection=connection)] += 1
            except Exception:  # noqa: BLE001  (kept queued with its reason; retried later)
                outcome["retry"] += 1
    finish_if_done(message_ids)
    return dict(outcome)


def finish_if_done(message_ids: list[int]) -> None:
    campaign_ids = set(
        RecoveryMessage.objects.filter(pk__in=message_ids[:1]).values_list("campaign_id", flat=True)
    )
    for campaign_id in campaign_ids - {None}:
        if not RecoveryMessage.objects.filter(campaign_id=campaign_id,
                                              status=MessageStatus.QUEUED).exists():  # fmt: skip
            Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.SENDING).update(
                status=CampaignStatus.DONE
            )


def progress(campaign: Campaign) -> dict[str, int]:
    """Rows by status (queued, sent, failed, skipped) and in total. One query."""
    counts = dict(
        RecoveryMessage.objects.filter(campaign=campaign)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {status: counts.get(status, 0) for status in MessageStatus.values} | {
        "total": sum(counts.values())
    }
