"""gunicorn's gthread worker, answering the requests gunicorn refuses itself in the
contract's JSON envelope.

gunicorn parses each request before the app sees it and answers what it refuses (a control
character in a header value, a malformed header) with an HTML page of its own. The nginx
front turns its *own* errors into JSON (:mod:`authkit.front`) but passes gunicorn's on, and
intercepting them there would replace the app's own 400s (``invalid_json``, ...) as well.
gunicorn has no setting for that body: its worker writes it with
``gunicorn.util.write_error``, which this worker replaces in its own process. Nothing else
differs from ``gthread``, so every variant and baseline keeps the same serving.
"""

from __future__ import annotations

import json
import socket

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from shared.errors import code_for_status, error_body
from shared.http_policy import security_headers

#: What the client is told; the parser's own text (which may quote the bytes it refused)
#: goes to gunicorn's log, never back to the client.
MESSAGE = "The request could not be parsed (request line or headers)."


def write_json_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """``gunicorn.util.write_error`` with the contract's envelope instead of an HTML page."""
    body = json.dumps(error_body(code_for_status(status_int), MESSAGE)).encode()
    headers = {
        "Connection": "close",
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
        **security_headers("", status_int),
    }
    head = f"HTTP/1.1 {status_int} {reason}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in headers.items()
    )
    util.write_nonblock(sock, (head + "\r\n").encode("latin-1") + body)


class JsonErrorThreadWorker(ThreadWorker):
    """``gthread``, with gunicorn's own error answers in the JSON envelope."""

    def init_process(self) -> None:
        util.write_error = write_json_error
        super().init_process()
