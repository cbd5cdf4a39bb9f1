"""Recovery newsletters: who gets one, who is skipped and why, and sending in batches.

The audience is each customer's latest cart abandoned in the campaign's window (registered,
guests or both; optionally one market and a minimum cart value; or the customers staff
selected). ``start_campaign`` writes one outbox row per recipient (the key is the campaign and
the customer, so starting twice writes nothing twice), a few thousand per transaction, and
queues each part's rows in batches as soon as they are written, each an RQ job that sends over
one mail connection (``recovery.sending``). From the admin, a large audience is prepared by an
RQ job (``prepare_campaign``), never in the request: the page shows its progress, which is the
outbox rows' statuses.

A/B tests: a newsletter is variant A (its own texts and voucher); ``CampaignVariant`` rows add
B, C… with their weights. Each customer's variant is a hash of the customer and the newsletter
(``recovery.variants``), so it is the same on every run and needs no stored assignment; the
outbox row records it (``RecoveryMessage.variant``) with that variant's subject and text, and
sending gives that variant's voucher.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import django_rq
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, DecimalField, Exists, ExpressionWrapper, F, OuterRef, Sum
from django.db.models.expressions import RawSQL
from django.utils import timezone

from cart.models import Cart, CartLine, CartStatus
from checkout.models import Order
from recovery.models import (
    FIRST_VARIANT,
    AudienceType,
    Campaign,
    CampaignStatus,
    CampaignText,
    Channel,
    MessageStatus,
    RecoveryMessage,
    SkipReason,
)
from recovery.outbox import rendered
from recovery.selectors import local_day_bounds
from recovery.sending import enqueue_batches, finish_if_done, send_messages
from recovery.variants import pick, variant_key
from shop import consent

BATCH_SIZE = 200  # messages per RQ job

# Up to this many carts in the audience, the admin writes the rows in its request; beyond, an
# RQ job does (writing 2,000 rows takes about a second).
INLINE_AUDIENCE = 500
PART = 2000


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
        carts = carts.filter(customer_id__in=_selected(campaign))
    if campaign.min_cart_value is not None:
        value = ExpressionWrapper(
            F("lines__quantity") * F("lines__unit_price_seen"),
            output_field=DecimalField(max_digits=14, decimal_places=3),
        )
        carts = carts.annotate(value=Sum(value)).filter(value__gte=campaign.min_cart_value)
    return carts


def _selected(campaign: Campaign):
    """The customers staff selected: the list itself when short, else read from the campaign's
    row in the database (a statement holds at most 65,535 parameters; a selection of 100,000
    customers would not fit)."""
    if len(campaign.customer_ids) <= 1000 or not campaign.pk:
        return campaign.customer_ids
    if connection.vendor == "postgresql":
        sql = ("SELECT (jsonb_array_elements_text(customer_ids))::bigint FROM recovery_campaign "
               "WHERE id = %s")  # fmt: skip
    else:
        sql = ("SELECT value FROM json_each((SELECT customer_ids FROM recovery_campaign "
               "WHERE id = %s))")  # fmt: skip
    return RawSQL(sql, [campaign.pk])


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
            "customer__email", "ordered_since", "language", "customer__email_unsubscribed_at",
        )  # fmt: skip
    )
    seen: set[int] = set()
    result = []
    for (cart_id, customer_id, language, unsubscribed_at, consent_given, opt_in, email, ordered,
         cart_language, email_unsubscribed_at) in rows:  # fmt: skip
        if customer_id in seen:
            continue
        seen.add(customer_id)
        skip = consent.skip_reason(channel=consent.EMAIL, email_consent=consent_given,
                                   sms_consent=None, unsubscribed_at=unsubscribed_at,
                                   market_opt_in=opt_in, country=None,
                                   channel_unsubscribed_at=email_unsubscribed_at)  # fmt: skip
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


def summary(campaign: Campaign, everyone: list[Recipient] | None = None) -> dict:
    """What staff see before sending: how many get it, how many are skipped and why."""
    everyone = recipients(campaign) if everyone is None else everyone
    skipped = Counter(r.skip for r in everyone if r.skip)
    return {
        "recipients": sum(1 for r in everyone if not r.skip),
        "skipped": dict(skipped),
        "skipped_total": sum(skipped.values()),
        "languages": dict(Counter(r.language for r in everyone if not r.skip)),
    }


def variant_split(campaign: Campaign) -> list[tuple[str, int]]:
    """``[("A", weight), ("B", weight)…]``: the newsletter itself, then its variants."""
    return [(FIRST_VARIANT, campaign.variant_a_weight)] + [
        (variant.label, variant.weight) for variant in campaign.variants.all()
    ]


def variant_for(campaign: Campaign, customer_id: int,
                split: list[tuple[str, int]] | None = None) -> str:  # fmt: skip
    """The variant this customer gets of this newsletter: the same every time it is asked."""
    split = variant_split(campaign) if split is None else split
    if len(split) == 1 or not any(weight > 0 for _label, weight in split):
        return FIRST_VARIANT
    return pick(variant_key(customer_id, f"campaign:{campaign.pk}"), split)


def texts_of(campaign: Campaign) -> dict[tuple[str, str], CampaignText]:
    return {(text.variant, text.language): text for text in campaign.texts.all()}


def text_for(campaign: Campaign, language: str, variant: str = FIRST_VARIANT):
    return _text(texts_of(campaign), language, variant)


def languages_to_preview(campaign: Campaign, everyone: list[Recipient] | None = None) -> dict:
    """The languages that will be sent, each with a recipient to render an example on."""
    by_language: dict[str, Recipient] = {}
    for recipient in recipients(campaign) if everyone is None else everyone:
        if not recipient.skip:
            by_language.setdefault(recipient.language, recipient)
    return by_language


def preview(campaign: Campaign, recipient: Recipient, language: str,
            variant: str = FIRST_VARIANT) -> dict[str, str] | None:  # fmt: skip
    """The mail of ``variant`` in ``language``, rendered on a real recipient's cart."""
    text = text_for(campaign, language, variant)
    if text is None:
        return None
    cart = Cart.objects.select_related("customer", "market").get(pk=recipient.cart_id)
    example = RecoveryMessage(
        customer=cart.customer, cart=cart, channel=Channel.EMAIL, language=language,
        subject=text.subject, body=text.body, variant=variant,
    )  # fmt: skip
    return rendered(example)


