"""Browser tests: Playwright drives the machine's Chromium (Debian's package, installed by
``.ci/run``; Playwright's own browser download does not work here) against pytest-django's live
server, at a phone-sized viewport.

Every test in this folder is marked ``browser`` and needs the demo data, loaded inside the test
(``call_command("load_demo")``) once the live server's database is there.
"""

import io
import os
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop running in the main thread for the whole session:
# Django would refuse every database call made from it (fixtures, teardown flushes, other tests).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
PHONE = {"width": 390, "height": 844}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Mark every test of this folder ``browser`` (``-m "not browser"`` leaves them out)."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium; fail loudly (not skip) when it is missing: CI installs it."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests drive the machine's Chromium "
            "(apt-get install -y --no-upgrade chromium); Playwright's own download is not used.",
            pytrace=False,
        )
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
        "headless": True,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A phone: 390×844, touch, mobile layout."""
    return {
        **browser_context_args,
        "viewport": PHONE,
        "screen": PHONE,
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    }


@pytest.fixture
def demo(live_server):
    """The demo shop (markets, catalog, customers, carts) in the live server's database."""
    from django.core.management import call_command

    call_command("load_demo", stdout=io.StringIO())
    return live_server


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def pytest_configure(config):
    # pytest-playwright 0.10 defines its fallback ``base_url`` fixture as a method: pytest 9
    # warns about it in every run that uses the plugin's fixtures. Not ours to fix.
    config.addinivalue_line(
        "filterwarnings",
        "ignore:(?s)Session-scoped fixtures defined as instance methods.*'base_url' fixture",
    )
