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

from dataclasses import asdict, dataclass, field, fields, replace
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
    #: What ``authkit cost``'s attribution names the overhead its parts do not cover.
    cost_remainder: str = "unexplained"
    #: ``module:function`` returning a context manager that calls ``hook(statement)`` for
    #: every SQL statement the framework's database layer sends (``authkit cost``'s store
    #: counter); ``None`` when the framework has no database layer of its own.
    cost_sql_counter: str | None = None

    @property
    def baseline_name(self) -> str:
        return f"{self.name}-bare"


#: Where a declaration is observed; :mod:`authkit.compare.render` says whether a run did.
Observer = Literal[
    "revocation_probe",  # compare's revocation probe, over HTTP
    "storage_probe",  # compare's storage-call probe
    "login_answer",  # what the login answer carries, seen by compare's probes
    "contract_over_http",  # the contract suite run over HTTP by compare
    "registry",  # declared only: nothing to observe
    "test_suite",  # the focused tests (make test): outages and restarts
    "browser_tests",  # Chromium on the demo page (tests/browser)
]


def row(label: str, observed_by: Observer) -> dict[str, str]:
    """A declaration field's metadata: its row label in the report, where it is observed."""
    return {"label": label, "observed_by": observed_by}


@dataclass(frozen=True, kw_only=True)
class Behaviour:
    """What a variant promises; each field is checked by the contract suite.

    Fields defaulting to ``None`` follow from the auth style (:data:`STYLE_DEFAULTS`) unless
    the variant says otherwise; :func:`register_variant` fills them in.
    """

    #: When a credential stops working after ``POST /logout``.
    revocation: Literal["immediate", "at_expiry"] = field(
        metadata=row("after logout", "revocation_probe")
    )
    #: When other devices' credentials stop working after ``POST /logout-all``.
    logout_all: Literal["immediate", "at_expiry"] = field(
        metadata=row("after logout-all", "revocation_probe")
    )
    #: Whether unsafe cookie-authenticated requests need ``X-CSRF-Token``.
    csrf: Literal["required", "not_needed"] | None = field(
        default=None, metadata=row("CSRF token", "contract_over_http")
    )
    #: Whether the cart is still there after logging out and back in.
    cart_survives_logout: bool = field(metadata=row("cart survives logout", "contract_over_http"))
    #: Whether a credential issued before a restart of the store still works after it
    #: (the kit's private Redis keeps an append-only file, fsync before each reply;
    #: memcached keeps nothing).
    survives_store_restart: bool = field(metadata=row("survives store restart", "test_suite"))
    #: What ``GET /me`` answers while the store is down: 200 or 503 ``store_unavailable``.
    me_while_store_down: Literal["ok", "store_unavailable"] = field(
        metadata=row("GET /me, store down", "test_suite")
    )
    #: The storage round trips one authenticated ``GET /me`` costs (Redis commands or SQL
    #: statements), as established by the variant's focused tests.
    store_calls_per_read: int = field(
        metadata=row("store calls per read (declared)", "storage_probe")
    )
    # -- in a browser, on the demo page at ``/`` (asserted by tests/browser).
    #: Whether the page is still logged in after a reload: "yes" (the cookie stays), or
    #: "local_storage_only" (tokens in memory by default are gone; "remember me" keeps them in
    #: localStorage, and ``?storage=local`` ticks it).
    page_reload_keeps_login: Literal["yes", "local_storage_only"] | None = field(
        default=None, metadata=row("page: logged in after reload", "browser_tests")
    )
    #: What a script injected into the page (XSS) can read of the credential: "nothing" (the
    #: session cookie is HttpOnly), or "tokens_in_local_storage" (read, and usable from any
    #: other client; tokens held in memory are not there for a script run after a reload).
    #: In every case it can act as the user while the page is open.
    xss_reads_credential: Literal["nothing", "tokens_in_local_storage"] | None = field(
        default=None, metadata=row("page: an injected script reads", "browser_tests")
    )
    #: A form post and a fetch to the cart from a page on another site (127.0.0.2): "refused"
    #: (SameSite=Lax keeps the cookie off; Fetch Metadata and the CSRF token refuse), or
    #: "no_credential" (the browser has no credential to attach: 401).
    cross_site_write: Literal["refused", "no_credential"] | None = field(
        default=None, metadata=row("page: cross-site form/fetch to the cart", "browser_tests")
    )
    #: After logout in one tab, the next request of another tab holding the same credential
    #: (the shared cookie; the token it loaded from localStorage): "refused" or "accepted".
    other_tab_after_logout: Literal["refused", "accepted"] | None = field(
        default=None, metadata=row("page: other tab after logout", "browser_tests")
    )
    #: What Back shows after logout: the login form of a freshly loaded page, never a
    #: logged-in view from a cache.
    back_after_logout: Literal["login_form"] | None = field(
        default=None, metadata=row("page: Back after logout", "browser_tests")
    )
    #: What ``"remember": true`` at login changes: "cookie_lifetime" (the session cookie
    #: gets a ``Max-Age``, the idle timeout capped at the absolute deadline, instead of
    #: ending with the browser), or "page_token_storage" (the server answers the same; the
    #: page keeps the tokens in localStorage instead of memory). Observed over HTTP.
    remember_changes: Literal["cookie_lifetime", "page_token_storage"] | None = field(
        default=None, metadata=row("login with remember changes", "contract_over_http")
    )
    #: Who is still logged in after closing Chromium and starting it again on the same
    #: profile: "only_with_remember" (a browser-session cookie, or tokens in memory, die with
    #: the browser; a persistent cookie, or tokens in localStorage, do not).
    browser_restart_keeps_login: Literal["only_with_remember"] | None = field(
        default=None, metadata=row("page: logged in after a browser restart", "browser_tests")
    )
    # -- where the state lives (the seed's storage families) ----------------------------
    #: Where the session's state lives: in a server-side store behind an opaque ID
    #: ("server"), or inside the signed credential the client holds ("client": JWTs and
    #: signed cookies). The compare report groups variants by it.
    session_state: Literal["server", "client"] = field(
        metadata=row("session state kept (server / client)", "test_suite")
    )
    #: Where the cart lives: a server-side store ("store", so concurrent writes are made
    #: atomic there), or the signed cookie itself ("credential": it travels with the client,
    #: grows the cookie, and two tabs writing at once lose one write).
    cart_in: Literal["store", "credential"] = field(metadata=row("cart kept in", "test_suite"))
    #: What keeps two concurrent cart writes of one session from losing one (asserted by
    #: the contract's concurrent adds; each engine's lock by its focused tests):
    #: "row_lock" (``SELECT ... FOR UPDATE``; SQLite's ``BEGIN IMMEDIATE``), "add_lock" (a
    #: lock key taken with the cache's atomic ``add``: Redis ``SET NX``, memcached ``add``),
    #: "file_lock" (``flock``), "watch_transaction" (Redis ``WATCH``/``MULTI``, retried),
    #: "atomic_script" (one Lua script per change), or "none" (the cart is in the cookie:
    #: last write wins, see ``cart_in``).
    cart_lock: Literal[
        "row_lock", "add_lock", "file_lock", "watch_transaction", "atomic_script", "none"
    ] = field(metadata=row("concurrent cart writes serialised by", "test_suite"))
    #: What a restart of the store *without persistence* loses, as observed by
    #: ``tests/test_store_persistence.py`` (any of "sessions", "carts", "users",
    #: "revocations"): a Redis run as a pure cache, or memcached, which has no persistence;
    #: empty for variants whose state is in neither.
    lost_without_persistence: tuple[str, ...] = field(
        default=(), metadata=row("a store restart without persistence loses", "test_suite")
    )


