"""The device class of a cart's last activity, from the request's User-Agent."""

import pytest

from cart.devices import device_class
from cart.models import Cart

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
ANDROID_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/16.6 Mobile/15E148 Safari/604.1"
)
DESKTOP_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
DESKTOP_MAC_SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
GOOGLEBOT_SMARTPHONE = (
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/126.0.0.0 Mobile Safari/537.36 (compatible; Googlebot/2.1; "
    "+http://www.google.com/bot.html)"
)


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (IPHONE, "mobile"),
        (ANDROID_PHONE, "mobile"),
        (ANDROID_TABLET, "tablet"),
        (IPAD, "tablet"),
        (DESKTOP_CHROME, "desktop"),
        (DESKTOP_MAC_SAFARI, "desktop"),
        (GOOGLEBOT, "unknown"),
        (GOOGLEBOT_SMARTPHONE, "unknown"),
        ("", "unknown"),
    ],
    ids=["iphone", "android-phone", "android-tablet", "ipad", "desktop-chrome", "desktop-safari",
         "bot", "bot-smartphone", "empty"],  # fmt: skip
)
def test_device_class_of_a_user_agent(user_agent, expected):
    assert device_class(user_agent) == expected


def test_garbage_user_agent_is_not_an_error():
    assert device_class("\x00💥" * 500) in {"desktop", "unknown"}


def test_a_cart_created_from_a_phone_remembers_the_phone(cart_world, client):
    w = cart_world
    w.eu, w.shirt_m  # noqa: B018  (creates them)

    client.post("/en/cart/add/?country=DE", {"sku": "SHIRT-M"}, headers={"user-agent": IPHONE})
    client.post("/en/cart/add/?country=DE", {"sku": "SHIRT-M"}, headers={"user-agent": IPAD})

    assert Cart.objects.get().device == "tablet"  # the last activity's device
