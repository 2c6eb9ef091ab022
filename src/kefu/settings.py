"""Django settings for Kefu, every value read from the environment.

With nothing set, Kefu runs embedded: SQLite and uploads in the data directory, an in-memory
channel layer, a local-memory cache and a database-backed task queue worked in-process.
``DATABASE_URL`` switches to PostgreSQL; ``REDIS_URL`` switches the channel layer, cache and
task queue to Redis. ``.env.example`` lists every variable.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

from kefu.lib.env import env_bool, env_float, env_int, env_list, env_secret, env_str

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("KEFU_DATA_DIR", "kefu-data")).expanduser().resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Return SECRET_KEY, or a random key kept in the data directory for the embedded mode."""
    configured = env_secret("SECRET_KEY")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("KEFU_DEBUG", False)
ALLOWED_HOSTS = env_list("KEFU_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("KEFU_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("KEFU_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "ninja",  # serves the API docs (Swagger UI) from the package, not a CDN
    "django_tasks",
    "django_tasks_db",
    "csp",
    "kefu.accounts",
    "kefu.conversations",
    "kefu.intake",
    "kefu.knowledge",
    "kefu.exchange",
    "kefu.bot",
    "kefu.nlu",
    "kefu.routing",
    "kefu.rules",
    "kefu.complaints",
    "kefu.risk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kefu.accounts.middleware.StaffTwoFactorMiddleware",
    "kefu.lib.pages.DomainErrorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "kefu.urls"
ASGI_APPLICATION = "kefu.asgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "conversations:inbox"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Each channel keeps its templates in its own package (intake/channels/<kind>/templates).
        "DIRS": [
            PACKAGE_DIR / "templates",
            *sorted((PACKAGE_DIR / "intake" / "channels").glob("*/templates")),
        ],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kefu.accounts.context_processors.brand",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------------------------

DATABASE_URL = env_secret("DATABASE_URL")
if DATABASE_URL:
    DATABASES: dict[str, Any] = {"default": dj_database_url.parse(DATABASE_URL)}
    # Under ASGI each request runs in a fresh thread, so thread-bound persistent connections
    # would reconnect on every request: a process-wide psycopg pool keeps connections instead.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("KEFU_DB_POOL_MIN", 2, minimum=0),
        "max_size": env_int("KEFU_DB_POOL_MAX", 20, minimum=1),
        "timeout": env_int("KEFU_DB_POOL_TIMEOUT_SECONDS", 10, minimum=1),
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "kefu.lib.sqlite",
            "NAME": DATA_DIR / "kefu.sqlite3",
            # Opening a SQLite connection costs more than a query: keep them.
            "CONN_MAX_AGE": None,
            "OPTIONS": {
                # WAL lets readers run beside the one writer; IMMEDIATE avoids lock upgrades
                # that fail with "database is locked" under concurrent writes.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Threads (each with its own connection) that websocket consumers use for database work.
DATABASE_THREADS = env_int("KEFU_DATABASE_THREADS", 4 if DATABASE_URL else 1, minimum=1)
# Worker threads that run HTTP requests (each keeps its database connection).
HTTP_THREADS = env_int("KEFU_HTTP_THREADS", 8, minimum=1)
# Most chat messages one transaction stores; 1 writes each message alone (for comparison).
CHAT_WRITE_BATCH = env_int("KEFU_CHAT_WRITE_BATCH", 100, minimum=1)

# --- redis: channel layer, cache, task queue ---------------------------------------------------

REDIS_URL = env_secret("REDIS_URL")
REDIS_PREFIX = env_str("KEFU_REDIS_PREFIX", "kefu")
if REDIS_URL:
    CHANNEL_LAYERS: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                # redis-py 8 needs an explicit pool size, or bursts of connects fail.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "max_connections": env_int("KEFU_REDIS_MAX_CONNECTIONS", 500, minimum=10),
                    }
                ],
                "prefix": f"{REDIS_PREFIX}:ws",
            },
        }
    }
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_PREFIX,
            "OPTIONS": {"pool_class": "kefu.lib.redis.SharedConnectionPool"},
        }
    }
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
    TASKS: dict[str, dict[str, Any]] = {
        "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}
    }
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "kefu",
        }
    }
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

