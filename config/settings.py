"""Kezek settings: one module, configured from environment variables.

Unset variables give a working development set-up on embedded SQLite; production sets
DATABASE_URL (PostgreSQL), REDIS_URL, SECRET_KEY and the delivery settings.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
import kezek
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("KEZEK_DATA_DIR", BASE_DIR / "var"))
DATA_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _secret_key() -> str:
    # Every process must sign with the same key, so a development key is kept on disk, never in memory only.
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # serves the API docs' Swagger UI from our own static files, as the CSP requires
    "kezek.core",
    "kezek.geo",
    "kezek.people",
    "kezek.organisations",
    "kezek.accounts",
    "kezek.audit",
    "kezek.notifications",
    "kezek.applications",
    "kezek.rounds",
    "kezek.placements",
    "kezek.vouchers",
    "kezek.rush",
    "kezek.attendance",
    "kezek.appeals",
    "kezek.payments",
    "kezek.integrity",
    "kezek.transparency",
    "kezek.privacy",
    "kezek.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost after SecurityMiddleware, so every answer gets them, also those other middleware make.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "kezek.core.middleware.PermissionsPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kezek.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "kezek.core.middleware.ApiProblemMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kezek.accounts.middleware.SessionTrackingMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
    {
        # SMS and e-mail bodies are plain text: HTML escaping would send "&#x27;" instead of an apostrophe.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]

# --- Database -------------------------------------------------------------------------------------
SQLITE_PATH = DATA_DIR / "kezek.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{SQLITE_PATH}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of failing to upgrade.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
else:
    # A host that drops packets must fail a request in seconds (then 503), not hold a worker until its timeout.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 5)
# While the database cannot be reached, requests answer 503 with this Retry-After (kezek.core.outage);
# conn_health_checks above makes each process reconnect on its own once it is back.
KEZEK_DATABASE_RETRY_AFTER_SECONDS = env_int("KEZEK_DATABASE_RETRY_AFTER_SECONDS", 5)
if name := os.environ.get("KEZEK_TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": name}
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:staff-signin"

# --- Redis (optional) -----------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # A database cache is shared by every process; a local-memory cache would not be.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "kezek_cache"}}

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)

# --- Security headers and cookies (OWASP ASVS level 2) ------------------------------------------------
# HTTPS=1 in production (TLS at nginx or gunicorn); unset for local http, where Secure cookies and HSTS
# would lock the developer out of their own site.
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True  # pages hand the token to htmx and scripts in the markup, never via document.cookie
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
# Load balancers probe over plain http on the private network; they must get an answer, not a redirect.
SECURE_REDIRECT_EXEMPT = [r"^health/?$", r"^ready/?$", r"^metrics/?$"]
if env_bool("KEZEK_TRUST_X_FORWARDED_PROTO", HTTPS):
    # nginx terminates TLS and says so in this header (it must overwrite any value the client sent).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Behind nginx (deploy/nginx/kezek.conf overwrites X-Forwarded-For with the client's address) rate limits and
# session records use that address (kezek.core.middleware.client_ip). Never set it without such a proxy in
# front: a client could then pick the address its limits are counted under.
KEZEK_TRUST_X_FORWARDED_FOR = env_bool("KEZEK_TRUST_X_FORWARDED_FOR", False)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# The site never uses these browser features (parents scan referral QR codes with their own camera app).
KEZEK_PERMISSIONS_POLICY = os.environ.get(
    "KEZEK_PERMISSIONS_POLICY",
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
)
# Scripts only from this site and only with the page's nonce; no inline style or script anywhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Languages ------------------------------------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")]
# Next to the package, not the checkout, so the catalogues are found however Kezek is installed.
LOCALE_PATHS = [Path(kezek.__file__).resolve().parent / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Almaty")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise serves from it once collectstatic has run
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Uploaded documents live outside the web root and are served only through permission checks.
MEDIA_ROOT = Path(os.environ.get("KEZEK_PRIVATE_MEDIA_ROOT", DATA_DIR / "private"))
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("KEZEK_MAX_BODY_BYTES", 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Notifications --------------------------------------------------------------------------------
_EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
if _EMAIL_BACKEND.endswith("smtp.EmailBackend"):
    _EMAIL_OPTIONS = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "timeout": env_int("EMAIL_TIMEOUT", 10),
    }
elif _EMAIL_BACKEND.endswith("filebased.EmailBackend"):
    _EMAIL_OPTIONS = {"file_path": os.environ.get("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))}
else:
    _EMAIL_OPTIONS = {}
MAILERS = {"default": {"BACKEND": _EMAIL_BACKEND, "OPTIONS": _EMAIL_OPTIONS}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Kezek <no-reply@kezek.kz>")

KEZEK_SMS_BACKEND = os.environ.get("KEZEK_SMS_BACKEND", "file")  # console | file | http
KEZEK_SMS_FILE_PATH = os.environ.get("KEZEK_SMS_FILE_PATH", str(DATA_DIR / "sms.jsonl"))
KEZEK_SMS_HTTP_URL = os.environ.get("KEZEK_SMS_HTTP_URL", "")
KEZEK_SMS_HTTP_TOKEN = os.environ.get("KEZEK_SMS_HTTP_TOKEN", "")
KEZEK_SMS_HTTP_TIMEOUT = float(os.environ.get("KEZEK_SMS_HTTP_TIMEOUT", "10"))
KEZEK_OUTBOX_MAX_ATTEMPTS = env_int("KEZEK_OUTBOX_MAX_ATTEMPTS", 12)
KEZEK_OUTBOX_LEASE_SECONDS = env_int("KEZEK_OUTBOX_LEASE_SECONDS", 60)

# --- Civil registry ---------------------------------------------------------------------------------
# "database": the imported registry extract (kezek.people.registry.DatabaseRegistry); or a dotted path.
KEZEK_REGISTRY_BACKEND = os.environ.get("KEZEK_REGISTRY_BACKEND", "database")

# --- Sign-in --------------------------------------------------------------------------------------
KEZEK_OTP_TTL_SECONDS = env_int("KEZEK_OTP_TTL_SECONDS", 5 * 60)
KEZEK_OTP_MAX_ATTEMPTS = env_int("KEZEK_OTP_MAX_ATTEMPTS", 5)
KEZEK_OTP_LOCK_SECONDS = env_int("KEZEK_OTP_LOCK_SECONDS", 15 * 60)
KEZEK_OTP_SENDS_PER_PHONE_PER_HOUR = env_int("KEZEK_OTP_SENDS_PER_PHONE_PER_HOUR", 5)
KEZEK_OTP_SENDS_PER_IP_PER_HOUR = env_int("KEZEK_OTP_SENDS_PER_IP_PER_HOUR", 30)
KEZEK_STAFF_SIGNIN_ATTEMPTS_PER_15_MIN = env_int("KEZEK_STAFF_SIGNIN_ATTEMPTS_PER_15_MIN", 10)

# --- Rush: waiting room and claims (docs/rush.md) ---------------------------------------------------
KEZEK_RUSH_DEFAULT_ADMISSION_RATE = float(os.environ.get("KEZEK_RUSH_DEFAULT_ADMISSION_RATE", "20"))
KEZEK_RUSH_TOKEN_TTL_SECONDS = env_int("KEZEK_RUSH_TOKEN_TTL_SECONDS", 15 * 60)
KEZEK_RUSH_MAX_CLAIMS_IN_FLIGHT = env_int("KEZEK_RUSH_MAX_CLAIMS_IN_FLIGHT", 64)
KEZEK_RUSH_LOCK_TIMEOUT_MS = env_int("KEZEK_RUSH_LOCK_TIMEOUT_MS", 2000)
KEZEK_RUSH_STATEMENT_TIMEOUT_MS = env_int("KEZEK_RUSH_STATEMENT_TIMEOUT_MS", 5000)
KEZEK_RUSH_RETRY_AFTER_SECONDS = env_int("KEZEK_RUSH_RETRY_AFTER_SECONDS", 2)
KEZEK_RUSH_REQUESTS_PER_ACCOUNT_PER_MINUTE = env_int("KEZEK_RUSH_REQUESTS_PER_ACCOUNT_PER_MINUTE", 120)
KEZEK_RUSH_REQUESTS_PER_IP_PER_MINUTE = env_int("KEZEK_RUSH_REQUESTS_PER_IP_PER_MINUTE", 3000)
KEZEK_RUSH_REDIS_PREFIX = os.environ.get("KEZEK_RUSH_REDIS_PREFIX", "kezek:rush")

# Logs: one JSON object per line in production (LOG_FORMAT=json), readable text under DEBUG; every record
# gets the request id and has its IINs masked (kezek.core.logging), whichever logger made it.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "kezek.core.logging.RequestIdFilter"},
        "mask_iin": {"()": "kezek.core.logging.MaskIinFilter"},
    },
    "formatters": {
        "json": {"()": "kezek.core.logging.JsonFormatter"},
        "text": {"()": "kezek.core.logging.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "text" if LOG_FORMAT == "text" else "json",
            "filters": ["request_id", "mask_iin"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # kezek.core.middleware writes the request log with more fields; Django's would repeat each error.
        "django.request": {"level": "ERROR"},
    },
}

# /metrics (Prometheus): readable with "Authorization: Bearer <KEZEK_METRICS_TOKEN>" or from the addresses or
# networks in KEZEK_METRICS_ALLOWED_IPS (comma-separated); with neither set it answers 404 to everyone.
KEZEK_METRICS_TOKEN = os.environ.get("KEZEK_METRICS_TOKEN", "")
KEZEK_METRICS_ALLOWED_IPS = [n.strip() for n in os.environ.get("KEZEK_METRICS_ALLOWED_IPS", "").split(",") if n.strip()]

# Public pages seen by visitors who are not signed in are served from the shared cache for this long
# (kezek.core.public_cache); 0 turns the cache off. They are correct within a minute of a change.
KEZEK_PUBLIC_CACHE_SECONDS = env_int("KEZEK_PUBLIC_CACHE_SECONDS", 30)
KEZEK_PUBLIC_CACHE_PATHS = ("/transparency/",)

# Allocation rounds: a round must be announced at least this many hours before it runs.
KEZEK_ROUND_LEAD_HOURS = env_int("KEZEK_ROUND_LEAD_HOURS", 24)

# Club voucher campaigns: announced at least this many hours before their first stage opens.
KEZEK_CAMPAIGN_LEAD_HOURS = env_int("KEZEK_CAMPAIGN_LEAD_HOURS", 24)

# Personal data retention (docs/privacy.md): days after which the worker purges or anonymises; 0 keeps for ever.
KEZEK_RETENTION_DAYS_SESSIONS = env_int("KEZEK_RETENTION_DAYS_SESSIONS", 180)
KEZEK_RETENTION_DAYS_OTP = env_int("KEZEK_RETENTION_DAYS_OTP", 1)
KEZEK_RETENTION_DAYS_NOTIFICATIONS = env_int("KEZEK_RETENTION_DAYS_NOTIFICATIONS", 365)
KEZEK_RETENTION_DAYS_DOCUMENTS_AFTER_DECISION = env_int("KEZEK_RETENTION_DAYS_DOCUMENTS_AFTER_DECISION", 3 * 365)
KEZEK_RETENTION_DAYS_INACTIVE_PEOPLE = env_int("KEZEK_RETENTION_DAYS_INACTIVE_PEOPLE", 5 * 365)
KEZEK_RETENTION_BATCH = env_int("KEZEK_RETENTION_BATCH", 500)
