"""``PORT=… make demo`` sends mails whose links lead back to that port.

The demo is served the way ``make demo`` serves it: ``manage.py run_demo --port N`` in its own
process group (runserver, an RQ worker with its scheduler, RQ cron and an embedded Redis), on a
free port, with its own SQLite database and ``var`` directory, and mail going to the loopback
SMTP server of the suite. ``SHOP_BASE_URL`` is not set. A shopper places an order in Chromium;
the demo's worker sends the confirmation; its link, opened in a browser that never saw the shop,
lands on the order. A recovery message sent by the same worker carries a restore link and the
one-click unsubscribe header, both on that port.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_checkout_browser import (
    DE_ADDRESS,
    MUG,
    choose_payment,
    confirmation_url,
    fill,
    fill_cart,
    pay_at_the_sandbox,
    place_order,
)
from tests.smtp_server import LoopbackSMTPServer, ReceivedMail

REPO_ROOT = Path(__file__).resolve().parents[2]
# Variables of this process (the suite's settings, its Redis) that the demo must not inherit.
NOT_INHERITED = (
    "DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "SHOP_BASE_URL", "SHOP_VAR_DIR",
    "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "PORT", "HOST", "SECRET_KEY_FILE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)  # fmt: skip
LINK = re.compile(r"https?://[^\s\"'<>]+")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=env,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def wait_until_served(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            with urllib.request.urlopen(f"{url}/health/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"the demo did not answer on {url}: {log.read_text()[-3000:]}")


def wait_for_mail(smtp: LoopbackSMTPServer, match) -> ReceivedMail:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = [mail for mail in list(smtp.messages) if match(mail)]
        if found:
            return found[0]
        time.sleep(0.3)
    subjects = [mail.message["Subject"] for mail in smtp.messages]
    raise AssertionError(f"no such mail reached the SMTP server; it has {subjects}")


def links_of(mail: ReceivedMail) -> list[str]:
    return LINK.findall(mail.part("text/plain")) + LINK.findall(mail.part("text/html"))


@pytest.fixture
def smtp():
    with LoopbackSMTPServer() as server:
        yield server


@pytest.fixture
def served_demo(tmp_path, smtp):
    """The demo on a free port, as ``PORT=N make demo`` runs it; yields (url, environment)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update(
        DJANGO_SETTINGS_MODULE="shop.settings", DEBUG="1", PORT=str(port),
        SHOP_VAR_DIR=str(tmp_path / "var"), DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        SECRET_KEY="demo-port-test-" + "x" * 40,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp.port),
    )  # fmt: skip
    manage(env, "migrate", "--noinput")
    manage(env, "load_demo")
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_demo", "--port", str(port)], cwd=REPO_ROOT,
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_served(url, process, log)
        yield url, env
    finally:
        process.send_signal(signal.SIGINT)  # run_demo stops its children, Redis last
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


SEND_RECOVERY_MESSAGE = """
from cart.models import Cart, CartStatus
from recovery.outbox import queue_message
cart = Cart.objects.filter(
    status=CartStatus.ABANDONED, customer__marketing_consent=True,
    customer__unsubscribed_at__isnull=True, language="de",
).select_related("customer").first()
queue_message(key="demo-port-test", cart=cart, channel="email", subject="Ihr Warenkorb",
              body="Hallo {first_name}, {restore_link}")
print(cart.customer.email)
"""


def test_mails_of_a_demo_on_another_port_link_back_to_that_port(
    served_demo, smtp, page: Page, browser: Browser
):
    url, env = served_demo
    assert not url.endswith(":8000")

    # An order placed in the browser; the demo's own worker sends its confirmation.
    cart = fill_cart(page, url, "de", "DE", MUG)
    page.goto(f"{url}/de/checkout/")
    fill(page, DE_ADDRESS)
    choose_payment(page, "card")
    place_order(page)
    pay_at_the_sandbox(page, url, "de", "paid", cart["total"])
    expect(page).to_have_url(confirmation_url(url, "de"))
    number = page.locator(".order-number strong").inner_text()

    confirmation = wait_for_mail(smtp, lambda mail: number in mail.message["Subject"])
    links = links_of(confirmation)
    assert links, confirmation.part("text/plain")
    assert all(link.startswith(url + "/") for link in links), links
    order_link = next(link for link in links if f"/checkout/order/{number}/" in link)

    fresh = browser.new_context(viewport={"width": 390, "height": 844})  # another device
    other = fresh.new_page()
    other.goto(order_link)
    expect(other).to_have_url(confirmation_url(url, "de"))
    expect(other.locator(".order-number strong")).to_have_text(number)

    # A recovery message: queued from a shell, sent by the demo's worker.
    email = manage(env, "shell", "-c", SEND_RECOVERY_MESSAGE).stdout.strip().splitlines()[-1]
    recovery = wait_for_mail(smtp, lambda mail: email in mail.rcpt_to)
    unsubscribe = recovery.message["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith(url + "/"), unsubscribe
    restore = next(link for link in links_of(recovery) if "/m/r/" in link)
    assert restore.startswith(url + "/"), restore
    other.goto(restore)
    expect(other).to_have_url(re.compile(re.escape(url) + r"/de/cart/"))
    expect(other.locator(".cart-line").first).to_be_visible()
    other.goto(unsubscribe)
    expect(other).to_have_url(unsubscribe)
    with other.expect_navigation():
        other.locator("article.confirmation form button[value=all]").click()
    expect(other.locator("article.confirmation h1")).to_be_visible()
    expect(other.locator("article.confirmation form")).to_have_count(0)  # done
    fresh.close()
