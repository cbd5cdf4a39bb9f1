"""Exchange rates: the ECB feed (served locally from a recording), the offline backend, the job
run by a real RQ worker on a real Redis, and its daily schedule."""

import functools
import threading
from decimal import Decimal
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis
import rq
from djmoney.contrib.exchange.models import ExchangeBackend, Rate
from rq.cron import CronScheduler

from shop.exchange import EcbBackend, RecordedRatesBackend, parse_ecb_xml, rebase
from shop.jobs import update_exchange_rates

DATA = Path(__file__).parent / "data"
ECB_XML = DATA / "ecb-eurofxref-daily.xml"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the signature of the base class
        pass


@pytest.fixture(scope="module")
def ecb_url():
    """A local HTTP server on 127.0.0.1 (random port) serving the recorded ECB feed."""
    handler = functools.partial(QuietHandler, directory=str(DATA))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{ECB_XML.name}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def stored_rates(backend_name: str) -> dict[str, Decimal]:
    return dict(Rate.objects.filter(backend_id=backend_name).values_list("currency", "value"))


def test_ecb_feed_is_parsed_into_rates_per_euro():
    rates = parse_ecb_xml(ECB_XML.read_bytes())

    assert rates["USD"] == Decimal("1.1587")
    assert rates["JPY"] == Decimal("180.12")
    assert "EUR" not in rates and "SAR" not in rates


@pytest.mark.django_db
def test_ecb_backend_stores_the_feed_with_usd_pegged_currencies(ecb_url):
    EcbBackend(url=ecb_url).update_rates(base_currency="EUR")

    rates = stored_rates("ecb")
    assert ExchangeBackend.objects.get(name="ecb").base_currency == "EUR"
    assert rates["USD"] == Decimal("1.1587")
    assert rates["GBP"] == Decimal("0.8812")
    assert rates["SAR"] == Decimal("4.345125")  # 1.1587 USD per EUR * 3.75 SAR per USD
    assert rates["AED"] == Decimal("4.255326")  # * 3.6725
    assert rates["BHD"] == Decimal("0.435671")  # * 0.376
    assert set(rates) >= {
        "USD",
        "JPY",
        "GBP",
        "PLN",
        "CHF",
        "CAD",
        "BRL",
        "CNY",
        "SAR",
        "AED",
        "BHD",
    }


@pytest.mark.django_db
def test_updating_rates_twice_replaces_them_instead_of_duplicating(ecb_url):
    backend = EcbBackend(url=ecb_url)

    backend.update_rates(base_currency="EUR")
    first = stored_rates("ecb")
    backend.update_rates(base_currency="EUR")

    assert stored_rates("ecb") == first
    assert Rate.objects.filter(backend_id="ecb").count() == len(first)


def test_ecb_backend_rebases_to_a_us_dollar_base(ecb_url):
    rates = EcbBackend(url=ecb_url).get_rates(base_currency="USD")

    assert "USD" not in rates
    assert rates["EUR"] == Decimal("0.863036")  # 1 / 1.1587
    assert rates["SAR"] == Decimal("3.750000")  # the peg itself
    assert rates["BHD"] == Decimal("0.376000")
    assert rates["JPY"] == Decimal("155.450073")  # 180.12 / 1.1587


def test_rebase_refuses_a_base_currency_the_feed_does_not_quote():
    with pytest.raises(ValueError, match="XAU"):
        rebase({"USD": Decimal("1.1")}, "XAU")


def test_rebase_without_usd_adds_no_pegs():
    assert rebase({"GBP": Decimal("0.88")}, "EUR") == {"GBP": Decimal("0.880000")}


def test_recorded_rates_match_the_recorded_ecb_feed_offline():
    recorded = RecordedRatesBackend().get_rates("EUR")

    assert recorded == rebase(parse_ecb_xml(ECB_XML.read_bytes()), "EUR")


@pytest.mark.django_db
def test_recorded_rates_job_stores_the_rates_the_shop_reads(rates):
    base, table = rates

    assert base == "EUR"
    assert table["USD"] == Decimal("1.1587")
    assert table["SAR"] == Decimal("4.345125")


@pytest.mark.django_db
def test_update_exchange_rates_job_fetches_from_the_configured_feed(settings, ecb_url):
    settings.ECB_RATES_URL = ecb_url

    count = update_exchange_rates("shop.exchange.EcbBackend")

    assert count == 13  # 10 quoted by the ECB + 3 pegged to the US dollar
    assert stored_rates("ecb")["CNY"] == Decimal("8.2390")


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_rates_job_runs_on_a_real_rq_worker(redis_url):
    connection = redis.Redis.from_url(redis_url)
    queue = rq.Queue("test-exchange-rates", connection=connection)
    queue.empty()

    job = queue.enqueue(update_exchange_rates, "shop.exchange.RecordedRatesBackend")
    worked = rq.SimpleWorker([queue], connection=connection).work(burst=True)

    job.refresh()
    assert worked
    assert job.get_status() == rq.job.JobStatus.FINISHED, job.latest_result().exc_string
    assert job.return_value() == 13
    assert stored_rates("recorded")["JPY"] == Decimal("180.12")


@pytest.mark.redis
def test_cron_registers_the_daily_rates_job(redis_url, settings):
    expressions = {path: cron for path, _queue, cron in settings.SHOP_CRON_JOBS}
    scheduler = CronScheduler(connection=redis.Redis.from_url(redis_url))

    scheduler.load_config_from_file("shop.cron")

    jobs = {job.func_name: job for job in scheduler.get_jobs()}
    rates_job = jobs["shop.jobs.update_exchange_rates"]
    assert rates_job.queue_name == "default"
    assert rates_job.cron == expressions["shop.jobs.update_exchange_rates"]
    assert rates_job.func is update_exchange_rates
