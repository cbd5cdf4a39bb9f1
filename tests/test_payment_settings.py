"""Payment routing, payment windows and rate limits come from the environment: each case
imports ``shop.settings`` in a fresh process, as a deployment would."""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
VARIABLES = ("DJANGO_SETTINGS_MODULE", "DEBUG", "STRIPE_SECRET_KEY", "PIX_PROVIDER",
             "PAYMENT_WINDOWS", "PAYMENT_SANDBOX", "RATE_LIMIT_PLACE_ORDER",
             "RATE_LIMIT_PROXY_COUNT")  # fmt: skip
READ = """
import json, sys
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in sys.argv[1:]}, default=str))
"""
STRIPE = "checkout.payments.stripe.Stripe"
SANDBOX = "checkout.payments.sandbox.Sandbox"


def run(*names: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    environment.update(DJANGO_SETTINGS_MODULE="shop.settings", SECRET_KEY="k" * 50, **env)
    return subprocess.run([sys.executable, "-c", READ, *names], cwd=REPO_ROOT, env=environment,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def settings_under(*names: str, **env: str) -> dict:
    result = run(*names, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_with_a_stripe_key_cards_boleto_and_konbini_go_to_stripe_pix_stays_static():
    providers = settings_under("PAYMENT_PROVIDERS", STRIPE_SECRET_KEY="sk_live_x")[
        "PAYMENT_PROVIDERS"
    ]

    assert providers["*"] == providers["boleto"] == providers["konbini"] == STRIPE
    assert providers["pix"] == "checkout.payments.offline.Pix"


def test_pix_goes_to_stripe_when_asked():
    providers = settings_under(
        "PAYMENT_PROVIDERS", STRIPE_SECRET_KEY="sk_live_x", PIX_PROVIDER="stripe"
    )["PAYMENT_PROVIDERS"]

    assert providers["pix"] == STRIPE


def test_without_a_key_online_methods_have_only_the_sandbox_which_the_environment_cannot_unlock():
    values = settings_under("PAYMENT_PROVIDERS", "PAYMENT_SANDBOX", PAYMENT_SANDBOX="1")

    assert values["PAYMENT_PROVIDERS"]["*"] == values["PAYMENT_PROVIDERS"]["boleto"] == SANDBOX
    assert values["PAYMENT_SANDBOX"] is False


def test_payment_windows_default_per_method_and_are_overridden_from_the_environment():
    default = settings_under("PAYMENT_WINDOWS")["PAYMENT_WINDOWS"]
    changed = settings_under("PAYMENT_WINDOWS", PAYMENT_WINDOWS="pix=15m, *=2h,boleto=5d")[
        "PAYMENT_WINDOWS"
    ]

    assert default == {"pix": 30, "boleto": 4320, "konbini": 4320, "oxxo": 4320,
                       "bank_transfer": 10080,
                       "cod": 0, "*": 60}  # fmt: skip
    assert (changed["pix"], changed["*"], changed["boleto"]) == (15, 120, 7200)
    assert changed["bank_transfer"] == 10080


def test_a_malformed_payment_window_refuses_to_start_and_says_how_to_write_it():
    result = run("PAYMENT_WINDOWS", PAYMENT_WINDOWS="pix=half an hour")

    assert result.returncode != 0
    assert "method=30m" in result.stderr


def test_rate_limits_and_the_trusted_proxy_count_come_from_the_environment():
    values = settings_under("SHOP_RATE_LIMITS", "REST_FRAMEWORK", RATE_LIMIT_PLACE_ORDER="5/m",
                            RATE_LIMIT_PROXY_COUNT="1")  # fmt: skip

    assert values["SHOP_RATE_LIMITS"]["place_order"] == "5/m"
    assert values["REST_FRAMEWORK"]["NUM_PROXIES"] == 1
