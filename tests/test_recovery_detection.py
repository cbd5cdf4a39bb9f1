"""Abandonment detection (``recovery.services.detect_abandoned_carts``): an active cart with lines
and no activity for its market's cut-off becomes abandoned, once, by set-based updates; a write
makes it active again, an order makes it recovered; old abandoned carts expire and carts nobody
can be contacted about are deleted after their retention period."""

from __future__ import annotations

import io
import re
import threading
from datetime import timedelta

import pytest
import redis
from django.core.management import call_command
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rq.cron import CronScheduler

from cart import services as cart_services
from cart.models import Cart, CartLine, CartStatus
from recovery.jobs import detect_abandoned_carts_job
from recovery.models import LatestAbandonment
from recovery.selectors import abandonment_outcomes
from recovery.services import DetectionResult, detect_abandoned_carts
from shop.locale import ShopLocale
from tests import factories
from tests.recovery_world import abandoned_cart, cart_idle_since, snapshot, variant

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def market(db):
    return factories.MarketFactory(currency="EUR", abandonment_cutoff_minutes=60)


@pytest.fixture
def shirt(db):
    return variant("10.00", sku="SHIRT")


@pytest.fixture
def customer(db):
    return factories.CustomerFactory()


def status_of(cart: Cart) -> str:
    cart.refresh_from_db()
    return cart.status


# --- abandonment ------------------------------------------------------------------------------


def test_a_cart_idle_longer_than_the_cut_off_is_abandoned_at_last_activity_plus_cut_off(
    market, shirt, customer, now
):
    last_activity = now - timedelta(minutes=61, microseconds=123_456)
    cart = cart_idle_since(market, last_activity, (shirt, 1, "11.90"), customer=customer)

    result = detect_abandoned_carts(now=now)

    cart.refresh_from_db()
    assert result.abandoned == 1
    assert cart.status == CartStatus.ABANDONED
    assert cart.abandoned_at == last_activity + timedelta(minutes=60)
    assert cart.last_activity_at == last_activity, "detection is not activity"


def test_a_cart_just_under_the_cut_off_stays_active(market, shirt, customer, now):
    cart = cart_idle_since(market, now - timedelta(minutes=59, seconds=59), (shirt, 1, "11.90"),
                           customer=customer)  # fmt: skip

    assert detect_abandoned_carts(now=now).abandoned == 0
    cart.refresh_from_db()
    assert (cart.status, cart.abandoned_at) == (CartStatus.ACTIVE, None)


def test_a_cart_without_lines_is_never_abandoned(market, customer, now):
    cart = cart_idle_since(market, now - 10 * DAY, customer=customer)

    assert detect_abandoned_carts(now=now).abandoned == 0
    assert status_of(cart) == CartStatus.ACTIVE


def test_each_market_s_own_cut_off_is_respected(shirt, customer, now):
    quick = factories.MarketFactory(abandonment_cutoff_minutes=30)
    patient = factories.MarketFactory(abandonment_cutoff_minutes=180)
    idle_45_min = now - timedelta(minutes=45)
    idle_4_hours = now - 4 * HOUR
    quick_45 = cart_idle_since(quick, idle_45_min, (shirt, 1, "10"), customer=customer)
    patient_45 = cart_idle_since(patient, idle_45_min, (shirt, 1, "10"), customer=customer)
    patient_4h = cart_idle_since(patient, idle_4_hours, (shirt, 1, "10"), customer=customer)

    assert detect_abandoned_carts(now=now).abandoned == 2

    for cart in (quick_45, patient_45, patient_4h):
        cart.refresh_from_db()
    assert (quick_45.status, quick_45.abandoned_at) == (
        CartStatus.ABANDONED, idle_45_min + timedelta(minutes=30))  # fmt: skip
    assert (patient_45.status, patient_45.abandoned_at) == (CartStatus.ACTIVE, None)
    assert (patient_4h.status, patient_4h.abandoned_at) == (
        CartStatus.ABANDONED, idle_4_hours + timedelta(minutes=180))  # fmt: skip