Forgeries = tuple[Literal["login", "csrf", "revive"], ...]


@dataclass(frozen=True, kw_only=True)
class KeyLeak:
    """What the key the server signs with (``SECRET_KEY``; the JWT variants' HS256 secret)
    buys an attacker who has nothing else, and what rotating it does.

    Every value is found by requests against a server the kit started, which knows the key
    (``authkit audit --leaked-key``); ``tests/test_leaked_key.py`` asserts each against
    what is declared here.
    """

    #: ``module:Class`` building what the key signs, in the design's own credential format
    #: and with the framework's own library (see :mod:`authkit.audit.forgers`).
    forger: str
    #: A credential made with the key alone is accepted as a user who never logged in.
    forge_login_any_user: Literal["yes", "no"]
    #: A CSRF token the key mints passes an unsafe request of a logged-in session
    #: ("logged_in"), is only adopted as an anonymous visitor's token, which guards nothing
    #: ("anonymous_only"), or the style sends none ("not_needed").
    forge_csrf: Literal["logged_in", "anonymous_only", "not_needed"]
    #: A captured credential shows the session's contents to anyone, key or not
    #: ("without_key": it is signed, not encrypted), or is an opaque ID ("opaque").
    read_session: Literal["without_key", "opaque"]
    #: A logged-out credential, its contents signed afresh with the key, is accepted again.
    revive_logged_out: Literal["yes", "no"]
    # -- rotation: a new key with the old one as a fallback, then the fallback dropped ---------
    #: Step 1 (new key, old as fallback): sessions from before the rotation still work.
    kept_with_fallback: Literal["yes", "no"] = "yes"
    #: Step 1: a second holder of the same credential (another client with a copy of the
    #: cookie or tokens), asked right after the first one's request, is still logged in.
    copy_kept_with_fallback: Literal["yes", "no"] = "yes"
    #: Step 2 (fallback dropped): sessions from before that made no request during step 1.
    kept_after_drop_idle: Literal["yes", "no"]
    #: Step 2: sessions from before that were used during step 1 (bearer clients refreshed).
    kept_after_drop_active: Literal["yes", "no"] = "yes"
    #: Step 2: sessions started during step 1 (on the new key).
    kept_after_drop_new: Literal["yes", "no"] = "yes"
    #: What the old (leaked) key still forges during step 1, and after step 2.
    old_key_forges_with_fallback: Forgeries = ()
    old_key_forges_after_drop: Forgeries = ()
    #: The same cells with the server on ``JWT_ALGORITHM=EdDSA`` and the leaked key its
    #: private key (the rotation through ``JWT_PRIVATE_KEY`` / ``JWT_PREVIOUS_KEYS``);
    #: ``None`` for a variant that signs with nothing but ``SECRET_KEY``.
    eddsa: KeyLeak | None = None
    #: Under EdDSA: what the published public key alone forges (RFC 8725 §2.1 confusion).
    public_key_forges: Forgeries = ()


