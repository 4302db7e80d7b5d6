"""Login throttling: one policy for every variant, kept in the variant's own store.

Why the ``limits`` library: it is a well-kept rate-limiting core (the one under
Flask-Limiter) that separates the *strategy* from the *storage*, so every variant runs the
same strategy and limits and only the storage differs: Redis for the Flask variants (their
store), a table in the variant's database for django-sessions (its store; see
``django_sessions.throttle``). django-axes and django-ratelimit were the Django-only
alternatives: axes locks accounts out (what an attacker can use against a victim) and
ratelimit counts in Django's cache, which in this kit would be a new store or a per-process
memory; neither would give the Flask variants the same policy.

The policy (OWASP ASVS 4.0.3 §2.2.1, 5.0 §6.3.1; Authentication Cheat Sheet):

* only **failed** logins count, so logging in often (``authkit compare``'s login
  scenario, a user with many devices) is never throttled;
* three windows, each a fixed window of ``limits``: failures per account *from one
  address* (tight: a brute force of one account), per account from *all* addresses
  (looser: a distributed brute force), per address over all accounts (credential stuffing,
  password spraying);
* while any window is full, ``/login`` answers 429 ``rate_limited`` with ``Retry-After``
  **before** looking at the password: the same answer whether or not it was right, and no
  password hash is spent;
* throttling, not a lockout: every window empties by itself after its period; the one an
  attacker elsewhere can fill for a victim's account is the looser account-wide window, and
  it holds the victim out only while the attacker keeps failing at that rate;
* the address is the client's as seen by the kit's private nginx (``X-Forwarded-For``, set
  by it and trusted only from ``TRUSTED_PROXIES``), never a header the client chose.

Concurrent attempts may pass the check together before their failures are counted, so a
window can be overshot by the attacker's concurrency (a handful), never by more.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter

from shared.errors import ApiError

#: Defaults: ``limits`` notation, e.g. ``"10 per 5 minutes"``.
DEFAULT_LIMITS = {
    "LOGIN_LIMIT_ACCOUNT_ADDRESS": "5 per minute",
    "LOGIN_LIMIT_ACCOUNT": "20 per minute",
    "LOGIN_LIMIT_ADDRESS": "50 per minute",
}

#: Limits for servers the contract suite runs against (``tests/targets.py``, ``authkit
#: compare``'s verification): the suite fails logins on purpose, dozens of times, all from
#: 127.0.0.1. The throttle itself is tested on servers of its own with the defaults' shape.
SUITE_LIMITS_ENV = {
    "LOGIN_LIMIT_ACCOUNT_ADDRESS": "1000 per minute",
    "LOGIN_LIMIT_ACCOUNT": "1000 per minute",
    "LOGIN_LIMIT_ADDRESS": "10000 per minute",
}


class RateLimited(ApiError):
    """429 ``rate_limited``, with the seconds to wait (sent as ``Retry-After``)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("rate_limited", "Too many failed logins; try again later.")
        self.retry_after = max(1, retry_after)


@dataclass(frozen=True)
class LoginLimits:
    """The three windows of the policy (see the module doc)."""

    account_address: str = DEFAULT_LIMITS["LOGIN_LIMIT_ACCOUNT_ADDRESS"]
    account: str = DEFAULT_LIMITS["LOGIN_LIMIT_ACCOUNT"]
    address: str = DEFAULT_LIMITS["LOGIN_LIMIT_ADDRESS"]

    @classmethod
    def from_env(cls) -> LoginLimits:
        limits = cls(
            account_address=os.environ.get("LOGIN_LIMIT_ACCOUNT_ADDRESS")
            or DEFAULT_LIMITS["LOGIN_LIMIT_ACCOUNT_ADDRESS"],
            account=os.environ.get("LOGIN_LIMIT_ACCOUNT") or DEFAULT_LIMITS["LOGIN_LIMIT_ACCOUNT"],
            address=os.environ.get("LOGIN_LIMIT_ADDRESS") or DEFAULT_LIMITS["LOGIN_LIMIT_ADDRESS"],
        )
        limits.items()  # refuse a malformed limit at start-up, not at the first login
        return limits

    def items(self) -> dict[str, RateLimitItem]:
        from shared.settings import SettingsError

        parsed = {}
        for name, text in (
            ("account_address", self.account_address),
            ("account", self.account),
            ("address", self.address),
        ):
            try:
                parsed[name] = parse(text)
            except ValueError as exc:
                raise SettingsError(f"login limit {name}: {text!r} is not a rate: {exc}") from None
        return parsed

    def as_dict(self) -> dict[str, str]:
        return {"account_address": self.account_address, "account": self.account,
                "address": self.address}  # fmt: skip


def _digest(value: str) -> str:
    """Usernames are client input: a fixed-length key whatever they contain."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class LoginThrottle:
    """The policy over one ``limits`` storage; one per process, shared by its threads."""

    def __init__(self, storage: Storage, limits: LoginLimits | None = None) -> None:
        self.limits = limits or LoginLimits.from_env()
        self.limiter = FixedWindowRateLimiter(storage)
        self._items = self.limits.items()

    def _windows(self, username: str, address: str) -> list[tuple[RateLimitItem, str, str]]:
        account = _digest(username)
        return [
            (self._items["account_address"], "login-account-address", f"{account}:{address}"),
            (self._items["account"], "login-account", account),
            (self._items["address"], "login-address", address),
        ]

    def check(self, username: str, address: str) -> None:
        """Raise :class:`RateLimited` while any window of this attempt is full."""
        waits = [
            self.limiter.get_window_stats(item, *keys).reset_time - time.time()
            for item, *keys in self._windows(username, address)
            if not self.limiter.test(item, *keys)
        ]
        if waits:
            # One second more than computed: Redis reports a key's TTL in whole seconds,
            # and a client that waits as told must find the window empty.
            raise RateLimited(math.ceil(max(waits)) + 1)

    def failed(self, username: str, address: str) -> None:
        """Count a failed login in every window."""
        for item, *keys in self._windows(username, address):
            self.limiter.hit(item, *keys)


def client_address(remote_addr: str | None, forwarded_for: str | None) -> str:
    """The client's address: ``X-Forwarded-For`` only when the peer is a trusted proxy.

    ``TRUSTED_PROXIES`` (comma-separated addresses) is set by ``authkit serve`` to the
    private nginx's address; the nginx replaces any ``X-Forwarded-For`` the client sent
    with the address it saw, so the last entry is the one to use.
    """
    remote = remote_addr or "unknown"
    trusted = {p.strip() for p in os.environ.get("TRUSTED_PROXIES", "").split(",") if p.strip()}
    if forwarded_for and remote in trusted:
        return forwarded_for.split(",")[-1].strip() or remote
    return remote
