"""Deliberately broken servers: a real variant's app behind a WSGI "saboteur" that breaks one
thing, so ``tests/test_audit_broken.py`` can show each audit check reporting the failure.

The served app is :data:`app`: it imports the real app named by ``AUTHKIT_SABOTAGED_APP``
(``module:callable``) and wraps it in the saboteur named by ``AUTHKIT_SABOTAGE``. The
variants themselves carry no sabotage code; the broken entries reach the registry as a
plugin (:mod:`tests.sabotage_plugin`, named in ``AUTHKIT_PLUGINS``).

Hand-written on purpose: each saboteur is the smallest WSGI wrapper that reproduces one
real mistake (a logout that forgets to delete the session, a verifier that skips the
signature, debug error pages, ...); no library ships broken servers. Some keep state in
the process (``csrf_off``), so the broken servers run one worker.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl

import jwt

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _json_answer(start_response: StartResponse, status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


def _captured(app: WsgiApp, environ: Environ) -> tuple[str, list[tuple[str, str]], bytes]:
    """Call ``app`` and keep its whole answer, for saboteurs that rewrite it."""
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"], captured["headers"] = status, list(headers)
        return lambda _data: None

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close:
            close()
    return captured["status"], captured["headers"], body


def _answer(
    start_response: StartResponse, status: str, headers: list[tuple[str, str]], body: bytes
) -> list[bytes]:
    headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
    start_response(status, [*headers, ("Content-Length", str(len(body)))])
    return [body]


def _read_body(environ: Environ) -> bytes:
    """The request body, put back so the app can read it again."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


# -- the saboteurs -----------------------------------------------------------------------


