"""Settings for the test suite: the project's settings with fast, side-effect-free overrides.

Database and Redis still come from ``DATABASE_URL`` and ``REDIS_URL`` (CI sets PostgreSQL and a
real Redis; locally SQLite and an embedded Redis started by ``tests/conftest.py``).
"""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-insecure-key")

from shop.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
_TEST_FILES = Path(tempfile.mkdtemp(prefix="shop-test-files-"))
MEDIA_ROOT = _TEST_FILES / "media"
STATIC_ROOT = _TEST_FILES / "static"
STATIC_ROOT.mkdir()  # WhiteNoise warns about a missing STATIC_ROOT on every request
# Enqueue at once, not on commit: tests run inside a transaction that never commits.
RQ = {"COMMIT_MODE": "auto"}
# Without REDIS_URL (a developer's machine), tests/conftest.py starts a real Redis here.
TEST_REDIS_SOCKET = _TEST_FILES / "redis.sock"
if not os.environ.get("REDIS_URL"):
    REDIS_URL = f"unix://{TEST_REDIS_SOCKET}?db=0"
    RQ_QUEUES = {name: {**queue, "URL": REDIS_URL} for name, queue in RQ_QUEUES.items()}  # noqa: F405
# The cache lives in its own database of the same Redis, emptied between tests
# (tests/conftest.py), so that rate-limit counters and version stamps never leak across tests.
def _other_db(url: str, db: int) -> str:
    """The same Redis server, another database: ``redis://h:p/0`` or ``unix://s?db=0``."""
    if url.startswith("unix://"):
        path = url.split("?", 1)[0]
        return f"{path}?db={db}"
    base = url.split("?", 1)[0].rstrip("/")
    head, _, last = base.rpartition("/")
    return f"{head if last.isdigit() and head.count('/') >= 2 else base}/{db}"


CACHE_REDIS_URL = _other_db(REDIS_URL, 1)  # noqa: F405
CACHES = {"default": {**CACHES["default"], "LOCATION": CACHE_REDIS_URL}}  # noqa: F405

# The suite runs with DEBUG off but pays on the sandbox page; tests of a live shop turn it off.
PAYMENT_SANDBOX = True

# A second database alias for the reports' router (tests/test_reports_replica.py): a mirror of
# the test database, read only by the tests that point the reports at it.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
REPORTS_DATABASE = "default"
