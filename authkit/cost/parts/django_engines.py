"""Django parts: each session engine's load against its own store, and the user load.

The engine is the one the app runs with (``settings.SESSION_ENGINE``, imported the way
Django's ``SessionMiddleware`` does), and each part function first checks it is the engine
it was written for: the ``db`` engine's load is an ORM query on the session table, the
``cache`` engine's a Redis ``GET`` through Django's ``RedisCache`` (or a memcached ``get``
through ``PyMemcacheCache``, :mod:`django_sessions.memcached`), ``cached_db``'s the same
``GET`` when the cache holds the session, the ``file`` engine's a file read, and the
``signed_cookies`` engine's a signature check of the cookie itself. The user load
(``django.contrib.auth.get_user``: the user's row and its session auth hash) is the same
for every engine.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterator
from typing import Any

from authkit.cost.parts import PartRecorder, require

SERIALIZER = "session serializer: decode"
REDIS_GET = "Redis client: one GET"
MEMCACHED_GET = "memcached client: one get"
CACHE_SERIALIZER = "cache serializer: unpickle"


@contextlib.contextmanager
def count_statements(hook: Callable[[str], None]) -> Iterator[None]:
    """Call ``hook(statement)`` for every SQL statement any Django connection sends."""
    from django.db import connections

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool,
                context: Any) -> Any:  # fmt: skip
        hook(sql)
        return execute(sql, params, many, context)

    with contextlib.ExitStack() as stack:
        for connection in connections.all():
            stack.enter_context(connection.execute_wrapper(wrapper))
        yield


def _engine() -> type:
    from django.conf import settings

    return importlib.import_module(settings.SESSION_ENGINE).SessionStore


def _require_engine(stock: type, *not_: type) -> type:
    store = _engine()
    require(
        issubclass(store, stock) and not any(issubclass(store, other) for other in not_),
        f"the app's session engine is {store.__module__}, not {stock.__module__}'s",
    )
    return store


def _session_key(caller: Any) -> str:
    from django.conf import settings

    cookie = caller.client.get_cookie(settings.SESSION_COOKIE_NAME)
    require(cookie is not None, "the logged-in client holds no session cookie")
    return cookie.value


class _Statements:
    """The SQL statements (with parameters) a block sends, to resend them on the DB-API."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    @contextlib.contextmanager
    def capture(self) -> Iterator[list[tuple[str, Any]]]:
        from django.db import connection

        def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool,
                    context: Any) -> Any:  # fmt: skip
            self.sent.append((sql, params))
            return execute(sql, params, many, context)

        self.sent = []
        with connection.execute_wrapper(wrapper):
            yield self.sent


def _raw_query(sql: str, params: Any) -> Any:
    """The ORM's statement sent on the DB-API connection beneath Django (no ORM at all)."""
    from django.db import connection

    # Django's SQLite backend writes "%s" placeholders; the DB-API module wants "?".
    cursor = connection.connection.execute(sql.replace("%s", "?"), tuple(params or ()))
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


def _measure_load(recorder: PartRecorder, store: type, key: str, label: str,
                  contains: tuple[str, ...]) -> None:  # fmt: skip
    require(bool(store(key).load()), f"{store.__module__} loads no session for the client")
    recorder.measure(label, lambda: store(key).load(), contains=contains)


def _sql_of_load(store: type, key: str) -> list[tuple[str, Any]]:
    """The statements one (unmeasured) load of the session sends."""
    statements = _Statements()
    with statements.capture() as sent:
        store(key).load()
    return list(sent)


def db_session(recorder: PartRecorder, app: Any, caller: Any) -> None:
    """The ``db`` engine: the session row through the ORM, its SQL alone, the decode."""
    from django.contrib.sessions.backends.cached_db import SessionStore as CachedDb
    from django.contrib.sessions.backends.db import SessionStore as Db

    store = _require_engine(Db, CachedDb)
    key = _session_key(caller)
    sql = "SQL beneath the session load"
    sent = _sql_of_load(store, key)
    require(len(sent) > 0, "the db engine's load sent no SQL")
    _measure_load(recorder, store, key, "session load through the ORM", (sql, SERIALIZER))
    recorder.measure(
        sql, lambda: _raw_query(*sent[-1]), note="the ORM's own SQL, sent on the DB-API"
    )
    row = store(key)._get_session_from_db()
    recorder.measure(SERIALIZER, lambda: store(key).decode(row.session_data))


def _redis_get(recorder: PartRecorder, store: type, key: str) -> None:
    """The raw ``GET`` beneath Django's ``RedisCache.get`` and the cache's unpickling."""
    session = store(key)
    cache = session._cache  # the engine's own cache (SESSION_CACHE_ALIAS)
    full_key = cache.make_and_validate_key(session.cache_key)
    client = cache._cache.get_client(full_key)  # Django's own redis-py client
    raw = client.get(full_key)
    require(raw is not None, "the session is not in the cache")
    recorder.measure(REDIS_GET, lambda: client.get(full_key))
    recorder.measure(CACHE_SERIALIZER, lambda: cache._cache._serializer.loads(raw))