@pytest.mark.parametrize(
    "status", [CartStatus.CONVERTED, CartStatus.MERGED, CartStatus.RECOVERED, CartStatus.EXPIRED]
)
def test_carts_that_are_no_longer_open_are_left_alone(market, shirt, customer, now, status):
    cart = cart_idle_since(market, now - 2 * DAY, (shirt, 1, "10"), customer=customer,
                           status=status)  # fmt: skip
    before = snapshot([cart])

    assert detect_abandoned_carts(now=now) == DetectionResult(abandoned=0, expired=0, purged=0)
    assert snapshot([cart]) == before


def test_running_it_again_changes_nothing(market, shirt, customer, now):
    cart_idle_since(market, now - 2 * HOUR, (shirt, 1, "10"), customer=customer)
    cart_idle_since(market, now - 5 * HOUR, (shirt, 2, "10"), customer=customer)
    cart_idle_since(market, now - 5 * HOUR, customer=customer)  # no lines
    cart_idle_since(market, now - timedelta(minutes=10), (shirt, 1, "10"), customer=customer)
    abandoned_cart(market, now - 100 * DAY, (shirt, 1, "10"), customer=customer)
    cart_idle_since(market, now - 40 * DAY, (shirt, 1, "10"))  # a guest's, to purge
    first = detect_abandoned_carts(now=now)
    after_first = snapshot()

    second = detect_abandoned_carts(now=now)

    assert first == DetectionResult(abandoned=3, expired=1, purged=1)
    assert second == DetectionResult(abandoned=0, expired=0, purged=0)
    assert snapshot() == after_first


def test_detection_issues_the_same_queries_for_5_carts_as_for_50(market, shirt, customer):
    now = timezone.now()

    def carts_of_every_kind(n: int) -> None:
        for _ in range(n):
            cart_idle_since(market, now - 2 * HOUR, (shirt, 1, "10"), customer=customer)
            abandoned_cart(market, now - 100 * DAY, (shirt, 1, "10"), customer=customer)
            cart_idle_since(market, now - 40 * DAY, customer=None)  # a guest's, to purge

    def queries_of_a_run(n: int) -> int:
        carts_of_every_kind(n)
        with CaptureQueriesContext(connection) as queries:
            result = detect_abandoned_carts(now=now)
        assert result == DetectionResult(abandoned=n, expired=n, purged=n)
        return len(queries)

    assert queries_of_a_run(5) == queries_of_a_run(50)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="one statement on PostgreSQL")
def test_every_market_is_abandoned_by_one_statement_on_postgresql(shirt, customer, now):
    markets = [factories.MarketFactory(abandonment_cutoff_minutes=30 * (i + 1)) for i in range(6)]
    for market in markets:
        cart_idle_since(market, now - 10 * HOUR, (shirt, 1, "10"), customer=customer)

    with CaptureQueriesContext(connection) as queries:
        result = detect_abandoned_carts(now=now)

    assert result.abandoned == len(markets)
    abandoning = [q["sql"] for q in queries.captured_queries
                  if q["sql"].lstrip().startswith("WITH idle AS MATERIALIZED")]  # fmt: skip
    assert len(abandoning) == 1, "one UPDATE joined to the markets' cut-offs"
    assert not [q for q in queries.captured_queries
                if q["sql"].startswith('UPDATE "cart_cart" SET "status"')
                and "'abandoned'" in q["sql"].split("WHERE", 1)[0]], "no UPDATE per market"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans of PostgreSQL")
