"""The parts of a variant's ``GET /me`` overhead, each measured alone with the same meter.

Runs inside the target's instruction job (same process, same app, same stores, logged in),
after the endpoints. Each part is a call the request makes anyway, repeated ``n`` times with
the meter on around the call only, so its count is comparable with the endpoint counts:

* JWT: token verification as the kit does it (``TokenService.verify``), and beneath it
  PyJWT's ``decode_complete`` alone; HMAC-SHA256 plus JSON parsing of the same token (what
  verification costs without PyJWT's checks, for reference); the denylist's Redis command.
* flask-sessions: the Redis command (``GETEX``), the session serializer's decode, and
  Flask-Session's whole ``open_session`` + ``save_session``.
* django-sessions: the session load through the ORM and the SQL statement beneath it (the
  same SQL sent on the raw DB-API connection), the session serializer (``decode``), the
  user load (``django.contrib.auth.get_user``) and its SQL, and the session auth hash.

Parts can contain each other (``open_session`` contains the ``GETEX``); each part says which
it contains, and :mod:`authkit.cost.attribution` stacks only disjoint pieces.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from authkit.cost.meters import Meter, measure_loop


class PartRecorder:
    def __init__(self, meter: Meter, n: int, first_code: int) -> None:
        self.meter = meter
        self.n = n
        self.code = first_code
        self.parts: dict[str, dict[str, Any]] = {}

    def measure_difference(self, name: str, call: Callable[[], object],
                           reference: Callable[[], object], note: str = "",
                           contains: tuple[str, ...] = ()) -> None:  # fmt: skip
        """A part that is the extra cost of ``call`` over ``reference`` (both measured)."""
        call()
        reference()
        self.code += 1
        total = measure_loop(self.meter, self.code, self.n, call)
        self.code += 1
        base = measure_loop(self.meter, self.code, self.n, reference)
        self.parts[name] = {
            "total": (total or 0.0) - (base or 0.0),
            "n": self.n,
            "contains": list(contains),
            "note": note,
            "difference": True,
        }

    def measure(self, name: str, call: Callable[[], object], contains: tuple[str, ...] = (),
                between: Callable[[], object] | None = None, note: str = "") -> None:  # fmt: skip
        call()  # warm
        if between is not None:
            between()
        self.code += 1
        total = measure_loop(self.meter, self.code, self.n, call, between)
        self.parts[name] = {"total": total, "n": self.n, "contains": list(contains), "note": note}


def measure_parts(
    meter: Meter, app: Any, caller: Any, spec: dict[str, Any], first_code: int
) -> dict[str, Any]:
    caller.login()
    recorder = PartRecorder(meter, spec["n"], first_code)
    if spec["style"] == "session":
        _cookie_jar_part(recorder, app, caller)
    if spec["framework"] == "django":
        _django_parts(recorder, caller)
    elif spec["style"] == "bearer":
        _jwt_parts(recorder, app, caller)
    else:
        _flask_session_parts(recorder, app, caller)
    return recorder.parts


def _cookie_jar_part(recorder: PartRecorder, app: Any, caller: Any) -> None:
    """The harness's share: werkzeug's test client putting the session cookie on a request.

    Measured calls include the test client's own work. For a cookie-carrying request that
    work is larger than for the baseline's (whose jar is empty), and that difference is no
    cost of the server's: it is shown as its own part so it is not blamed on the design.
    """
    from werkzeug.test import Client, EnvironBuilder

    empty = Client(app)
    environ = EnvironBuilder("/me").get_environ()
    recorder.measure_difference(
        "harness: test client's cookie jar (not server work)",
        lambda: caller.client._add_cookies_to_wsgi(dict(environ)),
        lambda: empty._add_cookies_to_wsgi(dict(environ)),
        note="werkzeug Client._add_cookies_to_wsgi with the session cookie minus an empty jar",
    )


def _jwt_parts(recorder: PartRecorder, app: Any, caller: Any) -> None:
    import jwt

    from jwt_api.services import EXTENSION
    from jwt_api.tokens import ACCESS, REQUIRED_CLAIMS

    found = app.extensions[EXTENSION]
    token = caller.access
    key = found.config.keys.current
    with app.test_request_context("/me", headers={"Authorization": f"Bearer {token}"}):
        from jwt_api.auth import authenticate

        recorder.measure(
            "authenticate() (kit: header, verify, revocation check)",
            authenticate,
            contains=("token verification (kit + PyJWT)", "Redis client: one MGET"),
        )
    recorder.measure(
        "token verification (kit + PyJWT)",
        lambda: found.tokens.verify(token, ACCESS),
        contains=("PyJWT decode_complete",),
    )
    recorder.measure(
        "PyJWT decode_complete",
        lambda: jwt.decode_complete(
            token,
            key.verifying,
            algorithms=[key.algorithm],
            audience=found.tokens.audience,
            issuer=found.tokens.issuer,
            leeway=found.tokens.leeway,
            options={"require": REQUIRED_CLAIMS, "strict_aud": True},
        ),
        contains=("PyJWT base64url segment checks",),
    )
    segments = [s.encode() for s in token.split(".")]
    decode_segment = jwt.api_jws.PyJWS._decode_base64url_segment
    recorder.measure(
        "PyJWT base64url segment checks",
        lambda: [decode_segment(s, "x") for s in segments],
        note="PyJWS._decode_base64url_segment on the three segments, as _load calls it",
    )
    recorder.measure(
        "HMAC-SHA256 + JSON parse (reference)",
        lambda: _hmac_and_parse(token, key.verifying),
        note="what checking the signature and reading the claims costs without PyJWT",
    )
    if found.config.mode == "denylist":
        keys = found.revocation._keys(found.tokens.verify(token, ACCESS))
        recorder.measure("Redis client: one MGET", lambda: found.redis.mget(keys))


def _hmac_and_parse(token: str, secret: bytes) -> dict[str, Any]:
    signing_input, _, signature = token.rpartition(".")
    header, _, payload = signing_input.partition(".")
    expected = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, base64.urlsafe_b64decode(signature + "==")):
        raise ValueError("bad signature")
    json.loads(base64.urlsafe_b64decode(header + "=="))
    return json.loads(base64.urlsafe_b64decode(payload + "=="))


def _flask_session_parts(recorder: PartRecorder, app: Any, caller: Any) -> None:
    interface = app.session_interface
    cookie = caller.client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    store_id = interface._get_store_id(cookie.value)
    raw = interface.client.get(store_id)
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(
        "/me", headers={"Cookie": f"{cookie.key}={cookie.value}"}
    ).get_environ()

    # A fresh request each call, as a real request is (its parsed cookies are cached on it);
    # the request object's own creation is measured apart and taken off.
    def open_and_save() -> None:
        request = app.request_class(dict(environ))
        with app.app_context():
            session = interface.open_session(app, request)
            interface.save_session(app, session, app.response_class(""))

    def request_only() -> None:
        app.request_class(dict(environ))
        with app.app_context():
            app.response_class("")

    recorder.measure_difference(
        "Flask-Session open_session + save_session",
        open_and_save,
        request_only,
        contains=("Redis client: one GETEX", "session serializer: decode"),
        note="on a fresh request each call, less creating the request and response",
    )
    recorder.measure(
        "Redis client: one GETEX",
        lambda: interface.client.getex(store_id, ex=interface.idle_seconds),
    )
    recorder.measure("session serializer: decode", lambda: interface.serializer.decode(raw))


def _django_parts(recorder: PartRecorder, caller: Any) -> None:
    from django.conf import settings
    from django.contrib.auth import get_user
    from django.db import connection
    from django.http import HttpRequest

    from django_sessions.session_store import SessionStore

    key = caller.client.get_cookie(settings.SESSION_COOKIE_NAME).value
    statements: list[tuple[str, Any]] = []

    def capture(execute: Callable[..., Any], sql: str, params: Any, many: bool, ctx: Any) -> Any:
        statements.append((sql, params))
        return execute(sql, params, many, ctx)

    with connection.execute_wrapper(capture):
        store = SessionStore(key)
        data = store.load()
        session_sql = statements[-1]
        request = HttpRequest()
        request.session = store
        user = get_user(request)
        user_sql = statements[-1]
    row_data = store.model.objects.get(session_key=key).session_data
    raw = connection.connection  # the sqlite3 (DB-API) connection beneath Django
    assert data and user.is_authenticated

    recorder.measure(
        "session load through the ORM",
        lambda: SessionStore(key).load(),
        contains=("SQL beneath the session load", "session serializer: decode"),
    )
    recorder.measure(
        "SQL beneath the session load",
        lambda: _raw_query(raw, *session_sql),
        note="the ORM's own SQL, sent on the DB-API connection",
    )
    recorder.measure("session serializer: decode", lambda: store.decode(row_data))

    def fresh_request() -> HttpRequest:
        loaded = SessionStore(key)
        loaded._session_cache = loaded.load()
        req = HttpRequest()
        req.session = loaded
        return req

    holder = {"request": fresh_request()}
    recorder.measure(
        "user load through the ORM (get_user)",
        lambda: get_user(holder["request"]),
        between=lambda: holder.update(request=fresh_request()),
        contains=("SQL beneath the user load", "session auth hash (HMAC)"),
    )
    recorder.measure(
        "SQL beneath the user load",
        lambda: _raw_query(raw, *user_sql),
        note="the ORM's own SQL, sent on the DB-API connection",
    )
    recorder.measure("session auth hash (HMAC)", user.get_session_auth_hash)


def _raw_query(connection: Any, sql: str, params: Any) -> Any:
    # Django's SQLite backend writes "%s" placeholders; the DB-API module wants "?".
    cursor = connection.execute(sql.replace("%s", "?"), tuple(params or ()))
    try:
        return cursor.fetchall()
    finally:
        cursor.close()