if env_bool("KEFU_TASKS_IMMEDIATE", False):
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# --- sessions, cookies, security headers --------------------------------------------------------

HTTPS = env_bool("KEFU_HTTPS", False)
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = env_int("KEFU_SESSION_SECONDS", 12 * 3600, minimum=300)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_SSL_REDIRECT = env_bool("KEFU_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("KEFU_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True

# Sites that may embed the chat widget (the exchange's own pages), for frame-ancestors.
WIDGET_ALLOWED_ORIGINS = env_list("KEFU_WIDGET_ALLOWED_ORIGINS", [])
# Shared secret for identity verification: the exchange signs its user id with it.
WIDGET_IDENTITY_SECRET = env_secret("KEFU_WIDGET_IDENTITY_SECRET")

# --- the exchange's back office (docs/exchange.md) ---------------------------------------------

# "demo": the demo exchange in Kefu's database; "http": the exchange's REST contract at
# EXCHANGE_URL, signed with EXCHANGE_SECRET.
EXCHANGE_ADAPTER = env_str("KEFU_EXCHANGE", "demo")
EXCHANGE_URL = env_str("KEFU_EXCHANGE_URL", "")
EXCHANGE_SECRET = env_secret("KEFU_EXCHANGE_SECRET")
EXCHANGE_TIMEOUT = env_float("KEFU_EXCHANGE_TIMEOUT", 3.0)
# When set, the demo exchange also serves the REST contract under /demo-exchange/v1/.
DEMO_EXCHANGE_SECRET = env_secret("KEFU_DEMO_EXCHANGE_SECRET")

# SMS and push warnings to customers through the exchange's messaging gateway (kefu.lib.messaging);
# unset URLs: that channel is not used (email always is).
SMS_URL = env_str("KEFU_SMS_URL", "")
PUSH_URL = env_str("KEFU_PUSH_URL", "")
MESSAGING_SECRET = env_secret("KEFU_MESSAGING_SECRET")
MESSAGING_TIMEOUT = env_float("KEFU_MESSAGING_TIMEOUT", 3.0)
# /demo/customers/: chat as one of the demo exchange's customers (signed in), to try the bot's
# lookups. Only with the demo exchange: anyone may use it.
DEMO_PAGES = EXCHANGE_ADAPTER == "demo" and env_bool("KEFU_DEMO_PAGES", True)
if DEMO_PAGES and not WIDGET_IDENTITY_SECRET:
    # The demo pages sign the demo customers' ids with a key only this server knows.
    WIDGET_IDENTITY_SECRET = hmac.new(
        SECRET_KEY.encode(), b"kefu demo widget identity", hashlib.sha256
    ).hexdigest()

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'", "ws:", "wss:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
if env_bool("KEFU_FAST_PASSWORD_HASHER", False):
    # Tests only: a cheap hasher keeps the suite fast. Never set in production.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- rate limits (requests per minute from one client address) ----------------------------------

RATELIMIT_ENABLE = env_bool("KEFU_RATELIMIT", True)
RATELIMIT_VIEW = "kefu.lib.ratelimit.rate_limited"
RATE_LIMITS = {
    "ticket_create": env_str("KEFU_RATE_TICKET", "10/m"),
    "customer_message": env_str("KEFU_RATE_CUSTOMER_MESSAGE", "60/m"),
    "widget_session": env_str("KEFU_RATE_WIDGET_SESSION", "30/m"),
    "login": env_str("KEFU_RATE_LOGIN", "10/m"),
    "lookup": env_str("KEFU_RATE_LOOKUP", "120/m"),
    "kb_search": env_str("KEFU_RATE_KB_SEARCH", "120/m"),
    "kb_feedback": env_str("KEFU_RATE_KB_FEEDBACK", "20/m"),
    "kb_question": env_str("KEFU_RATE_KB_QUESTION", "5/m"),
}
# Websocket messages one customer connection may send per 10 seconds.
WIDGET_MESSAGES_PER_10_SECONDS = env_int("KEFU_WIDGET_BURST", 20, minimum=1)

# --- uploads ------------------------------------------------------------------------------------

MEDIA_ROOT = Path(env_str("KEFU_MEDIA_ROOT", str(DATA_DIR / "uploads"))).resolve()
# Trained language models unpack here (each process keeps the live one loaded).
NLU_MODELS_DIR = Path(env_str("KEFU_MODELS_DIR", str(DATA_DIR / "models"))).resolve()
# Analyse every inbound customer message (language, intent, sentiment, urgency).
NLU_ENABLED = env_bool("KEFU_NLU", True)
# The bot answers chats no agent has taken (kefu.bot); off: every chat waits for people.
BOT_ENABLED = env_bool("KEFU_BOT", True)
# Hours the owner of a complaint case has to resolve it (kefu.complaints).
COMPLAINT_DUE_HOURS = env_int("KEFU_COMPLAINT_DUE_HOURS", 72, minimum=1)
# Shared secret the exchange signs risk event batches with (kefu.risk); empty: ingestion is off.
RISK_SECRET = env_secret("KEFU_RISK_SECRET")

# --- routing, SLAs and escalation (kefu.routing, docs/routing.md) --------------------------------

# How often the background sweep serves the queues and checks SLAs.
ROUTING_SWEEP_SECONDS = env_int("KEFU_ROUTING_SWEEP_SECONDS", 5, minimum=1)

# Channels (docs/channels.md): the sweep that sends replies and polls mailboxes and bots.
CHANNEL_SWEEP_SECONDS = env_int("KEFU_CHANNEL_SWEEP_SECONDS", 5, minimum=1)
CHANNEL_POLL_SECONDS = env_int("KEFU_CHANNEL_POLL_SECONDS", 30, minimum=1)
CHANNEL_DOWN_AFTER_FAILURES = env_int("KEFU_CHANNEL_DOWN_AFTER_FAILURES", 3, minimum=1)
# A ticket the language model has not routed after this long is routed anyway.
ROUTING_GRACE_SECONDS = env_int("KEFU_ROUTING_GRACE_SECONDS", 60, minimum=1)
# A console that has not pinged for this long is gone (its server process died).
ROUTING_CONSOLE_TIMEOUT_SECONDS = env_int("KEFU_ROUTING_CONSOLE_TIMEOUT_SECONDS", 120, minimum=30)
# An agent with no console open for this long goes offline (moving between pages is shorter).
ROUTING_DISCONNECT_GRACE_SECONDS = env_int("KEFU_ROUTING_DISCONNECT_GRACE_SECONDS", 30, minimum=0)
# Open chats of an agent offline for this long go back to their queue.
ROUTING_OFFLINE_GRACE_SECONDS = env_int("KEFU_ROUTING_OFFLINE_GRACE_SECONDS", 300, minimum=0)
MEDIA_URL = "/media/"
ATTACHMENT_MAX_BYTES = env_int("KEFU_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
ATTACHMENT_MAX_FILES = env_int("KEFU_ATTACHMENT_MAX_FILES", 5, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# --- email --------------------------------------------------------------------------------------

SMTP_HOST = env_str("KEFU_SMTP_HOST")
if SMTP_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = SMTP_HOST
    EMAIL_PORT = env_int("KEFU_SMTP_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("KEFU_SMTP_USER")
    EMAIL_HOST_PASSWORD = env_secret("KEFU_SMTP_PASSWORD")
    EMAIL_USE_TLS = env_bool("KEFU_SMTP_STARTTLS", True)
    EMAIL_TIMEOUT = env_int("KEFU_SMTP_TIMEOUT_SECONDS", 20, minimum=1)
else:
    # Embedded: mail is written to files in the data directory, so a trial sends nothing.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "outbox"
DEFAULT_FROM_EMAIL = env_str("KEFU_FROM_EMAIL", "support@kefu.localhost")

# --- i18n ---------------------------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env_str("KEFU_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- static files -------------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("KEFU_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
        "bm25s": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
    },
}
