"""Settings, read from the environment with safe defaults for a local demo.

Every setting a deployment changes comes from an environment variable (see README "Configuration").
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# The demo's key is public (it is in this file): only a development server (DEBUG=1) may sign
# sessions and API tokens with it. With DEBUG off anyone who knows the key could mint refresh tokens
# that outlive a logout, so the server refuses to start without a real one.
DEMO_SECRET_KEY = "insecure-local-demo-key-change-me-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="") or (DEMO_SECRET_KEY if DEBUG else "")


def is_strong_secret_key(key: str) -> bool:
    """Django's own bar (check --deploy, security.W009): 50+ characters, 5+ different ones, not generated
    as an insecure placeholder, and not the public demo key."""
    return (
        len(key) >= 50
        and len(set(key)) >= 5
        and not key.startswith("django-insecure-")
        and key != DEMO_SECRET_KEY
    )


if not DEBUG and not is_strong_secret_key(SECRET_KEY):
    raise ImproperlyConfigured(
        "SECRET_KEY is missing or weak (it needs 50+ random characters) and DEBUG is off: refusing to "
        "start on a guessable key. Set SECRET_KEY, e.g. to the output of "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`, or DEBUG=1 for development."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
# The container health check asks http://127.0.0.1:8000/healthz from inside: always allow loopback.
ALLOWED_HOSTS += [host for host in ("127.0.0.1", "localhost") if host not in ALLOWED_HOSTS]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "core.admin_site.BackofficeAdminConfig",  # django.contrib.admin, business apps first
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
    # Swagger UI and Redoc served from the installed package, never from a CDN.
    "drf_spectacular_sidecar",
    "csp",
    "django_celery_beat",
    "axes",
    "mptt",
    "django_htmx",
    "template_partials",
    # PostgreSQL triggers declared in the models' Meta (core/triggers.py); none on SQLite.
    "pgtrigger",
    # Support staff open the portal as a distributor sees it (portal/support.py).
    "hijack",
    "core",
    "distributors",
    # Plans and periods (the period lock): below orders, whose writes check a period's state.
    "plans",
    "orders",
    "commissions",
    "compliance",
    # E-mail notifications (notifications/): listens to the domain's signals, above compliance.
    "notifications",
    # The network import: writes through the domain apps' services and tree, which never import it.
    "importer",
    # GDPR: collects every app's part of a person's data; above the domain apps it asks.
    "privacy",
    # The distributor's pages (server-rendered, htmx): above the domain, like the API and the admin.
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every answer (the other security headers come
    # from SecurityMiddleware and XFrameOptionsMiddleware; see "Security headers" below).
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A support session: request.user.is_hijacked; read-only unless the staff member may act.
    "hijack.middleware.HijackUserMiddleware",
    "portal.support.SupportSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Unsafe methods run in one transaction, rolled back on an exception or a 5xx (core/middleware.py).
    "core.middleware.AtomicWriteRequestsMiddleware",
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
                "portal.navigation.navigation",
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
    # Django's ModelBackend, but a username with NUL or over its length is no user, not a 500.
    "core.accounts.backends.UsernameSafeModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Distributors sign in to the portal; staff sign in at /admin/ (the admin has its own login page).
# Support sessions (django-hijack): who may open whose portal is the distributors app's rule; the
# portal shows its own banner (portal/_support_banner.html), so hijack inserts none.
HIJACK_PERMISSION_CHECK = "distributors.support.may_view_as"
HIJACK_INSERT_BEFORE = None

LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:login"

# E-mail (invitations, password resets): printed to the console unless a backend is configured,
# e.g. EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend with EMAIL_HOST, EMAIL_PORT...
# A mail provider's API through django-anymail instead (notifications, invitations, everything):
# ANYMAIL_ESP=mailgun|postmark|amazon_ses|sendgrid|brevo|mailjet|sparkpost|resend|... picks
# anymail.backends.<esp>.EmailBackend, and ANYMAIL_<SETTING>=... are that provider's settings
# (e.g. ANYMAIL_MAILGUN_API_KEY, ANYMAIL_MAILGUN_SENDER_DOMAIN, ANYMAIL_POSTMARK_SERVER_TOKEN,
# ANYMAIL_SENDGRID_API_KEY; Amazon SES reads the usual AWS_* variables). An explicit EMAIL_BACKEND wins.
ANYMAIL_ESP = env.str("ANYMAIL_ESP", default="")
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in env.ENVIRON.items()
    if key.startswith("ANYMAIL_") and key != "ANYMAIL_ESP"
}
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default=f"anymail.backends.{ANYMAIL_ESP}.EmailBackend"
    if ANYMAIL_ESP
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Backoffice <noreply@localhost>")
# Where people reach this site: the base of every link in an e-mail (never the request's Host).
PUBLIC_URL = env.str("PUBLIC_URL", default="http://127.0.0.1:8000")
# An invitation's link to set the first password works once and this many days.
INVITATION_DAYS = env.int("INVITATION_DAYS", default=7)
# A consent to be contacted given on the referral page (/join/<code>/) counts once the visitor
# opens the link e-mailed to the address; the link works this many days.
JOIN_CONFIRM_DAYS = env.int("JOIN_CONFIRM_DAYS", default=7)

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", "English"), ("nl", "Nederlands")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Amsterdam")
USE_I18N = True
USE_TZ = True

# The company's currency; amounts are Decimal everywhere.
CURRENCY = env.str("CURRENCY", default="EUR")
# The company's own bank account, the debtor of the SEPA payout files and the account whose camt.053
# statements are imported (commissions.services.sepa, .bank_statements). No default: a development
# server (DEBUG=1, the demo) uses a made-up account, never a real one.
DEMO_SEPA_DEBTOR = {"name": "Backoffice Demo B.V.", "iban": "NL02ABNA0123456789", "bic": "ABNANL2A"}
SEPA_DEBTOR_NAME = env.str("SEPA_DEBTOR_NAME", default="") or (DEMO_SEPA_DEBTOR["name"] if DEBUG else "")
SEPA_DEBTOR_IBAN = env.str("SEPA_DEBTOR_IBAN", default="") or (DEMO_SEPA_DEBTOR["iban"] if DEBUG else "")
SEPA_DEBTOR_BIC = env.str("SEPA_DEBTOR_BIC", default="") or (DEMO_SEPA_DEBTOR["bic"] if DEBUG else "")
# The company on its self-billing invoices (commissions.services.invoices): name, address (lines
# separated by "|" or newlines) and VAT number; demo values only with DEBUG.
DEMO_COMPANY = {
    "name": "Backoffice Demo B.V.",
    "address": "Keizersgracht 100|1015 AA Amsterdam|Nederland",
    "vat_number": "NL004495445B01",
}
COMPANY_NAME = env.str("COMPANY_NAME", default="") or (DEMO_COMPANY["name"] if DEBUG else "")
COMPANY_ADDRESS = env.str("COMPANY_ADDRESS", default="") or (DEMO_COMPANY["address"] if DEBUG else "")
COMPANY_VAT_NUMBER = env.str("COMPANY_VAT_NUMBER", default="") or (
    DEMO_COMPANY["vat_number"] if DEBUG else ""
)

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

# --- Celery: unset broker means tasks run in-process, eagerly, with the same code path (a worker or
# beat then refuses to start: backoffice/celery.py).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    # An eager .delay() still builds a producer: kombu's in-process transport, not amqp://localhost.
    CELERY_BROKER_URL = "memory://localhost//"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis hands a task that was taken but not acknowledged (acks late) to another worker only after
# the visibility timeout: it must be longer than any task (the default hour is close to a large
# close's compute and would run it twice). A worker that dies is covered by the close's watchdog
# (COMMISSION_CLOSE_WATCHDOG_SECONDS), which re-queues its work, not by this timeout.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT_SECONDS", default=6 * 3600)
}
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
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_USER_THROTTLE", default="600/min"),
        "anon": env.str("API_ANON_THROTTLE", default="60/min"),
        # Per distributor, on the operations that can refuse an e-mail address (enrolment,
        # customer creation, changing my e-mail): no testing of addresses in bulk.
        "email_check": env.str("API_EMAIL_CHECK_THROTTLE", default="30/hour"),
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
    # One named enum per choice set, also where a query filter uses it.
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.models.OrderStatus",
        "DemonstrationStatusEnum": "orders.models.DemonstrationStatus",
        "BuybackStatusEnum": "orders.models.BuybackStatus",
        # Two `vat_status` fields: the distributor's status and the one an invoice was issued with.
        "VatStatusEnum": "distributors.tax.VatStatus",
        "VatTreatmentEnum": "commissions.models.VatTreatment",
    },
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # The docs pages load Swagger UI and Redoc from drf-spectacular-sidecar (pinned in requirements.txt),
    # served by this server: no CDN, they work offline and under the Content-Security-Policy.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # validatorUrl: no badge fetched from swagger.io's online validator.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
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
# A locked-out sign-in on a page gets the portal's translated page (the API keeps its JSON 429).
AXES_LOCKOUT_CALLABLE = "portal.views.account.locked_out"
# The attempted username as axes stores it: no NUL, at most its column's 255 characters.
AXES_USERNAME_CALLABLE = "core.api.auth.axes_username"
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

# --- HTTPS: on by default whenever DEBUG is off, so `manage.py check --deploy` passes. Behind a proxy
# that terminates TLS, SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https says which request header
# marks a request that came in over HTTPS; a part the proxy does itself can be turned off (README).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# The container health check asks http://127.0.0.1:8000/healthz from inside: never redirected.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
if proxy_ssl_header := env.list("SECURE_PROXY_SSL_HEADER", default=[]):
    if len(proxy_ssl_header) != 2:
        raise ImproperlyConfigured(
            "SECURE_PROXY_SSL_HEADER is a header and its value, e.g. HTTP_X_FORWARDED_PROTO,https."
        )
    SECURE_PROXY_SSL_HEADER = tuple(proxy_ssl_header)

# --- Security headers on every answer. Nothing the project serves loads anything from another host.
SECURE_CONTENT_TYPE_NOSNIFF = True  # X-Content-Type-Options: nosniff
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# django-csp. Scripts and styles only from this origin: no 'unsafe-inline' for either (the Django admin
# needs none; a template's own script or style element carries nonce="{{ request.csp_nonce }}"). data: images
# are the icons inside the Swagger UI and Redoc stylesheets. Only the Redoc page relaxes this policy
# (inline styles and a blob: worker: REDOC_CSP in backoffice/api_urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# django-permissions-policy: the back office uses none of these browser features.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "geolocation", "gyroscope",
        "hid", "idle-detection", "magnetometer", "microphone", "midi", "payment", "serial", "usb",
        "xr-spatial-tracking",
    )
}  # fmt: skip

# Celery beat: the close of the previous month on the 1st at COMMISSION_CLOSE_HOUR (company time),
# as a preview or a final close (COMMISSION_CLOSE_MODE). Stored by django-celery-beat's scheduler.
from celery.schedules import crontab  # noqa: E402

# --- Autoship (orders/payments.py): who collects the payment of an autoship order ("manual": staff
# or the PSP's webhook record it; "demo"; or a dotted path to a collector), the days after each
# failed attempt until the next (after the last, the order is cancelled and the autoship paused),
# and the hour at which the day's autoship orders are created.
AUTOSHIP_PAYMENT_COLLECTOR = env.str("AUTOSHIP_PAYMENT_COLLECTOR", default="manual")
AUTOSHIP_PAYMENT_RETRY_DAYS = env.list("AUTOSHIP_PAYMENT_RETRY_DAYS", cast=int, default=[1, 3, 7])
AUTOSHIP_ORDER_HOUR = env.int("AUTOSHIP_ORDER_HOUR", default=5)

CELERY_BEAT_SCHEDULE = {
    "monthly-commission-close": {
        "task": "commissions.tasks.scheduled_monthly_close",
        "schedule": crontab(minute=0, hour=COMMISSION_CLOSE_HOUR, day_of_month=1),
    },
    "purge-idempotency-keys": {
        "task": "core.tasks.purge_idempotency_keys",
        "schedule": crontab(minute=30, hour=3),
    },
    # Autoship (orders.services.autoship): the day's orders early in the morning, then the payment
    # attempts that fall due (retries) every hour.
    "autoship-orders": {
        "task": "orders.tasks.autoship_orders_create",
        "schedule": crontab(minute=15, hour=AUTOSHIP_ORDER_HOUR),
    },
    "autoship-payments": {
        "task": "orders.tasks.autoship_payments_collect",
        "schedule": crontab(minute=45),
    },
    # Notifications: demonstration reminders (held within NOTIFICATIONS_DEMONSTRATION_REMINDER_HOURS)
    # every hour; "autoship coming" once a day for the orders NOTIFICATIONS_AUTOSHIP_NOTICE_DAYS ahead.
    "notifications-demonstration-reminders": {
        "task": "notifications.tasks.demonstration_reminders",
        "schedule": crontab(minute=5),
    },
    "notifications-autoship-coming": {
        "task": "notifications.tasks.autoship_reminders",
        "schedule": crontab(minute=15, hour=8),
    },
    # "open-month-preview": added at the end of this file when PREVIEW_EVERY_MINUTES is not 0.
    # "close-watchdog": added below COMMISSION_CLOSE_WATCHDOG_SECONDS.
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
# On PostgreSQL a dead worker's chunk is taken over sooner: once its row lock is gone and its claim
# is this old (the instant between a claim and its writer's lock).
COMMISSION_CLOSE_CLAIM_GRACE_SECONDS = env.int("COMMISSION_CLOSE_CLAIM_GRACE_SECONDS", default=10)
# The close's watchdog (commissions.close.recovery), run by Celery beat this often: a run that has
# not moved for COMMISSION_CLOSE_STALL_SECONDS is stalled (an ERROR in the log, "close run ... stalled"),
# and what a dead worker held is queued again, or the run finalized when its chunks are all written.
COMMISSION_CLOSE_WATCHDOG_SECONDS = env.int("COMMISSION_CLOSE_WATCHDOG_SECONDS", default=60)
COMMISSION_CLOSE_STALL_SECONDS = env.int("COMMISSION_CLOSE_STALL_SECONDS", default=180)
# --- Notifications (notifications/, docs in README "Notifications by e-mail"). A final close's
# mails go out in tasks of this many distributors each; the demonstration reminder goes this many
# hours before the demonstration, "autoship coming" this many days before the order is made.
NOTIFICATIONS_CHUNK_SIZE = env.int("NOTIFICATIONS_CHUNK_SIZE", default=500)
NOTIFICATIONS_DEMONSTRATION_REMINDER_HOURS = env.int("NOTIFICATIONS_DEMONSTRATION_REMINDER_HOURS", default=24)
NOTIFICATIONS_AUTOSHIP_NOTICE_DAYS = env.int("NOTIFICATIONS_AUTOSHIP_NOTICE_DAYS", default=3)
# Cache: in-process by default; CACHE_URL=redis://redis:6379/1 shares it between web workers. The API
# throttles (API_USER_THROTTLE, API_ANON_THROTTLE) count in this cache: in-process, each gunicorn worker
# counts on its own (3 workers let 3x the rate through), so a deployment with several workers sets
# CACHE_URL to Redis, as docker-compose.yml does.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# The dashboard's live standing of the open month (PV, GV, eligibility) is cached this long.
STANDING_CACHE_SECONDS = env.int("STANDING_CACHE_SECONDS", default=300)

# --- Preview schedule (commissions.previews; issue 15's projected earnings) -------------------
# Every PREVIEW_EVERY_MINUTES Celery beat starts a preview close of the open month (unless a run of
# it is under way; 0 turns the schedule off) and prunes old previews: only the newest
# PREVIEW_RUNS_KEPT succeeded previews of each open period are kept (at least 1); once the period
# is closed, its newest PREVIEW_RUNS_KEPT_CLOSED (0 or more): the last projection distributors saw.
PREVIEW_EVERY_MINUTES = env.int("PREVIEW_EVERY_MINUTES", default=15)
PREVIEW_RUNS_KEPT = env.int("PREVIEW_RUNS_KEPT", default=3)
PREVIEW_RUNS_KEPT_CLOSED = env.int("PREVIEW_RUNS_KEPT_CLOSED", default=1)
CELERY_BEAT_SCHEDULE["close-watchdog"] = {
    "task": "commissions.tasks.close_watchdog",
    "schedule": timedelta(seconds=max(1, COMMISSION_CLOSE_WATCHDOG_SECONDS)),
}
if PREVIEW_EVERY_MINUTES > 0:
    CELERY_BEAT_SCHEDULE["open-month-preview"] = {
        "task": "commissions.tasks.scheduled_preview",
        "schedule": timedelta(minutes=PREVIEW_EVERY_MINUTES),
    }