def test_a_run_with_nothing_new_reads_the_partial_index_of_active_carts(shirt, now):
    """20,000 active carts, idle for up to 100 minutes, in markets whose cut-offs are 2 to 5
    hours: detection reads one empty index range per market (``cart_active_idle``), never the
    carts or their lines in full."""
    from recovery.services import _ANY_IDLE, abandon_parameters

    markets = [factories.MarketFactory(abandonment_cutoff_minutes=60 * (i + 2)) for i in range(4)]
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO cart_cart (token, market_id, country, region, currency, language, status,
                                   device, created_at, updated_at, last_activity_at,
                                   was_abandoned)
            SELECT gen_random_uuid(), (%s::bigint[])[1 + mod(i, 4)], 'DE', '', 'EUR', 'en',
                   'active', 'mobile', %s, %s, %s - make_interval(secs => mod(i, 6000)), false
            FROM generate_series(1, 20000) AS i
        """, [[m.pk for m in markets], now, now, now])  # fmt: skip
        cursor.execute("""
            INSERT INTO cart_cartline (cart_id, variant_id, quantity, unit_price_seen,
                                       unit_price_seen_currency, added_at, updated_at)
            SELECT id, %s, 1, 10, 'EUR', last_activity_at, last_activity_at FROM cart_cart
        """, [shirt.pk])  # fmt: skip
        cursor.execute("ANALYZE cart_cart")
        cursor.execute("ANALYZE cart_cartline")
        cursor.execute("EXPLAIN " + _ANY_IDLE, abandon_parameters(now))
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert re.search(r"Index (Only )?Scan (using|on) cart_active_idle", plan), plan
    assert "Seq Scan on cart_cart" not in plan, plan
    expire_before = now - 90 * DAY
    expiry = Cart.objects.filter(
        Q(customer__isnull=False) | Q(last_activity_at__lt=expire_before),
        status=CartStatus.ABANDONED, abandoned_at__lt=expire_before,
    ).explain()  # the expiry's conditions, as recovery.services writes them
    assert "Seq Scan on cart_cart" not in expiry, expiry
    with CaptureQueriesContext(connection) as queries:
        assert detect_abandoned_carts(now=now).abandoned == 0
    assert not [q for q in queries.captured_queries if "UPDATE cart_cart" in q["sql"]
                or "WITH idle" in q["sql"]], "nothing idle: no UPDATE of carts is even planned"


def test_the_customer_list_s_latest_abandoned_cart_follows_detection_writes_and_expiry(
    market, shirt, customer, now, settings
):
    settings.RECOVERY_EXPIRE_AFTER_DAYS = 90
    older = abandoned_cart(market, now - 10 * DAY, (shirt, 1, "10"), customer=customer)
    cart = cart_idle_since(market, now - 3 * HOUR, (shirt, 2, "10"), (variant("4.50"), 1, "4.5"),
                           customer=customer)  # fmt: skip

    def latest() -> tuple | None:
        row = LatestAbandonment.objects.filter(customer=customer).first()
        return (row.cart_id, row.abandoned_at, row.value) if row else None

    assert latest()[0] == older.pk
    detect_abandoned_carts(now=now)
    assert latest() == (cart.pk, now - 2 * HOUR, 24.5), "the newest, valued as seen"

    activity = cart_services.Activity(
        locale=ShopLocale(language="en", country="DE", currency="EUR", market=market)
    )
    cart_services.add_line(cart=cart, sku=shirt.sku, quantity=1, activity=activity)
    assert latest()[0] == older.pk, "active again: the older abandoned cart is the latest"

    detect_abandoned_carts(now=now + 85 * DAY)
    assert status_of(older) == CartStatus.EXPIRED
    assert latest()[0] == cart.pk, "the older one expired; the other is abandoned again"
    detect_abandoned_carts(now=now + 200 * DAY)
    assert latest() is None, "every abandoned cart expired"


# --- back to active, recovered ----------------------------------------------------------------


def test_a_write_to_an_abandoned_cart_makes_it_active_again(market, shirt, customer, now):
    cart = cart_idle_since(market, now - 3 * HOUR, (shirt, 1, "10"), customer=customer)
    detect_abandoned_carts(now=now)
    assert status_of(cart) == CartStatus.ABANDONED
    activity = cart_services.Activity(
        locale=ShopLocale(language="en", country="DE", currency="EUR", market=market)
    )

    cart_services.add_line(cart=cart, sku=shirt.sku, quantity=1, activity=activity)

    cart.refresh_from_db()
    assert (cart.status, cart.abandoned_at) == (CartStatus.ACTIVE, None)
    assert CartLine.objects.get(cart=cart).quantity == 2
    assert detect_abandoned_carts().abandoned == 0, "it has just seen activity"
    assert status_of(cart) == CartStatus.ACTIVE


@pytest.fixture
def world(cart_world):
    from tests.checkout_world import CheckoutWorld

    return CheckoutWorld()


def test_an_order_from_an_abandoned_cart_without_a_message_returned_by_itself(
    world, django_capture_on_commit_callbacks
):
    """Honest numbers: no recovery message was sent for this abandonment, so the order is the
    shopper's own return, not a recovery (``recovery.signals``)."""
    cart = world.checkout_cart("DE", (world.shirt_m, 1))
    Cart.objects.filter(pk=cart.pk).update(last_activity_at=timezone.now() - 2 * HOUR)
    detect_abandoned_carts()
    assert status_of(cart) == CartStatus.ABANDONED

    with django_capture_on_commit_callbacks(execute=True):
        order = world.place(cart)

    cart.refresh_from_db()
    assert order.cart_id == cart.pk
    assert (cart.status, cart.was_abandoned) == (CartStatus.CONVERTED, True)
    assert cart.customer_id == order.customer_id
    assert abandonment_outcomes() == {"recovered": 0, "returned_by_itself": 1}
    assert detect_abandoned_carts().abandoned == 0
    assert status_of(cart) == CartStatus.CONVERTED


