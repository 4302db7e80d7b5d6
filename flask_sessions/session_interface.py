"""Flask-Session's Redis backend, with a sliding idle timeout that costs no extra write.

What one authenticated read costs in Redis: **one command**, ``GETEX key EX idle``, which
returns the session and pushes its expiry forward in the same round trip. Flask-Session's
default (``SESSION_REFRESH_EACH_REQUEST``) instead does a GET and then a SET of the whole
session on every request, which halves throughput for no benefit.

What Flask-Session does not do and this module adds:
- the absolute timeout: a session that started longer ago than ``SESSION_ABSOLUTE_SECONDS``
  is deleted on sight, however active it was;
- a per-user index of session IDs (a Redis set), so ``/logout-all`` can find and delete
  every session of a user; Flask-Session has no notion of a session's owner;
- race-free cart changes (a transaction on the session key);
- a remembered login's persistent cookie
  (:class:`~shared.flask_session_app.RememberedCookieLifetime`), re-sent by Flask-Session's
  own cookie code on every response as the idle window slides, with no extra Redis write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis
from flask import Flask, Response, jsonify, request
from flask.sessions import SessionMixin
from flask_session.redis import RedisSessionInterface

from shared import anonymous_csrf
from shared.errors import unauthenticated
from shared.flask_session_app import (
    CART,
    CartChange,
    Lines,
    RememberedCookieLifetime,
    outlived,
)

KEY_PREFIX = "session:"
USER_INDEX_PREFIX = "user-sessions:"
#: Bytes of randomness in a session ID: 32 bytes = 256 bits from ``secrets``.
SESSION_ID_BYTES = 32


class SlidingRedisSessionInterface(RememberedCookieLifetime, RedisSessionInterface):
    def __init__(self, app: Flask, client: redis.Redis, absolute_seconds: int) -> None:
        super().__init__(
            app,
            client=client,
            key_prefix=KEY_PREFIX,
            permanent=False,  # a browser-session cookie; Redis's TTL enforces the timeouts
            sid_length=SESSION_ID_BYTES,
        )
        self.idle_seconds = int(app.permanent_session_lifetime.total_seconds())
        self.absolute_seconds = absolute_seconds

    def _retrieve_session_data(self, store_id: str) -> dict | None:
        raw = self.client.getex(store_id, ex=self.idle_seconds)
        if raw is None:
            return None
        data = self.serializer.decode(raw)
        if outlived(data, self.absolute_seconds):
            self.client.delete(store_id)
            return None
        return data

    def should_set_storage(self, app: Flask, session: Any) -> bool:
        """A changed session, and a remembered one: Flask-Session sets the cookie only after
        this step, and a remembered session's cookie is re-sent on every response."""
        return session.modified or session.permanent

    def _upsert_session(self, session_lifetime: Any, session: Any, store_id: str) -> None:
        """Only a changed session is written back: reading it already slid its expiry."""
        if session.modified:
            self.client.set(store_id, self.serializer.encode(session), ex=self.idle_seconds)

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        """As Flask-Session's, except that a deleted session's cookie is expired with the
        attributes it was set with. Flask-Session 0.8 expires it without ``Secure``, and a
        browser ignores a ``__Host-`` cookie (``COOKIE_SECURE=1``) that lacks ``Secure``, so
        the deletion at logout would be silently dropped."""
        if not session and session.modified:
            self._delete_session(self._get_store_id(session.sid))
            response.delete_cookie(
                self.get_cookie_name(app),
                domain=self.get_cookie_domain(app),
                path=self.get_cookie_path(app),
                secure=self.get_cookie_secure(app),
                httponly=self.get_cookie_httponly(app),
                samesite=self.get_cookie_samesite(app),
            )
            response.vary.add("Cookie")
            return
        super().save_session(app, session, response)

    # -- the design's decisions (shared.flask_session_app.SessionDesign) ----------------

    def anonymous_csrf(self, app: Flask, session: SessionMixin) -> Response:
        """A derived token, nothing stored: storing a session for every anonymous
        ``GET /csrf`` would let anyone fill Redis (see :mod:`shared.anonymous_csrf`)."""
        secret = app.secret_key
        name = self.get_cookie_name(app)
        fallbacks = app.config.get("SECRET_KEY_FALLBACKS") or ()
        visitor = anonymous_csrf.anonymous_id(secret, request.cookies.get(name), fallbacks)
        response = jsonify(csrf_token=anonymous_csrf.token_for(secret, visitor))
        response.set_cookie(
            name,
            visitor,
            path=self.get_cookie_path(app),
            domain=self.get_cookie_domain(app),
            secure=self.get_cookie_secure(app),
            httponly=self.get_cookie_httponly(app),
            samesite=self.get_cookie_samesite(app),
        )
        return response

    def renew_id(self, session: SessionMixin) -> None:
        """Delete the stored session the browser came with and give this one a new ID."""
        self.regenerate(session)

    def logged_in(self, username: str, session: SessionMixin) -> None:
        """Add the session to its user's index, which lives as long as the newest session can."""
        index = USER_INDEX_PREFIX + username
        with self.client.pipeline(transaction=False) as pipe:
            pipe.sadd(index, session.sid)
            pipe.expire(index, self.absolute_seconds)
            pipe.execute()

    def logged_out(self, username: str, session: SessionMixin) -> None:
        """Drop the session from its user's index; clearing it deletes the record."""
        self.client.srem(USER_INDEX_PREFIX + username, session.sid)

    def logged_out_everywhere(self, username: str) -> None:
        """Delete every indexed session of ``username``."""
        index = USER_INDEX_PREFIX + username
        # Read and drop the index in one MULTI, so a login racing with this call lands in
        # a fresh index instead of being dropped unseen.
        with self.client.pipeline(transaction=True) as pipe:
            pipe.smembers(index)
            pipe.delete(index)
            sids, _ = pipe.execute()
        keys = [self._get_store_id(sid.decode()) for sid in sids]
        if keys:
            self.client.delete(*keys)

    def save_cart(self, app: Flask, session: SessionMixin, change: CartChange) -> Lines:
        """The cart is in the stored session, changed there race-free."""

        def apply(data: dict) -> dict:
            return {**data, CART: change(data.get(CART, {}))}

        return self.update_atomically(session.sid, apply)[CART]

    def update_atomically(self, sid: str, change: Callable[[dict], dict]) -> dict:
        """Apply ``change`` to the stored session and return the new data, race-free.

        Flask-Session loads a session at the start of a request and writes it back at
        the end, so two concurrent requests of one session overwrite each other's changes
        (last write wins: two tabs adding to the cart lose items). Here the update is a
        WATCH/MULTI transaction on the session key: if another request changes the key
        in between, redis-py runs ``change`` again on the fresh data.
        """
        key = self._get_store_id(sid)

        def transaction(pipe: redis.client.Pipeline) -> dict:
            raw = pipe.get(key)
            if raw is None:  # logged out (or expired) while this request was running
                raise unauthenticated()
            data = change(self.serializer.decode(raw))
            pipe.multi()
            pipe.set(key, self.serializer.encode(data), keepttl=True)
            return data

        return self.client.transaction(transaction, key, value_from_callable=True)
