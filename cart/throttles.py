"""Rate limits on the writes a script could repeat: cart changes and order placement.

A script placing a hundred unpaid orders a minute holds stock it never pays for (until the
payment window closes) and fills the outbox; a shopper never comes near these limits. Each
limit counts per client (IP address) and, where the request names one, per contact (e-mail),
so neither many addresses from one machine nor one address from many machines get through.

The counters are fixed windows in the shared cache (Redis: ``CACHES["default"]``), incremented
atomically, so every web process counts the same requests and concurrent requests cannot slip
past a limit. The same throttles serve the JSON API (DRF ``throttle_classes``) and the HTML
forms (``rate_limited``), which answer 429 with a translated message and ``Retry-After``.

Rates are ``settings.SHOP_RATE_LIMITS`` (``"30/m"``: count per s, m, h or d; empty: no limit),
set from the environment (README, Configuration). Behind a reverse proxy set
``RATE_LIMIT_PROXY_COUNT`` so that the client's address is read from ``X-Forwarded-For``.
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.throttling import BaseThrottle

from cart.selectors import cart_token_from_request
from shop.api_errors import too_many_message

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def clock() -> float:
    """Seconds since the epoch; the windows are aligned to it (tests pin it)."""
    return time.time()


def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """``"30/m"`` -> (30, 60); None or "" -> None (no limit)."""
    if not rate:
        return None
    count, _sep, period = rate.partition("/")
    return int(count), _PERIODS[period.strip()[:1].lower()]


class RateThrottle(BaseThrottle):
    """A fixed-window counter per ``scope`` and identity; writes only (reads are free).

    With ``per_attempt``, requests of one order attempt (its cart and ``Idempotency-Key``, or the
    page's ``attempt`` field) count once: a client retrying a placement that timed out, twenty
    times at once, is retrying one order, not placing twenty.
    """

    scope = ""
    per_attempt = False

    def __init__(self) -> None:
        self.parsed = parse_rate(settings.SHOP_RATE_LIMITS.get(self.scope))
        self.retry_after = 0

    def identity(self, request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        if self.parsed is None or request.method in _SAFE_METHODS:
            return True
        identity = self.identity(request)
        if not identity:
            return True
        limit, period = self.parsed
        now = clock()
        window = int(now // period)
        key = f"rate:{self.scope}:{window}:{identity}"
        attempt = _attempt_of(request) if self.per_attempt else ""
        if attempt and not cache.add(f"{key}:{attempt}", 1, timeout=period + 1):
            return True  # this attempt was counted already in this window
        cache.add(key, 0, timeout=period + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=period + 1)
            count = 1
        if count <= limit:
            return True
        self.retry_after = max(1, math.ceil((window + 1) * period - now))
        return False

    def wait(self) -> float | None:
        return self.retry_after or None


class PerClient(RateThrottle):
    """Counted per client address (``RATE_LIMIT_PROXY_COUNT`` proxies in front)."""

    def identity(self, request) -> str | None:
        return self.get_ident(request)


class PerContact(RateThrottle):
    """Counted per e-mail address given in the request (JSON body or form), case-insensitive;
    requests without one are not counted here."""

    def identity(self, request) -> str | None:
        email = _email_of(request)
        if not email:
            return None
        return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _email_of(request) -> str:
    data = getattr(request, "data", None)  # DRF: parsed already by the view's validation
    if data is None:
        data = request.POST
    try:
        email = data.get("email", "")
    except AttributeError:  # a JSON list or scalar body: the serializer refuses it
        return ""
    return email if isinstance(email, str) else ""


def _attempt_of(request) -> str:
    """The order attempt a placement belongs to: its cart and the client's key, hashed."""
    key = request.headers.get("Idempotency-Key") or request.POST.get("attempt") or ""
    if not key:
        return ""
    cart = cart_token_from_request(request) or ""
    return hashlib.sha256(f"{cart}:{key}".encode()).hexdigest()[:32]


class CartWritePerClient(PerClient):
    scope = "cart_write"


class ContactPerEmail(PerContact):
    scope = "cart_write_contact"


class PlaceOrderPerClient(PerClient):
    scope = "place_order"
    per_attempt = True


class PlaceOrderPerContact(PerContact):
    scope = "place_order_contact"
    per_attempt = True


CART_WRITE_THROTTLES = [CartWritePerClient]
CONTACT_THROTTLES = [CartWritePerClient, ContactPerEmail]
PLACE_ORDER_THROTTLES = [PlaceOrderPerClient, PlaceOrderPerContact]


def refused_wait(request, throttle_classes) -> int:
    """0 if every throttle lets the request through, else the seconds to wait."""
    waits = []
    for throttle_class in throttle_classes:
        throttle = throttle_class()
        if not throttle.allow_request(request, None):
            waits.append(int(throttle.wait() or 1))
    return max(waits, default=0)


def too_many_requests(request: HttpRequest, wait: int) -> HttpResponse:
    """The HTML answer: the shop's page with the message, status 429 and ``Retry-After``."""
    response = render(
        request, "shop/too_many_requests.html", {"message": too_many_message(wait)}, status=429
    )
    response["Retry-After"] = str(wait)
    return response


def rate_limited(
    throttle_classes, *, when: Callable[[HttpRequest], bool] | None = None
) -> Callable:
    """Decorate a form view: its POSTs (those ``when`` selects) count against the throttles."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST" and (when is None or when(request)):
                wait = refused_wait(request, throttle_classes)
                if wait:
                    return too_many_requests(request, wait)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
