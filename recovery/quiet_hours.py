"""Quiet hours: no SMS or WhatsApp marketing at night in the customer's own time zone.

The customer's zone comes from their country (a small table of each country's most populous
zone; a country spanning several zones gets its main one), else from their market's
``time_zone``, else the shop's ``TIME_ZONE``. The window is the market's
(``quiet_hours_start``/``quiet_hours_end``, 21:00 to 09:00 by default; empty: none). A message
due inside it is not skipped: it waits until the window ends (``next_allowed``).
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta
from functools import lru_cache

from django.conf import settings

from recovery.models import Channel

QUIET_CHANNELS = {Channel.SMS, Channel.WHATSAPP}

# ISO 3166 country -> IANA zone (the zone most of the country's people live in).
COUNTRY_ZONES = {
    "AE": "Asia/Dubai", "AR": "America/Argentina/Buenos_Aires", "AT": "Europe/Vienna",
    "AU": "Australia/Sydney", "BE": "Europe/Brussels", "BG": "Europe/Sofia",
    "BH": "Asia/Bahrain", "BR": "America/Sao_Paulo", "CA": "America/Toronto",
    "CH": "Europe/Zurich", "CL": "America/Santiago", "CN": "Asia/Shanghai",
    "CO": "America/Bogota", "CY": "Asia/Nicosia", "CZ": "Europe/Prague", "DE": "Europe/Berlin",
    "DK": "Europe/Copenhagen", "EE": "Europe/Tallinn", "EG": "Africa/Cairo",
    "ES": "Europe/Madrid", "FI": "Europe/Helsinki", "FR": "Europe/Paris", "GB": "Europe/London",
    "GR": "Europe/Athens", "HK": "Asia/Hong_Kong", "HR": "Europe/Zagreb",
    "HU": "Europe/Budapest", "ID": "Asia/Jakarta", "IE": "Europe/Dublin",
    "IL": "Asia/Jerusalem", "IN": "Asia/Kolkata", "IT": "Europe/Rome", "JP": "Asia/Tokyo",
    "KR": "Asia/Seoul", "KW": "Asia/Kuwait", "LT": "Europe/Vilnius",
    "LU": "Europe/Luxembourg", "LV": "Europe/Riga", "MA": "Africa/Casablanca",
    "MT": "Europe/Malta", "MX": "America/Mexico_City", "MY": "Asia/Kuala_Lumpur",
    "NG": "Africa/Lagos", "NL": "Europe/Amsterdam", "NO": "Europe/Oslo",
    "NZ": "Pacific/Auckland", "OM": "Asia/Muscat", "PE": "America/Lima",
    "PH": "Asia/Manila", "PL": "Europe/Warsaw", "PT": "Europe/Lisbon", "QA": "Asia/Qatar",
    "RO": "Europe/Bucharest", "SA": "Asia/Riyadh", "SE": "Europe/Stockholm",
    "SG": "Asia/Singapore", "SI": "Europe/Ljubljana", "SK": "Europe/Bratislava",
    "TH": "Asia/Bangkok", "TR": "Europe/Istanbul", "TW": "Asia/Taipei", "UA": "Europe/Kyiv",
    "US": "America/New_York", "VN": "Asia/Ho_Chi_Minh", "ZA": "Africa/Johannesburg",
}  # fmt: skip

# Regions of the countries that span several zones, where most customers live elsewhere than
# the country's main zone (ISO 3166-2 subdivision codes without the country).
REGION_ZONES = {
    "US": {**dict.fromkeys(["CA", "WA", "OR", "NV"], "America/Los_Angeles"),
           **dict.fromkeys(["CO", "UT", "NM", "MT", "WY", "ID"], "America/Denver"),
           "AZ": "America/Phoenix", "AK": "America/Anchorage", "HI": "Pacific/Honolulu",
           **dict.fromkeys(["TX", "IL", "MN", "WI", "MO", "IA", "LA", "OK", "KS", "NE", "AL",
                            "MS", "AR", "TN", "ND", "SD"], "America/Chicago")},
    "CA": {"BC": "America/Vancouver", "AB": "America/Edmonton", "MB": "America/Winnipeg",
           "SK": "America/Regina", "NS": "America/Halifax", "NB": "America/Moncton",
           "NL": "America/St_Johns"},
    "AU": {"WA": "Australia/Perth", "SA": "Australia/Adelaide", "QLD": "Australia/Brisbane",
           "NT": "Australia/Darwin", "VIC": "Australia/Melbourne", "TAS": "Australia/Hobart"},
    "BR": {"AM": "America/Manaus", "MT": "America/Cuiaba", "MS": "America/Campo_Grande",
           "RO": "America/Porto_Velho", "RR": "America/Boa_Vista", "AC": "America/Rio_Branco"},
    "MX": {"BC": "America/Tijuana", "SON": "America/Hermosillo", "CHH": "America/Chihuahua"},
}  # fmt: skip


@lru_cache(maxsize=256)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def zone_for(country: str | None, market_zone: str = "", region: str = "") -> zoneinfo.ZoneInfo:
    """The customer's time zone: their region's or country's, else their market's, else the
    shop's."""
    country = str(country or "").upper()
    name = (REGION_ZONES.get(country, {}).get((region or "").upper().rpartition("-")[2])
            or COUNTRY_ZONES.get(country) or market_zone or settings.TIME_ZONE)  # fmt: skip
    try:
        return _zone(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return _zone(settings.TIME_ZONE)


def next_allowed(now: datetime, zone: zoneinfo.ZoneInfo, start: time | None,
                 end: time | None) -> datetime | None:  # fmt: skip
    """When a message due at ``now`` may leave: None if now, else the end of the quiet hours
    (an aware datetime). ``start`` after ``end`` is a window across midnight (21:00-09:00)."""
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(zone)
    clock = local.time()
    if start > end:
        quiet = clock >= start or clock < end
    else:
        quiet = start <= clock < end
    if not quiet:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    # Wall-clock time of the morning; on a DST gap the zone shifts it, which is still morning.
    return datetime.combine(day, end, tzinfo=zone)


def wait_until(now: datetime, channel: str, market, country: str | None,
               region: str = "") -> datetime | None:  # fmt: skip
    """For a message on ``channel`` to a customer in ``country``/``region`` of ``market`` (a
    Market, or None: no quiet hours known): when it may leave, if not now."""
    if channel not in QUIET_CHANNELS or market is None:
        return None
    return next_allowed(now, zone_for(country, market.time_zone, region),
                        market.quiet_hours_start, market.quiet_hours_end)  # fmt: skip
