"""ybss settings, all from the environment.

With nothing set, ybss runs on an SQLite file under ``var/``. ``DATABASE_URL``
switches to PostgreSQL (``postgres://user@host:5432/db``). A ``.env`` file in
the working directory is read first, so ``make run`` can keep its generated
secret there; real environment variables win over it. ``.env.example`` lists
every setting.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent


def _read_dotenv(path: Path) -> None:
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        os.environ.setdefault(key.strip(), value.strip().strip("'\""))


_read_dotenv(Path(os.environ.get("YBSS_ENV_FILE", Path.cwd() / ".env")))


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if not value.strip():
        return default
    try:
        return int(value)
    except ValueError:
        message = f"{name} must be a whole number, not {value!r} (see .env.example)."
        raise ImproperlyConfigured(message) from None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)
VAR_DIR = Path(os.environ.get("YBSS_VAR_DIR", Path.cwd() / "var"))

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see .env.example).")
    SECRET_KEY = "debug-only-not-secret"  # noqa: S105 - only ever used with DEBUG on

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "ybss.core",
    "ybss.access",
    "ybss.audit",
    "ybss.divisions",
    "ybss.addresses",
    "ybss.people",
    "ybss.units",
    "ybss.houses",
    "ybss.exchange",
    "ybss.campaigns",
    "ybss.dedupe",
    "ybss.stats",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the session, so that the session's save shares the request's commit.
    "ybss.core.middleware.RequestTransactionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ybss.audit.context.AuditContextMiddleware",
    "ybss.access.middleware.RateLimitedMiddleware",
    # Last, so that it sees the outcome of every login attempt.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Axes first: a locked-out account is refused before its password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("YBSS_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = envint("YBSS_LOGIN_LOCKOUT_MINUTES", 15) / 60  # hours
# Lock the account, not the address: a station's workstations often share one
# NAT address, and locking it would lock out the whole station.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
OTP_TOTP_ISSUER = "ybss"

ROOT_URLCONF = "ybss.urls"
WSGI_APPLICATION = "ybss.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ybss.core.context_processors.site",
            ],
        },
    },
]

if not os.environ.get("DATABASE_URL"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'ybss.sqlite3'}",
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the pages read while an import or the demo builder writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif envbool("DB_PREPARED_STATEMENTS", True):
    # Django turns psycopg's prepared statements off for the sake of poolers; ybss prepares
    # only the statements it asks to (``ybss.core.db.prepared_cursor``), never Django's own,
    # so this threshold is never reached by counting.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2**31 - 1
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "start"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Photos are personal data: served only through the audited person pages, never as /media/.
YBSS_MAX_PHOTO_BYTES = envint("YBSS_MAX_PHOTO_BYTES", 2 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
YBSS_STALE_MONTHS = envint("YBSS_STALE_MONTHS", 12)
# Below station level, counts under this are shown as "<N" (docs/statistics.md).
YBSS_STATS_MIN_CELL = envint("YBSS_STATS_MIN_CELL", 5)

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
with contextlib.suppress(OSError):  # a read-only install serves from the app folders instead
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the app folders too, so a fresh checkout works without
# collectstatic; nothing is ever fetched from outside the intranet.
WHITENOISE_USE_FINDERS = True

HTTPS = envbool("YBSS_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and envbool("YBSS_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if envbool("YBSS_BEHIND_PROXY", False) else None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = envint("YBSS_SESSION_SECONDS", 30 * 60)
# PostgreSQL only: a request's writes (audit rows, the session) commit once, together
# (ybss/core/middleware.py).
YBSS_REQUEST_TRANSACTION = envbool("YBSS_REQUEST_TRANSACTION", True)
SESSION_SAVE_EVERY_REQUEST = True  # expiry counts from the last request: inactivity, not login time

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "ybss.access.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["ybss.access.tokens.TokenRateThrottle"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "ybss.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ybss 一标三实 API",
    "DESCRIPTION": "标准地址、实有人口、实有房屋、实有单位的接口。",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# The deployment's own area: a division code prefix (130731 = 涿鹿县). Pages
# start browsing there and the address engine prefers it for ambiguous names.
YBSS_REGION = os.environ.get("YBSS_REGION", "130731")
YBSS_MAX_BATCH_ROOMS = envint("YBSS_MAX_BATCH_ROOMS", 5000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Personal data protection (docs/permissions.md). Field keys: see .env.example.
YBSS_FIELD_KEY = os.environ.get("YBSS_FIELD_KEY", "")
YBSS_INDEX_KEY = os.environ.get("YBSS_INDEX_KEY", "")
YBSS_READS_PER_MINUTE = envint("YBSS_READS_PER_MINUTE", 20)
YBSS_READS_PER_HOUR = envint("YBSS_READS_PER_HOUR", 200)
YBSS_FLAG_WINDOW_MINUTES = envint("YBSS_FLAG_WINDOW_MINUTES", 10)
YBSS_FLAG_FULL_READS = envint("YBSS_FLAG_FULL_READS", 30)
YBSS_FLAG_SEQUENTIAL_SEARCHES = envint("YBSS_FLAG_SEQUENTIAL_SEARCHES", 5)

# Bulk import (docs/import-export.md). Uploads wait in YBSS_IMPORT_DIR between
# check and commit and are removed when the job ends.
YBSS_IMPORT_DIR = Path(os.environ.get("YBSS_IMPORT_DIR", VAR_DIR / "imports"))
YBSS_IMPORT_MAX_BYTES = envint("YBSS_IMPORT_MAX_BYTES", 200 * 1024 * 1024)
YBSS_IMPORT_MAX_PROBLEMS = envint("YBSS_IMPORT_MAX_PROBLEMS", 5000)
# Run checks and commits started from the pages in a background thread, so the
# page can show progress; tests run them inline.
YBSS_IMPORT_BACKGROUND = os.environ.get("YBSS_IMPORT_BACKGROUND", "1") == "1"
# Commits of at least this many rows check them in a second process while this one
# writes (ybss/exchange/worker.py); 0 turns that off.
YBSS_IMPORT_WORKER_ROWS = envint("YBSS_IMPORT_WORKER_ROWS", 5000)
