"""Django settings.

Everything that differs between a laptop demo and production comes from environment variables, so that one settings
module serves both: ``DUDAO_DATABASE_URL`` (``postgres://user:pass@host:port/name``; SQLite under ``var/`` otherwise),
``DUDAO_SECRET_KEY``, ``DUDAO_DEBUG``, ``DUDAO_ALLOWED_HOSTS``; ``DUDAO_PLAIN_HTTP=1`` for the demo server
(``./run.sh``), which runs with DEBUG off on plain HTTP at 127.0.0.1.
"""

import os
import warnings
from pathlib import Path
from urllib.parse import unquote, urlparse

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("DUDAO_VAR_DIR", BASE_DIR.parent.parent / "var"))

DEV_SECRET_KEY = "dev-only-insecure-key-change-me"
SECRET_KEY = os.environ.get("DUDAO_SECRET_KEY", DEV_SECRET_KEY)
DEBUG = os.environ.get("DUDAO_DEBUG", "1") == "1"
ALLOWED_HOSTS = os.environ.get("DUDAO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

if not DEBUG:
    # Production mode (DUDAO_DEBUG=0): HTTPS only, cookies never over plain HTTP, HSTS for a year. A reverse proxy
    # that terminates TLS must say so (DUDAO_BEHIND_PROXY=1) so that Django trusts its X-Forwarded-Proto header.
    from django.core.exceptions import ImproperlyConfigured

    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("DUDAO_DEBUG=0 needs DUDAO_SECRET_KEY: a random string of at least 50 characters")
    # DUDAO_PLAIN_HTTP=1: the demo server on loopback (./run.sh) — DEBUG off, so no user ever sees Django's debug
    # page, but without TLS there is nothing to redirect to and secure cookies would never come back.
    plain_http = os.environ.get("DUDAO_PLAIN_HTTP") == "1"
    SECURE_SSL_REDIRECT = not plain_http and os.environ.get("DUDAO_SSL_REDIRECT", "1") == "1"
    SESSION_COOKIE_SECURE = not plain_http
    CSRF_COOKIE_SECURE = not plain_http
    if plain_http:  # `check --deploy` stays clean for run.sh: only the four HTTPS-only checks cannot apply here
        SILENCED_SYSTEM_CHECKS = ["security.W004", "security.W008", "security.W012", "security.W016"]
    if not plain_http:
        SECURE_HSTS_SECONDS = 31_536_000
        SECURE_HSTS_INCLUDE_SUBDOMAINS = True
        SECURE_HSTS_PRELOAD = True
    if os.environ.get("DUDAO_BEHIND_PROXY") == "1":
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # pages send the token from the template (hx-headers), never read it from the cookie
SESSION_COOKIE_AGE = 8 * 60 * 60  # a working day
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "simple_history",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "dudao.orgs",
    "dudao.notifications",
    "dudao.collection",
    "dudao.review",
    "dudao.statistics",
    "dudao.indicators",
    "dudao.reports",
    "dudao.portal",
    "dudao.compiling",
    "dudao.plans",
    "dudao.evaluation",
    "dudao.supervision",
    "dudao.surveys",
    "dudao.monitoring",
    "dudao.inbox",
    "dudao.api",
    "dudao.ops",
    "dudao.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "dudao.middleware.ContentSecurityPolicyMiddleware",  # no inline script (see CONTENT_SECURITY_POLICY there)
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files with DEBUG off, without a separate web server
    "django.contrib.sessions.middleware.SessionMiddleware",
    "dudao.middleware.LanguageChoiceMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "dudao.middleware.HtmxLoginRedirectMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "dudao.middleware.DudaoErrorMiddleware",
    "dudao.middleware.InputGuardMiddleware",  # no control characters, no megabyte strings (dudao.inputs)
]

ROOT_URLCONF = "dudao.urls"
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
                "django.template.context_processors.i18n",
                "dudao.context.navigation",
            ]
        },
    }
]
WSGI_APPLICATION = "dudao.wsgi.application"


