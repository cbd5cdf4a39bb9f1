"""Production settings: `check --deploy` passes with the README's production environment, HTTPS
behind a proxy only as configured, media and the RQ dashboard not open to everyone, nightly
clean-up of sessions and expired carts, no third-party resources on any page."""

from __future__ import annotations

import os
import re
import secrets
import shlex
import subprocess
import sys
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.utils import timezone
from django.utils.module_loading import import_string

from cart.jobs import delete_expired_carts
from cart.models import Cart, CartLine, CartStatus
from shop.jobs import clear_expired_sessions
from tests.checkout_world import CheckoutWorld
from tests.test_settings_from_environment import SETTINGS_VARIABLES, settings_under

REPO_ROOT = Path(__file__).resolve().parent.parent
# Variables a production environment may set; the machine's own must not leak into a case.
PRODUCTION_VARIABLES = (
    *SETTINGS_VARIABLES, "CSRF_TRUSTED_ORIGINS", "TRUSTED_PROXY", "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    "SERVE_MEDIA", "SECURE_COOKIES", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET",
    "EMAIL_BACKEND", "EMAIL_HOST", "EXCHANGE_BACKEND", "SHOP_BASE_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # the browser tests set it in this process; never in production
)  # fmt: skip


def readme_production_environment() -> dict[str, str]:
    """The ``export`` of the README's production section, its ``...`` placeholders filled in
    as an operator would (a strong secret key, passwords)."""
    section = (REPO_ROOT / "README.md").read_text().split("\n## Production", 1)[1]
    block = section.split("```sh", 1)[1].split("```", 1)[0].replace("\\\n", " ")
    export = next(line for line in block.splitlines() if line.startswith("export "))
    environment = {}
    for assignment in shlex.split(export)[1:]:
        name, _, value = assignment.partition("=")
        filler = secrets.token_urlsafe(50) if name == "SECRET_KEY" else secrets.token_hex(12)
        environment[name] = value.replace("...", filler)
    return environment


def check_deploy(environment: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_VARIABLES}
    env.update(DJANGO_SETTINGS_MODULE="shop.settings", **environment)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_readme_production_environment_passes_check_deploy_silently():
    environment = readme_production_environment()
    assert environment["STRIPE_SECRET_KEY"].startswith("sk_live_")

    result = check_deploy(environment)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert not re.search(r"WARNING|ERROR|\.W\d{3}|\.E\d{3}", result.stderr), result.stderr


def test_check_deploy_names_what_a_production_environment_leaves_out():
    environment = readme_production_environment()
    for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS"):
        environment.pop(name)

    output = check_deploy(environment)

    assert "security.W004" in output.stderr + output.stdout  # HSTS
    assert "security.W008" in output.stderr + output.stdout  # HTTPS redirect


def test_the_production_set_up_redirects_to_https_and_sends_hsts():
    values = settings_under(
        "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER", "SERVE_MEDIA",
        **readme_production_environment(),
    )  # fmt: skip

    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SERVE_MEDIA"] is False


@pytest.mark.parametrize(("environment", "serve"), [
    ({}, False), ({"DEBUG": "1"}, True), ({"SERVE_MEDIA": "1"}, True),
    ({"DEBUG": "1", "SERVE_MEDIA": "0"}, False),
])  # fmt: skip
def test_media_is_served_by_django_only_when_asked(environment, serve):
    assert settings_under("SERVE_MEDIA", **environment)["SERVE_MEDIA"] is serve


@pytest.mark.parametrize(("environment", "header"), [
    ({}, None), ({"TRUSTED_PROXY": "1"}, ["HTTP_X_FORWARDED_PROTO", "https"]),
])  # fmt: skip
def test_x_forwarded_proto_is_trusted_only_with_trusted_proxy(environment, header):
    assert settings_under("SECURE_PROXY_SSL_HEADER", **environment)["SECURE_PROXY_SSL_HEADER"] == (
        header
    )


@pytest.mark.django_db
def test_uploaded_media_is_not_served_by_default(client):
    django_settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
    (django_settings.MEDIA_ROOT / "private.txt").write_text("not for everyone")

    assert client.get("/media/private.txt").status_code == 404


@pytest.mark.django_db
def test_anyone_sending_x_forwarded_proto_is_not_taken_for_https(client):
    response = client.get("/en/", headers={"X-Forwarded-Proto": "https"})

    assert response.wsgi_request.is_secure() is False


