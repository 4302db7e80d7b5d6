"""Flask session-interface parts: each Flask variant measured with its own interface.

Both open and save the request's session through the app's ``session_interface`` (what
Flask does around every request); what differs is what that costs: a Redis command and the
serializer for Flask-Session, the signature and its serializer for Flask's signed cookie.
"""

from __future__ import annotations

from typing import Any

from authkit.cost.parts import PartRecorder, require

SERVER_SIDE = "Flask-Session open_session + save_session"
GETEX = "Redis client: one GETEX"
DECODE = "session serializer: decode"
SIGNED = "Flask signed cookie open_session + save_session"
VERIFY = "itsdangerous: verify + load the cookie"
SIGN = "itsdangerous: dump + sign the cookie"


def _round_trip(recorder: PartRecorder, app: Any, cookie: Any, label: str,
                contains: tuple[str, ...]) -> None:  # fmt: skip
    """Open and save the session on a fresh request each call, less the request itself.

    A fresh request each call, as a real request is (its parsed cookies are cached on it);
    the request and response objects' own creation is measured apart and taken off.
    """
    from werkzeug.test import EnvironBuilder

    interface = app.session_interface
    environ = EnvironBuilder(
        "/me", headers={"Cookie": f"{cookie.key}={cookie.value}"}
    ).get_environ()

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
        label,
        open_and_save,
        request_only,
        contains=contains,
        note="on a fresh request each call, less creating the request and response",
    )


def _session_cookie(app: Any, caller: Any) -> Any:
    cookie = caller.client.get_cookie(app.session_interface.get_cookie_name(app))
    require(cookie is not None, "the logged-in client holds no session cookie")
    return cookie


def server_side_session(recorder: PartRecorder, app: Any, caller: Any) -> None:
    """Flask-Session in Redis: the interface's open + save, its ``GETEX`` and its decode."""
    from flask_session.redis import RedisSessionInterface

    interface = app.session_interface
    require(
        isinstance(interface, RedisSessionInterface),
        f"the app's session interface is {type(interface).__name__}, not Flask-Session's Redis",
    )
    cookie = _session_cookie(app, caller)
    store_id = interface._get_store_id(cookie.value)
    raw = interface.client.get(store_id)
    require(raw is not None, "the session is not in Redis")
    _round_trip(recorder, app, cookie, SERVER_SIDE, contains=(GETEX, DECODE))
    recorder.measure(GETEX, lambda: interface.client.getex(store_id, ex=interface.idle_seconds))
    recorder.measure(DECODE, lambda: interface.serializer.decode(raw))


def signed_cookie_session(recorder: PartRecorder, app: Any, caller: Any) -> None:
    """Flask's signed-cookie session: the interface's open + save, and beneath them the
    signature check with the cookie's loading and the re-signing of the answer's cookie."""
    from flask.sessions import SecureCookieSessionInterface

    interface = app.session_interface
    require(
        isinstance(interface, SecureCookieSessionInterface),
        f"the app's session interface is {type(interface).__name__}, not Flask's signed cookie",
    )
    cookie = _session_cookie(app, caller)
    serializer = interface.get_signing_serializer(app)
    max_age = int(app.permanent_session_lifetime.total_seconds())
    data = serializer.loads(cookie.value, max_age=max_age)
    require("user" in data, "the signed cookie holds no logged-in user")
    _round_trip(recorder, app, cookie, SIGNED, contains=(VERIFY, SIGN))
    recorder.measure(VERIFY, lambda: serializer.loads(cookie.value, max_age=max_age))
    recorder.measure(SIGN, lambda: serializer.dumps(data))