#: What follows from the auth style alone: every variant of the style behaves so in a
#: browser, so the registry says it once. A variant may still declare its own value.
STYLE_DEFAULTS: dict[Style, dict[str, object]] = {
    "session": {
        "csrf": "required",
        "page_reload_keeps_login": "yes",
        "xss_reads_credential": "nothing",
        "cross_site_write": "refused",
        "other_tab_after_logout": "refused",
        "back_after_logout": "login_form",
        "remember_changes": "cookie_lifetime",
        "browser_restart_keeps_login": "only_with_remember",
    },
    # Whether another tab's token is refused after logout depends on the revocation
    # design, so each bearer variant declares ``other_tab_after_logout``.
    "bearer": {
        "csrf": "not_needed",
        "page_reload_keeps_login": "local_storage_only",
        "xss_reads_credential": "tokens_in_local_storage",
        "cross_site_write": "no_credential",
        "back_after_logout": "login_form",
        "remember_changes": "page_token_storage",
        "browser_restart_keeps_login": "only_with_remember",
    },
}


@dataclass(frozen=True)
class Variant:
    """One implementation of the contract, or (``behaviour=None``) a framework's baseline."""

    name: str
    #: ``module:callable`` of the app gunicorn serves (WSGI or ASGI, as the framework says).
    app: str
    #: A key of :data:`FRAMEWORKS`.
    framework: str
    style: Style = field(metadata=row("credential", "login_answer"))
    store: Store = field(metadata=row("store", "registry"))
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
    #: Whether it also needs memcached besides its ``store`` (django-memcached: users in the
    #: database, sessions in memcached).
    memcached_too: bool = False
    #: Measured by a plain ``authkit compare`` / ``make compare`` (the ``main`` set); every
    #: variant is measured by ``authkit compare --variants all``.
    in_default_compare: bool = False
    #: The parts ``authkit cost`` takes its ``GET /me`` overhead apart into: each a
    #: ``module:function(recorder, app, caller)`` of :mod:`authkit.cost.parts` (or the
    #: variant's own) measuring calls this design's request makes, against its own store.
    cost_parts: tuple[str, ...] = ()
    #: Instructions over the baseline each endpoint should stay under (``authkit cost``
    #: reports whether it does), e.g. ``{"GET /me": 300_000}``; empty for no goal.
    cost_goal: dict[str, float] = field(default_factory=dict)
    #: What a leaked signing key buys and what a rotation does (``None`` only for baselines).
    key_leak: KeyLeak | None = None

    @property
    def uses_redis(self) -> bool:
        return self.store == "redis" or self.redis_too

    @property
    def uses_memcached(self) -> bool:
        return self.memcached_too

    @property
    def is_baseline(self) -> bool:
        return self.behaviour is None

    def declarations(self) -> dict[str, object]:
        if self.behaviour is None:
            return {}
        out = {"style": self.style, "store": self.store, **asdict(self.behaviour)}
        out["lost_without_persistence"] = list(self.behaviour.lost_without_persistence)
        return out


