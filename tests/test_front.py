"""The private nginx in front of every variant: nginx's own errors as JSON.

gunicorn's gthread workers give a thread to each connection; eight clients sending one
header line every few seconds take a variant without a front offline. That 50 of them behind
the buffering front (authkit/front.py) do not keep other clients from being answered is the
audit's ``slow-clients`` row (tests/test_audit.py runs it against every variant).
"""

from __future__ import annotations

import socket

import pytest
import requests

from authkit.launcher import Target
from tests.contract.test_public import assert_json_error


def _raw(target: Target, data: bytes) -> bytes:
    host, port = target.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_server_errors_are_json_envelopes(target: Target) -> None:
    """Request-line, header and framing errors are JSON, not gunicorn's HTML pages."""
    if not target.managed:
        pytest.skip("the JSON front is the kit's; a server given by URL brings its own")
    assert_json_error(requests.get(target.url + "/" + "a" * 5000, timeout=5), 414, "bad_request")
    assert_json_error(
        requests.get(target.url + "/products", headers={"X-Big": "b" * 5000}, timeout=5),
        431,
        "bad_request",
    )
    many = {f"X-H{i}": "1" for i in range(200)}  # over gunicorn's 100-field default
    assert requests.get(target.url + "/products", headers=many, timeout=5).status_code == 200
    for garbage in (b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"):
        raw = _raw(target, garbage)
        head, _, body = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400"), raw[:200]
        assert b"application/json" in head and b'"bad_request"' in body, raw[:300]
    assert_json_error(
        requests.post(
            target.url + "/login", data=b"{}", headers={"Transfer-Encoding": "gzip"}, timeout=5
        ),
        400,
        "bad_request",
    )
