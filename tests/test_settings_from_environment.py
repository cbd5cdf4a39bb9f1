"""Settings come from the environment: each case imports ``shop.settings`` in a fresh process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# Variables the settings read; each case starts without them so the machine's own don't leak in.
SETTINGS_VARIABLES = (
    "DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "DATABASE_URL",
    "REDIS_URL", "ALLOWED_HOSTS", "TIME_ZONE", "SHOP_VAR_DIR", "RATES_CRON",
)  # fmt: skip

READ_SETTINGS = """
import json, sys
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in sys.argv[1:]}, default=str))
"""


def run_settings(*names: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    environment.update(DJANGO_SETTINGS_MODULE="shop.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", READ_SETTINGS, *names],
        cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def settings_under(*names: str, **env: str) -> dict:
    env.setdefault("SECRET_KEY", "a-key-from-the-environment")
    result = run_settings(*names, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_database_url_selects_postgresql():
    databases = settings_under("DATABASES", DATABASE_URL="postgres://u:p@h:5432/db")["DATABASES"]

    default = databases["default"]
    assert default["ENGINE"] == "django.db.backends.postgresql"
    assert (default["NAME"], default["USER"], default["PASSWORD"]) == ("db", "u", "p")
    assert (default["HOST"], default["PORT"]) == ("h", 5432)


def test_without_database_url_the_demo_uses_sqlite_in_the_repository():
    default = settings_under("DATABASES")["DATABASES"]["default"]

    assert default["ENGINE"] == "django.db.backends.sqlite3"
    assert default["NAME"] == str(REPO_ROOT / "db.sqlite3")


def test_redis_url_feeds_every_rq_queue():
    url = "redis://cache.internal:6380/3"
    queues = settings_under("RQ_QUEUES", REDIS_URL=url)["RQ_QUEUES"]

    assert queues, "RQ_QUEUES is empty"
    assert {queue["URL"] for queue in queues.values()} == {url}


def test_without_redis_url_queues_use_the_embedded_redis_socket_under_var():
    found = settings_under("RQ_QUEUES", "REDIS_URL")

    expected = f"unix://{REPO_ROOT / 'var' / 'redis.sock'}?db=0"
    assert found["REDIS_URL"] == expected
    assert found["RQ_QUEUES"]["default"]["URL"] == expected


def test_without_debug_a_missing_secret_key_refuses_to_start():
    result = run_settings("SECRET_KEY", DEBUG="0")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr.strip().splitlines()[-1]


def test_debug_without_secret_key_generates_one_and_reuses_it(tmp_path):
    key_file = tmp_path / "secret_key"
    env = {"DEBUG": "1", "SECRET_KEY_FILE": str(key_file)}

    first = run_settings("SECRET_KEY", **env)
    second = run_settings("SECRET_KEY", **env)

    assert first.returncode == 0, first.stderr
    key = json.loads(first.stdout)["SECRET_KEY"]
    assert len(key) >= 50
    assert key_file.read_text().strip() == key
    assert key_file.stat().st_mode & 0o077 == 0, "the generated key must be private to its owner"
    assert json.loads(second.stdout)["SECRET_KEY"] == key


def test_a_secret_key_from_the_environment_wins_over_the_key_file(tmp_path):
    key_file = tmp_path / "secret_key"

    found = settings_under("SECRET_KEY", DEBUG="1", SECRET_KEY_FILE=str(key_file))

    assert found["SECRET_KEY"] == "a-key-from-the-environment"
    assert not key_file.exists()


def test_allowed_hosts_and_time_zone_come_from_the_environment():
    found = settings_under(
        "ALLOWED_HOSTS", "TIME_ZONE", "USE_TZ",
        ALLOWED_HOSTS="shop.example, www.shop.example", TIME_ZONE="Europe/Berlin",
    )  # fmt: skip

    assert found["ALLOWED_HOSTS"] == ["shop.example", "www.shop.example"]
    assert found["TIME_ZONE"] == "Europe/Berlin"
    assert found["USE_TZ"] is True


@pytest.mark.parametrize(
    ("debug", "hosts"), [("0", []), ("1", ["localhost", "127.0.0.1", "[::1]"])]
)
def test_allowed_hosts_default_is_local_only_in_debug(debug, hosts):
    assert settings_under("ALLOWED_HOSTS", DEBUG=debug)["ALLOWED_HOSTS"] == hosts


def test_defaults_store_times_in_utc():
    found = settings_under("TIME_ZONE", "USE_TZ")

    assert found == {"TIME_ZONE": "UTC", "USE_TZ": True}


def test_rates_job_runs_daily_by_default_and_rates_cron_reschedules_it():
    def rates_cron(**env):
        jobs = settings_under("SHOP_CRON_JOBS", **env)["SHOP_CRON_JOBS"]
        return {path: cron for path, _queue, cron in jobs}["shop.jobs.update_exchange_rates"]

    assert rates_cron() == "15 6 * * *"
    assert rates_cron(RATES_CRON="0 * * * *") == "0 * * * *"


def test_shop_base_url_follows_the_port_the_demo_serves_unless_set():
    """``PORT=8080 make demo``: links in mails lead to port 8080, not 8000."""
    assert settings_under("SHOP_BASE_URL", PORT="8080", SHOP_BASE_URL="")["SHOP_BASE_URL"] == (
        "http://127.0.0.1:8080"
    )
    assert settings_under("SHOP_BASE_URL", PORT="", SHOP_BASE_URL="")["SHOP_BASE_URL"] == (
        "http://127.0.0.1:8000"
    )
    chosen = settings_under("SHOP_BASE_URL", PORT="8080", SHOP_BASE_URL="https://shop.example")
    assert chosen["SHOP_BASE_URL"] == "https://shop.example"


def test_run_demo_gives_its_processes_the_address_it_serves_on():
    from shop.management.commands.run_demo import demo_base_url

    assert demo_base_url("127.0.0.1", "8080") == "http://127.0.0.1:8080"
    assert demo_base_url("0.0.0.0", 9000) == "http://127.0.0.1:9000"
    assert demo_base_url("::1", 9000) == "http://[::1]:9000"
