"""Registry entries for the deliberately broken servers (``AUTHKIT_PLUGINS=tests.sabotage_plugin``).

Each entry is a real variant's registry entry served through :data:`tests.sabotage.app` with
one saboteur; it keeps the real variant's declarations, so whatever the sabotage breaks
contradicts them.
"""

from __future__ import annotations

import dataclasses

from authkit.variants import (
    FRAMEWORKS,
    VARIANTS,
    Framework,
    Serving,
    Variant,
    register_framework,
    register_variant,
)

#: Broken server name -> (the real variant it wraps, the saboteur in tests.sabotage).
BROKEN: dict[str, tuple[str, str]] = {
    "broken-session-deny-all": ("flask-sessions", "deny_all"),
    "broken-session-logout-noop": ("flask-sessions", "logout_noop"),
    "broken-session-cookie-flags": ("flask-sessions", "cookie_flags"),
    "broken-session-debug-pages": ("flask-sessions", "debug_pages"),
    "broken-session-credential-from-query": ("flask-sessions", "credential_from_query"),
    "broken-session-csrf-off": ("flask-sessions", "csrf_off"),
    "broken-session-skip-hash-for-unknown": ("flask-sessions", "skip_hash_for_unknown"),
    "broken-session-no-throttle": ("flask-sessions", "no_throttle"),
    "broken-session-store-down": ("flask-sessions", "store_down"),
    "broken-session-no-security-headers": ("flask-sessions", "strip_security_headers"),
    "broken-session-get-as-post": ("flask-sessions", "get_as_post"),
    # The app intact; the test serves it on stock gunicorn without the buffering front.
    "broken-session-no-front": ("flask-sessions", "intact"),
    # Served over TLS (tests/test_audit_broken.py): the cookie loses Secure and __Host-, the
    # app overrides the front's HSTS, and the app intact but served on plain HTTP as well.
    "broken-session-insecure-cookie": ("flask-sessions", "insecure_cookie"),
    "broken-session-hsts-off": ("flask-sessions", "hsts_off"),
    "broken-session-plain-served": ("flask-sessions", "intact"),
    "broken-bearer-deny-all": ("jwt-denylist", "deny_all"),
    "broken-bearer-logout-noop": ("jwt-denylist", "logout_noop"),
    "broken-bearer-ignore-signature": ("jwt-denylist", "ignore_signature"),
    "broken-bearer-ignore-claims": ("jwt-denylist", "ignore_claims"),
    "broken-bearer-credential-from-query": ("jwt-denylist", "credential_from_query"),
    "broken-bearer-cross-site-crash": ("jwt-denylist", "cross_site_crash"),
    "broken-bearer-refresh-replay": ("jwt-denylist", "refresh_replay"),
}


#: gunicorn as it comes, with its own HTML error pages and one thread per worker: what
#: faces the clients of a deployment without the kit's front and its JSON error writer.
STOCK_GUNICORN = register_framework(
    Framework(
        "flask-stock-gunicorn",
        baseline_app=FRAMEWORKS["flask"].baseline_app,
        serving=Serving(worker_class="gunicorn.workers.gthread.ThreadWorker"),
    )
)
#: Broken servers served by :data:`STOCK_GUNICORN` instead of their variant's framework.
ON_STOCK_GUNICORN = {"broken-session-no-front"}


def broken_variant(name: str) -> Variant:
    base_name, sabotage = BROKEN[name]
    base = VARIANTS[base_name]
    return dataclasses.replace(
        base,
        name=name,
        framework=STOCK_GUNICORN.name if name in ON_STOCK_GUNICORN else base.framework,
        app="tests.sabotage:app",
        env={**base.env, "AUTHKIT_SABOTAGE": sabotage, "AUTHKIT_SABOTAGED_APP": base.app},
        design=f"{base_name} behind the {sabotage} saboteur (tests/sabotage.py)",
        colour=None,
        in_default_compare=False,
    )


for _name in BROKEN:
    register_variant(broken_variant(_name))
