"""Settings, read from the environment with safe defaults for a local demo.

Every setting a deployment changes comes from an environment variable (see README "Configuration").
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="insecure-local-demo-key-change-me-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
# The container health check asks http://127.0.0.1:8000/healthz from inside: always allow loopback.
ALLOWED_HOSTS += [host for host in ("127.0.0.1", "localhost") if host not in ALLOWED_HOSTS]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "django_celery_beat",
    "axes",
    "mptt",
    "core",
    "distributors",
    "orders",
    "commissions",
    "compliance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into a 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "backoffice.urls"
WSGI_APPLICATION = "backoffice.wsgi.application"

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
            ],
        },
    },
]

# SQLite file in the project by default (the demo); PostgreSQL in production and CI.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo server and seed share one file; wait for locks instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/admin/login/"

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", "English"), ("nl", "Nederlands")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Amsterdam")
USE_I18N = True
USE_TZ = True

# The company's currency; amounts are Decimal everywhere.
CURRENCY = env.str("CURRENCY", default="EUR")

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Celery: unset broker means tasks run in-process, eagerly, with the same code path.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# Monthly close schedule (commissions): hour of the 1st at which the previous month is closed,
# and whether that automatic run is a preview or the final close.
COMMISSION_CLOSE_HOUR = env.int("COMMISSION_CLOSE_HOUR", default=6)
COMMISSION_CLOSE_MODE = env.str("COMMISSION_CLOSE_MODE", default="preview")  # "preview" | "final"
# Without a broker, how many chunks of a close this process writes at once (threads).
COMMISSION_CLOSE_INPROCESS_WRITERS = env.int("COMMISSION_CLOSE_INPROCESS_WRITERS", default=2)

# --- REST API (docs/api.md). One error format, capped pages, per-user throttling.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_USER_THROTTLE", default="600/min"),
        "anon": env.str("API_ANON_THROTTLE", default="60/min"),
    },
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}
API_PAGE_SIZE = 50
API_MAX_PAGE_SIZE = 100
SPECTACULAR_SETTINGS = {
    "TITLE": "Backoffice API",
    "DESCRIPTION": (
        "The back office of a direct-selling company, for the distributor's phone app. "
        "Authenticate with a JWT (POST /api/v1/auth/token/) and send `Authorization: Bearer <access>`. "
        'Every error is `{"error": {"code", "message", "fields"}}`. '
        "A distributor sees only themselves, their downline (name, rank and volumes only), their own "
        "customers, orders, demonstrations, buy-back requests and statements; anything else is 404. "
        "See docs/api.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # Deactivated users are refused on every request and on refresh; a password change
    # revokes every token issued before it.
    "CHECK_USER_IS_ACTIVE": True,
    "CHECK_REVOKE_TOKEN": True,
    "TOKEN_REFRESH_SERIALIZER": "core.api.auth.RefreshSerializer",
}

# Brute-force protection on logins (admin, portal and API token endpoint).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# Locked per username *and* address together: one typo-prone user behind a carrier's shared
# address never locks out everyone else there, and nobody can lock a user out from elsewhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# No banner on every manage.py command.
AXES_VERBOSE = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # One line per task is noise when tasks run in-process (the demo); workers log their own.
    "loggers": {"celery.app.trace": {"level": env.str("CELERY_TASK_LOG_LEVEL", default="WARNING")}},
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
    CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)

# Celery beat: the close of the previous month on the 1st at COMMISSION_CLOSE_HOUR (company time),
# as a preview or a final close (COMMISSION_CLOSE_MODE). Stored by django-celery-beat's scheduler.
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE = {
    "monthly-commission-close": {
        "task": "commissions.tasks.scheduled_monthly_close",
        "schedule": crontab(minute=0, hour=COMMISSION_CLOSE_HOUR, day_of_month=1),
    },
    "purge-idempotency-keys": {
        "task": "core.tasks.purge_idempotency_keys",
        "schedule": crontab(minute=30, hour=3),
    },
}

# --- Compliance (compliance.md): warning thresholds of the period compliance report, and the
# buy-back terms per market (distributor country); unset markets use the plan document's terms.
# Only the thresholds set in the environment: the defaults live in compliance.selectors.
COMPLIANCE_THRESHOLDS = {
    key: env.str(variable)
    for key, variable in [
        ("min_customer_volume_share", "COMPLIANCE_MIN_CUSTOMER_VOLUME_SHARE"),
        ("min_customer_reward_share", "COMPLIANCE_MIN_CUSTOMER_REWARD_SHARE"),
        ("min_paid_share", "COMPLIANCE_MIN_PAID_SHARE"),
        ("max_over_cap_share", "COMPLIANCE_MAX_OVER_CAP_SHARE"),
        ("min_inventory_resale_ratio", "COMPLIANCE_MIN_INVENTORY_RESALE_RATIO"),
        ("max_buyback_rate", "COMPLIANCE_MAX_BUYBACK_RATE"),
    ]
    if variable in env
}
BUYBACK_WINDOW_MONTHS_BY_COUNTRY: dict[str, int] = {}  # e.g. {"US": 12}
BUYBACK_REFUND_SHARE_BY_COUNTRY: dict[str, str] = {}  # e.g. {"US": "0.90"}
# Cooling-off days per market (distributor country), e.g. COOLING_OFF_DAYS_BY_COUNTRY=US=3;
# unset markets use the plan document's cooling_off_days (14 in the EU default).
COOLING_OFF_DAYS_BY_COUNTRY = env.dict("COOLING_OFF_DAYS_BY_COUNTRY", cast={"value": int}, default={})
# The close writes its output in one chunk (one Celery task) per this many distributors, cut so
# that chunks hold about as many rows each; a chunk claimed by a worker silent for this long is
# taken over by another (a killed worker).
COMMISSION_CLOSE_CHUNK_DISTRIBUTORS = env.int("COMMISSION_CLOSE_CHUNK_DISTRIBUTORS", default=25000)
COMMISSION_CLOSE_STALE_CLAIM_SECONDS = env.int("COMMISSION_CLOSE_STALE_CLAIM_SECONDS", default=120)
# Cache: in-process by default; CACHE_URL=redis://redis:6379/1 shares it between web workers.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# The dashboard's live standing of the open month (PV, GV, eligibility) is cached this long.
STANDING_CACHE_SECONDS = env.int("STANDING_CACHE_SECONDS", default=300)
