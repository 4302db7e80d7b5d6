"""Settings shared by every variant, read from the environment once at start-up.

One set of names configures every variant, so ``SECRET_KEY=... authkit serve X`` means the
same thing whichever X is. Unsafe values are refused at start-up rather than discovered later.
"""

from __future__ import annotations

import json
import os
import secrets
import warnings
from dataclasses import dataclass

MIN_SECRET_KEY_BYTES = 32
#: Request bodies above this size are refused with 413 by every variant.
MAX_BODY_BYTES = 16 * 1024


#: Hosts served unless ``ALLOWED_HOSTS`` says otherwise (Django's syntax: comma-separated,
#: a leading dot matches subdomains).
DEFAULT_ALLOWED_HOSTS = "127.0.0.1,localhost,[::1]"

#: What browsers keep of one cookie: RFC 6265 §6.1 asks for at least 4096 bytes per cookie
#: (name, value and attributes); Flask's ``MAX_COOKIE_SIZE`` default (4093) is that limit as
#: Werkzeug measures a ``Set-Cookie`` value. ``COOKIE_MAX_BYTES`` lowers it for tests.
DEFAULT_COOKIE_MAX_BYTES = 4093


def allowed_hosts_from_env() -> list[str]:
    """``ALLOWED_HOSTS``: the ``Host`` values every variant answers; others get 400."""
    raw = os.environ.get("ALLOWED_HOSTS") or DEFAULT_ALLOWED_HOSTS
    return [host.strip() for host in raw.split(",") if host.strip()]


class SettingsError(RuntimeError):
    """A setting is missing or unsafe; the server must not start."""


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        number = int(value) if value else default
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number, not {value!r}") from exc
    if number <= 0:
        raise SettingsError(f"{name} must be positive, not {number}")
    return number


#: Bounds for a timeout: 0 would make every store call fail at once, and past a minute a
#: dead store would hold a worker thread for longer than any client waits.
MIN_TIMEOUT_SECONDS = 0.01
MAX_TIMEOUT_SECONDS = 60.0


def _seconds(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    try:
        number = float(value) if value else default
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number of seconds, not {value!r}") from exc
    if not MIN_TIMEOUT_SECONDS <= number <= MAX_TIMEOUT_SECONDS:  # also refuses nan and inf
        raise SettingsError(
            f"{name} must be between {MIN_TIMEOUT_SECONDS} and {MAX_TIMEOUT_SECONDS} "
            f"seconds, not {value}"
        )
    return number


def secret_key_from_env() -> str:
    """``SECRET_KEY``, refused if shorter than 32 bytes (RFC 7518 §3.2 for HS256).

    With none set, a random key is made for this process and a warning says so: sessions
    and tokens then die with the process. ``authkit serve`` sets one key for all workers.
    """
    key = os.environ.get("SECRET_KEY", "")
    if not key:
        warnings.warn(
            "SECRET_KEY is not set: using a random key for this process only. "
            "Set SECRET_KEY (32+ bytes) to keep sessions and tokens valid across restarts.",
            RuntimeWarning,
            stacklevel=2,
        )
        return secrets.token_urlsafe(48)
    if len(key.encode()) < MIN_SECRET_KEY_BYTES:
        raise SettingsError(
            f"SECRET_KEY is {len(key.encode())} bytes; "
            f"at least {MIN_SECRET_KEY_BYTES} are required."
        )
    return key


def secret_key_fallbacks_from_env() -> tuple[str, ...]:
    """``SECRET_KEY_FALLBACKS``: old keys still accepted while a new ``SECRET_KEY`` signs.

    A JSON array of strings or a comma-separated list, each 32+ bytes like ``SECRET_KEY``.
    Every variant hands them to its own framework's rotation setting (Flask 3.1's and
    Django's ``SECRET_KEY_FALLBACKS``, the JWT variants' verifying keys), so a rotation is
    one change of environment whichever variant runs.
    """
    raw = os.environ.get("SECRET_KEY_FALLBACKS", "").strip()
    if not raw:
        return ()
    if raw.startswith("["):
        try:
            entries = json.loads(raw)
        except ValueError as exc:
            raise SettingsError("SECRET_KEY_FALLBACKS is not a valid JSON array") from exc
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise SettingsError("SECRET_KEY_FALLBACKS must be a JSON array of strings")
    else:
        entries = [entry.strip() for entry in raw.split(",") if entry.strip()]
    for number, entry in enumerate(entries, start=1):
        if len(entry.encode()) < MIN_SECRET_KEY_BYTES:
            raise SettingsError(
                f"SECRET_KEY_FALLBACKS entry {number} is {len(entry.encode())} bytes; "
                f"at least {MIN_SECRET_KEY_BYTES} are required."
            )
    return tuple(entries)


@dataclass(frozen=True)
class Settings:
    secret_key: str
    redis_url: str
    database_url: str
    cookie_secure: bool
    session_idle_seconds: int
    session_absolute_seconds: int
    access_ttl_seconds: int
    refresh_ttl_seconds: int
    store_timeout_seconds: float
    allowed_hosts: tuple[str, ...] = tuple(DEFAULT_ALLOWED_HOSTS.split(","))
    #: The registry name this app is served as (``authkit serve`` sets ``AUTHKIT_VARIANT``);
    #: empty when run by hand, and each app then names itself.
    variant: str = ""
    #: The largest ``Set-Cookie`` a design that keeps the cart in the cookie may send;
    #: a change past it answers 422 ``cookie_too_large``.
    cookie_max_bytes: int = DEFAULT_COOKIE_MAX_BYTES
    #: Old keys that still verify (never sign) during a rotation: ``SECRET_KEY_FALLBACKS``.
    secret_key_fallbacks: tuple[str, ...] = ()
    #: ``memcached://host:port`` for the variants that keep sessions in memcached.
    memcached_url: str = ""

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            secret_key=secret_key_from_env(),
            redis_url=os.environ.get("REDIS_URL", ""),
            database_url=os.environ.get("DATABASE_URL", ""),
            cookie_secure=_bool("COOKIE_SECURE"),
            session_idle_seconds=_int("SESSION_IDLE_SECONDS", 1800),
            session_absolute_seconds=_int("SESSION_ABSOLUTE_SECONDS", 43200),
            access_ttl_seconds=_int("ACCESS_TTL_SECONDS", 300),
            refresh_ttl_seconds=_int("REFRESH_TTL_SECONDS", 86400),
            store_timeout_seconds=_seconds("STORE_TIMEOUT_SECONDS", 0.5),
            allowed_hosts=tuple(allowed_hosts_from_env()),
            variant=os.environ.get("AUTHKIT_VARIANT", ""),
            cookie_max_bytes=_int("COOKIE_MAX_BYTES", DEFAULT_COOKIE_MAX_BYTES),
            secret_key_fallbacks=secret_key_fallbacks_from_env(),
            memcached_url=os.environ.get("MEMCACHED_URL", ""),
        )

    def require_redis_url(self) -> str:
        if not self.redis_url:
            raise SettingsError(
                "REDIS_URL is not set. Run the variant with `authkit serve`, which starts a "
                "private Redis, or point REDIS_URL at your own."
            )
        return self.redis_url

    def require_memcached_url(self) -> str:
        if not self.memcached_url:
            raise SettingsError(
                "MEMCACHED_URL is not set. Run the variant with `authkit serve`, which starts "
                "a private memcached, or point MEMCACHED_URL at your own."
            )
        return self.memcached_url
