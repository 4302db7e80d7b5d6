"""The private nginx in front of every variant: slow clients, nginx's own errors as JSON.

gunicorn's gthread workers give a thread to each connection; eight clients sending one
header line every few seconds took every variant offline (issue 11). Behind the buffering
front (authkit/front.py), 50 of them must not keep other clients from being answered.
"""

from __future__ import annotations

import socket

import requests

from authkit.audit.slow_clients import slow_client_probe
from tests.contract.test_public import assert_json_error
from tests.targets import Target, only_targets


def _raw(target: Target, data: bytes) -> bytes:
    host, port = target.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@only_targets(lambda target_id: "postgres" not in target_id)
def test_slow_clients_do_not_delay_other_clients(target: Target) -> None:
    result = slow_client_probe(target.url, connections=50, probes=6, probe_timeout=5.0)
    print(f"{target.id}: slow-client probe {result.as_dict()}")
    assert result.answered == result.probes, result.as_dict()
    # No absolute time: each probe within a generous multiple of the same probe's median
    # before the slow clients connected, plus a scheduling allowance for a busy machine.
    assert result.max_latency <= 20 * result.baseline_median + 0.5, result.as_dict()


def test_server_errors_are_json_envelopes(target: Target) -> None:
    """Request-line, header and framing errors used to be gunicorn's HTML pages."""
    if not target.managed:
        return  # the front is the kit's; an external server brings its own
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
