"""A client-side deadline for PostgreSQL calls: a frozen database must not hang a worker.

``connect_timeout`` bounds new connections and ``statement_timeout`` bounds slow statements,
but neither helps when the server stops answering on a connection that is already open (a
frozen or stalled server): libpq waits on the socket forever. TCP's own bounds do not fire
either: on loopback, or whenever the peer's kernel is alive, the kernel acknowledges what we
send and answers keepalive probes, so ``tcp_user_timeout`` and keepalives never trip (tried
here against a SIGSTOPped server). psycopg has no read timeout.

So one watchdog thread per worker process (started on the first query, after gunicorn
forks) looks at the queries in flight a few times per deadline and shuts down the database
socket of any that has waited longer than ``DATABASE_DEADLINE_SECONDS``. The blocked call
then fails at once with ``OperationalError`` (answered 503 like any outage), the broken
connection is discarded, and the next request connects afresh. Only the database calls are
timed (Django's ``execute_wrapper``), not the whole request: a login's argon2 hash on a busy
machine must not count against the database. A query costs two dict operations; an earlier
version started a timer thread per request, which the comparison then charged to Django
sessions.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse


def _shut_down_socket(database: Any) -> None:
    raw = database.connection
    if raw is None or raw.closed:
        return
    with contextlib.suppress(OSError, ValueError):
        fd = raw.pgconn.socket
        with socket.socket(fileno=os.dup(fd)) as sock:
            sock.shutdown(socket.SHUT_RDWR)


class Watchdog:
    """Cuts the database connection of requests that outlive the deadline."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        #: thread ident -> (started, connection wrapper) of each request in flight.
        self.in_flight: dict[int, tuple[float, Any]] = {}
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def watch(self, database: Any) -> tuple[float, Any]:
        if self._thread is None:
            self._start()
        entry = (time.monotonic(), database)
        self.in_flight[threading.get_ident()] = entry
        return entry

    def done(self) -> None:
        self.in_flight.pop(threading.get_ident(), None)

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="database-deadline", daemon=True
                )
                self._thread.start()

    def check(self) -> None:
        """Cut every connection whose request has waited past the deadline."""
        now = time.monotonic()
        for ident, entry in list(self.in_flight.items()):
            started, database = entry
            # ``is entry``: the same request, not a newer one on the same thread.
            if now - started > self.deadline and self.in_flight.get(ident) is entry:
                _shut_down_socket(database)
                self.in_flight.pop(ident, None)

    def _run(self) -> None:
        while True:
            time.sleep(self.deadline / 4)
            self.check()


class DatabaseDeadlineMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.enabled = connections[DEFAULT_DB_ALIAS].vendor == "postgresql"
        self.watchdog = Watchdog(settings.DATABASE_DEADLINE_SECONDS)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.enabled:
            return self.get_response(request)
        with connections[DEFAULT_DB_ALIAS].execute_wrapper(self._timed):
            return self.get_response(request)

    def _timed(self, execute: Callable[..., Any], sql: str, params: Any, many: bool,
               context: dict[str, Any]) -> Any:  # fmt: skip
        """Run one statement under the watchdog's eye (Django's execute_wrapper protocol)."""
        self.watchdog.watch(context["connection"])
        try:
            return execute(sql, params, many, context)
        finally:
            self.watchdog.done()
