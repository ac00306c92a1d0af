"""Throughline settings: one module, configured by environment variables (see .env.example)."""

from pathlib import Path

import environ
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

from config.service_urls import celery_redis_url, database_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Variables already in the environment win over the file. ENV_FILE points elsewhere (or at /dev/null).
ENV_FILE = Path(env.str("ENV_FILE", default=str(BASE_DIR / ".env")))
if ENV_FILE.is_file():
    environ.Env.read_env(ENV_FILE)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is False (see .env.example).")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_htmx",
    "axes",
    "csp",
    "core",
    "accounts",
    "journeys",
    "research",
    "metrics",
    "prioritization",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.middleware.RefuseNulMiddleware",  # 400 for NUL in the URL, query or form (PostgreSQL refuses it)
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into accounts.throttling.lockout_response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "accounts.context_processors.workspace",
            ],
        },
    }
]

# A unix socket in libpq's form (`postgres://user@/name?host=/run/postgresql`, as the embedded PostgreSQL of
# `make run` has it) or TCP; config/service_urls.py writes the same forms for the processes we start.
DATABASES = {
    "default": database_config(
        env.str("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/throughline")
    )
}
# Connections come from psycopg's pool, at most DATABASE_POOL_MAX_SIZE per process (each uvicorn worker,
# each Celery worker process); a request waits up to DATABASE_POOL_TIMEOUT seconds for a free one.
# Persistent connections (CONN_MAX_AGE > 0) are refused: under uvicorn every request thread would keep
# its own, until PostgreSQL answers "too many clients".
DATABASE_POOL = {
    "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=1),
    "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
    "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
}
if not 0 <= DATABASE_POOL["min_size"] <= DATABASE_POOL["max_size"] or DATABASE_POOL["max_size"] < 1:
    raise ImproperlyConfigured(
        "DATABASE_POOL_MIN_SIZE and DATABASE_POOL_MAX_SIZE need 0 <= min <= max and max >= 1 "
        f"(got {DATABASE_POOL['min_size']} and {DATABASE_POOL['max_size']})."
    )
if DATABASE_POOL["timeout"] <= 0:
    raise ImproperlyConfigured(f"DATABASE_POOL_TIMEOUT must be positive (got {DATABASE_POOL['timeout']}).")
# Threads per web process serving sync views (config/asgi.py); each holds at most one pooled connection at a
# time. Below DATABASE_POOL_MAX_SIZE, so that the live streams' reads (async views) find one too.
WEB_THREADS = env.int("WEB_THREADS", default=8)
if WEB_THREADS < 1:
    raise ImproperlyConfigured(f"WEB_THREADS must be at least 1 (got {WEB_THREADS}).")
