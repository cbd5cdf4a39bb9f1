"""A/B variants of a recovery newsletter: variant A is the newsletter itself (its texts, its
voucher), variants B, C… add their own subject, text and voucher with a weight. Each customer
gets one variant, the same every time (a hash of the customer and the newsletter), in
proportion to the weights; the outbox row records the variant's label, and the mail carries
that variant's text and voucher. A newsletter without variants is sent as before, as "A"."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from cart.models import Voucher
from recovery.campaigns import send_batch, start_campaign, variant_for, variant_split
from recovery.models import Campaign, CampaignText, CampaignVariant, MessageStatus
from recovery.variants import pick, variant_key
from shop.models import Customer
from tests.campaign_world import bulk_audience, newsletter

pytestmark = pytest.mark.django_db

TEXT_A = ("Your cart is waiting, {first_name}", "Hello {first_name}, A: {cart_total}")
TEXT_B = ("10 % off your cart, {first_name}", "Hello {first_name}, B: {voucher_code}")
GERMAN_A = ("Dein Warenkorb wartet", "Hallo {first_name}, A")
GERMAN_B = ("10 % Rabatt auf deinen Warenkorb", "Hallo {first_name}, B: {voucher_code}")


@pytest.fixture
def world(cart_world, settings):
    settings.SHOP_BASE_URL = "https://shop.example"
    settings.DEFAULT_FROM_EMAIL = "shop@example.com"
    return cart_world


def audience(world, size: int, prefix: str = "ab", languages=("en",)) -> list[int]:
    bulk_audience(world.eu, world.shirt_m, eligible=size, languages=languages, prefix=prefix,
                  abandoned_at=timezone.now() - timedelta(days=1))  # fmt: skip
    return list(Customer.objects.filter(email__startswith=prefix).values_list("pk", flat=True))


def ab_newsletter(customer_ids, *, weights=(1, 1), **fields) -> Campaign:
    """A: free shipping, texts A; B: 10 % off, texts B."""
    campaign = newsletter({"en": TEXT_A, "de": GERMAN_A}, customer_ids=customer_ids,
                          voucher_kind="free_shipping", variant_a_weight=weights[0],
                          **fields)  # fmt: skip
    CampaignVariant.objects.create(campaign=campaign, label="B", weight=weights[1],
                                   voucher_kind="percentage",
                                   voucher_percentage=Decimal("10"))  # fmt: skip
    CampaignText.objects.bulk_create([
        CampaignText(campaign=campaign, variant="B", language="en", subject=TEXT_B[0],
                     body=TEXT_B[1]),
        CampaignText(campaign=campaign, variant="B", language="de", subject=GERMAN_B[0],
                     body=GERMAN_B[1]),
    ])  # fmt: skip
    return campaign


def test_assignment_is_stable_per_customer_and_follows_recovery_variants_pick(world):
    customers = audience(world, 40)
    campaign = ab_newsletter(customers)
    split = variant_split(campaign)
    assert split == [("A", 1), ("B", 1)]

    first = {customer: variant_for(campaign, customer) for customer in customers}
    again = {customer: variant_for(Campaign.objects.get(pk=campaign.pk), customer)
             for customer in reversed(customers)}  # fmt: skip
    assert first == again
    assert first == {
        customer: pick(variant_key(customer, f"campaign:{campaign.pk}"), split)
        for customer in customers
    }
    assert set(first.values()) == {"A", "B"}

    start_campaign(campaign=campaign)
    recorded = dict(campaign.messages.values_list("customer_id", "variant"))
    assert recorded == first
    # Starting again writes nothing twice and changes no one's variant.
    start_campaign(campaign=campaign)
    assert dict(campaign.messages.values_list("customer_id", "variant")) == first


def test_another_newsletter_draws_its_own_split(world):
    customers = audience(world, 60)
    one, other = ab_newsletter(customers), ab_newsletter(customers)
    assert [variant_for(one, c) for c in customers] != [variant_for(other, c) for c in customers]


@pytest.mark.parametrize(("weights", "share_a"), [((1, 1), 0.5), ((3, 1), 0.75), ((1, 4), 0.2)])
def test_the_split_follows_the_weights(world, weights, share_a):
    campaign = ab_newsletter([], weights=weights)
    split = variant_split(campaign)
    counts = Counter(variant_for(campaign, customer, split) for customer in range(1, 20_001))
    # 20,000 draws: the binomial standard deviation is at most 0.0035; allow four of them.
    assert abs(counts["A"] / 20_000 - share_a) < 0.015, counts
    assert counts["A"] + counts["B"] == 20_000


def test_a_weight_of_zero_sends_the_other_variant_to_everyone(world):
    campaign = ab_newsletter([], weights=(0, 1))
    assert {variant_for(campaign, customer) for customer in range(1, 500)} == {"B"}


def test_each_variant_is_sent_with_its_own_text_and_voucher(world, mail_queue):
    customers = audience(world, 30, languages=("en", "de"))
    campaign = ab_newsletter(customers)
    start_campaign(campaign=campaign)
    rows = list(campaign.messages.select_related("customer").order_by("pk"))
    send_batch([row.pk for row in rows])

    by_address = {message.to[0]: message for message in mail.outbox}
    assert len(by_address) == 30
    seen = Counter()
    for row in rows:
        row.refresh_from_db()
        assert row.status == MessageStatus.SENT
        sent = by_address[row.customer.email]
        language = row.customer.language
        subject = {("A", "en"): TEXT_A[0], ("B", "en"): TEXT_B[0], ("A", "de"): GERMAN_A[0],
                   ("B", "de"): GERMAN_B[0]}[row.variant, language]  # fmt: skip
        assert sent.subject == subject.format(first_name=row.customer.first_name)
        assert f", {row.variant}" in sent.body
        voucher = Voucher.objects.get(pk=row.voucher_id)
        if row.variant == "A":
            assert voucher.kind == "free_shipping"
        else:
            assert (voucher.kind, voucher.percentage) == ("percentage", Decimal("10"))
            assert voucher.code in sent.body
        seen[row.variant, language] += 1
    assert {variant for variant, _language in seen} == {"A", "B"}


def test_a_variant_without_texts_sends_variant_a_s_text_with_its_own_voucher(world, mail_queue):
    customers = audience(world, 20)
    campaign = newsletter({"en": TEXT_A}, customer_ids=customers)
    CampaignVariant.objects.create(campaign=campaign, label="B", voucher_kind="free_shipping")
    start_campaign(campaign=campaign)
    rows = list(campaign.messages.all())
    send_batch([row.pk for row in rows])

    assert {row.subject for row in rows} == {TEXT_A[0]}
    variants = {row.variant for row in rows}
    assert variants == {"A", "B"}
    for row in campaign.messages.all():
        assert (row.voucher_id is not None) == (row.variant == "B")


def test_a_newsletter_without_variants_is_sent_as_before_and_recorded_as_a(world, mail_queue):
    customers = audience(world, 5)
    campaign = newsletter({"en": TEXT_A}, customer_ids=customers, voucher_kind="free_shipping")
    assert variant_split(campaign) == [("A", 1)]
    start_campaign(campaign=campaign)
    send_batch(list(campaign.messages.values_list("pk", flat=True)))

    assert set(campaign.messages.values_list("variant", "status")) == {("A", MessageStatus.SENT)}
    assert len(mail.outbox) == 5
    assert all(message.subject.startswith("Your cart is waiting") for message in mail.outbox)
    assert Voucher.objects.filter(kind="free_shipping").count() == 5


def test_variant_a_is_the_newsletter_itself_not_a_row(world):
    campaign = newsletter({"en": TEXT_A})
    with pytest.raises(ValidationError) as refused:
        CampaignVariant(campaign=campaign, label="A").full_clean()
    assert "label" in refused.value.message_dict
