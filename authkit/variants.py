"""Every variant of the kit, the frameworks they are built on, and what each variant
declares about its own behaviour: in one place.

The contract suite asserts what is declared here, and the comparison report prints it as
the behaviour matrix, so a difference between variants is a tested fact, not prose.

Adding a variant is one folder (the app) plus one :func:`register_variant` call, here or in
a module named in ``AUTHKIT_PLUGINS`` (see :mod:`authkit.plugins`). A variant on a new web
framework adds one :func:`register_framework` call too: the framework brings its bare
baseline app (what ``authkit compare`` divides the variant's numbers by) and how its apps
are served.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Style = Literal["session", "bearer"]
#: Where a variant keeps its state; "none" is for the bare baselines of ``authkit compare``.
Store = Literal["redis", "database", "none"]

#: Chart colours handed out in registration order to entries that do not choose one.
PALETTE = (
    "#1f77b4", "#2ca02c", "#ff7f0e", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#bcbd22", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173",
)  # fmt: skip
BASELINE_COLOUR = "#9e9e9e"


@dataclass(frozen=True)
class Serving:
    """How gunicorn serves a framework's apps.

    ``gthread`` keeps connections alive (the ``sync`` worker closes the connection after
    every response, which doubles the load generator's cost per request and would hide the
    servers' differences). An ASGI framework would name e.g. ``uvicorn_worker.UvicornWorker``
    with ``interface="asgi"``; threads only apply to ``gthread``.
    """

    interface: Literal["wsgi", "asgi"] = "wsgi"
    worker_class: str = "gthread"
    threads: int = 4


@dataclass(frozen=True)
class Framework:
    """A web framework: how its apps are served and its bare baseline (no auth, no store)."""

    name: str
    #: ``module:callable`` of the framework's bare app answering the contract's URLs.
    baseline_app: str
    serving: Serving = field(default_factory=Serving)
    #: ``module:function`` run before the baseline starts.
    baseline_prepare: str = "loadtests.baselines:prepare"

    @property
    def baseline_name(self) -> str:
        return f"{self.name}-bare"


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
    # -- in a browser, on the demo page at ``/`` (asserted by tests/browser).
    #: Whether the page is still logged in after a reload: "yes" (the cookie stays), or
    #: "local_storage_only" (tokens in memory by default are gone; ``?storage=local`` keeps them).
    page_reload_keeps_login: Literal["yes", "local_storage_only"]
    #: What a script injected into the page (XSS) can read of the credential: "nothing" (the
    #: session cookie is HttpOnly), or "tokens_in_local_storage" (read, and usable from any
    #: other client; tokens held in memory are not there for a script run after a reload).
    #: In every case it can act as the user while the page is open.
    xss_reads_credential: Literal["nothing", "tokens_in_local_storage"]
    #: A form post and a fetch to the cart from a page on another site (127.0.0.2): "refused"
    #: (SameSite=Lax keeps the cookie off; Fetch Metadata and the CSRF token refuse), or
    #: "no_credential" (the browser has no credential to attach: 401).
    cross_site_write: Literal["refused", "no_credential"]
    #: After logout in one tab, the next request of another tab holding the same credential
    #: (the shared cookie; the token it loaded from localStorage): "refused" or "accepted".
    other_tab_after_logout: Literal["refused", "accepted"]
    #: What Back shows after logout: the login form of a freshly loaded page, never a
    #: logged-in view from a cache.
    back_after_logout: Literal["login_form"]
    # -- where the state lives (the seed's storage families) ----------------------------
    #: Where the session's state lives: in a server-side store behind an opaque ID
    #: ("server"), or inside the signed credential the client holds ("client": JWTs and
    #: signed cookies). The compare report groups variants by it.
    session_state: Literal["server", "client"]
    #: Where the cart lives: a server-side store ("store", so concurrent writes are made
    #: atomic there), or the signed cookie itself ("credential": it travels with the client,
    #: grows the cookie, and two tabs writing at once lose one write).
    cart_in: Literal["store", "credential"]
    #: What a restart of a Redis *without persistence* loses, as observed by
    #: ``tests/test_store_persistence.py`` (any of "sessions", "carts", "users",
    #: "revocations"); empty for variants whose state is not in Redis.
    lost_without_persistence: tuple[str, ...] = ()


@dataclass(frozen=True)
class Variant:
    """One implementation of the contract, or (``behaviour=None``) a framework's baseline."""

    name: str
    #: ``module:callable`` of the app gunicorn serves (WSGI or ASGI, as the framework says).
    app: str
    #: A key of :data:`FRAMEWORKS`.
    framework: str
    style: Style
    store: Store
    #: ``module:function`` run once before the server starts (migrations, seed users).
    prepare: str
    #: ``None`` only for baselines: they have no auth to declare anything about.
    behaviour: Behaviour | None = None
    #: One line on the design, for the report: what is checked per request and where state
    #: lives ("server-side session in Redis via Flask-Session").
    design: str = ""
    #: Extra environment for this variant (e.g. the JWT mode).
    env: dict[str, str] = field(default_factory=dict)
    #: Which databases the variant can run on (only for ``store="database"``).
    databases: tuple[str, ...] = ()
    #: Chart colour; by default one from :data:`PALETTE` in registration order.
    colour: str | None = None
    #: Whether it also needs Redis besides its ``store`` (django-cache: users in the
    #: database, sessions in Redis).
    redis_too: bool = False
    #: Measured by a plain ``authkit compare`` / ``make compare`` (the ``main`` set); every
    #: variant is measured by ``authkit compare --variants all``.
    in_default_compare: bool = False

    @property
    def uses_redis(self) -> bool:
        return self.store == "redis" or self.redis_too

    @property
    def is_baseline(self) -> bool:
        return self.behaviour is None

    def declarations(self) -> dict[str, object]:
        if self.behaviour is None:
            return {}
        declared = {"style": self.style, "store": self.store, **asdict(self.behaviour)}
        declared["lost_without_persistence"] = list(self.behaviour.lost_without_persistence)
        return declared


FRAMEWORKS: dict[str, Framework] = {}
VARIANTS: dict[str, Variant] = {}
BASELINES: dict[str, Variant] = {}


def register_framework(framework: Framework) -> Framework:
    """Add a framework and its bare baseline (``<name>-bare``)."""
    FRAMEWORKS[framework.name] = framework
    BASELINES[framework.baseline_name] = Variant(
        name=framework.baseline_name,
        app=framework.baseline_app,
        framework=framework.name,
        style="bearer",  # the baseline accepts anything; its clients send a bearer header
        store="none",
        prepare=framework.baseline_prepare,
        design="no auth, no store: the framework alone",
        colour=BASELINE_COLOUR,
    )
    return framework


def register_variant(variant: Variant) -> Variant:
    """Add (or replace) a variant; its framework must be registered first."""
    if variant.framework not in FRAMEWORKS:
        known = ", ".join(FRAMEWORKS)
        raise ValueError(f"{variant.name}: unknown framework {variant.framework!r} ({known})")
    if variant.behaviour is None:
        raise ValueError(f"{variant.name}: a variant declares its behaviour")
    VARIANTS[variant.name] = variant
    return variant


def get_variant(name: str) -> Variant:
    try:
        return VARIANTS[name]
    except KeyError:
        known = ", ".join(VARIANTS)
        raise SystemExit(f"unknown variant {name!r}; known variants: {known}") from None


def framework_of(variant: Variant) -> Framework:
    return FRAMEWORKS[variant.framework]


def baseline_of(variant: Variant) -> Variant:
    """The bare app of the variant's framework: what its numbers are divided by."""
    return BASELINES[framework_of(variant).baseline_name]


def colour_of(variant: Variant) -> str:
    if variant.colour:
        return variant.colour
    names = list(VARIANTS)
    index = names.index(variant.name) if variant.name in names else len(names)
    return PALETTE[index % len(PALETTE)]


# -- the frameworks ------------------------------------------------------------------------
register_framework(Framework("flask", baseline_app="loadtests.baselines.flask_bare:app"))
register_framework(Framework("django", baseline_app="loadtests.baselines.django_bare:application"))

# -- the variants --------------------------------------------------------------------------
register_variant(
    Variant(
        name="flask-sessions",
        in_default_compare=True,
        app="flask_sessions.wsgi:app",
        framework="flask",
        style="session",
        store="redis",
        prepare="shared.redis_users:seed_from_env",
        design="server-side session in Redis (Flask-Session); the cart lives in the session",
        behaviour=Behaviour(
            revocation="immediate",
            logout_all="immediate",
            csrf="required",
            cart_survives_logout=False,
            survives_store_restart=True,
            me_while_store_down="store_unavailable",
            store_calls_per_read=1,
            page_reload_keeps_login="yes",
            xss_reads_credential="nothing",
            cross_site_write="refused",
            other_tab_after_logout="refused",
            back_after_logout="login_form",
            session_state="server",
            cart_in="store",
            lost_without_persistence=("sessions", "carts", "users"),
        ),
    )
)
register_variant(
    Variant(
        name="django-sessions",
        in_default_compare=True,
        app="django_sessions.wsgi:application",
        framework="django",
        style="session",
        store="database",
        databases=("sqlite", "postgres"),
        prepare="django_sessions.setup:prepare",
        design="session row in the database (django.contrib.sessions) and the user loaded "
        "through the ORM (django.contrib.auth); the cart lives in the session",
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
            page_reload_keeps_login="yes",
            xss_reads_credential="nothing",
            cross_site_write="refused",
            other_tab_after_logout="refused",
            back_after_logout="login_form",
            session_state="server",
            cart_in="store",
        ),
    )
)
register_variant(
    Variant(
        name="jwt-stateless",
        in_default_compare=True,
        app="jwt_api.wsgi:app",
        framework="flask",
        style="bearer",
        store="redis",
        prepare="shared.redis_users:seed_from_env",
        env={"JWT_MODE": "stateless"},
        design="signed access token checked by signature and claims alone (PyJWT); the "
        "cart lives in Redis per user",
        behaviour=Behaviour(
            revocation="at_expiry",
            logout_all="at_expiry",
            csrf="not_needed",
            cart_survives_logout=True,
            survives_store_restart=True,
            me_while_store_down="ok",
            store_calls_per_read=0,
            page_reload_keeps_login="local_storage_only",
            xss_reads_credential="tokens_in_local_storage",
            cross_site_write="no_credential",
            other_tab_after_logout="accepted",
            back_after_logout="login_form",
            session_state="client",
            cart_in="store",
            lost_without_persistence=("carts", "users"),
        ),
    )
)
register_variant(
    Variant(
        name="jwt-denylist",
        in_default_compare=True,
        app="jwt_api.wsgi:app",
        framework="flask",
        style="bearer",
        store="redis",
        prepare="shared.redis_users:seed_from_env",
        env={"JWT_MODE": "denylist"},
        design="signed access token plus a revocation lookup in Redis per request (PyJWT); "
        "the cart lives in Redis per user",
        behaviour=Behaviour(
            revocation="immediate",
            logout_all="immediate",
            csrf="not_needed",
            cart_survives_logout=True,
            survives_store_restart=True,
            me_while_store_down="store_unavailable",
            store_calls_per_read=1,
            page_reload_keeps_login="local_storage_only",
            xss_reads_credential="tokens_in_local_storage",
            cross_site_write="no_credential",
            other_tab_after_logout="refused",
            back_after_logout="login_form",
            session_state="client",
            cart_in="store",
            lost_without_persistence=("carts", "users", "revocations"),
        ),
    )
)