_conn_max_age = DATABASES["default"].get("CONN_MAX_AGE") or env.int("CONN_MAX_AGE", default=0)
if _conn_max_age:
    raise ImproperlyConfigured(
        f"CONN_MAX_AGE={_conn_max_age}: persistent connections are not supported. Connections come from "
        "a pool (DATABASE_POOL_MAX_SIZE per process; see .env.example); leave CONN_MAX_AGE unset or 0."
    )
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["OPTIONS"]["pool"] = DATABASE_POOL
# PostgreSQL's JIT compiler off: it pays for itself on long analytical scans, not on a web request, and its
# compiling outweighed the work itself wherever a plan's estimated cost passed jit_above_cost. Measured on
# the queue of 50,000 cards (bench/priorities.py): the CSV export ran 35 s with JIT (62 s of JIT timing
# across its workers) and 3.4 s without; a page whose sort held a subquery per card 31 s against 0.7 s.
_database_options = DATABASES["default"]["OPTIONS"].get("options", "")
DATABASES["default"]["OPTIONS"]["options"] = f"{_database_options} -c jit=off".strip()
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
# How often the live updates' Redis pub/sub connection is checked (PING) while it is idle, in seconds.
LIVE_HEALTH_CHECK_SECONDS = env.int("LIVE_HEALTH_CHECK_SECONDS", default=30)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "accounts.throttling.SignInThrottleBackend",  # first: refuses locked-out sign-ins (django-axes)
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "journeys:list"
LOGOUT_REDIRECT_URL = "accounts:login"
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; anonymous visitors get nothing

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Email goes through Django 6.1's MAILERS (EMAIL_* settings are deprecated); the variables keep their names.
_EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {
    "default": {
        "BACKEND": _EMAIL_BACKEND,
        "OPTIONS": {
            "host": env.str("EMAIL_HOST", default="localhost"),
            "port": env.int("EMAIL_PORT", default=25),
            "username": env.str("EMAIL_HOST_USER", default=""),
            "password": env.str("EMAIL_HOST_PASSWORD", default=""),
            "use_tls": env.bool("EMAIL_USE_TLS", default=False),
            "use_ssl": env.bool("EMAIL_USE_SSL", default=False),
            "timeout": env.int("EMAIL_TIMEOUT", default=30),
        }
        if _EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
        else {},
    }
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Throughline <throughline@localhost>")

# Security: production values come from the environment (see .env.example, `manage.py check --deploy`).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", False) else None
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Sign-in throttling (django-axes; the reasoning is in accounts/throttling.py): after AXES_FAILURE_LIMIT
# failures for one username from one client address, that pair is refused for AXES_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_MINUTES", default=15) / 60  # hours, as django-axes counts
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.throttling.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins need no record of their address
AXES_VERBOSE = False
# Behind N reverse proxies, the client address is the N-th from the right of X-Forwarded-For
# (accounts.throttling.client_address; django-ipware, which django-axes would use, is not installed).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT must be 0 or more (got {TRUSTED_PROXY_COUNT}).")
AXES_CLIENT_IP_CALLABLE = "accounts.throttling.client_address"
PASSWORD_RESET_LIMIT_PER_IP = env.int("PASSWORD_RESET_LIMIT_PER_IP", default=20)  # per hour
PASSWORD_RESET_LIMIT_PER_EMAIL = env.int("PASSWORD_RESET_LIMIT_PER_EMAIL", default=3)  # per hour

# Content-Security-Policy (django-csp): scripts only from our own origin, never inline or eval'd (inline
# handlers live in static/js); <style> elements only from files or with the response's nonce. Style
# *attributes* stay allowed: templates set per-element layout values (grid spans, CSS variables) that way,
# and an attribute cannot run script. Swagger UI is served locally (drf-spectacular-sidecar).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", NONCE],
        "style-src-elem": ["'self'", NONCE],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "report-uri": env.list("CSP_REPORT_URI", default=[]) or None,
    },
}
# Browser features the product never uses are switched off for every page (accounts.middleware).
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "autoplay": [],
    "camera": [],
    "display-capture": [],
    "encrypted-media": [],
    "fullscreen": ["self"],  # present mode
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "picture-in-picture": [],
    "publickey-credentials-get": [],
    "screen-wake-lock": [],
    "serial": [],
    "usb": [],
    "xr-spatial-tracking": [],
}

