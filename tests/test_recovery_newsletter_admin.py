"""The newsletter page in the admin: the form first, then the audience and one preview at a
time (a language switch of plain links); the selected customers shown by name and count, not
as JSON; a newsletter that is being or was sent is read-only; the placeholder hint in the page's
language; and staff adding a variant B for an A/B test."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone, translation

from cart.models import CartStatus
from recovery.campaigns import start_campaign, variant_for
from recovery.forms import MessageForm
from recovery.models import Campaign, CampaignStatus, CampaignText, CampaignVariant
from tests import factories
from tests.campaign_world import newsletter

pytestmark = pytest.mark.django_db

LANGUAGES = ("en", "de", "fr", "ja", "pt-br")
SUBJECTS = {"en": "Your cart", "de": "Dein Warenkorb", "fr": "Votre panier", "ja": "カート",
            "pt-br": "Seu carrinho"}  # fmt: skip


@pytest.fixture
def world(cart_world, settings):
    settings.SHOP_BASE_URL = "https://shop.example"
    return cart_world


@pytest.fixture
def people(world):
    """One customer with an abandoned cart per language, all with consent."""
    when = timezone.now() - timedelta(days=1)
    result = []
    for number, language in enumerate(LANGUAGES):
        customer = factories.CustomerFactory(
            marketing_consent=True, language=language, first_name=f"Name{number}",
            last_name="Shopper",
        )
        world.cart(world.eu, "DE", (world.shirt_m, 1), customer=customer, language=language,
                   status=CartStatus.ABANDONED, abandoned_at=when)  # fmt: skip
        result.append(customer)
    return result


@pytest.fixture
def campaign(people):
    return newsletter({language: (SUBJECTS[language], "Hi {first_name} {cart_total}")
                       for language in LANGUAGES}, name="Come back")  # fmt: skip


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_user("clerk", "clerk@example.com", "secret",
                                                 is_staff=True)  # fmt: skip
    user.user_permissions.add(*Permission.objects.filter(codename__in=[
        "view_campaign", "add_campaign", "change_campaign", "view_customer",
        "add_campaignvariant", "change_campaignvariant", "delete_campaignvariant",
        "view_campaignvariant", "add_campaigntext", "change_campaigntext",
        "delete_campaigntext", "view_campaigntext"]))  # fmt: skip
    client.force_login(user)
    return user


def change_url(campaign) -> str:
    return reverse("admin:recovery_campaign_change", args=[campaign.pk])


def test_the_form_comes_first_and_one_preview_is_shown_at_a_time(client, staff, campaign):
    html = client.get(change_url(campaign)).text

    assert html.count("<iframe sandbox") == 1
    assert html.index('id="campaign_form"') < html.index("<iframe sandbox")
    assert html.index("</form>") < html.index("<iframe sandbox")
    # Every language that will be sent has its link; the first is shown.
    for language in LANGUAGES:
        assert f'href="?preview={language}&amp;variant=A#campaign-preview"' in html
    assert "<h3 data-preview-subject>Your cart</h3>" in html
    for language in LANGUAGES[1:]:
        page = client.get(change_url(campaign), {"preview": language}).text
        assert page.count("<iframe sandbox") == 1
        assert f"<h3 data-preview-subject>{SUBJECTS[language]}</h3>" in page
    # An unknown choice falls back to the first language, never an error.
    fallback = client.get(change_url(campaign), {"preview": "xx", "variant": "Q"})
    assert fallback.status_code == 200
    assert "<h3 data-preview-subject>Your cart</h3>" in fallback.text


def test_selected_customers_are_shown_by_name_and_count_not_as_json(client, staff, campaign,
                                                                   people):  # fmt: skip
    html = client.get(change_url(campaign)).text
    assert "None selected: everyone in the audience." in html
    assert 'name="customer_ids"' not in html and ">null<" not in html

    campaign.customer_ids = [people[0].pk, people[1].pk]
    campaign.save()
    html = client.get(change_url(campaign)).text

    assert "2 customers selected" in html
    for customer in people[:2]:
        link = reverse("admin:shop_customer_change", args=[customer.pk])
        assert f'<a href="{link}">{customer.full_name}</a>' in html
    assert people[2].full_name not in html.split("2 customers selected", 1)[1].split("</div>")[0]
    listed = reverse("admin:shop_customer_changelist") + f"?id__in={people[0].pk},{people[1].pk}"
    assert f'href="{listed}"' in html
    assert 'name="customer_ids"' not in html
    # The list it links to shows exactly them.
    customers = client.get(listed)
    assert customers.status_code == 200
    assert {c.pk for c in customers.context["cl"].result_list} == {people[0].pk, people[1].pk}


@pytest.mark.parametrize("status", [CampaignStatus.SENDING, CampaignStatus.DONE])
def test_a_newsletter_being_or_already_sent_is_read_only(client, staff, campaign, status):
    Campaign.objects.filter(pk=campaign.pk).update(status=status)
    text = campaign.texts.get(language="en")

    page = client.get(change_url(campaign))

    assert page.status_code == 200
    html = page.text
    assert 'name="name"' not in html and 'name="_save"' not in html
    assert 'name="texts-0-subject"' not in html
    assert 'name="texts-MAX_NUM_FORMS" value="0"' in html  # no row can be added
    assert 'name="variants-MAX_NUM_FORMS" value="0"' in html
    assert "Come back" in html and text.subject in html  # shown, not editable
    response = client.post(change_url(campaign), {"name": "Changed", "audience": "both"})
    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.name == "Come back"


def test_the_placeholder_hints_are_in_the_page_s_language(client, staff, campaign):
    html = client.get(change_url(campaign), HTTP_ACCEPT_LANGUAGE="de").text

    with translation.override("de"):
        hint = str(MessageForm().fields["body"].help_text)
    assert hint.startswith("Platzhalter: {first_name}")
    assert hint in html
    assert "%(names)s" not in html and "Placeholders:" not in html
    with translation.override("en"):
        assert str(MessageForm().fields["body"].help_text).startswith("Placeholders: {first_")


def form_data(campaign, texts, variants) -> dict:
    """The change form as a browser posts it: the campaign, its variant rows and text rows."""
    data = {
        "name": campaign.name, "audience": campaign.audience, "abandoned_from": "",
        "abandoned_to": "", "market": "", "min_cart_value": "", "voucher_kind": "",
        "voucher_percentage": "", "voucher_days": "7", "variant_a_weight": "1",
        "variants-TOTAL_FORMS": str(len(variants)), "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "0", "variants-MAX_NUM_FORMS": "1000",
        "texts-TOTAL_FORMS": str(len(texts)),
        "texts-INITIAL_FORMS": str(sum(1 for t in texts if t.get("id"))),
        "texts-MIN_NUM_FORMS": "0", "texts-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    for number, variant in enumerate(variants):
        for key, value in variant.items():
            data[f"variants-{number}-{key}"] = value
        data[f"variants-{number}-campaign"] = str(campaign.pk)
    for number, text in enumerate(texts):
        for key, value in text.items():
            data[f"texts-{number}-{key}"] = value
        data[f"texts-{number}-campaign"] = str(campaign.pk)
    return data


def existing_texts(campaign) -> list[dict]:
    return [{"id": str(t.pk), "variant": t.variant, "language": t.language,
             "subject": t.subject, "body": t.body}
            for t in campaign.texts.order_by("pk")]  # fmt: skip


def test_staff_add_a_variant_b_with_its_own_text_and_voucher(client, staff, campaign, people):
    page = client.get(change_url(campaign)).text
    assert 'id="variants-group"' in page  # the inline to add variants

    texts = existing_texts(campaign) + [
        {"variant": "B", "language": "en", "subject": "10 % off", "body": "B {voucher_code}"}
    ]
    variants = [{"label": "B", "weight": "1", "voucher_kind": "percentage",
                 "voucher_percentage": "10"}]  # fmt: skip
    response = client.post(change_url(campaign), form_data(campaign, texts, variants))

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    variant = CampaignVariant.objects.get(campaign=campaign)
    assert (variant.label, variant.weight, variant.voucher_kind) == ("B", 1, "percentage")
    assert CampaignText.objects.get(campaign=campaign, variant="B").subject == "10 % off"

    html = client.get(change_url(campaign)).text
    expected = {label: sum(1 for p in people if variant_for(campaign, p.pk) == label)
                for label in "AB"}  # fmt: skip
    assert f"Variants: A {expected['A']} · B {expected['B']}" in html
    assert 'href="?preview=en&amp;variant=B#campaign-preview"' in html
    preview_b = client.get(change_url(campaign), {"preview": "en", "variant": "B"}).text
    assert "<h3 data-preview-subject>10 % off</h3>" in preview_b

    start_campaign(campaign=campaign)
    assert {row.variant for row in campaign.messages.all()} <= {"A", "B"}
    for row in campaign.messages.all():
        assert row.variant == variant_for(campaign, row.customer_id)


def test_a_text_for_a_variant_that_does_not_exist_is_refused_with_a_message(client, staff,
                                                                             campaign):  # fmt: skip
    texts = existing_texts(campaign) + [
        {"variant": "C", "language": "en", "subject": "Lost", "body": "Lost"}
    ]
    response = client.post(change_url(campaign), form_data(campaign, texts, []))

    assert response.status_code == 200
    assert "There is no variant “C”: add it under variants, or write A." in response.text
    assert not CampaignText.objects.filter(variant="C").exists()


def test_a_variant_named_a_is_refused(client, staff, campaign):
    variants = [{"label": "A", "weight": "1", "voucher_kind": "", "voucher_percentage": ""}]
    response = client.post(change_url(campaign),
                           form_data(campaign, existing_texts(campaign), variants))  # fmt: skip

    assert response.status_code == 200
    assert re.search(r"Label the variants B, C… \(variant A is the newsletter itself\)\.",
                     response.text)  # fmt: skip
    assert not CampaignVariant.objects.exists()


def test_a_percentage_voucher_without_its_percentage_is_refused(client, staff, campaign):
    variants = [{"label": "B", "weight": "1", "voucher_kind": "percentage",
                 "voucher_percentage": ""}]  # fmt: skip
    response = client.post(change_url(campaign),
                           form_data(campaign, existing_texts(campaign), variants))  # fmt: skip

    assert response.status_code == 200
    assert "Enter the percentage the voucher takes off." in response.text
    assert not CampaignVariant.objects.exists()