def database_from_url(url: str | None) -> dict:
    """Translate ``DUDAO_DATABASE_URL`` into Django's DATABASES entry (SQLite when unset)."""
    if not url:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        # Many writers share one file (web threads, gunicorn workers, batch workers):
        # - WAL: readers never wait for the writer nor it for them; only writers queue, one at a time. NORMAL sync
        #   is durable across application crashes and costs no fsync per commit (WAL's recommended pairing).
        # - IMMEDIATE: a transaction takes the write lock when it begins and waits there for its turn, instead of
        #   failing at once when its first read turns into a write (SQLITE_BUSY without waiting).
        # - busy timeout: how long to queue for the lock (a process's own threads queue in turn: dudao.sqlite). A
        #   page request waits a few seconds at most and is then answered 503 + Retry-After (dudao.busy), not left
        #   hanging; the CLI and batch workers (dudao.cli sets DUDAO_SQLITE_TIMEOUT=30 for them) may wait longer.
        return {
            "ENGINE": "dudao.sqlite",  # Django's sqlite3 backend, writers of one process queued in turn
            "NAME": VAR_DIR / "dudao.sqlite3",
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": float(os.environ.get("DUDAO_SQLITE_TIMEOUT", "3")),
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            },
            # Tests use a file too (not Django's shared in-memory database): a live server's threads then hold
            # connections of their own and queue for the write lock as production's do.
            "TEST": {"NAME": VAR_DIR / "test-dudao.sqlite3"},
        }
    parts = urlparse(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"unsupported DUDAO_DATABASE_URL scheme: {parts.scheme}")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }


DATABASES = {"default": database_from_url(os.environ.get("DUDAO_DATABASE_URL"))}
# Persistent connections for production servers (seconds; 0 = one connection per request, the safe default).
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DUDAO_CONN_MAX_AGE", "0"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"  # `dudao collectstatic` (run.sh) copies them here; WhiteNoise serves them
# Published files (report PDFs) go through Django's storage API: files under var/media by default (never served
# directly — the portal's views check who may download); a deployment with object storage sets STORAGES["default"]
# to its backend (e.g. django-storages' S3) in its own settings module. `dudao backup` carries the files either way.
MEDIA_ROOT = Path(os.environ.get("DUDAO_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Until collectstatic has run (tests, a fresh checkout) WhiteNoise serves the apps' own static directories.
WHITENOISE_USE_FINDERS = True
warnings.filterwarnings("ignore", message="No directory at: ", category=UserWarning)

# Uploaded Excel files are parsed in memory and never stored; keep them bounded.
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

CATALOG_DIR = BASE_DIR / "catalog"

# Background jobs (batch report rendering): queued in the database, run by `dudao db_worker`.
# DUDAO_TASKS=immediate runs them inline (tests, or a single-process demo).
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if os.environ.get("DUDAO_TASKS") == "immediate"
        else "django_tasks_db.DatabaseBackend"
    }
}

# Batch rendering (dudao.portal.tasks): workers per batch (default: the number of cores) and how old a claim must be
# before it counts as a dead worker's and goes back to the queue (seconds).
DUDAO_BATCH_WORKERS = int(os.environ.get("DUDAO_BATCH_WORKERS", "0")) or (os.cpu_count() or 1)
DUDAO_BATCH_CLAIM_TIMEOUT = float(os.environ.get("DUDAO_BATCH_CLAIM_TIMEOUT", "600"))

# Notification emails (dudao.notifications): printed to the console unless DUDAO_EMAIL_HOST names an SMTP server.
# DUDAO_SITE_URL is where the links in an email point (the address users open the site at).
DUDAO_SITE_URL = os.environ.get("DUDAO_SITE_URL", "http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = os.environ.get("DUDAO_EMAIL_FROM", "dudao@localhost")
if os.environ.get("DUDAO_EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["DUDAO_EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("DUDAO_EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("DUDAO_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("DUDAO_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = os.environ.get("DUDAO_EMAIL_USE_TLS", "1") == "1"
    EMAIL_USE_SSL = os.environ.get("DUDAO_EMAIL_USE_SSL", "0") == "1"
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# REST API: token (scripts) or session (the pages' own fetches) authentication, JSON only, one error shape.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "dudao.api.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "dudao.api.pagination.StrictLimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "dudao.api.schema.DudaoAutoSchema",
    "EXCEPTION_HANDLER": "dudao.api.errors.handle",
}
# API tokens expire this many days after they were issued (dudao.api.tokens); a user rotates theirs on /accounts/token/.
DUDAO_API_TOKEN_DAYS = int(os.environ.get("DUDAO_API_TOKEN_DAYS", "90"))
SPECTACULAR_SETTINGS = {
    "TITLE": "Dudao 督导 API",
    "DESCRIPTION": (
        "数据采集、审核、指标、报告、工作要点与督导评估接口。"
        "认证：`Authorization: Token <key>`（POST /api/auth/token/ 获取）。"
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",  # vendored Swagger UI: no CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Publication guard: a district or city report whose schools' data are approved below this share (percent) is
# published only with a written reason, which the report's data note prints (portal.publishing.request).
DUDAO_PUBLICATION_MIN_COVERAGE = float(os.environ.get("DUDAO_PUBLICATION_MIN_COVERAGE", "100"))