@dataclass(frozen=True)
class Declaration:
    """One row of the behaviour matrix: the key of :meth:`Variant.declarations`."""

    key: str
    label: str
    observed_by: Observer


def declaration_fields() -> list[Declaration]:
    """Every declared row in report order (the credential and the store, then behaviour)."""
    rows = [f for f in fields(Variant) if f.name in ("style", "store")]
    rows += list(fields(Behaviour))
    return [Declaration(f.name, f.metadata["label"], f.metadata["observed_by"]) for f in rows]


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
    """Add (or replace) a variant; its framework must be registered first.

    The behaviour rows the variant leaves out are filled in from its style's defaults; a
    row neither declared nor defaulted is an error, as is a variant without cost parts
    (``authkit cost`` would have nothing of its own to attribute its overhead to).
    """
    if variant.framework not in FRAMEWORKS:
        known = ", ".join(FRAMEWORKS)
        raise ValueError(f"{variant.name}: unknown framework {variant.framework!r} ({known})")
    if variant.behaviour is None:
        raise ValueError(f"{variant.name}: a variant declares its behaviour")
    if variant.style not in STYLE_DEFAULTS:
        raise ValueError(f"{variant.name}: unknown style {variant.style!r}")
    if not variant.cost_parts:
        raise ValueError(f"{variant.name}: a variant declares its cost parts")
    if variant.key_leak is None:
        raise ValueError(f"{variant.name}: a variant declares what a leaked key buys (key_leak)")
    defaults = STYLE_DEFAULTS[variant.style]
    missing = {k: v for k, v in defaults.items() if getattr(variant.behaviour, k) is None}
    behaviour = replace(variant.behaviour, **missing)
    undeclared = [f.name for f in fields(Behaviour) if getattr(behaviour, f.name) is None]
    if undeclared:
        raise ValueError(f"{variant.name}: declare {', '.join(undeclared)}")
    variant = replace(variant, behaviour=behaviour)
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
register_framework(
    Framework(
        "flask",
        baseline_app="loadtests.baselines.flask_bare:app",
        cost_remainder="unexplained: Flask glue (request hooks, the extra header, response "
        "headers)",
    )
)
register_framework(
    Framework(
        "django",
        baseline_app="loadtests.baselines.django_bare:application",
        cost_remainder="unexplained: the middleware stack (Django's CSRF/auth/session and the "
        "kit's)",
        cost_sql_counter="authkit.cost.parts.django_engines:count_statements",
    )
)

# -- the variants --------------------------------------------------------------------------
#: The cost parts, by module (see :mod:`authkit.cost.parts`).
_COOKIE_JAR = "authkit.cost.parts.harness:cookie_jar"
_DJANGO = "authkit.cost.parts.django_engines"
_DJANGO_USER = f"{_DJANGO}:user_load"
_FORGERS = "authkit.audit.forgers"
#: Django's server-side engines: the session ID is random and the data is in the store,
#: but Django signs the stored data and HMACs the user's password hash into the session
#: with the key, so dropping the old key logs out every session not used in between.


