"""A client-side deadline for PostgreSQL calls: a frozen database must not hang a worker.

``connect_timeout`` bounds new connections and ``statement_timeout`` bounds slow statements,
but neither helps when the server stops answering on a connection that is already open (a
stalled host, a network partition): libpq waits on the socket forever, and on loopback the
kernel keeps acknowledging, so TCP timeouts never fire. psycopg has no read timeout, hence this
middleware: when a request is still running after ``DATABASE_DEADLINE_SECONDS`` it shuts this
thread's database socket down. The blocked call then fails at once with ``OperationalError``
(answered 503 like any outage), the broken connection is discarded, and the next request
connects afresh. A request that finished with the database in time is never touched.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse


def _shut_down_socket(database) -> None:
    raw = database.connection
    if raw is None or raw.closed:
        return
    with contextlib.suppress(OSError, ValueError):
        fd = raw.pgconn.socket
        with socket.socket(fileno=os.dup(fd)) as sock:
            sock.shutdown(socket.SHUT_RDWR)


class DatabaseDeadlineMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.enabled = connections[DEFAULT_DB_ALIAS].vendor == "postgresql"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.enabled:
            return self.get_response(request)
        database = connections[DEFAULT_DB_ALIAS]  # this thread's connection wrapper
        timer = threading.Timer(
            settings.DATABASE_DEADLINE_SECONDS, _shut_down_socket, args=(database,)
        )
        timer.daemon = True
        timer.start()
        try:
            return self.get_response(request)
        finally:
            timer.cancel()
