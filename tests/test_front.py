"""The private nginx in front of every variant: nginx's own errors as JSON, and its HTTPS.

gunicorn's gthread workers give a thread to each connection; eight clients sending one
header line every few seconds take a variant without a front offline. That 50 of them behind
the buffering front (authkit/front.py) do not keep other clients from being answered is the
audit's ``slow-clients`` row (tests/test_audit.py runs it against every variant).
"""

from __future__ import annotations

import contextlib
import ssl
from urllib.parse import urlsplit

import pytest
import requests

from authkit import tls
from authkit.launcher import Target
from tests.contract.test_public import assert_json_error
from tests.targets import only_targets, over_tls

#: The front's tests run against the HTTPS targets too (tests/conftest.py).
OVER_TLS_TOO = True


def _raw(target: Target, data: bytes) -> bytes:
    with tls.connect(target.url, target.verify, timeout=5) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_server_errors_are_json_envelopes(target: Target) -> None:
    """Request-line, header and framing errors are JSON, not gunicorn's HTML pages."""
    if not target.managed:
        pytest.skip("the JSON front is the kit's; a server given by URL brings its own")
    assert_json_error(
        requests.get(target.url + "/" + "a" * 5000, timeout=5, verify=target.verify),
        414,
        "bad_request",
    )
    assert_json_error(
        requests.get(
            target.url + "/products", headers={"X-Big": "b" * 5000}, timeout=5, verify=target.verify
        ),
        431,
        "bad_request",
    )
    many = {f"X-H{i}": "1" for i in range(200)}  # over gunicorn's 100-field default
    assert (
        requests.get(
            target.url + "/products", headers=many, timeout=5, verify=target.verify
        ).status_code
        == 200
    )
    for garbage in (b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"):
        raw = _raw(target, garbage)
        head, _, body = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400"), raw[:200]
        assert b"application/json" in head and b'"bad_request"' in body, raw[:300]
    assert_json_error(
        requests.post(
            target.url + "/login",
            data=b"{}",
            headers={"Transfer-Encoding": "gzip"},
            timeout=5,
            verify=target.verify,
        ),
        400,
        "bad_request",
    )


@only_targets(over_tls)
def test_tls_front_speaks_h2_and_http11_with_hsts(target: Target) -> None:
    """Over TLS: ALPN offers HTTP/2 and HTTP/1.1, the certificate chains to the run's CA for
    every name the kit uses, and every answer (the front's own errors too) carries HSTS."""
    assert isinstance(target.verify, str), "a target the kit serves over TLS trusts its own CA"
    parts = urlsplit(target.url)
    for protocols, expected in ((["h2", "http/1.1"], "h2"), (["http/1.1"], "http/1.1")):
        for name in tls.SERVER_NAMES:
            context = ssl.create_default_context(cafile=target.verify)
            context.set_alpn_protocols(protocols)
            with (
                contextlib.closing(tls.connect(f"http://{parts.netloc}")) as raw,
                context.wrap_socket(raw, server_hostname=name) as sock,
            ):
                assert sock.selected_alpn_protocol() == expected, name
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(target.url + "/products", timeout=5)  # not a certificate anyone trusts
    hsts = f"max-age={tls.HSTS_MAX_AGE_SECONDS}"
    answers = [
        requests.get(target.url + "/products", timeout=5, verify=target.verify),
        requests.get(target.url + "/no-such-thing", timeout=5, verify=target.verify),
        requests.get(target.url + "/" + "a" * 5000, timeout=5, verify=target.verify),
    ]
    assert [r.status_code for r in answers] == [200, 404, 414]
    for response in answers:
        assert response.raw.headers.getlist("Strict-Transport-Security") == [hsts], response.url


@only_targets(over_tls)
def test_plain_http_is_redirected_or_refused(target: Target) -> None:
    """Plain HTTP beside TLS answers 308 to the same path over https for the certificate's
    names, the front's JSON 400 for any other Host, and plain HTTP on the TLS port a 400;
    none of them sends HSTS (it means nothing over plain HTTP) or reaches the app."""
    assert target.plain_url
    tls_port = urlsplit(target.url).port
    for host in ("127.0.0.1", tls.BROWSER_HOST):
        moved = requests.get(
            target.plain_url + "/products?x=1",
            headers={"Host": f"{host}:{urlsplit(target.plain_url).port}"},
            allow_redirects=False,
            timeout=5,
        )
        assert moved.status_code == 308, moved.text
        assert moved.headers["Location"] == f"https://{host}:{tls_port}/products?x=1"
        assert "Strict-Transport-Security" not in moved.headers
    followed = requests.get(target.plain_url + "/products", timeout=5, verify=target.verify)
    assert followed.status_code == 200 and followed.url.startswith("https://"), followed.url
    other = requests.get(
        target.plain_url + "/products", headers={"Host": "evil.example"}, timeout=5
    )
    assert_json_error(other, 400, "bad_request")
    on_tls_port = requests.get(f"http://{urlsplit(target.url).netloc}/products", timeout=5)
    assert_json_error(on_tls_port, 400, "bad_request")
