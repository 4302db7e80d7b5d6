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
    # -- in a browser, on the demo page at ``/`` (asserted by tests/browser). ``None`` only
    # -- for the no-auth baselines of ``authkit compare``, which serve no page.
    #: Whether the page is still logged in after a reload: "yes" (the cookie stays), or
    #: "local_storage_only" (tokens in memory by default are gone; ``?storage=local`` keeps them).
    page_reload_keeps_login: Literal["yes", "local_storage_only"] | None = None
    #: What a script injected into the page (XSS) can read of the credential: "nothing" (the
    #: session cookie is HttpOnly), or "tokens_in_local_storage" (read, and usable from any
    #: other client; tokens held in memory are not there for a script run after a reload).
    #: In every case it can act as the user while the page is open.
    xss_reads_credential: Literal["nothing", "tokens_in_local_storage"] | None = None
    #: A form post and a fetch to the cart from a page on another site (127.0.0.2): "refused"
    #: (SameSite=Lax keeps the cookie off; Fetch Metadata and the CSRF token refuse), or
    #: "no_credential" (the browser has no credential to attach: 401).
    cross_site_write: Literal["refused", "no_credential"] | None = None
    #: After logout in one tab, the next request of another tab holding the same credential
    #: (the shared cookie; the token it loaded from localStorage): "refused" or "accepted".
    other_tab_after_logout: Literal["refused", "accepted"] | None = None
    #: What Back shows after logout: the login form of a freshly loaded page, never a
    #: logged-in view from a cache.
    back_after_logout: Literal["login_form"] | None = None


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

    def declarations(self) -> dict[str, object]:
        return {"style": self.style, "store": self.store, **asdict(self.behaviour)}


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
                page_reload_keeps_login="yes",
                xss_reads_credential="nothing",
                cross_site_write="refused",
                other_tab_after_logout="refused",
                back_after_logout="login_form",
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
                page_reload_keeps_login="yes",
                xss_reads_credential="nothing",
                cross_site_write="refused",
                other_tab_after_logout="refused",
                back_after_logout="login_form",
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
                page_reload_keeps_login="local_storage_only",
                xss_reads_credential="tokens_in_local_storage",
                cross_site_write="no_credential",
                other_tab_after_logout="accepted",
                back_after_logout="login_form",
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
                page_reload_keeps_login="local_storage_only",
                xss_reads_credential="tokens_in_local_storage",
                cross_site_write="no_credential",
                other_tab_after_logout="refused",
                back_after_logout="login_form",
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
