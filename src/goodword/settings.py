"""Settings, read from the environment with production-safe defaults.

GOODWORD_* variables and DATABASE_URL are the whole configuration surface; see README.md.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

from goodword.core.email_url import parse_email_url

VAR_DIR = Path(os.environ.get("GOODWORD_VAR_DIR", "var")).resolve()


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """The secret from the environment, else one generated once and kept under VAR_DIR.

    Keeping it on disk means sessions and signed links survive restarts without the operator
    having to invent a secret on day one.
    """
    key = os.environ.get("GOODWORD_SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    # O_EXCL: two processes starting at once agree on one key (the loser reads the winner's).
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _database() -> dict[str, object]:
    url = os.environ.get("DATABASE_URL")
    if not url:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{VAR_DIR / 'goodword.sqlite3'}"
    config: dict[str, object] = dict(dj_database_url.parse(url))
    engine = str(config["ENGINE"])
    if "sqlite" in engine:
        # Tests use a file, not memory: servers and workers in other threads and processes
        # must see the same database.
        test_name = os.environ.get("GOODWORD_TEST_DB_NAME", "test")
        config["TEST"] = {"NAME": str(VAR_DIR / f"{test_name}.sqlite3")}
        config["OPTIONS"] = {
            # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so
            # two writers queue on busy_timeout instead of failing on lock upgrade.
            "init_command": (
                "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    elif "postgresql" in engine:
        if os.environ.get("GOODWORD_TEST_DB_NAME"):
            # Lets two test runs share one server without dropping each other's database.
            config["TEST"] = {"NAME": os.environ["GOODWORD_TEST_DB_NAME"]}
        config["CONN_MAX_AGE"] = None
        config["CONN_HEALTH_CHECKS"] = True
        # Django turns psycopg's prepared statements off (for PgBouncer in transaction mode).
        # The origin write is one large statement whose planning costs more than running it,
        # so it is prepared per connection. Set GOODWORD_PG_PREPARE=0 behind such a pooler.
        if _env_bool("GOODWORD_PG_PREPARE", True):
            options = dict(config.get("OPTIONS") or {})  # type: ignore[call-overload]
            options.setdefault("prepare_threshold", 5)
            # The hot paths' statements are indexed lookups whatever the values: a generic plan
            # is right for them, while PostgreSQL's default re-plans a large UNION on every run
            # when its custom plans look cheaper (measured: 1.8 ms against 0.5 ms a query).
            options.setdefault("options", "-c plan_cache_mode=force_generic_plan")
            config["OPTIONS"] = options
    return config


SECRET_KEY = _secret_key()
DEBUG = _env_bool("GOODWORD_DEBUG")
BASE_URL = os.environ.get("GOODWORD_BASE_URL", "http://localhost:8000").rstrip("/")

_allowed = os.environ.get("GOODWORD_ALLOWED_HOSTS")
if _allowed:
    ALLOWED_HOSTS = [h.strip() for h in _allowed.split(",") if h.strip()]
else:
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
    _base_host = urlsplit(BASE_URL).hostname
    if _base_host and _base_host not in ALLOWED_HOSTS:
        ALLOWED_HOSTS.append(_base_host)

# The one-insert floor endpoint exists only for the benchmark; never on in production.
BENCH_FLOOR_ENDPOINT = _env_bool("GOODWORD_BENCH_FLOOR")

# Behind a proxy that sets X-Forwarded-For, `ip_address: "current"` should mean the client.
TRUST_X_FORWARDED_FOR = _env_bool("GOODWORD_TRUST_X_FORWARDED_FOR")

# How long a verified API key stays trusted in one process before it is checked again. A key
# revoked through this process is dropped at once; other processes stop accepting it within
# this many seconds.
API_KEY_CACHE_SECONDS = float(os.environ.get("GOODWORD_API_KEY_CACHE_SECONDS", "10"))
# How often each process reads the key version row (bumped by every key or site change) and
# drops its cached keys when it moved: a revocation reaches every process within this time.
API_KEY_VERSION_SECONDS = float(os.environ.get("GOODWORD_API_KEY_VERSION_SECONDS", "1"))

# Prometheus metrics at /metrics: off unless GOODWORD_METRICS is on or a token is set; with a
# token, a scrape must send it as a Bearer token.
METRICS_TOKEN = os.environ.get("GOODWORD_METRICS_TOKEN", "")
METRICS_ENABLED = _env_bool("GOODWORD_METRICS") or bool(METRICS_TOKEN)

# With the database down, requests answer 503 with this Retry-After (seconds); a claim link this
# process has not seen since it started sends the friend here (else to the one store it knows).
OUTAGE_RETRY_AFTER_SECONDS = int(os.environ.get("GOODWORD_OUTAGE_RETRY_AFTER", "5"))
OUTAGE_REDIRECT_URL = os.environ.get("GOODWORD_OUTAGE_REDIRECT_URL", "").strip()

# API requests a minute, counted in each server process (docs/adr/0012-rate-limits.md): per
# client address and per API key; over either, 429 with Retry-After. 0 turns a limit off.
API_RATE_PER_IP = int(os.environ.get("GOODWORD_API_RATE_PER_IP", "24000"))
API_RATE_PER_KEY = int(os.environ.get("GOODWORD_API_RATE_PER_KEY", "12000"))

# Outgoing mail (email shares): EMAIL_URL names the server (core/email_url.py); unset, mails
# are printed on stdout by the console backend and nothing leaves the machine.
_email = parse_email_url(os.environ.get("EMAIL_URL") or "console://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = _email.get("EMAIL_TIMEOUT", 10.0)
DEFAULT_FROM_EMAIL = os.environ.get("GOODWORD_EMAIL_FROM", "Goodword <noreply@localhost>")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "goodword.core",
    "goodword.sites",
    "goodword.people",
    "goodword.origins",
    "goodword.coupons",
    "goodword.campaigns",
    "goodword.offers",
    "goodword.referrals",
    "goodword.rewards",
    "goodword.metrics",
    "goodword.worker",
    "goodword.webhooks",
    "goodword.observability",
    "goodword.portal",
    "goodword.privacy",
]

MIDDLEWARE = [
    "goodword.core.middleware.RequestIdMiddleware",
    "goodword.core.middleware.ContentSecurityPolicyMiddleware",
    "goodword.observability.middleware.ObservabilityMiddleware",
    # Before anything reads the request into a query: a NUL is refused with a 400.
    "goodword.core.input_guard.InputGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "goodword.api.v2.middleware.ApiEnvelopeMiddleware",
    "goodword.core.outage.DatabaseOutageMiddleware",
    "goodword.api.v2.ratelimit.ApiRateLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "goodword.urls"
WSGI_APPLICATION = "goodword.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Talkable clients send bodies up to a few MB at most (batch origins); refuse anything larger.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# The portal (/portal/): Django auth with sessions; staff log in with their email.
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:login"
SESSION_COOKIE_AGE = 12 * 3600  # a working day; a new login after that
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = BASE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Served over https (GOODWORD_BASE_URL says so): browsers are told to keep to https for a year.
# HSTS goes out on requests Django sees as secure; behind a TLS-terminating proxy that is what
# GOODWORD_SECURE_PROXY_SSL_HEADER says (docs/deployment.md).
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if SESSION_COOKIE_SECURE else 0
# Only when the proxy sets X-Forwarded-Proto itself and strips a client's: otherwise a client
# could claim https.
if _env_bool("GOODWORD_SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# `plain` for a terminal, `json` (one object a line, with request id, site and job) for a log
# pipeline.
LOG_FORMAT = os.environ.get("GOODWORD_LOG_FORMAT", "plain").strip().lower()
if LOG_FORMAT not in {"plain", "json"}:
    raise ValueError(f"GOODWORD_LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "goodword.observability.logs.ContextFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "goodword.observability.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("GOODWORD_LOG_LEVEL", "INFO")},
    "loggers": {
        # Django logs every 4xx as a warning; the API answers those by design.
        "django.request": {"level": "ERROR"},
    },
}
