"""Every variant of the kit and what it declares about its own behaviour: in one place.

The contract suite asserts what is declared here, and the comparison report prints it as
the behaviour matrix, so a difference between variants is a tested fact, not prose. To add
a variant, add an entry: a WSGI app, the auth style its clients use, and its declarations.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Style = Literal["session", "bearer"]
#: Where a variant keeps its state; "none" is for the bare baselines of `authkit compare`.
Store = Literal["redis", "database", "none"]


@dataclass(frozen=True)
class Behaviour:
    """What a variant promises; each field is checked by the contract suite."""

    #: When a credential stops working after ``POST /logout``.
    revocation: Literal["immediate", "at_expiry"]
    #: When other devices' credentials stop working after ``POST /logout-all``.
    logout_all: Literal["immediate", "at_expiry"]
    #: Whether unsafe cookie-authenticated requests need ``X-CSRF-Token``.
    csrf: Literal["required", "not_needed"]
    #: Whether the cart is still there after logging out and back in.
    cart_survives_logout: bool
    #: Whether a credential issued before a restart of the store still works after it
    #: (the kit's private Redis keeps an append-only file, fsync every second).
    survives_store_restart: bool
    #: What ``GET /me`` answers while the store is down: 200 or 503 ``store_unavailable``.
    me_while_store_down: Literal["ok", "store_unavailable"]
    #: The storage round trips one authenticated ``GET /me`` costs (Redis commands or SQL
    #: statements), as established by the variant's focused tests.
    store_calls_per_read: int
    #: Where the session's state lives: in a server-side store behind an opaque ID
    #: ("server"), or inside the signed credential the client holds ("client": JWTs and
    #: signed cookies). The compare report groups variants by it.
    session_state: Literal["server", "client"] = "server"
    #: Where the cart lives: a server-side store ("store", so concurrent writes are made
    #: atomic there), or the signed cookie itself ("credential": it travels with the client,
    #: grows the cookie, and two tabs writing at once lose one write).
    cart_in: Literal["store", "credential"] = "store"
    #: What a restart of a Redis *without persistence* loses, as observed by
    #: ``tests/test_store_persistence.py`` (any of "sessions", "carts", "users",
    #: "revocations"); empty for variants whose state is not in Redis.
    lost_without_persistence: tuple[str, ...] = ()


@dataclass(frozen=True)
class Variant:
    name: str
    #: gunicorn's ``module:callable`` for the WSGI app.
    wsgi: str
    #: The web framework; ``authkit compare`` measures it bare as the variant's baseline.
    framework: Literal["flask", "django"]
    style: Style
    store: Store
    behaviour: Behaviour
    #: ``module:function`` run once before the server starts (migrations, seed users).
    prepare: str
    #: Extra environment for this variant (e.g. the JWT mode).
    env: dict[str, str] = field(default_factory=dict)
    #: Which databases the variant can run on (only for ``store="database"``).
    databases: tuple[str, ...] = ()
    #: Whether it also needs Redis besides its ``store`` (django-cache: users in the
    #: database, sessions in Redis).
    redis_too: bool = False

    @property
    def uses_redis(self) -> bool:
        return self.store == "redis" or self.redis_too

    def declarations(self) -> dict[str, object]:
        declared = {"style": self.style, "store": self.store, **asdict(self.behaviour)}
        declared["lost_without_persistence"] = list(self.behaviour.lost_without_persistence)
        return declared


VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in [
        Variant(
            name="flask-sessions",
            wsgi="flask_sessions.wsgi:app",
            framework="flask",
            style="session",
            store="redis",
            prepare="flask_sessions.users:seed_users",
            behaviour=Behaviour(
                revocation="immediate",
                logout_all="immediate",
                csrf="required",
                cart_survives_logout=False,
                survives_store_restart=True,
                me_while_store_down="store_unavailable",
                store_calls_per_read=1,
                lost_without_persistence=("sessions", "carts", "users"),
            ),
        ),
        Variant(
            name="flask-cookie",
            wsgi="flask_cookie.wsgi:app",
            framework="flask",
            style="session",
            store="redis",  # users only; the session is the signed cookie
            prepare="flask_cookie.users:seed_users",
            behaviour=Behaviour(
                revocation="at_expiry",
                logout_all="at_expiry",
                csrf="required",
                cart_survives_logout=False,
                survives_store_restart=True,
                me_while_store_down="ok",
                store_calls_per_read=0,
                session_state="client",
                cart_in="credential",
                lost_without_persistence=("users",),
            ),
        ),
        Variant(
            name="django-sessions",
            wsgi="django_sessions.wsgi:application",
            framework="django",
            style="session",
            store="database",
            databases=("sqlite", "postgres"),
            prepare="django_sessions.setup:prepare",
            behaviour=Behaviour(
                revocation="immediate",
                logout_all="immediate",
                csrf="required",
                cart_survives_logout=False,
                survives_store_restart=True,
                me_while_store_down="store_unavailable",
                # session SELECT + user SELECT; on PostgreSQL the connection health check
                # (CONN_HEALTH_CHECKS) adds a ``SELECT 1`` round trip that is not counted.
                store_calls_per_read=2,
            ),
        ),
        Variant(
            name="django-cache",
            wsgi="django_sessions.wsgi:application",
            framework="django",
            style="session",
            store="database",  # users; the sessions are in Redis only
            redis_too=True,
            databases=("sqlite",),
            prepare="django_sessions.setup:prepare",
            env={"DJANGO_SESSION_ENGINE": "cache"},
            behaviour=Behaviour(
                revocation="immediate",
                logout_all="immediate",
                csrf="required",
                cart_survives_logout=False,
                survives_store_restart=True,
                me_while_store_down="store_unavailable",
                store_calls_per_read=2,  # Redis GET (session) + user SELECT
                lost_without_persistence=("sessions", "carts"),
            ),
        ),
        Variant(
            name="django-cached-db",
            wsgi="django_sessions.wsgi:application",
            framework="django",
            style="session",
            store="database",
            redis_too=True,
            databases=("sqlite",),
            prepare="django_sessions.setup:prepare",
            env={"DJANGO_SESSION_ENGINE": "cached_db"},
            behaviour=Behaviour(
                revocation="immediate",
                logout_all="immediate",
                csrf="required",
                cart_survives_logout=False,
                survives_store_restart=True,
                me_while_store_down="store_unavailable",
                store_calls_per_read=2,  # Redis GET (session, warm) + user SELECT
            ),
        ),
        Variant(
            name="django-file",
            wsgi="django_sessions.wsgi:application",
            framework="django",
            style="session",
            store="database",  # users; the sessions are files in SESSION_FILE_PATH
            databases=("sqlite",),
            prepare="django_sessions.setup:prepare",
            env={"DJANGO_SESSION_ENGINE": "file"},
            behaviour=Behaviour(
                revocation="immediate",
                logout_all="immediate",
                csrf="required",
                cart_survives_logout=False,
                survives_store_restart=True,
                me_while_store_down="store_unavailable",
                # user SELECT; the session is a local file read, not a round trip to a
                # store (and uncounted by the probe): the price is not sharing, see below.
                store_calls_per_read=1,
            ),
        ),
        Variant(
            name="django-signed-cookies",
            wsgi="django_sessions.wsgi:application",
            framework="django",
            style="session",
            store="database",  # users only; the session is the signed cookie
            databases=("sqlite",),
            prepare="django_sessions.setup:prepare",
            env={"DJANGO_SESSION_ENGINE": "signed_cookies"},
            behaviour=Behaviour(
                revocation="at_expiry",
                # The session auth hash is checked against the user row on every read, so
                # bumping the user's session generation ends every cookie at once.
                logout_all="immediate",
                csrf="required",
                cart_survives_logout=False,
                survives_store_restart=True,
                me_while_store_down="store_unavailable",
                store_calls_per_read=1,  # user SELECT
                session_state="client",
                cart_in="credential",
            ),
        ),
        Variant(
            name="jwt-stateless",
            wsgi="jwt_api.wsgi:app",
            framework="flask",
            style="bearer",
            store="redis",
            prepare="jwt_api.users:seed_users",
            env={"JWT_MODE": "stateless"},
            behaviour=Behaviour(
                revocation="at_expiry",
                logout_all="at_expiry",
                csrf="not_needed",
                cart_survives_logout=True,
                survives_store_restart=True,
                me_while_store_down="ok",
                store_calls_per_read=0,
                session_state="client",
                lost_without_persistence=("carts", "users"),
            ),
        ),
        Variant(
            name="jwt-denylist",
            wsgi="jwt_api.wsgi:app",
            framework="flask",
            style="bearer",
            store="redis",
            prepare="jwt_api.users:seed_users",
            env={"JWT_MODE": "denylist"},
            behaviour=Behaviour(
                revocation="immediate",
                logout_all="immediate",
                csrf="not_needed",
                cart_survives_logout=True,
                survives_store_restart=True,
                me_while_store_down="store_unavailable",
                store_calls_per_read=1,
                session_state="client",
                lost_without_persistence=("carts", "users", "revocations"),
            ),
        ),
    ]
}


def get_variant(name: str) -> Variant:
    try:
        return VARIANTS[name]
    except KeyError:
        known = ", ".join(VARIANTS)
        raise SystemExit(f"unknown variant {name!r}; known variants: {known}") from None