def cache_session(recorder: PartRecorder, app: Any, caller: Any) -> None:
    """The ``cache`` engine: the session from Redis through Django's cache, and beneath it
    the ``GET`` and the unpickling."""
    from django.contrib.sessions.backends.cache import SessionStore as Cache

    store = _require_engine(Cache)
    key = _session_key(caller)
    _measure_load(recorder, store, key, "session load through the cache engine (RedisCache)",
                  (REDIS_GET, CACHE_SERIALIZER))  # fmt: skip
    _redis_get(recorder, store, key)


def memcached_session(recorder: PartRecorder, app: Any, caller: Any) -> None:
    """The ``cache`` engine on memcached: the session through Django's cache, and beneath
    it pymemcache's ``get`` (which unpickles the value itself)."""
    from django.contrib.sessions.backends.cache import SessionStore as Cache

    from django_sessions.memcached import TimelyMemcache

    store = _require_engine(Cache)
    key = _session_key(caller)
    session = store(key)
    cache = session._cache  # the engine's own cache (SESSION_CACHE_ALIAS)
    require(isinstance(cache, TimelyMemcache), "the app's cache is not memcached")
    _measure_load(recorder, store, key, "session load through the cache engine (memcached)",
                  (MEMCACHED_GET,))  # fmt: skip
    full_key = cache.make_and_validate_key(session.cache_key)
    client = cache._cache  # Django's own pymemcache client
    require(client.get(full_key) is not None, "the session is not in memcached")
    recorder.measure(MEMCACHED_GET, lambda: client.get(full_key))


def cached_db_session(recorder: PartRecorder, app: Any, caller: Any) -> None:
    """The ``cached_db`` engine on a warm cache (as every read after login is): the same
    ``GET`` as the cache engine, the database untouched."""
    from django.contrib.sessions.backends.cached_db import SessionStore as CachedDb

    store = _require_engine(CachedDb)
    key = _session_key(caller)
    sent = _sql_of_load(store, key)
    require(not sent, "cached_db's load went to the database: the cache did not hold it")
    _measure_load(recorder, store, key, "session load through cached_db (cache hit)",
                  (REDIS_GET, CACHE_SERIALIZER))  # fmt: skip
    _redis_get(recorder, store, key)


def file_session(recorder: PartRecorder, app: Any, caller: Any) -> None:
    """The ``file`` engine: the session's file read and decoded."""
    from django.contrib.sessions.backends.file import SessionStore as File

    store = _require_engine(File)
    key = _session_key(caller)
    read = "file read: the session's file"
    _measure_load(recorder, store, key, "session load through the file engine",
                  (read, SERIALIZER))  # fmt: skip
    path = store(key)._key_to_file()

    def read_file() -> str:
        with open(path, encoding="ascii") as handle:
            return handle.read()

    content = read_file()
    recorder.measure(read, read_file)
    recorder.measure(SERIALIZER, lambda: store(key).decode(content))


def signed_cookie_session(recorder: PartRecorder, app: Any, caller: Any) -> None:
    """The ``signed_cookies`` engine: the cookie is the session; its load is the signature
    check and the decode (``django.core.signing.loads``), no store at all."""
    from django.contrib.sessions.backends.signed_cookies import SessionStore as Signed

    store = _require_engine(Signed)
    key = _session_key(caller)
    _measure_load(recorder, store, key, "session load: signature check + decode of the cookie",
                  ())  # fmt: skip


def user_load(recorder: PartRecorder, app: Any, caller: Any) -> None:
    """``django.contrib.auth.get_user`` on a request whose session is loaded: the user's
    row through the ORM, its SQL alone, and the session auth hash it is checked against."""
    from django.contrib.auth import get_user
    from django.http import HttpRequest

    store = _engine()
    key = _session_key(caller)

    def fresh_request() -> HttpRequest:
        loaded = store(key)
        loaded._session_cache = loaded.load()
        request = HttpRequest()
        request.session = loaded
        return request

    statements = _Statements()
    with statements.capture() as sent:
        user = get_user(fresh_request())
    require(user.is_authenticated, "get_user found no logged-in user for the session")
    require(len(sent) > 0, "the user load sent no SQL")
    user_sql = sent[-1]
    sql = "SQL beneath the user load"
    holder = {"request": fresh_request()}
    recorder.measure(
        "user load through the ORM (get_user)",
        lambda: get_user(holder["request"]),
        between=lambda: holder.update(request=fresh_request()),
        contains=(sql, "session auth hash (HMAC)"),
    )
    recorder.measure(
        sql, lambda: _raw_query(*user_sql), note="the ORM's own SQL, sent on the DB-API"
    )
    recorder.measure("session auth hash (HMAC)", user.get_session_auth_hash)