def previews(campaign: Campaign,
             everyone: list[Recipient] | None = None) -> dict[str, dict[str, str]]:  # fmt: skip
    """One rendered example of variant A per language that will be sent."""
    result = {}
    for language, recipient in languages_to_preview(campaign, everyone).items():
        mail = preview(campaign, recipient, language)
        if mail is not None:
            result[language] = mail
    return result


def start_campaign(*, campaign: Campaign) -> int:
    """Write the outbox rows, a part at a time, and queue each part in batches as it is
    written. Returns the rows queued. Safe to call twice, and while a first call runs."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status == CampaignStatus.DONE:
            return 0  # sent already: newcomers to the audience need a new newsletter
        if campaign.status in (CampaignStatus.DRAFT, CampaignStatus.PREPARING):
            campaign.status = CampaignStatus.PREPARING
            campaign.started_at = campaign.started_at or timezone.now()
            campaign.save(update_fields=["status", "started_at"])
    texts = texts_of(campaign)
    split = variant_split(campaign)
    everyone = recipients(campaign)
    queued = 0
    for start in range(0, len(everyone), PART):
        rows = []
        for recipient in everyone[start : start + PART]:
            variant = variant_for(campaign, recipient.customer_id, split)
            text = _text(texts, recipient.language, variant)
            if text is None:
                continue
            rows.append(RecoveryMessage(
                key=f"campaign:{campaign.pk}:{recipient.customer_id}",
                customer_id=recipient.customer_id, cart_id=recipient.cart_id, campaign=campaign,
                channel=Channel.EMAIL, language=recipient.language or text.language,
                subject=text.subject, body=text.body, variant=variant,
                created_by=campaign.created_by,
            ))  # fmt: skip
        with transaction.atomic():
            RecoveryMessage.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        queued += _queue_waiting(campaign, [row.customer_id for row in rows])
    queued += _queue_waiting(campaign, None)  # rows of an earlier, interrupted start
    Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.PREPARING).update(
        status=CampaignStatus.SENDING
    )
    finish_if_done({campaign.pk})
    return queued


def _queue_waiting(campaign: Campaign, customer_ids: list[int] | None) -> int:
    """Queue the campaign's rows that no job was ever given (of these customers)."""
    rows = RecoveryMessage.objects.filter(campaign=campaign, status=MessageStatus.QUEUED,
                                          job_id="")  # fmt: skip
    if customer_ids is not None:
        rows = rows.filter(customer_id__in=customer_ids)
    return enqueue_batches(list(rows.order_by("pk").values_list("pk", flat=True)),
                           size=BATCH_SIZE)  # fmt: skip


def _text(texts: dict[tuple[str, str], CampaignText], language: str,
          variant: str = FIRST_VARIANT) -> CampaignText | None:  # fmt: skip
    """The variant's text in the customer's language, else in the shop's default language, else
    any of its texts; a variant without texts of its own sends variant A's (it then differs by
    its voucher only)."""
    for label in dict.fromkeys((variant, FIRST_VARIANT)):
        own = [text for (text_variant, _language), text in texts.items() if text_variant == label]
        found = (texts.get((label, language)) or texts.get((label, settings.LANGUAGE_CODE))
                 or next(iter(own), None))  # fmt: skip
        if found is not None:
            return found
    return next(iter(texts.values()), None)


def begin_sending(*, campaign: Campaign) -> int | None:
    """From the admin: a small audience is written and queued now (returns the rows queued);
    a large one by the ``prepare_campaign`` job (returns None; the page shows its progress)."""
    if _carts(campaign).values("pk")[: INLINE_AUDIENCE + 1].count() <= INLINE_AUDIENCE:
        return start_campaign(campaign=campaign)
    with transaction.atomic():
        updated = Campaign.objects.filter(
            pk=campaign.pk, status__in=[CampaignStatus.DRAFT, CampaignStatus.PREPARING]
        ).update(status=CampaignStatus.PREPARING, started_at=timezone.now())
        if updated:
            transaction.on_commit(lambda: django_rq.get_queue("default").enqueue(
                prepare_campaign, campaign.pk, job_timeout=3600))  # fmt: skip
    return None


def prepare_campaign(campaign_id: int) -> int:
    """The RQ job behind :func:`begin_sending` for large audiences."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    return start_campaign(campaign=campaign) if campaign is not None else 0


def send_batch(message_ids: list[int]) -> dict[str, int]:
    """One RQ job: send each still-queued row once, over one mail connection."""
    return dict(Counter(str(status) for status in send_messages(message_ids).values()))


def progress(campaign: Campaign) -> dict[str, int]:
    """Rows by status (queued, sent, failed, skipped) and in total: while the list is being
    prepared, the total grows. One query."""
    counts = dict(
        RecoveryMessage.objects.filter(campaign=campaign)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {status: counts.get(status, 0) for status in MessageStatus.values} | {
        "total": sum(counts.values())
    }