# --- expiry and purge -------------------------------------------------------------------------


def test_abandoned_carts_older_than_the_expiry_period_expire(
    market, shirt, customer, now, settings
):
    settings.RECOVERY_EXPIRE_AFTER_DAYS = 90
    old = abandoned_cart(market, now - 90 * DAY - timedelta(seconds=1), (shirt, 1, "10"),
                         customer=customer)  # fmt: skip
    recent = abandoned_cart(market, now - 89 * DAY, (shirt, 1, "10"), customer=customer)

    assert detect_abandoned_carts(now=now).expired == 1

    assert status_of(old) == CartStatus.EXPIRED
    assert status_of(recent) == CartStatus.ABANDONED


def test_carts_nobody_can_be_contacted_about_are_deleted_after_the_retention_period(
    market, shirt, customer, now, settings
):
    settings.RECOVERY_GUEST_RETENTION_DAYS = 30
    settings.RECOVERY_EXPIRE_AFTER_DAYS = 90
    stale_guest = cart_idle_since(market, now - 31 * DAY, (shirt, 1, "10"))
    stale_guest_empty = cart_idle_since(market, now - 31 * DAY)
    stale_guest_abandoned = abandoned_cart(market, now - 40 * DAY, (shirt, 1, "10"))
    recent_guest = cart_idle_since(market, now - 29 * DAY, (shirt, 1, "10"))
    stale_customer = cart_idle_since(market, now - 60 * DAY, (shirt, 1, "10"), customer=customer)

    result = detect_abandoned_carts(now=now)

    assert result.purged == 3
    remaining = set(Cart.objects.values_list("pk", flat=True))
    assert {stale_guest.pk, stale_guest_empty.pk, stale_guest_abandoned.pk}.isdisjoint(remaining)
    assert not CartLine.objects.filter(
        cart_id__in=[stale_guest.pk, stale_guest_abandoned.pk]).exists()  # fmt: skip
    assert {recent_guest.pk, stale_customer.pk} <= remaining
    assert status_of(recent_guest) == CartStatus.ABANDONED, "kept, and still recoverable"
    assert status_of(stale_customer) == CartStatus.ABANDONED


def test_a_cart_with_an_order_is_never_purged(world, settings):
    settings.RECOVERY_GUEST_RETENTION_DAYS = 30
    cart = world.checkout_cart("DE", (world.shirt_m, 1))
    world.place(cart)
    # The cart's customer is gone (say, erased on request); its order must keep its cart.
    Cart.objects.filter(pk=cart.pk).update(
        customer=None, last_activity_at=timezone.now() - 60 * DAY
    )

    assert detect_abandoned_carts().purged == 0
    assert Cart.objects.filter(pk=cart.pk).exists()


# --- the command and the recurring job --------------------------------------------------------


