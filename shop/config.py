"""Configuration that changes a few times a day, read once per process and kept until it changes.

Markets, their countries, tax rates, shipping methods, payment methods, trust badges, exchange
rates, promotions and the catalog's descriptive data (names, fixed prices, attributes, images)
change when staff edit them, a few times a day; every page needs them. Reading them from the
database on every request cost most of a cart page's time (issue 8), so each web process keeps
them in memory, under a *version stamp* kept in the shared cache (Redis):

- A save or delete of a watched model (``watch``) drops this process's copy at once and, when
  the transaction commits, writes a new stamp. Other processes compare their stamp with the
  shared one at most every ``SHOP_CONFIG_CHECK_SECONDS`` (default 1 s) and reload on a change.
  So an edit shows at once in the process that made it and within a second everywhere else.
- Writes that bypass model signals (``QuerySet.update``, ``bulk_create``: the rates job, the demo
  loader) call :func:`changed` themselves.
- Stock is never cached: it changes with every order and is read with the cart's lines.
- If the shared cache cannot be reached, the process reloads at every check instead of trusting
  an old copy: slower, never stale by more than the check interval. And whatever the stamps
  say, no copy lives longer than ``SHOP_CONFIG_MAX_AGE`` (default 300 s): a change whose stamp
  could not be written still arrives.

Values are built by loaders (functions without arguments) and are shared by all requests of the
process: treat them as read-only.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

logger = logging.getLogger(__name__)

VERSION_KEY = "config-version"

_lock = threading.RLock()
_values: dict[str, object] = {}
_version: str | None = None
_checked_at = float("-inf")
_cleared_at = float("-inf")  # when this process's copy was last dropped
_UNREACHABLE = object()


def cached[T](name: str, load: Callable[[], T]) -> T:
    """The value ``load()`` gave in this process since the configuration last changed."""
    _check_version()
    try:
        return _values[name]  # type: ignore[return-value]
    except KeyError:
        pass
    value = load()
    with _lock:
        _values[name] = value
    return value


def _check_version() -> None:
    global _version, _checked_at, _cleared_at
    now = time.monotonic()
    if now - _checked_at < settings.SHOP_CONFIG_CHECK_SECONDS:
        return
    shared = _shared_version()
    with _lock:
        _checked_at = now
        # A copy older than SHOP_CONFIG_MAX_AGE is dropped even under the same stamp: a change
        # whose new stamp could not be written (Redis briefly down) still reaches every process.
        too_old = now - _cleared_at > settings.SHOP_CONFIG_MAX_AGE
        if shared is _UNREACHABLE or shared != _version or too_old:
            _values.clear()
            _version = None if shared is _UNREACHABLE else shared
            _cleared_at = now


def _shared_version():
    try:
        return cache.get(VERSION_KEY)
    except Exception:  # the cache is down: never serve an old copy for long
        logger.warning("Shared cache unreachable: configuration reloaded from the database")
        return _UNREACHABLE


def clear_local() -> None:
    """Forget this process's copy; the next read reloads it."""
    global _version, _checked_at, _cleared_at
    with _lock:
        _values.clear()
        _version = None
        _checked_at = float("-inf")
        _cleared_at = time.monotonic()


def _publish() -> None:
    """Tell every process: write a new stamp to the shared cache."""
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:
        logger.warning("Shared cache unreachable: other processes see the change on reload")
    clear_local()


def changed() -> None:
    """The configuration changed: drop this process's copy now, tell the others on commit."""
    clear_local()
    transaction.on_commit(_publish)


def _on_change(sender, **kwargs) -> None:
    if kwargs.get("raw"):  # fixtures loading: the command that loads them calls changed()
        return
    changed()


def _on_setting_changed(**kwargs) -> None:
    clear_local()  # tests that change settings (payment providers, DEBUG) see them at once


setting_changed.connect(_on_setting_changed, dispatch_uid="shop.config:setting_changed")


def watch(models: Iterable[type]) -> None:
    """Call :func:`changed` whenever one of ``models`` is saved or deleted (and on changes of
    their many-to-many relations)."""
    for model in models:
        uid = f"shop.config:{model._meta.label}"
        post_save.connect(_on_change, sender=model, dispatch_uid=uid + ":save")
        post_delete.connect(_on_change, sender=model, dispatch_uid=uid + ":delete")
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(
                _on_change, sender=field.remote_field.through, dispatch_uid=f"{uid}:{field.name}"
            )
