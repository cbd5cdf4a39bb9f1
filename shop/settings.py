"""Project settings, read from the environment.

Every value a deployment changes comes from an environment variable; the README has the table.
Defaults give the embedded demo: a SQLite file, the Redis that `manage.py run_demo` starts on a
unix socket under ``var/``, and mail written to files under ``var/mail``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SHOP_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)


def _secret_key() -> str:
    """SECRET_KEY from the environment; in DEBUG only, a generated one kept in an ignored file."""
    key = os.environ.get("SECRET_KEY", "")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
            "(only DEBUG=1 generates a local one)."
        )
    key_file = Path(os.environ.get("SECRET_KEY_FILE", BASE_DIR / ".secret_key"))
    try:  # created readable by its owner only, and only once even if two processes race
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "modeltranslation",  # must come before django.contrib.admin
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "djmoney",
    "djmoney.contrib.exchange",
    "django_countries",
    "django_rq",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # the Swagger UI's files, served from our static files
    "shop",
    "cart",
    "checkout",
    "recovery",
    "recovery.reports",  # reads every layer below; nothing imports it
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "shop.middleware.ShopLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "shop.urls"
WSGI_APPLICATION = "shop.wsgi.application"
ASGI_APPLICATION = "shop.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shop.context_processors.shop_locale",
                "cart.context_processors.cart_summary",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
# Reports read from a read replica when one is given (recovery/reports/routers.py).
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
DATABASE_ROUTERS = ["recovery.reports.routers.ReportsRouter"]
REPORTS_DATABASE = "replica" if "replica" in DATABASES else "default"
# Reports: recording events (off only to measure what they cost), and the recipients per
# variant an A/B test needs before a winner is named (empty: 1,471, see recovery/reports/stats.py).
REPORTS_EVENTS = os.environ.get("REPORTS_EVENTS", "1") not in {"0", "false", "off", ""}
REPORTS_AB_MIN_SAMPLE = int(os.environ.get("REPORTS_AB_MIN_SAMPLE") or 0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process and the RQ worker use the demo database at the same time.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The embedded Redis of the demo listens on this unix socket (see shop/embedded_redis.py).
EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis.sock"
REDIS_URL = os.environ.get("REDIS_URL") or f"unix://{EMBEDDED_REDIS_SOCKET}?db=0"
RQ_QUEUES = {
    "default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600},
    "mail": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600},
}
# Recurring jobs: (dotted path of the job function, queue, cron expression). Apps add theirs;
# `manage.py rqcron shop.cron` loads them all.
SHOP_CRON_JOBS: list[tuple[str, str, str]] = [
    ("shop.jobs.update_exchange_rates", "default", os.environ.get("RATES_CRON", "15 6 * * *")),
    # The two requeue jobs run on "default": on "mail" they would wait behind a newsletter.
    ("checkout.jobs.send_missing_confirmations", "default", "* * * * *"),
    ("recovery.jobs.detect_abandoned_carts_job", "default", "* * * * *"),
    ("recovery.outbox.requeue_stale_messages", "default", "* * * * *"),
    ("checkout.jobs.expire_unpaid_orders", "default", "* * * * *"),
]
# Abandoned carts expire after this many days; carts without any contact are deleted after
# their own period (they cannot be recovered, and they are personal data).
RECOVERY_EXPIRE_AFTER_DAYS = int(os.environ.get("RECOVERY_EXPIRE_AFTER_DAYS", "90"))
RECOVERY_GUEST_RETENTION_DAYS = int(os.environ.get("RECOVERY_GUEST_RETENTION_DAYS", "30"))
# Expired carts are deleted by a nightly job after this many more idle days (cart/jobs.py).
CART_DELETE_AFTER_DAYS = int(os.environ.get("CART_DELETE_AFTER_DAYS", "0"))
# Recovery links: how long a restore link works.
RECOVERY_LINK_MAX_AGE_DAYS = int(os.environ.get("RECOVERY_LINK_MAX_AGE_DAYS", "14"))

# --- SMS and WhatsApp gateways (recovery/gateways/) ------------------------------------------
# Twilio sends SMS once TWILIO_ACCOUNT_SID is set, WhatsApp's Cloud API sends WhatsApp once
# WHATSAPP_PHONE_NUMBER_ID is set; until then the offline gateways write var/sms.jsonl and
# var/whatsapp.jsonl. RECOVERY_SMS_BACKEND / RECOVERY_WHATSAPP_BACKEND name another class.
# `manage.py check` warns when a real gateway is chosen without its credentials (recovery.W001).
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM = os.environ.get("TWILIO_FROM", "")  # +15550001111, or a Messaging Service MG…
TWILIO_STATUS_CALLBACK_URL = os.environ.get("TWILIO_STATUS_CALLBACK_URL", "")  # default: ours
TWILIO_API_URL = os.environ.get("TWILIO_API_URL", "")  # a local server in tests
WHATSAPP_TOKEN = os.environ.get("WHATSAPP_TOKEN", "")
WHATSAPP_PHONE_NUMBER_ID = os.environ.get("WHATSAPP_PHONE_NUMBER_ID", "")
WHATSAPP_APP_SECRET = os.environ.get("WHATSAPP_APP_SECRET", "")  # signs the webhook's calls
WHATSAPP_VERIFY_TOKEN = os.environ.get("WHATSAPP_VERIFY_TOKEN", "")  # the webhook's handshake
WHATSAPP_TEMPLATE = os.environ.get("WHATSAPP_TEMPLATE", "abandoned_cart")
# What fills the template's {{1}}, {{2}}…: first_name, cart_total, restore_link, voucher_code.
WHATSAPP_TEMPLATE_PARAMETERS = env_list("WHATSAPP_TEMPLATE_PARAMETERS",
                                        "first_name,cart_total,restore_link")  # fmt: skip
# Shop language -> WhatsApp template language where they differ: "en:en_US,pt-br:pt_BR".
WHATSAPP_LANGUAGES = [tuple(pair.split(":", 1)) for pair in env_list("WHATSAPP_LANGUAGES")
                      if ":" in pair]  # fmt: skip
WHATSAPP_API_URL = os.environ.get("WHATSAPP_API_URL", "https://graph.facebook.com/v21.0")
RECOVERY_SMS_BACKEND = os.environ.get("RECOVERY_SMS_BACKEND") or (
    "recovery.gateways.sms_twilio.TwilioSmsBackend" if TWILIO_ACCOUNT_SID
    else "recovery.gateways.offline.OfflineSmsBackend"
)  # fmt: skip
RECOVERY_WHATSAPP_BACKEND = os.environ.get("RECOVERY_WHATSAPP_BACKEND") or (
    "recovery.gateways.whatsapp_cloud.WhatsAppCloudBackend" if WHATSAPP_PHONE_NUMBER_ID
    else "recovery.gateways.offline.OfflineWhatsAppBackend"
)  # fmt: skip
RECOVERY_GATEWAY_TIMEOUT = float(os.environ.get("RECOVERY_GATEWAY_TIMEOUT", "10"))  # seconds
# ---------------------------------------------------------------------------------------------
RECOVERY_MAX_ATTEMPTS = 4
# A sending job beats every sixth of this; rows of a job silent for longer are queued again
# (every minute, so within two minutes of a killed worker). The same for an order
# confirmation's job (checkout.jobs).
RECOVERY_SENDER_LEASE_SECONDS = int(os.environ.get("RECOVERY_SENDER_LEASE_SECONDS", "60"))
CONFIRMATION_LEASE_SECONDS = int(os.environ.get("CONFIRMATION_LEASE_SECONDS", "60"))

# Automated flows (recovery/flows.py): at most this many recovery messages per customer in
# this many days, across flows, newsletters and staff's messages (0 messages: no cap).
RECOVERY_CAP_MESSAGES = int(os.environ.get("RECOVERY_CAP_MESSAGES", "3"))
RECOVERY_CAP_DAYS = int(os.environ.get("RECOVERY_CAP_DAYS", "7"))
SHOP_CRON_JOBS += [("recovery.jobs.run_flows_job", "default", "* * * * *")]

# Consent (shop/consent.py): countries where SMS marketing needs its own tick at checkout, apart
# from e-mail (the US: TCPA). Markets that require an opt-in (EU, UK) always ask per channel.
CONSENT_SMS_OPT_IN_COUNTRIES = env_list("CONSENT_SMS_OPT_IN_COUNTRIES", "US")

# Demo data of the apps above the shop, run by `manage.py load_demo` after the shop's own.
DEMO_LOADERS = ["cart.demo.load"]
# recovery: the customer list's latest abandoned carts, once the demo carts are written.
DEMO_LOADERS += ["recovery.demo.load"]

# Markets, rates and the catalog's descriptive data are kept in each process (shop/config.py);
# a process checks the shared version stamp at most this often, so an edit in the admin reaches
# every process within this time. Up to this many variants' details are kept per process.
SHOP_CONFIG_CHECK_SECONDS = float(os.environ.get("SHOP_CONFIG_CHECK_SECONDS", "1"))
SHOP_CATALOG_CACHE_SIZE = int(os.environ.get("SHOP_CATALOG_CACHE_SIZE", "20000"))
# ...and no copy is kept longer than this, whatever the stamps say (a stamp lost to a Redis
# outage must not keep an old price list for good).
SHOP_CONFIG_MAX_AGE = float(os.environ.get("SHOP_CONFIG_MAX_AGE", "300"))

# The shared cache: rate-limit counters and the version stamps that tell every process when
# staff changed the shop's configuration (``shop.config``). Redis, so that all web processes see
# the same values; by default the Redis of the job queues.
CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL") or REDIS_URL
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_REDIS_URL,
        "KEY_PREFIX": "shop",
        "TIMEOUT": 24 * 60 * 60,
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Shopper accounts (shop/accounts): sign-in by e-mail; an account opened after checkout is
# confirmed through a mailed link that works this long (seconds).
LOGIN_URL = "accounts:sign_in"
LOGIN_REDIRECT_URL = "shop:home"
ACCOUNT_CONFIRMATION_MAX_AGE = int(os.environ.get("ACCOUNT_CONFIRMATION_MAX_AGE", "259200"))

# --- Languages ------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("de", _("German")),
    ("fr", _("French")),
    ("nl", _("Dutch")),
    ("pl", _("Polish")),
    ("pt-br", _("Brazilian Portuguese")),
    ("ar", _("Arabic")),
    ("zh-hans", _("Simplified Chinese")),
    ("ja", _("Japanese")),
    ("es", _("Spanish")),
    ("it", _("Italian")),
    ("tr", _("Turkish")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
LANGUAGE_COOKIE_NAME = "shop_language"

TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")  # shown times; stored times are always UTC
USE_I18N = True
USE_TZ = True

# --- Shop -----------------------------------------------------------------------------------
# Catalog prices are net amounts in this currency; markets convert from it.
BASE_CURRENCY = os.environ.get("BASE_CURRENCY", "EUR")
SHOP_DEFAULT_COUNTRY = os.environ.get("SHOP_DEFAULT_COUNTRY", "DE")
SHOP_NAME = os.environ.get("SHOP_NAME", "Demo Shop")
# The shop's public address, for links in e-mails sent by background jobs. Unset, it follows
# PORT (``PORT=8080 make demo``; ``run_demo`` sets it for the processes it starts).
SHOP_BASE_URL = os.environ.get("SHOP_BASE_URL") or (
    f"http://127.0.0.1:{os.environ.get('PORT') or '8000'}"
)
SHOP_COUNTRY_COOKIE = "shop_country"
# Orders placed after this hour (shop time zone) leave on the next business day.
SHOP_DISPATCH_CUTOFF_HOUR = int(os.environ.get("SHOP_DISPATCH_CUTOFF_HOUR", "14"))
# Cart rules: the most of one variant a line may hold, and from how few units "only N left" shows.
CART_MAX_LINE_QUANTITY = int(os.environ.get("CART_MAX_LINE_QUANTITY", "99"))
CART_LOW_STOCK = int(os.environ.get("CART_LOW_STOCK", "5"))
CART_SESSION_KEY = "cart_token"
CART_TOKEN_HEADER = "X-Cart-Token"
# Request headers a CDN sets with the visitor's country, tried in order.
SHOP_COUNTRY_HEADERS = env_list("SHOP_COUNTRY_HEADERS", "CF-IPCountry,CloudFront-Viewer-Country")

# django-money: the currencies a price may be entered in, and how rates are fetched.
CURRENCIES = (
    "EUR", "USD", "CAD", "GBP", "PLN", "BRL", "SAR", "AED", "CNY", "JPY", "CHF", "BHD", "TRY",
    "MXN",
)  # fmt: skip
DEFAULT_CURRENCY = BASE_CURRENCY
EXCHANGE_BACKEND = os.environ.get("EXCHANGE_BACKEND", "shop.exchange.RecordedRatesBackend")
ECB_RATES_URL = os.environ.get(
    "ECB_RATES_URL", "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
)

# --- Payments -----------------------------------------------------------------------------
# Payment method code -> provider class; "*" serves every other method. With STRIPE_SECRET_KEY
# set, cards, wallets, Boleto and Konbini go to Stripe (and Pix with PIX_PROVIDER=stripe);
# without it they go to the sandbox test page, which works only with DEBUG on: outside DEBUG
# such a method is not offered, and `manage.py check` names it (checkout.W001).
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")  # a local server in tests
# "static": a BR Code with the shop's Pix key, staff mark it paid; "stripe": Stripe's Pix
# (a dynamic QR per order, confirmed by webhook). Only with STRIPE_SECRET_KEY.
PIX_PROVIDER = os.environ.get("PIX_PROVIDER", "static")
# Never from the environment: only the test suite turns the sandbox on without DEBUG.
PAYMENT_SANDBOX = False
_online = (
    "checkout.payments.stripe.Stripe" if STRIPE_SECRET_KEY else "checkout.payments.sandbox.Sandbox"
)
PAYMENT_PROVIDERS = {
    "cod": "checkout.payments.offline.CashOnDelivery",
    "bank_transfer": "checkout.payments.offline.BankTransfer",
    "pix": "checkout.payments.stripe.Stripe"
    if STRIPE_SECRET_KEY and PIX_PROVIDER == "stripe"
    else "checkout.payments.offline.Pix",
    "boleto": _online,
    "konbini": _online,
    # OXXO cash vouchers (Mexico): Stripe's, or a test voucher staff mark paid (DEBUG only).
    "oxxo": "checkout.payments.stripe.Stripe"
    if STRIPE_SECRET_KEY
    else "checkout.payments.offline.OxxoTestVoucher",
    "*": _online,
}


# Why a payment method cannot be offered ("" when it can): shown on the admin's market page.
SHOP_PAYMENT_METHOD_PROBLEM = "checkout.payments.base.unavailable_reason"


def env_minutes(name: str, defaults: dict[str, int]) -> dict[str, int]:
    """``method=duration`` pairs (``pix=30m,boleto=3d,*=1h``; m, h or d) over ``defaults``, in
    minutes; 0 means no limit."""
    units = {"m": 1, "h": 60, "d": 24 * 60}
    result = dict(defaults)
    for item in env_list(name):
        key, _sep, value = item.partition("=")
        value = value.strip().lower()
        if not _sep or not value or value[-1] not in units or not value[:-1].isdigit():
            raise ImproperlyConfigured(f"{name}: write {item!r} as method=30m, =12h or =3d.")
        result[key.strip()] = int(value[:-1]) * units[value[-1]]
    return result


# How long an order waits for its money before the expiry job cancels it, gives its stock and
# voucher back and reopens the cart as abandoned (minutes per method code; "*" for the others,
# which are redirects to a card or wallet page). Cash on delivery has none: it is confirmed.
PAYMENT_WINDOWS = env_minutes(
    "PAYMENT_WINDOWS",
    {"pix": 30, "boleto": 3 * 24 * 60, "konbini": 3 * 24 * 60, "oxxo": 3 * 24 * 60,
     "bank_transfer": 7 * 24 * 60, "cod": 0, "*": 60},
)  # fmt: skip
BANK_TRANSFER_ACCOUNT = {
    "holder": os.environ.get("BANK_ACCOUNT_HOLDER", SHOP_NAME),
    "iban": os.environ.get("BANK_IBAN", "DE89 3704 0044 0532 0130 00"),
    "bic": os.environ.get("BANK_BIC", "COBADEFFXXX"),
    "bank": os.environ.get("BANK_NAME", "Demo Bank"),
}
PIX_ACCOUNT = {
    "key": os.environ.get("PIX_KEY", "123e4567-e12b-12d1-a456-426655440000"),
    "merchant_name": os.environ.get("PIX_MERCHANT_NAME", SHOP_NAME),
    "merchant_city": os.environ.get("PIX_MERCHANT_CITY", "SAO PAULO"),
}

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Product images are uploaded files, served by a web server or object storage in production;
# Django serves them only when asked (on by default in DEBUG).
SERVE_MEDIA = env_bool("SERVE_MEDIA", default=DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- E-mail ---------------------------------------------------------------------------------
# Django 6.1 mailers. The environment variables keep their familiar EMAIL_* names.
_email_backend = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
_email_options: dict = {}
if _email_backend.endswith("smtp.EmailBackend"):
    _email_options = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("EMAIL_PORT", "25")),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS"),
        "use_ssl": env_bool("EMAIL_USE_SSL"),
        "timeout": int(os.environ.get("EMAIL_TIMEOUT", "30")),
    }
elif _email_backend.endswith("filebased.EmailBackend"):
    _email_options = {"file_path": str(VAR_DIR / "mail")}
MAILERS = {"default": {"BACKEND": _email_backend, "OPTIONS": _email_options}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "shop@localhost")

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # JSON errors for every bad body: too deep (400), too large (413), throttled (429).
    "EXCEPTION_HANDLER": "shop.api_errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "shop.api_errors.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Proxies in front of the shop whose X-Forwarded-For is trusted for the client's address
    # (0: the connection's address; 1 behind one reverse proxy or CDN).
    "NUM_PROXIES": int(os.environ.get("RATE_LIMIT_PROXY_COUNT", "0")),
}
# Rate limits of cart writes and order placement, per client address and per e-mail, in the
# shared cache (cart/throttles.py): "count/period" (s, m, h, d); empty turns a limit off.
SHOP_RATE_LIMITS = {
    "cart_write": os.environ.get("RATE_LIMIT_CART_WRITE", "300/m"),
    "cart_write_contact": os.environ.get("RATE_LIMIT_CART_WRITE_CONTACT", "60/m"),
    "place_order": os.environ.get("RATE_LIMIT_PLACE_ORDER", "30/m"),
    "place_order_contact": os.environ.get("RATE_LIMIT_PLACE_ORDER_CONTACT", "10/m"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Shop cart and checkout API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The Swagger UI from drf-spectacular-sidecar's static files: no page loads a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # validatorUrl: no badge fetched from validator.swagger.io
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# --- Security in production -----------------------------------------------------------------
# `manage.py check --deploy` passes with the README's production environment (.ci/run runs it).
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
# X-Forwarded-Proto says "https" only if a proxy we trust set it; anyone can send the header.
TRUSTED_PROXY = env_bool("TRUSTED_PROXY")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY else None
# Redirect http to https and tell browsers to stay on https (HSTS, in seconds).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")
# Sessions: signed-in shoppers stay two weeks; `clearsessions` runs nightly (SHOP_CRON_JOBS).
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(14 * 24 * 60 * 60)))
# Sessions are kept in the database and read through the shared cache: a page view reads its
# session from Redis, not from a table (writes go to both, so nothing is lost if Redis is).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SHOP_CRON_JOBS += [
    # The reports' daily rollups: finished days, hourly (a missed run is caught up).
    ("recovery.reports.rollups.roll_up_job", "default", "5 * * * *"),
    ("shop.jobs.clear_expired_sessions", "default", "40 3 * * *"),
    ("cart.jobs.delete_expired_carts", "default", "50 3 * * *"),
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
