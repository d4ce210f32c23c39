"""Settings for development, tests and the demo.

Every value comes from the environment (or a `.env` file next to `manage.py`), with
defaults that let the portal run on a machine with only Python: SQLite for the
database and a filesystem broker for Celery. Set `DATABASE_URL` and
`CELERY_BROKER_URL` to use PostgreSQL and Redis. Production deployments use
`komet_axerrio.settings_production`, which removes the development defaults.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# The development key is public on purpose; production settings refuse to start without
# DJANGO_SECRET_KEY.
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-change-me-0123456789abcdef"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

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
    "core",
    "audit",
    "catalog",
    "mapping",
    "orders",
    "sync",
    "tokens",
    "api",
    "labels",
    "receiving",
    "dashboard",
    "security",
    # Last, so its post_migrate refresh of the role groups finds every app's permissions.
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After CSRF and authentication: a blocked admin sign-in gets the login page and 429.
    "security.login_throttle.LoginThrottleMiddleware",
]

ROOT_URLCONF = "komet_axerrio.urls"
WSGI_APPLICATION = "komet_axerrio.wsgi.application"

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
                "core.context_processors.portal",
                "sync.context_processors.attention",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"
    ),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process, the worker and beat read while one of them writes;
    # IMMEDIATE transactions take the write lock up front instead of failing on upgrade.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str(
        "DATABASE_TEST_NAME", default=None
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# Stored times are UTC. TIME_ZONE is the zone the admin shows them in by default: the
# importer's warehouse in Miami. Farms have their own zone on the Vendor record.
USE_TZ = True
TIME_ZONE = env.str("PORTAL_TIME_ZONE", default="America/New_York")
USE_I18N = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGIN_URL = "admin:login"

# --- Celery -----------------------------------------------------------------------------
# Without CELERY_BROKER_URL the portal uses Kombu's filesystem transport under var/, so
# `make run` gets a real worker and beat on a machine without Redis.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Separate queue names let several test runs or portals share one Redis.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="portal")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {}
# Safety net for pushes: releases rows stuck in flight and re-enqueues due rows, so a
# lost broker message or a killed worker only delays a push. A sweep that waited longer
# than its interval is dropped because the next one does the same work.
CELERY_BEAT_SCHEDULE["sync-outbox-sweep"] = {
    "task": "sync.outbox_sweep",
    "schedule": env.float("PUSH_SWEEP_INTERVAL", default=30.0),
    "options": {"expires": 25},
}
# Safety net for mapping releases whose task message or worker was lost.
CELERY_BEAT_SCHEDULE["mapping-releases-sweep"] = {
    "task": "mapping.releases_sweep",
    "schedule": 60.0,
    "options": {"expires": 55},
}

# --- Portal -----------------------------------------------------------------------------
# Secret mixed into API token hashes, so a copy of the database alone cannot be used to
# test guessed tokens. Defaults to SECRET_KEY.
TOKEN_PEPPER = env.str("TOKEN_PEPPER", default=SECRET_KEY)
# Largest request body the vendor API accepts, in bytes (Komet's limit is 64 KB).
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=64 * 1024)
API_DEFAULT_DAILY_QUOTA = env.int("API_DEFAULT_DAILY_QUOTA", default=1000)
# Connect and read timeouts, in seconds, for pushes to a farm's Axerrio.
PUSH_CONNECT_TIMEOUT = env.float("PUSH_CONNECT_TIMEOUT", default=5.0)
PUSH_READ_TIMEOUT = env.float("PUSH_READ_TIMEOUT", default=20.0)
PUSH_MAX_ATTEMPTS = env.int("PUSH_MAX_ATTEMPTS", default=8)
# Retry delays, in seconds: uniform between 0 and min(MAX, BASE × 2^(attempt − 1)). A
# Retry-After from the farm sets a floor, capped at PUSH_RETRY_AFTER_MAX.
PUSH_BACKOFF_BASE = env.float("PUSH_BACKOFF_BASE", default=2.0)
PUSH_BACKOFF_MAX = env.float("PUSH_BACKOFF_MAX", default=600.0)
PUSH_RETRY_AFTER_MAX = env.float("PUSH_RETRY_AFTER_MAX", default=3600.0)
# A push in flight longer than connect + read timeout + this margin (seconds) is treated
# as lost with its worker and retried. Keep it above the delivery task's hard time limit
# minus the two timeouts (30 s).
PUSH_STUCK_MARGIN = env.float("PUSH_STUCK_MARGIN", default=60.0)
# Seconds the sweep leaves a due push to its own queued message before enqueuing it again,
# and the most rows one sweep enqueues.
PUSH_SWEEP_GRACE = env.float("PUSH_SWEEP_GRACE", default=60.0)
PUSH_SWEEP_BATCH = env.int("PUSH_SWEEP_BATCH", default=1000)
# A farm-created PO whose lines all match the importer's own prebook lines is approved on
# creation; everything else waits for procurement.
AUTO_APPROVE_MATCHING_POS = env.bool("AUTO_APPROVE_MATCHING_POS", default=True)
# Label downloads of more boxes than this are rendered by a worker into a LabelBatch file.
LABELS_INLINE_MAX_BOXES = env.int("LABELS_INLINE_MAX_BOXES", default=500)
# Days a rendered label batch file is kept before the sweep deletes it.
LABELS_BATCH_RETENTION_DAYS = env.int("LABELS_BATCH_RETENTION_DAYS", default=7)
# Requeues label batches whose task message was lost and deletes expired batch files.
CELERY_BEAT_SCHEDULE["labels-batches-sweep"] = {
    "task": "labels.batches_sweep",
    "schedule": 300.0,
    "options": {"expires": 290},
}
PORTAL_NAME = env.str("PORTAL_NAME", default="Komet–Axerrio portal")

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "api.envelope.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Komet-compatible vendor API",
    "DESCRIPTION": (
        "The methods a farm's Axerrio (or any Komet Sales client) calls. Writes are POST "
        "JSON, lists are GET with query parameters; the token travels as "
        "`authenticationToken` in the body or the query."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The reference page's script is served by the portal itself, not fetched from a CDN.
    "REDOC_DIST": "SIDECAR",
}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "console": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    # Every handler on the root logger blanks tokens, passwords and secrets in messages.
    "filters": {
        "redact_secrets": {"()": "security.log_redaction.RedactSecretsFilter"},
        "forbidden_one_line": {"()": "security.forbidden_log.ForbiddenOneLineFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "console",
            "filters": ["redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's default logging gives "django" a console handler of its own that skips
        # the redaction filter and, with DEBUG on, prints each record a second time. Its
        # records reach the root logger's handler instead.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
        # An HTTP 403 is logged as one line with its reason, never with a traceback.
        "django.request": {"filters": ["forbidden_one_line"]},
        "urllib3": {"level": "WARNING"},
    },
}

# --- Cache and throttling ---------------------------------------------------------------
# The failure counters behind API and sign-in throttling live in the cache. Redis shares
# them between web processes; the local-memory fallback counts per process.
if env.str("CACHE_URL", default=""):
    CACHES = {"default": env.cache_url("CACHE_URL")}
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CELERY_BROKER_URL,
            "KEY_PREFIX": "portal",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Failed API authentications from one address: after LIMIT within WINDOW seconds, every
# request from it gets HTTP 429 for BLOCK seconds.
API_AUTH_FAILURE_LIMIT = env.int("API_AUTH_FAILURE_LIMIT", default=10)
API_AUTH_FAILURE_WINDOW_SECONDS = env.int("API_AUTH_FAILURE_WINDOW_SECONDS", default=300)
API_AUTH_BLOCK_SECONDS = env.int("API_AUTH_BLOCK_SECONDS", default=900)
# Failed admin sign-ins, counted per username and per client address.
LOGIN_FAILURE_LIMIT_PER_USERNAME = env.int("LOGIN_FAILURE_LIMIT_PER_USERNAME", default=5)
LOGIN_FAILURE_LIMIT_PER_ADDRESS = env.int("LOGIN_FAILURE_LIMIT_PER_ADDRESS", default=20)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=900)
LOGIN_BLOCK_SECONDS = env.int("LOGIN_BLOCK_SECONDS", default=900)
