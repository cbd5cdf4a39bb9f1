"""The Reports page in a browser: German and Arabic (right to left), on a 1280 px and a 390 px
screen, with its charts drawn (inline SVG) and nothing wider than the screen."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, expect

from tests import reports_world

SCREENS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def staff_with_world(live_server, rates):
    reports_world.build(rates)
    get_user_model().objects.create_superuser("reporter", "reporter@example.com", "secret-pw")
    return live_server


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["de", "ar"])
@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_reports_page_shows_charts_in_german_and_arabic_on_desktop_and_phone(
    staff_with_world, browser: Browser, artifacts, language, screen
):
    context = browser.new_context(viewport=SCREENS[screen], locale=language,
                                  extra_http_headers={"Accept-Language": language})  # fmt: skip
    page = context.new_page()
    page.goto(f"{staff_with_world.url}/admin/login/?next=/admin/reports/report/")
    page.fill("#id_username", "reporter")
    page.fill("#id_password", "secret-pw")
    page.locator("input[type=submit]").click()
    page.wait_for_url("**/admin/reports/report/")

    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    charts = page.locator("svg.pygal-chart")
    expect(charts).to_have_count(4)  # funnel, payments, causes, the A/B test
    for index in range(4):
        chart = charts.nth(index)
        chart.scroll_into_view_if_needed()
        expect(chart).to_be_visible()
        box = chart.bounding_box()
        assert box["width"] > 200 and box["height"] > 60
        assert box["x"] >= -1 and box["x"] + box["width"] <= SCREENS[screen]["width"] + 1
    # the funnel's bars carry the world's numbers
    expect(page.locator("#table-funnel tbody tr").first).to_contain_text("20")
    expect(page.locator("#table-ab_1 tbody tr")).to_have_count(2)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page is {overflow}px wider than the screen"
    page.screenshot(path=str(artifacts / f"reports-{language}-{screen}.png"), full_page=True)
    context.close()
