"""The device class (mobile, tablet, desktop) of a request, from its User-Agent (ua-parser)."""

from __future__ import annotations

from functools import lru_cache

from ua_parser import parse

from cart.models import DeviceClass

TABLET_FAMILIES = {"iPad", "Kindle", "Kindle Fire"}
MOBILE_OS = {"iOS", "Android", "Windows Phone", "KaiOS", "HarmonyOS"}


@lru_cache(maxsize=2048)
def device_class(user_agent: str) -> str:
    if not user_agent:
        return DeviceClass.UNKNOWN
    result = parse(user_agent)
    device = result.device
    family = device.family if device else ""
    brand = (device.brand or "") if device else ""
    os_family = result.os.family if result.os else ""
    if family == "Spider":
        return DeviceClass.UNKNOWN
    if family in TABLET_FAMILIES or "Tablet" in brand or "Tablet" in family:
        return DeviceClass.TABLET
    if os_family == "Android" and "Mobile" not in user_agent:
        return DeviceClass.TABLET
    if os_family in MOBILE_OS or "Mobi" in user_agent:
        return DeviceClass.MOBILE
    return DeviceClass.DESKTOP
