"""The Reports page in the admin: permissions, the numbers on the page, every table as CSV,
charts as inline SVG without script, ending an A/B test, the hashed retargeting audience."""

from __future__ import annotations

import csv
import hashlib
import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from recovery.models import FlowStepVariant
from recovery.reports.models import EventKind
from recovery.reports.recording import record
from tests import factories, reports_world

URL = "/admin/reports/report/"


@pytest.fixture
def world(db, rates):
    return reports_world.build(rates)


def _user(django_user_model, *codenames):
    user = django_user_model.objects.create_user("staff", "staff@example.com", "pw",
                                                 is_staff=True)  # fmt: skip
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


@pytest.fixture
def reporter(client, django_user_model):
    client.force_login(_user(django_user_model, "view_reports", "view_customer",
                             "change_flowstepvariant"))  # fmt: skip
    return client


def today_query() -> str:
    today = timezone.localdate().isoformat()
    return f"date_from={today}&date_to={today}"


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_page_needs_the_view_reports_permission(world, client, django_user_model):
    client.force_login(_user(django_user_model))
    assert client.get(URL).status_code == 403
    assert client.get(URL + "csv/funnel/").status_code == 403
    assert reverse("admin:reports_report_changelist") == URL


def test_the_admin_index_lists_reports_for_those_who_may_see_them(world, reporter):
    response = reporter.get("/admin/")
    assert URL in response.content.decode()


def test_the_page_shows_every_section_with_inline_svg_charts_and_no_script(world, reporter):
    response = reporter.get(f"{URL}?{today_query()}")
    assert response.status_code == 200
    html = response.content.decode()
    for section in ("funnel", "payments", "causes", "recovery", "ab", "retargeting"):
        assert f'id="{section}"' in html
    assert html.count('class="pygal-chart"') == 4  # funnel, payments, causes, one A/B test
    assert "<script" not in html.split('id="content-main"')[1].split("</main>")[0].split(
        'id="footer"')[0]  # fmt: skip
    assert not re.search(r'(src|href)="https?://', html)  # nothing from a third party
    assert "Variant B wins" not in html  # below the minimum sample
    assert "not enough data yet" in html
    assert ">1.010,00<" not in html  # English formatting in this test: 1,010.00
    assert ">1,010.00<" in html


def test_funnel_per_country_as_csv(world, reporter):
    response = reporter.get(f"{URL}csv/funnel_country/?{today_query()}")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = rows_of(response.content.decode())
    assert rows[0][:4] == ["Country", "Carts", "Checkout started", "Drop before “Checkout started”"]
    assert rows[1:] == [
        ["DE", "10", "6", "4", "5", "1", "4", "1", "3", "1", "0.3000", "0.5000"],
        ["BR", "6", "3", "3", "3", "0", "2", "1", "1", "1", "0.1667", "0.6667"],
        ["FR", "4", "2", "2", "2", "0", "2", "0", "1", "1", "0.2500", "0.5000"],
    ]


def test_every_table_downloads_as_csv(world, reporter):
    for slug in ("funnel", "funnel_device", "payments_method", "payments_country",
                 "payments_day", "payments_category", "causes", "recovery", "messages",
                 "holdout", "ab_1"):  # fmt: skip
        response = reporter.get(f"{URL}csv/{slug}/?{today_query()}")
        assert response.status_code == 200, slug
        assert len(rows_of(response.content.decode())) > 1, slug
    assert reporter.get(f"{URL}csv/nothing/").status_code == 404


def test_ab_and_recovery_csv_numbers(world, reporter):
    ab = rows_of(reporter.get(f"{URL}csv/ab_1/?{today_query()}").content.decode())
    assert ab[1][:7] == ["A", "100", "30", "10", "5", "200.000", "0.0500"]
    assert ab[2][:7] == ["B", "100", "50", "25", "20", "810.000", "0.2000"]
    recovery = dict(rows_of(reporter.get(f"{URL}csv/recovery/?{today_query()}")
                            .content.decode())[1:])  # fmt: skip
    assert recovery["Recovered orders"] == "25"
    assert recovery["Recovered revenue (EUR)"] == "1010.000"
    assert recovery["Returned by itself (ordered without a message)"] == "2"
    holdout = rows_of(reporter.get(f"{URL}csv/holdout/?{today_query()}").content.decode())
    assert holdout[1][0] == "Reminder"
    assert holdout[1][7:9] == ["15.0", "610.00"]