@pytest.mark.django_db
def test_behind_a_trusted_proxy_http_is_redirected_and_https_gets_hsts(client, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000

    plain = client.get("/en/", headers={"X-Forwarded-Proto": "http"})
    secure = client.get("/en/", headers={"X-Forwarded-Proto": "https"})

    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")


# --- the RQ dashboard -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "status"), [
    ("staff", 403), ("superuser", 200), ("anonymous", 302),
])  # fmt: skip
def test_the_rq_dashboard_is_for_superusers_only(client, kind, status):
    users = get_user_model().objects
    if kind == "staff":
        client.force_login(users.create_user("clerk", "clerk@example.com", "pw", is_staff=True))
    elif kind == "superuser":
        client.force_login(users.create_superuser("boss", "boss@example.com", "pw"))

    for url in ("/django-rq/", "/django-rq/queues/0/", "/django-rq/stats.json/"):
        response = client.get(url)
        assert response.status_code == (401 if status == 302 and "json" in url else status), url


# --- nightly clean-up -------------------------------------------------------------------------


def test_sessions_and_expired_carts_are_cleared_by_cron():
    jobs = {path for path, _queue, _cron in django_settings.SHOP_CRON_JOBS}

    assert {"shop.jobs.clear_expired_sessions", "cart.jobs.delete_expired_carts"} <= jobs
    for path in jobs:
        import_string(path)  # what `rqcron shop.cron` does


@pytest.mark.django_db
def test_clearing_sessions_deletes_the_expired_ones_only():
    now = timezone.now()
    Session.objects.create(session_key="old" * 8, session_data="", expire_date=now - timedelta(1))
    Session.objects.create(session_key="new" * 8, session_data="", expire_date=now + timedelta(1))

    clear_expired_sessions()

    assert list(Session.objects.values_list("session_key", flat=True)) == ["new" * 8]


def test_expired_carts_are_deleted_with_their_lines_and_nothing_else(cart_world):
    w = cart_world
    expired = w.cart(w.eu, "DE", (w.shirt_m, 1), status=CartStatus.EXPIRED)
    kept = [w.cart(w.eu, "DE", (w.shirt_m, 1), status=status)
            for status in (CartStatus.ACTIVE, CartStatus.ABANDONED, CartStatus.CONVERTED)]

    assert delete_expired_carts() == 1

    assert not Cart.objects.filter(pk=expired.pk).exists()
    assert not CartLine.objects.filter(cart_id=expired.pk).exists()
    assert set(Cart.objects.values_list("pk", flat=True)) == {cart.pk for cart in kept}


# --- nothing from a third party ---------------------------------------------------------------


class Resources(HTMLParser):
    """Every URL a page makes the browser load by itself (scripts, styles, images, frames)."""

    LOADING = {"script": "src", "img": "src", "iframe": "src", "source": "src", "embed": "src",
               "video": "src", "audio": "src", "object": "data"}  # fmt: skip

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in self.LOADING and attributes.get(self.LOADING[tag]):
            self.urls.append(attributes[self.LOADING[tag]])
        if tag == "link" and attributes.get("href") and attributes.get("rel") not in {
            "alternate", "canonical",
        }:  # fmt: skip
            self.urls.append(attributes["href"])
        for url in re.findall(r"url\(['\"]?([^'\")]+)", attributes.get("style") or ""):
            self.urls.append(url)


def foreign(urls: list[str]) -> list[str]:
    return [url for url in urls if urlsplit(url).netloc not in {"", "testserver"}]


@pytest.mark.django_db
def test_no_page_loads_anything_from_a_third_party(client, cart_world):
    world = CheckoutWorld()
    cart = world.checkout_cart("DE", (world.shirt_m, 1))
    session = client.session
    session[django_settings.CART_SESSION_KEY] = str(cart.token)
    session.save()
    pages = ["/de/", f"/de/p/{world.shirt.slug}/", "/de/cart/", "/de/checkout/?country=DE",
             "/api/v1/docs/", "/admin/login/"]  # fmt: skip
    loaded = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        parser = Resources()
        parser.feed(response.content.decode())
        assert parser.urls, url  # the page does load its own files
        loaded[url] = foreign(parser.urls)

    assert loaded == {url: [] for url in pages}


@pytest.mark.django_db
def test_the_swagger_ui_comes_from_the_shops_own_static_files(client):
    html = client.get("/api/v1/docs/").content.decode()

    parser = Resources()
    parser.feed(html)
    assert any("swagger-ui-dist/swagger-ui-bundle.js" in url for url in parser.urls)
    assert all(url.startswith("/static/") for url in parser.urls), parser.urls
    assert "validator.swagger.io" not in html and "cdn.jsdelivr" not in html
