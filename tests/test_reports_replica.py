"""With a read replica configured, the report's queries go to it and its writes do not.

The test database has a second alias, "replica", a TEST MIRROR of the default one (another
connection to the same database, as a streaming replica would be). The data is committed
(``transaction=True``) so that the other connection sees it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from recovery.reports import recovery_selectors, selectors
from recovery.reports.cube import ReportFilters
from recovery.reports.models import DailyRollup, Event, EventKind
from recovery.reports.recording import record
from recovery.reports.rollups import roll_up
from recovery.reports.routers import ReportsRouter
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


def test_report_reads_go_to_the_replica_and_writes_to_the_primary(settings):
    settings.REPORTS_DATABASE = "replica"
    cart = factories.CartFactory(device="mobile")
    with CaptureQueriesContext(connections["default"]) as primary:
        record(EventKind.CART_CREATED, cart=cart)
        record(EventKind.CHECKOUT_STARTED, cart=cart)
    assert [q["sql"].split()[0] for q in primary.captured_queries] == ["INSERT", "INSERT"]
    today = timezone.localdate()
    filters = ReportFilters(date_from=today, date_to=today)
    with CaptureQueriesContext(connections["replica"]) as replica, \
            CaptureQueriesContext(connections["default"]) as default:  # fmt: skip
        (row,) = selectors.funnel(filters)
        recovery_selectors.recovery_summary(filters)
        recovery_selectors.ab_tests(filters)
    assert row.counts[:2] == [1, 1]
    assert len(replica.captured_queries) >= 4
    assert "reports_event" in " ".join(q["sql"] for q in replica.captured_queries)
    assert default.captured_queries == []


def test_the_router_sends_reports_models_reads_to_the_replica_and_never_migrates_it(settings):
    router = ReportsRouter()
    settings.REPORTS_DATABASE = "replica"
    assert router.db_for_read(Event) == "replica"
    assert router.db_for_write(Event) == "default"
    assert router.db_for_read(factories.CartFactory._meta.model) is None
    assert router.allow_migrate("replica", "reports") is False
    assert router.allow_migrate("default", "reports") is None
    settings.REPORTS_DATABASE = "default"
    assert router.db_for_read(DailyRollup) == "default"


def test_the_rollup_job_writes_on_the_primary(settings):
    settings.REPORTS_DATABASE = "replica"
    record(EventKind.CART_CREATED, cart=factories.CartFactory())
    with CaptureQueriesContext(connections["replica"]) as replica:
        roll_up(today=timezone.localdate() + dt.timedelta(days=1))
    assert replica.captured_queries == []
    assert DailyRollup.objects.using("default").count() == 1