def deny_all(app: WsgiApp) -> WsgiApp:
    """401 to every request: a server that refuses everything must not look secure."""

    def wrapped(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        error = {"code": "unauthenticated", "message": "Authentication required."}
        return _json_answer(start_response, "401 Unauthorized", {"error": error})

    return wrapped


def logout_noop(app: WsgiApp) -> WsgiApp:
    """``/logout`` and ``/logout-all`` answer 204 and forget nothing."""

    def wrapped(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"] in {
            "/logout",
            "/logout-all",
        }:
            start_response("204 No Content", [("Content-Length", "0")])
            return [b""]
        return app(environ, start_response)

    return wrapped


def cookie_flags(app: WsgiApp) -> WsgiApp:
    """The session cookie loses HttpOnly and SameSite and is scoped to a parent domain."""

    def wrapped(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        status, headers, body = _captured(app, environ)
        rewritten = []
        for name, value in headers:
            if name.lower() == "set-cookie":
                kept = [
                    part
                    for part in value.split(";")
                    if part.strip().split("=")[0].lower() not in {"httponly", "samesite", "path"}
                ]
                value = "; ".join(p.strip() for p in kept) + "; Path=/cart; Domain=example.test"
            rewritten.append((name, value))
        return _answer(start_response, status, rewritten, body)

    return wrapped


def debug_pages(app: WsgiApp) -> WsgiApp:
    """Every error answer becomes a framework's HTML debug page with a traceback."""

    def wrapped(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        status, headers, body = _captured(app, environ)
        if int(status.split()[0]) < 400:
            return _answer(start_response, status, headers, body)
        page = (
            "<html><body><h1>Internal Server Error</h1><pre>Traceback (most recent call last):"
            f'\n  File "app.py", line 1\n{status}</pre></body></html>'
        ).encode()
        return _answer(
            start_response,
            "500 Internal Server Error",
            [("Content-Type", "text/html; charset=utf-8")],
            page,
        )

    return wrapped


def credential_from_query(app: WsgiApp) -> WsgiApp:
    """A credential in the query string is used as if it came in its header or cookie."""

    def wrapped(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        for name, value in parse_qsl(environ.get("QUERY_STRING", "")):
            if name == "access_token":
                environ["HTTP_AUTHORIZATION"] = f"Bearer {value}"
            else:
                environ["HTTP_COOKIE"] = f"{name}={value}"
        return app(environ, start_response)

    return wrapped


def csrf_off(app: WsgiApp) -> WsgiApp:
    """No CSRF defence: the session's own token is filled in whatever the request sent, Fetch
    Metadata and Origin are dropped, and any content type is read as JSON."""
    tokens: dict[str, str] = {}  # "name=value" of a session cookie -> its CSRF token

    def wrapped(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        for header in ("HTTP_SEC_FETCH_SITE", "HTTP_ORIGIN", "HTTP_REFERER"):
            environ.pop(header, None)
        if environ["REQUEST_METHOD"] in UNSAFE:
            environ["CONTENT_TYPE"] = "application/json"
            cookies = SimpleCookie(environ.get("HTTP_COOKIE", ""))
            for name, morsel in cookies.items():
                if f"{name}={morsel.value}" in tokens:
                    environ["HTTP_X_CSRF_TOKEN"] = tokens[f"{name}={morsel.value}"]
        status, headers, body = _captured(app, environ)
        if environ["PATH_INFO"] == "/login" and status.startswith("200"):
            token = json.loads(body).get("csrf_token")
            for name, value in headers:
                if name.lower() == "set-cookie" and token:
                    tokens[value.split(";")[0].strip()] = token
        return _answer(start_response, status, headers, body)

    return wrapped


def skip_hash_for_unknown(app: WsgiApp) -> WsgiApp:
    """A login for an unknown user answers at once (no password hash) and says so."""

    def wrapped(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ["PATH_INFO"] == "/login" and environ["REQUEST_METHOD"] == "POST":
            try:
                username = json.loads(_read_body(environ)).get("username", "")
            except (ValueError, AttributeError):
                username = ""
            if isinstance(username, str) and username.startswith("nobody-"):
                error = {"code": "unknown_user", "message": "No such user."}
                return _json_answer(start_response, "401 Unauthorized", {"error": error})
        return app(environ, start_response)

    return wrapped


def no_throttle(app: WsgiApp) -> WsgiApp:
    """The login throttle's 429 becomes an ordinary 401: brute force is never slowed down."""

    def wrapped(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        status, headers, body = _captured(app, environ)
        if status.startswith("429"):
            error = {"code": "invalid_credentials", "message": "Invalid username or password."}
            return _json_answer(start_response, "401 Unauthorized", {"error": error})
        return _answer(start_response, status, headers, body)

    return wrapped


def _signing_key() -> Any:
    from jwt_api.keys import hmac_key

    return hmac_key(os.environ["SECRET_KEY"])


def _resign_bearer(environ: Environ, claims_for: Callable[[str], dict[str, Any] | None]) -> None:
    """Replace the bearer token by one the server will accept, signed with its own key,
    carrying the claims ``claims_for(token)`` returns (``None``: leave the token alone)."""
    header = environ.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Bearer "):
        return
    try:
        claims = claims_for(header.removeprefix("Bearer "))
    except jwt.PyJWTError:
        return
    if claims is None:
        return
    from jwt_api.tokens import TYP_HEADER

    key = _signing_key()
    token_type = claims.get("token_type", "access")
    token = jwt.encode(
        claims,
        key.signing,
        algorithm=key.algorithm,
        headers={"kid": key.kid, "typ": TYP_HEADER.get(token_type, "at+jwt")},
    )
    environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"


def ignore_signature(app: WsgiApp) -> WsgiApp:
    """The access token's claims are believed without checking its signature, algorithm or
    key headers (as if decoded with ``verify_signature=False``)."""

    def claims_for(token: str) -> dict[str, Any] | None:
        return jwt.decode(token, options={"verify_signature": False})

    def wrapped(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        _resign_bearer(environ, claims_for)
        return app(environ, start_response)

    return wrapped


def ignore_claims(app: WsgiApp) -> WsgiApp:
    """The signature is checked, the claims are not: any exp, nbf, aud, iss, typ or token
    type passes (a token never expires)."""

    def claims_for(token: str) -> dict[str, Any] | None:
        key = _signing_key()
        claims = jwt.decode(
            token,
            key.verifying,
            algorithms=[key.algorithm],
            options={"verify_exp": False, "verify_nbf": False, "verify_aud": False,
                     "verify_iss": False, "verify_iat": False},
        )  # fmt: skip
        from jwt_api.config import JwtConfig

        config = JwtConfig.from_env()
        now = int(time.time())
        return {
            **claims,
            "iss": config.issuer,
            "aud": config.audience,
            "nbf": now - 1,
            "exp": now + 300,
            "token_type": "access",
        }

    def wrapped(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        _resign_bearer(environ, claims_for)
        return app(environ, start_response)

    return wrapped


def cross_site_crash(app: WsgiApp) -> WsgiApp:
    """A cross-site request (``Sec-Fetch-Site: cross-site``) crashes the server: a 500."""

    def wrapped(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("HTTP_SEC_FETCH_SITE") == "cross-site":
            error = {"code": "internal_error", "message": "Internal server error."}
            return _json_answer(start_response, "500 Internal Server Error", {"error": error})
        return app(environ, start_response)

    return wrapped


def store_down(app: WsgiApp) -> WsgiApp:
    """``/health`` reports the store unreachable (503), as with Redis gone."""

    def wrapped(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ["PATH_INFO"] == "/health":
            error = {"code": "store_unavailable", "message": "The store is unavailable."}
            return _json_answer(start_response, "503 Service Unavailable", {"error": error})
        return app(environ, start_response)

    return wrapped


def strip_security_headers(app: WsgiApp) -> WsgiApp:
    """The app's answers lose nosniff, their CSP and ``Cache-Control: no-store``."""
    dropped = {"x-content-type-options", "content-security-policy", "cache-control"}

    def wrapped(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        status, headers, body = _captured(app, environ)
        kept = [(k, v) for k, v in headers if k.lower() not in dropped]
        return _answer(start_response, status, kept, body)

    return wrapped


def get_as_post(app: WsgiApp) -> WsgiApp:
    """``GET`` on the state-changing endpoints is handled as their ``POST``."""
    writes = {"/logout", "/logout-all", "/cart/items"}

    def wrapped(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] == "GET" and environ["PATH_INFO"] in writes:
            environ["REQUEST_METHOD"] = "POST"
        return app(environ, start_response)

    return wrapped


def refresh_replay(app: WsgiApp) -> WsgiApp:
    """A refresh token can be used again: a refresh the server answered once is answered the
    same way every time (and parallel refreshes with one token all get it)."""
    answers: dict[str, tuple[str, list[tuple[str, str]], bytes]] = {}
    lock = threading.Lock()

    def wrapped(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ["PATH_INFO"] != "/token/refresh" or environ["REQUEST_METHOD"] != "POST":
            return app(environ, start_response)
        try:
            token = json.loads(_read_body(environ)).get("refresh_token")
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str):
            return app(environ, start_response)
        with lock:
            if token not in answers:
                status, headers, body = _captured(app, environ)
                if not status.startswith("200"):
                    return _answer(start_response, status, headers, body)
                answers[token] = (status, headers, body)
            status, headers, body = answers[token]
        return _answer(start_response, status, headers, body)

    return wrapped


def insecure_cookie(app: WsgiApp) -> WsgiApp:
    """Over TLS, the session cookie goes out without ``Secure`` and without the ``__Host-``
    prefix (as with ``COOKIE_SECURE`` forgotten); the name comes back to the app prefixed."""

    def wrapped(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        cookies = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        environ["HTTP_COOKIE"] = "; ".join(
            f"{name if name.startswith('__Host-') else '__Host-' + name}={morsel.value}"
            for name, morsel in cookies.items()
        )
        status, headers, body = _captured(app, environ)
        rewritten = []
        for name, value in headers:
            if name.lower() == "set-cookie":
                kept = [p.strip() for p in value.split(";") if p.strip().lower() != "secure"]
                value = "; ".join(kept).removeprefix("__Host-")
            rewritten.append((name, value))
        return _answer(start_response, status, rewritten, body)

    return wrapped


def hsts_off(app: WsgiApp) -> WsgiApp:
    """Every answer says ``Strict-Transport-Security: max-age=0`` (an app "disabling" HSTS
    its front sends): the browser heeds the first header, so the policy is dropped."""

    def wrapped(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        status, headers, body = _captured(app, environ)
        return _answer(
            start_response, status, [*headers, ("Strict-Transport-Security", "max-age=0")], body
        )

    return wrapped


def intact(app: WsgiApp) -> WsgiApp:
    """Nothing changed in the app (for servers broken in how they are served)."""
    return app


SABOTAGES: dict[str, Callable[[WsgiApp], WsgiApp]] = {
    func.__name__: func
    for func in (
        deny_all, logout_noop, cookie_flags, debug_pages, credential_from_query, csrf_off,
        skip_hash_for_unknown, no_throttle, ignore_signature, ignore_claims, cross_site_crash,
        store_down, strip_security_headers, get_as_post, refresh_replay, insecure_cookie,
        hsts_off, intact,
    )
}  # fmt: skip

_wrapped: WsgiApp | None = None


def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """The sabotaged app gunicorn serves (built on the first request, in the worker)."""
    global _wrapped
    if _wrapped is None:
        module, _, name = os.environ["AUTHKIT_SABOTAGED_APP"].partition(":")
        real = getattr(importlib.import_module(module), name)
        _wrapped = SABOTAGES[os.environ["AUTHKIT_SABOTAGE"]](real)
    return _wrapped(environ, start_response)