def test_the_command_runs_detection_and_prints_the_counts(market, shirt, customer):
    now = timezone.now()
    cart_idle_since(market, now - 2 * HOUR, (shirt, 1, "10"), customer=customer)
    cart_idle_since(market, now - 3 * HOUR, (shirt, 1, "10"), customer=customer)
    abandoned_cart(market, now - 100 * DAY, (shirt, 1, "10"), customer=customer)
    cart_idle_since(market, now - 40 * DAY)  # a guest's empty cart
    out = io.StringIO()

    call_command("detect_abandoned_carts", stdout=out)

    assert out.getvalue().strip() == "abandoned 2, expired 1, purged 1"
    assert Cart.objects.filter(status=CartStatus.ABANDONED).count() == 2


def test_the_job_runs_detection_and_returns_the_counts(market, shirt, customer):
    cart_idle_since(market, timezone.now() - 2 * HOUR, (shirt, 1, "10"), customer=customer)

    assert detect_abandoned_carts_job() == {"abandoned": 1, "expired": 0, "purged": 0}


def test_the_detection_job_is_in_the_cron_configuration_every_minute(settings):
    assert ("recovery.jobs.detect_abandoned_carts_job", "default", "* * * * *") in (
        settings.SHOP_CRON_JOBS
    )


@pytest.mark.redis
def test_rq_cron_loads_the_detection_job_every_minute(redis_url):
    scheduler = CronScheduler(connection=redis.Redis.from_url(redis_url))

    scheduler.load_config_from_file("shop.cron")

    jobs = {job.func_name: job for job in scheduler.get_jobs()}
    job = jobs["recovery.jobs.detect_abandoned_carts_job"]
    assert job.func is detect_abandoned_carts_job
    assert (job.queue_name, job.cron) == ("default", "* * * * *")


# --- two runs at once (PostgreSQL) ------------------------------------------------------------

RUNS = 4


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="overlapping runs are only meaningful on PostgreSQL (SQLite serialises every write)",
)
@pytest.mark.django_db(transaction=True)
def test_overlapping_runs_abandon_each_cart_exactly_once():
    now = timezone.now()
    quick = factories.MarketFactory(abandonment_cutoff_minutes=30)
    slow = factories.MarketFactory(abandonment_cutoff_minutes=90)
    customer = factories.CustomerFactory()
    shirt = variant("10.00")
    idle = {}
    for i in range(150):
        market = quick if i % 2 else slow
        last = now - timedelta(minutes=120 + i)
        cart = cart_idle_since(market, last, (shirt, 1, "10"), customer=customer)
        idle[cart.pk] = last + timedelta(minutes=market.abandonment_cutoff_minutes)
    barrier = threading.Barrier(RUNS)
    results: list[DetectionResult] = []
    errors: list[BaseException] = []

    def run():
        try:
            barrier.wait(timeout=30)
            results.append(detect_abandoned_carts(now=now))
        except BaseException as error:  # noqa: BLE001  (reported to the test)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(RUNS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not any(thread.is_alive() for thread in threads), "a run hung"
    assert errors == []
    assert sum(result.abandoned for result in results) == len(idle), "each cart counted once"
    assert (
        dict(Cart.objects.filter(status=CartStatus.ABANDONED).values_list("pk", "abandoned_at"))
        == idle
    )


@pytest.mark.redis
def test_the_cart_reopened_by_an_expired_unpaid_order_is_the_customer_s_latest_abandoned_cart(
    world, django_capture_on_commit_callbacks
):
    from django.test import RequestFactory

    from checkout.jobs import expire_unpaid_orders
    from checkout.links import payment_return_url
    from checkout.models import Order
    from checkout.services import start_payment

    order = world.place(world.checkout_cart("DE", (world.shirt_m, 1)), "bank_transfer")
    start_payment(order=order, return_url=payment_return_url(RequestFactory().get("/"), order))
    Order.objects.filter(pk=order.pk).update(payment_due_at=timezone.now() - DAY)
    assert not LatestAbandonment.objects.filter(customer_id=order.customer_id).exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert expire_unpaid_orders() == 1

    latest = LatestAbandonment.objects.get(customer_id=order.customer_id)
    assert latest.cart_id == order.cart_id, "the customer list shows it, with its value"
