"""Django settings for django-sessions, from the kit's shared environment variables.

``shared.settings.Settings.from_env()`` is the one reader of the environment for every
variant (and refuses a ``SECRET_KEY`` under 32 bytes), so the names mean the same here as in
the Flask and JWT variants.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import dj_database_url

from shared.settings import MAX_BODY_BYTES, Settings, SettingsError

ENV = Settings.from_env()
BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = ENV.secret_key
SECRET_KEY_FALLBACKS = list(ENV.secret_key_fallbacks)
DEBUG = False
ALLOWED_HOSTS = list(ENV.allowed_hosts)

INSTALLED_APPS = [
    "django.contrib.contenttypes",  # needed by django.contrib.auth's permissions
    "django.contrib.auth",
    "django.contrib.sessions",
    "django_sessions",  # the user model (with its session generation) and its migrations
]

# Order matters (outermost first):
# - ApiResponseMiddleware wraps everything, so every response gets the contract's headers
#   and every error its JSON envelope;
# - DatabaseDeadlineMiddleware bounds the time a request may wait on PostgreSQL, session
#   save included;
# - SessionMiddleware (Django's, keeping a session cookie the view set itself) then
#   SlidingSessionMiddleware (which must run after the view and CSRF changed the session,
#   and before SessionMiddleware saves it);
# - AuthenticationMiddleware provides request.user, which ApiAccessMiddleware checks (405,
#   401, Sec-Fetch-Site) *before* CsrfViewMiddleware checks the token (403): the contract
#   answers 401 before 403.
MIDDLEWARE = [
    "django_sessions.middleware.ApiResponseMiddleware",
    "django_sessions.deadline.DatabaseDeadlineMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django_sessions.middleware.SessionMiddleware",
    "django_sessions.middleware.SlidingSessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_sessions.middleware.ApiAccessMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]

ROOT_URLCONF = "django_sessions.urls"
WSGI_APPLICATION = "django_sessions.wsgi.application"
APPEND_SLASH = False  # exact paths; no redirects from an API
USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# -- database -----------------------------------------------------------------------------
# Persistent connections: a new connection per request made PostgreSQL sessions ten times
# slower here. Health checks make a connection broken by a database restart get replaced at
# the start of the next request instead of failing it; on PostgreSQL the check is one
# "SELECT 1" round trip per request that reuses a connection (on SQLite it is free).
CONN_MAX_AGE = 600

if ENV.database_url:
    DATABASES = {
        "default": dj_database_url.parse(
            ENV.database_url, conn_max_age=CONN_MAX_AGE, conn_health_checks=True
        )
    }
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # A database that is down must answer 503 within about a second, not hang a
            # worker: refuse to wait longer than that for a connection or a statement.
            "connect_timeout": 1,
            "options": "-c statement_timeout=2000 -c lock_timeout=2000",
        }
    )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH") or str(BASE_DIR / "db.sqlite3"),
            "CONN_MAX_AGE": CONN_MAX_AGE,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # gunicorn runs several processes and threads on one file. BEGIN IMMEDIATE
                # takes the write lock when a transaction starts, so a transaction never has
                # to upgrade a read lock (the usual source of "database is locked"), and it
                # serialises the cart's read-modify-write. WAL lets readers run during a
                # write; synchronous=NORMAL is durable enough in WAL mode and much faster.
                "transaction_mode": "IMMEDIATE",
                # How long a write waits for the lock another process holds before
                # failing (503); SQLITE_TIMEOUT_SECONDS lets the fault tests shorten it.
                "timeout": float(os.environ.get("SQLITE_TIMEOUT_SECONDS") or 5),
                "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL",
            },
        }
    }

#: A request still waiting on PostgreSQL after this long has its connection cut (503).
DATABASE_DEADLINE_SECONDS = max(1.0, 2 * ENV.store_timeout_seconds)

# -- users and passwords ------------------------------------------------------------------
AUTH_USER_MODEL = "django_sessions.User"
PASSWORD_HASHERS = ["django_sessions.hashers.SharedArgon2PasswordHasher"]
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = None  # an API: 401, never a redirect (see ApiAccessMiddleware)

# -- sessions -----------------------------------------------------------------------------
#: Which of Django's session engines stores the sessions (same views, settings only):
#: db (default), cache (Redis), cached_db (database + Redis), file, signed_cookies.
SESSION_ENGINES = {
    "db": "django_sessions.engines.db",
    "cache": "django_sessions.engines.cache",
    "cached_db": "django_sessions.engines.cached_db",
    "file": "django_sessions.engines.file",
    "signed_cookies": "django_sessions.engines.signed_cookies",
}
_engine = os.environ.get("DJANGO_SESSION_ENGINE") or "db"
if _engine not in SESSION_ENGINES:
    raise SettingsError(f"DJANGO_SESSION_ENGINE must be one of {', '.join(SESSION_ENGINES)}")
SESSION_ENGINE = SESSION_ENGINES[_engine]
#: Which cache the cache engines keep sessions in: Redis (Django's ``RedisCache``, the
#: default) or memcached (``PyMemcacheCache`` as :mod:`django_sessions.memcached` adapts it).
DJANGO_CACHES = ("redis", "memcached")
_cache = os.environ.get("DJANGO_CACHE") or "redis"
if _cache not in DJANGO_CACHES:
    raise SettingsError(f"DJANGO_CACHE must be one of {', '.join(DJANGO_CACHES)}")
if _engine in ("cache", "cached_db") and _cache == "redis":
    # Django's built-in Redis cache backend, with the kit's fail-fast socket timeouts.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": ENV.require_redis_url(),
            "OPTIONS": {
                "socket_timeout": ENV.store_timeout_seconds,
                "socket_connect_timeout": ENV.store_timeout_seconds,
            },
        }
    }
if _engine in ("cache", "cached_db") and _cache == "memcached":
    from django_sessions.memcached import client_options

    CACHES = {
        "default": {
            "BACKEND": "django_sessions.memcached.TimelyMemcache",
            "LOCATION": ENV.require_memcached_url().removeprefix("memcached://").rstrip("/"),
            # memcached has no databases: the launcher keeps its targets apart by prefix.
            "KEY_PREFIX": os.environ.get("MEMCACHED_KEY_PREFIX", ""),
            "OPTIONS": client_options(ENV.store_timeout_seconds),
        }
    }
if _engine == "file":
    # One directory per run by default (next to the SQLite file); instances share sessions
    # only if they share this directory.
    SESSION_FILE_PATH = os.environ.get("SESSION_FILE_PATH") or os.path.join(
        os.path.dirname(os.environ.get("SQLITE_PATH") or tempfile.mkdtemp()), "sessions"
    )
    Path(SESSION_FILE_PATH).mkdir(parents=True, exist_ok=True)
#: What browsers keep of one cookie (signed_cookies refuses to grow the cookie past it).
SESSION_COOKIE_MAX_BYTES = ENV.cookie_max_bytes
SESSION_COOKIE_NAME = "__Host-sessionid" if ENV.cookie_secure else "sessionid"
SESSION_COOKIE_SECURE = ENV.cookie_secure
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_PATH = "/"
SESSION_COOKIE_DOMAIN = None  # host-only
# A browser-session cookie (no Expires/Max-Age) unless the login asked to be remembered
# (django_sessions.engines.base.ContractSession.mark_login); the server enforces the
# timeouts either way. SESSION_COOKIE_AGE sets the row's expire_date: the idle timeout.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = ENV.session_idle_seconds
SESSION_SAVE_EVERY_REQUEST = False  # the idle expiry slides by steps instead (engines)
# Our own settings (read by django_sessions.engines):
SESSION_ABSOLUTE_SECONDS = ENV.session_absolute_seconds
SESSION_SLIDE_STEP_SECONDS = float(
    os.environ.get("SESSION_SLIDE_STEP_SECONDS") or ENV.session_idle_seconds / 10
)

# -- CSRF ---------------------------------------------------------------------------------
if os.environ.get("TRUSTED_PROXIES"):
    # Behind the kit's nginx, which overwrites X-Forwarded-Proto with the scheme it saw: over
    # TLS Django then checks Origin (or Referer) against https://host, as a browser sends it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_USE_SESSIONS = True  # the secret lives in the session: no csrftoken cookie
CSRF_HEADER_NAME = "HTTP_X_CSRF_TOKEN"
CSRF_FAILURE_VIEW = "django_sessions.errors.csrf_failure"
CSRF_TRUSTED_ORIGINS = [
    origin.strip()
    for origin in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",")
    if origin.strip()
]

# -- requests and responses ---------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_BYTES  # larger bodies: RequestDataTooBig -> 413
SECURE_CONTENT_TYPE_NOSNIFF = True

# Django's default logging prints nothing when DEBUG is off (errors go to ADMINS by mail).
# Send server errors to stderr, where gunicorn's log collects them; never to the client.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django": {"handlers": ["stderr"], "level": "ERROR"},
        "django.security": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
    },
}