REST_FRAMEWORK = {
    # Token first: a request without credentials gets 401 with `WWW-Authenticate: Token` (DRF answers 403
    # when the first class is SessionAuthentication, which has no such header).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    # limit/offset, refused with 400 when not whole numbers in range (core/pagination.py)
    "DEFAULT_PAGINATION_CLASS": "core.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_FILTER_BACKENDS": [],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Throughline API",
    "DESCRIPTION": (
        "Customer journey maps: workspaces, journeys, stages, steps, lanes and cards.\n\n"
        "**Authentication.** Get a token with `POST /api/v1/auth/token/` (`username`, `password`) and "
        "send it as `Authorization: Token <token>`; the browser's session works too (with its CSRF token). "
        "Without credentials the answer is 401. Outsiders get 404, members lacking the right get 403.\n\n"
        "**Concurrency.** Updates, moves and deletes name the `expected_version` of what they change; a "
        "stale one gets 409 with the object as it now is in `current`, and nothing changes. Bad input gets "
        "400 with `{field: [messages]}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema documents JSON bodies; forms are still read (core.serializers.BooleanField: a checkbox a
    # form leaves out is "not sent", not false), but cannot say null, so they are not offered.
    # Bodies are JSON; research's bulk evidence reads JSON past Django's body limit with its own parser.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser", "research.api.common.BulkJSONParser"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Our PATCH bodies are their own input serializers (fields optional, `expected_version` required):
    # document them as written instead of making every field optional.
    "COMPONENT_SPLIT_PATCH": False,
    "ENUM_NAME_OVERRIDES": {
        "JourneyLevelEnum": "journeys.models.JourneyLevel",
        "LaneKindEnum": "journeys.models.LaneKind",
        "AccessLevelEnum": "journeys.access.LEVELS",
        "GranteeKindEnum": ["user", "team"],
        "VersionKindEnum": "journeys.models.MapVersion.Kind",
        "TrashedKindEnum": "journeys.services.trash.KINDS",
        "DiffStatusEnum": "journeys.services.versioning.DIFF_STATUSES",
        "EvidenceKindEnum": "research.models.Kind",
        "ResearchTrashKindEnum": "research.models.ResearchTrash.Kind",
        "ConfidenceLevelEnum": "research.confidence.Level",
        "JourneyStateEnum": "journeys.models.JourneyState",
        "DeliveryStateEnum": "prioritization.models.DeliveryState",
    },
}


CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=celery_redis_url(REDIS_URL))
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=celery_redis_url(REDIS_URL))
# Beat's record of when each periodic task last ran; beat creates its folder (config/celery.py).
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / "var" / "celerybeat-schedule")
)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

# The hour (0–23, in TIME_ZONE) of the nightly scan for sharp metric changes (config/celery.py).
METRICS_SHIFT_SCAN_HOUR = env.int("METRICS_SHIFT_SCAN_HOUR", default=3)
if not 0 <= METRICS_SHIFT_SCAN_HOUR <= 23:
    raise ImproperlyConfigured(
        f"METRICS_SHIFT_SCAN_HOUR must be an hour from 0 to 23 (got {METRICS_SHIFT_SCAN_HOUR})."
    )

# Undo: deleted map elements (each map's "Recently deleted") and deleted evidence and studies (research's)
# are kept this many days after the delete, then purged for good by daily tasks (journeys.purge_trash,
# research.purge_trash). The pages say how long.
TRASH_RETENTION_DAYS = env.int("TRASH_RETENTION_DAYS", default=30)
if TRASH_RETENTION_DAYS < 1:
    raise ImproperlyConfigured(f"TRASH_RETENTION_DAYS must be 1 or more (got {TRASH_RETENTION_DAYS}).")
# Delivery sync's logs (what Jira and Asana sent, what webhooks were sent) are kept this many days, then
# purged by a daily task (prioritization.purge_delivery_logs); webhook deliveries still being retried stay.
DELIVERY_LOG_RETENTION_DAYS = env.int("DELIVERY_LOG_RETENTION_DAYS", default=90)
if DELIVERY_LOG_RETENTION_DAYS < 1:
    raise ImproperlyConfigured(
        f"DELIVERY_LOG_RETENTION_DAYS must be 1 or more (got {DELIVERY_LOG_RETENTION_DAYS})."
    )

# Outbound webhooks (prioritization/webhooks.py): retries with exponential backoff, base × 2^(n − 1) seconds
# capped at the max, up to WEBHOOK_MAX_ATTEMPTS attempts; each request's timeout.
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=15)
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=30.0)
WEBHOOK_RETRY_MAX_SECONDS = env.float("WEBHOOK_RETRY_MAX_SECONDS", default=6 * 60 * 60.0)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# Requests to addresses admins type (webhooks, the Jira/Asana poll) refuse private and loopback addresses
# (prioritization/outbound.py) unless this is true: an install whose Jira or receivers are on its own network.
OUTBOUND_ALLOW_PRIVATE_ADDRESSES = env.bool("OUTBOUND_ALLOW_PRIVATE_ADDRESSES", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes reports every sign-in at INFO; lockouts (WARNING) are what operators need.
    "loggers": {"axes": {"level": "WARNING"}},
}