def _jwt_key_leak(revive_logged_out: Literal["yes", "no"], old_forges: Forgeries) -> KeyLeak:
    """The JWT variants: HS256 keyed with ``SECRET_KEY``, and the same under EdDSA, where
    the public key alone forges nothing (the key's own algorithm is the only one accepted)."""
    hs256 = KeyLeak(
        forger=f"{_FORGERS}:Jwt",
        forge_login_any_user="yes",
        forge_csrf="not_needed",
        read_session="without_key",
        revive_logged_out=revive_logged_out,
        kept_after_drop_idle="no",
        old_key_forges_with_fallback=old_forges,
    )
    return replace(hs256, eddsa=replace(hs256, forger=f"{_FORGERS}:JwtEdDSA"))


_DJANGO_SERVER_SIDE_KEY_LEAK = KeyLeak(
    forger=f"{_FORGERS}:DjangoServerSide",
    forge_login_any_user="no",
    forge_csrf="anonymous_only",
    read_session="opaque",
    revive_logged_out="no",
    # A session whose auth hash only the fallback verifies gets a new session key on its
    # next request (Django's get_user cycles it): the old key is deleted, and whoever else
    # holds that cookie is logged out.
    copy_kept_with_fallback="no",
    kept_after_drop_idle="no",
)

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
            cart_survives_logout=False,
            survives_store_restart=True,
            me_while_store_down="store_unavailable",
            store_calls_per_read=1,
            session_state="server",
            cart_in="store",
            cart_lock="watch_transaction",
            lost_without_persistence=("sessions", "carts", "users"),
        ),
        key_leak=KeyLeak(
            forger=f"{_FORGERS}:FlaskSessions",
            forge_login_any_user="no",
            forge_csrf="anonymous_only",
            read_session="opaque",
            revive_logged_out="no",
            kept_after_drop_idle="yes",  # Flask-Session 0.8 signs nothing with the key
        ),
        cost_parts=(_COOKIE_JAR, "authkit.cost.parts.flask_interfaces:server_side_session"),
        cost_goal={"GET /me": 0.3e6},
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
            cart_survives_logout=False,
            survives_store_restart=True,
            me_while_store_down="store_unavailable",
            # session SELECT + user SELECT; on PostgreSQL the connection health check
            # (CONN_HEALTH_CHECKS) adds a ``SELECT 1`` round trip that is not counted.
            store_calls_per_read=2,
            session_state="server",
            cart_in="store",
            cart_lock="row_lock",
        ),
        key_leak=_DJANGO_SERVER_SIDE_KEY_LEAK,
        cost_parts=(_COOKIE_JAR, f"{_DJANGO}:db_session", _DJANGO_USER),
        cost_goal={"GET /me": 1.5e6},
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
            cart_survives_logout=True,
            survives_store_restart=True,
            me_while_store_down="ok",
            store_calls_per_read=0,
            other_tab_after_logout="accepted",
            session_state="client",
            cart_in="store",
            cart_lock="atomic_script",
            lost_without_persistence=("carts", "users"),
        ),
        key_leak=_jwt_key_leak(revive_logged_out="yes", old_forges=("login", "revive")),
        cost_parts=("authkit.cost.parts.tokens:token_verification",),
        cost_goal={"GET /me": 0.6e6},
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
            cart_survives_logout=True,
            survives_store_restart=True,
            me_while_store_down="store_unavailable",
            store_calls_per_read=1,
            other_tab_after_logout="refused",
            session_state="client",
            cart_in="store",
            cart_lock="atomic_script",
            lost_without_persistence=("carts", "users", "revocations"),
        ),
        # The logged-out family is on the denylist: re-signing it does not help, but a
        # new family for the same user is a fresh login the denylist has never seen.
        key_leak=_jwt_key_leak(revive_logged_out="no", old_forges=("login",)),
        cost_parts=(
            "authkit.cost.parts.tokens:token_verification",
            "authkit.cost.parts.tokens:revocation_lookup",
        ),
        cost_goal={"GET /me": 0.9e6},
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
            cart_survives_logout=False,
            survives_store_restart=True,
            me_while_store_down="ok",
            store_calls_per_read=0,
            session_state="client",
            cart_in="credential",
            cart_lock="none",
            lost_without_persistence=("users",),
        ),
        key_leak=KeyLeak(
            forger=f"{_FORGERS}:FlaskCookie",
            forge_login_any_user="yes",
            forge_csrf="logged_in",
            read_session="without_key",
            revive_logged_out="yes",
            kept_after_drop_idle="no",
            old_key_forges_with_fallback=("login", "csrf", "revive"),
        ),
        cost_parts=(_COOKIE_JAR, "authkit.cost.parts.flask_interfaces:signed_cookie_session"),
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
            cart_survives_logout=False,
            survives_store_restart=True,
            me_while_store_down="store_unavailable",
            store_calls_per_read=2,  # Redis GET (session) + user SELECT
            session_state="server",
            cart_in="store",
            cart_lock="add_lock",
            lost_without_persistence=("sessions", "carts"),
        ),
        key_leak=_DJANGO_SERVER_SIDE_KEY_LEAK,
        cost_parts=(_COOKIE_JAR, f"{_DJANGO}:cache_session", _DJANGO_USER),
    )
)
register_variant(
    Variant(
        name="django-memcached",
        app="django_sessions.wsgi:application",
        framework="django",
        style="session",
        store="database",
        databases=("sqlite",),
        memcached_too=True,
        prepare="django_sessions.setup:prepare",
        env={"DJANGO_SESSION_ENGINE": "cache", "DJANGO_CACHE": "memcached"},
        design=(
            "django.contrib.sessions with the cache engine on memcached (Django's "
            "PyMemcacheCache): sessions in memory only, users in the database"
        ),
        behaviour=Behaviour(
            revocation="immediate",
            logout_all="immediate",
            cart_survives_logout=False,
            # memcached has no persistence: any restart logs everybody out.
            survives_store_restart=False,
            me_while_store_down="store_unavailable",
            store_calls_per_read=2,  # memcached get (session) + user SELECT
            session_state="server",
            cart_in="store",
            cart_lock="add_lock",
            lost_without_persistence=("sessions", "carts"),
        ),
        key_leak=_DJANGO_SERVER_SIDE_KEY_LEAK,
        cost_parts=(_COOKIE_JAR, f"{_DJANGO}:memcached_session", _DJANGO_USER),
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
            cart_survives_logout=False,
            survives_store_restart=True,
            me_while_store_down="store_unavailable",
            store_calls_per_read=2,  # Redis GET (session, warm) + user SELECT
            session_state="server",
            cart_in="store",
            cart_lock="row_lock",
        ),
        key_leak=_DJANGO_SERVER_SIDE_KEY_LEAK,
        cost_parts=(_COOKIE_JAR, f"{_DJANGO}:cached_db_session", _DJANGO_USER),
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
            cart_survives_logout=False,
            survives_store_restart=True,
            me_while_store_down="store_unavailable",
            # user SELECT; the session is a local file read, not a round trip to a store
            # (and uncounted by the probe): the price is not sharing, see the tests.
            store_calls_per_read=1,
            session_state="server",
            cart_in="store",
            cart_lock="file_lock",
        ),
        key_leak=_DJANGO_SERVER_SIDE_KEY_LEAK,
        cost_parts=(_COOKIE_JAR, f"{_DJANGO}:file_session", _DJANGO_USER),
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
            cart_survives_logout=False,
            survives_store_restart=True,
            me_while_store_down="store_unavailable",
            store_calls_per_read=1,  # user SELECT
            session_state="client",
            cart_in="credential",
            cart_lock="none",
        ),
        key_leak=KeyLeak(
            forger=f"{_FORGERS}:DjangoSignedCookies",
            # The session auth hash HMACs the user's password hash with the key: without
            # the password hash the key signs nothing the server accepts as a user...
            forge_login_any_user="no",
            forge_csrf="anonymous_only",
            read_session="without_key",
            # ...but a captured cookie carries that hash, so the key re-signs it at will.
            revive_logged_out="yes",
            kept_after_drop_idle="no",
            old_key_forges_with_fallback=("revive",),
        ),
        cost_parts=(_COOKIE_JAR, f"{_DJANGO}:signed_cookie_session", _DJANGO_USER),
    )
)

from authkit import plugins  # noqa: E402  (after the built-in entries: plugins may replace them)

plugins.load()
