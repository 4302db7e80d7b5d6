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
connection is discarded, and the next request connects afresh. The clock runs for the whole
request (Django's connection health check, ``SELECT 1`` at the first query, runs outside any
query hook and would hang on a frozen server), except while the password hash runs
(:func:`outside_the_deadline` in the hasher): argon2 on a busy machine is CPU, not the
database, and must not be cut as an outage. A request costs two dict operations and no
thread (a timer thread per request would be charged to Django sessions by the comparison).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
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

    def done(self) -> tuple[float, Any] | None:
        """Stop watching this thread's request; returns what was watched."""
        return self.in_flight.pop(threading.get_ident(), None)

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


#: The process's watchdog, once the middleware has made it.
_watchdog: Watchdog | None = None


@contextlib.contextmanager
def outside_the_deadline() -> Iterator[None]:
    """CPU work inside a request (the password hash) does not count against the database
    deadline: the request's clock stops here and starts afresh afterwards."""
    watched = _watchdog.done() if _watchdog is not None else None
    try:
        yield
    finally:
        if watched is not None and _watchdog is not None:
            _watchdog.watch(watched[1])


class DatabaseDeadlineMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        global _watchdog
        self.get_response = get_response
        self.enabled = connections[DEFAULT_DB_ALIAS].vendor == "postgresql"
        self.watchdog = _watchdog = Watchdog(settings.DATABASE_DEADLINE_SECONDS)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.enabled:
            return self.get_response(request)
        self.watchdog.watch(connections[DEFAULT_DB_ALIAS])  # this thread's connection wrapper
        try:
            return self.get_response(request)
        finally:
            self.watchdog.done()