register_variant(
    Variant(
        name="flask-cookie",
        app="flask_cookie.wsgi:app",
        framework="flask",
        style="session",
        store="redis",  # users only; the session is the signed cookie
        prepare="shared.redis_users:seed_from_env",
        design="Flask's default signed-cookie session: user, CSRF token and cart in the cookie; "
        "nothing stored per session",
        behaviour=Behaviour(
            revocation="at_expiry",
            logout_all="at_expiry",
            csrf="required",
            cart_survives_logout=False,
            survives_store_restart=True,
            me_while_store_down="ok",
            store_calls_per_read=0,
            page_reload_keeps_login="yes",
            xss_reads_credential="nothing",
            cross_site_write="refused",
            other_tab_after_logout="refused",
            back_after_logout="login_form",
            session_state="client",
            cart_in="credential",
            lost_without_persistence=("users",),
        ),
    )
)
register_variant(
    Variant(
        name="django-cache",
        app="django_sessions.wsgi:application",
        framework="django",
        style="session",
        store="database",
        databases=("sqlite",),
        redis_too=True,
        prepare="django_sessions.setup:prepare",
        env={"DJANGO_SESSION_ENGINE": "cache"},
        design=(
            "django.contrib.sessions with the cache engine: sessions in Redis only (Django's "
            "RedisCache), users in the database"
        ),
        behaviour=Behaviour(
            revocation="immediate",
            logout_all="immediate",
            csrf="required",
            cart_survives_logout=False,
            survives_store_restart=True,
            me_while_store_down="store_unavailable",
            store_calls_per_read=2,  # Redis GET (session) + user SELECT
            session_state="server",
            cart_in="store",
            lost_without_persistence=("sessions", "carts"),
            page_reload_keeps_login="yes",
            xss_reads_credential="nothing",
            cross_site_write="refused",
            other_tab_after_logout="refused",
            back_after_logout="login_form",
        ),
    )
)
register_variant(
    Variant(
        name="django-cached-db",
        app="django_sessions.wsgi:application",
        framework="django",
        style="session",
        store="database",
        databases=("sqlite",),
        redis_too=True,
        prepare="django_sessions.setup:prepare",
        env={"DJANGO_SESSION_ENGINE": "cached_db"},
        design=(
            "django.contrib.sessions with the cached_db engine: written to the database and "
            "Redis, read from Redis"
        ),
        behaviour=Behaviour(
            revocation="immediate",
            logout_all="immediate",
            csrf="required",
            cart_survives_logout=False,
            survives_store_restart=True,
            me_while_store_down="store_unavailable",
            store_calls_per_read=2,  # Redis GET (session, warm) + user SELECT
            session_state="server",
            cart_in="store",
            page_reload_keeps_login="yes",
            xss_reads_credential="nothing",
            cross_site_write="refused",
            other_tab_after_logout="refused",
            back_after_logout="login_form",
        ),
    )
)
register_variant(
    Variant(
        name="django-file",
        app="django_sessions.wsgi:application",
        framework="django",
        style="session",
        store="database",
        databases=("sqlite",),
        prepare="django_sessions.setup:prepare",
        env={"DJANGO_SESSION_ENGINE": "file"},
        design=(
            "django.contrib.sessions with the file engine: one file per session in "
            "SESSION_FILE_PATH, not shared between hosts"
        ),
        behaviour=Behaviour(
            revocation="immediate",
            logout_all="immediate",
            csrf="required",
            cart_survives_logout=False,
            survives_store_restart=True,
            me_while_store_down="store_unavailable",
            # user SELECT; the session is a local file read, not a round trip to a store
            # (and uncounted by the probe): the price is not sharing, see the tests.
            store_calls_per_read=1,
            session_state="server",
            cart_in="store",
            page_reload_keeps_login="yes",
            xss_reads_credential="nothing",
            cross_site_write="refused",
            other_tab_after_logout="refused",
            back_after_logout="login_form",
        ),
    )
)
register_variant(
    Variant(
        name="django-signed-cookies",
        app="django_sessions.wsgi:application",
        framework="django",
        style="session",
        store="database",
        databases=("sqlite",),
        prepare="django_sessions.setup:prepare",
        env={"DJANGO_SESSION_ENGINE": "signed_cookies"},
        design=(
            "django.contrib.sessions with the signed_cookies engine: the session (cart included) "
            "in the cookie, the user in the database"
        ),
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
            page_reload_keeps_login="yes",
            xss_reads_credential="nothing",
            cross_site_write="refused",
            other_tab_after_logout="refused",
            back_after_logout="login_form",
        ),
    )
)

from authkit import plugins  # noqa: E402  (after the built-in entries: plugins may replace them)

plugins.load()