def test_ending_a_test_keeps_only_the_winner(world, reporter):
    url = reverse("admin:reports_report_end_test", args=[world.step.pk])
    assert reporter.get(url).status_code == 405
    response = reporter.post(url, {"winner": "B", "query": today_query()})
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?{today_query()}"
    assert dict(FlowStepVariant.objects.filter(step=world.step).values_list("label", "active")) \
        == {"A": False, "B": True}  # fmt: skip
    page = reporter.get(f"{URL}?{today_query()}").content.decode()
    assert "This test has ended." in page


def test_an_unknown_winner_changes_nothing_and_says_why(world, reporter):
    url = reverse("admin:reports_report_end_test", args=[world.step.pk])
    response = reporter.post(url, {"winner": "Z"}, follow=True)
    assert "This step has no variant “Z”." in response.content.decode()
    assert FlowStepVariant.objects.filter(step=world.step, active=True).count() == 2


def test_ending_a_test_needs_the_permission_to_change_variants(world, client,
                                                               django_user_model):  # fmt: skip
    client.force_login(_user(django_user_model, "view_reports"))
    url = reverse("admin:reports_report_end_test", args=[world.step.pk])
    assert client.post(url, {"winner": "B"}).status_code == 403
    assert FlowStepVariant.objects.filter(step=world.step, active=True).count() == 2


def test_invalid_filters_are_explained_and_the_page_still_answers(world, reporter):
    response = reporter.get(f"{URL}?date_from=2026-12-31&date_to=2026-01-01")
    assert response.status_code == 200
    assert "The start date must not be after the end date." in response.content.decode()
    response = reporter.get(f"{URL}?date_from=yesterday")
    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def test_retargeting_audience_hashes_normalised_contacts_of_consenting_abandoners(db, rates,
                                                                                  reporter):
    market = factories.MarketFactory(countries=["DE"])
    other = factories.MarketFactory(countries=["FR"])
    yes = factories.CustomerFactory(email="  Ana.Example@Mail.COM ", phone="+49 151 2345678",
                                    marketing_consent=True, country="DE")  # fmt: skip
    no = factories.CustomerFactory(marketing_consent=False)
    gone = factories.CustomerFactory(marketing_consent=True, unsubscribed_at=timezone.now())
    elsewhere = factories.CustomerFactory(marketing_consent=True)
    for customer, where in ((yes, market), (no, market), (gone, market), (elsewhere, other)):
        cart = factories.CartFactory(market=where, customer=customer)
        record(EventKind.CART_ABANDONED, cart=cart)
    query = f"{today_query()}&market={market.pk}"
    google = rows_of(reporter.get(f"{URL}retargeting/?{query}&platform=google")
                     .content.decode())  # fmt: skip
    assert google == [["Email", "Phone", "Country"],
                      [sha("ana.example@mail.com"), sha("+491512345678"), "DE"]]  # fmt: skip
    meta = rows_of(reporter.get(f"{URL}retargeting/?{query}&platform=meta").content.decode())
    assert meta == [["email", "phone", "country"],
                    [sha("ana.example@mail.com"), sha("491512345678"), sha("de")]]  # fmt: skip


def test_retargeting_needs_the_permission_to_view_customers(db, client, django_user_model):
    client.force_login(_user(django_user_model, "view_reports"))
    assert client.get(f"{URL}retargeting/?platform=google").status_code == 403


def test_retargeting_with_a_bad_format_says_why(db, reporter):
    response = reporter.get(f"{URL}retargeting/?platform=tiktok", follow=True)
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
