"""G. headers and errors: what every answer carries, and what the server's errors look like.

Includes the errors raised before the app sees a request (bad request line, 414), so it
talks raw sockets where the other rows use a client.
"""

from __future__ import annotations

import contextlib

import requests

from authkit import tls
from authkit.audit.checks.base import (
    FINDING,
    TIMEOUT,
    Observation,
    check,
    held_if,
    is_envelope,
    logged_in,
    require,
    status_codes,
)
from authkit.launcher import Target


def _raw_exchange(target: Target, data: bytes) -> bytes:
    with tls.connect(target.url, target.verify, timeout=TIMEOUT) as sock:
        sock.sendall(data)
        chunks = []
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    return b"".join(chunks)


@check(
    "security-headers",
    "G. headers",
    "nosniff, CSP default-src 'none', no-store when authenticated",
    "OWASP RESTCS (security headers); ASVS 5.0 3.4.3, 3.4.4, 14.3.2",
)
def security_headers(target: Target) -> Observation:
    client = logged_in(target)
    me = client.get("/me")
    public = client.get("/products")
    # The headers of real answers, not of error pages.
    require(
        me.status_code == public.status_code == 200, f"/me, /products: {status_codes(me, public)}"
    )
    problems = []
    for response in (me, public):
        if response.headers.get("X-Content-Type-Options") != "nosniff":
            problems.append(f"{response.url}: no nosniff")
        if "default-src 'none'" not in response.headers.get("Content-Security-Policy", ""):
            problems.append(f"{response.url}: no CSP")
    if "no-store" not in me.headers.get("Cache-Control", ""):
        problems.append("/me: cacheable")
    return held_if(not problems, "; ".join(problems) or "all present")


@check(
    "error-envelope-app",
    "G. headers",
    "Every app error is a JSON envelope (404, 405, 401, OPTIONS)",
    "OWASP RESTCS (error handling); ASVS 5.0 16.5.1",
)
def error_envelope_app(target: Target) -> Observation:
    url = target.url
    responses = [
        requests.get(url + "/no-such-thing", timeout=TIMEOUT, verify=target.verify),
        requests.put(url + "/me", timeout=TIMEOUT, verify=target.verify),
        requests.get(url + "/me", timeout=TIMEOUT, verify=target.verify),
        requests.options(url + "/me", timeout=TIMEOUT, verify=target.verify),
    ]
    ok = all(is_envelope(r, s) for r, s in zip(responses, (404, 405, 401, 405), strict=True))
    return held_if(ok, status_codes(*responses))


@check(
    "error-envelope-server",
    "G. headers",
    "The server's own errors (bad request line, 414, bad framing) are JSON envelopes",
    "OWASP RESTCS; ASVS 5.0 16.5.1",
)
def error_envelope_server(target: Target) -> Observation:
    problems = []
    for label, raw in (
        ("garbage", b"GARBAGE\r\n\r\n"),
        ("bad header", b"GET /products HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"),
        ("414", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
    ):
        head, _, body = _raw_exchange(target, raw).partition(b"\r\n\r\n")
        if (
            not head.startswith(b"HTTP/1.1 4")
            or b"application/json" not in head
            or b'"error"' not in body
        ):
            problems.append(f"{label}: {head[:40]!r}")
    return held_if(not problems, "; ".join(problems) or "all JSON")


@check(
    "no-stack-traces",
    "G. headers",
    "No stack trace or framework page on any probe",
    "ASVS 4.0.3 7.4.1; ASVS 5.0 13.4.2",
)
def no_stack_traces(target: Target) -> Observation:
    probes = [
        requests.post(
            target.url + "/login",
            data=b"\x00\xff" * 50,
            headers={"Content-Type": "application/json"},
            timeout=TIMEOUT,
            verify=target.verify,
        ),
        requests.get(target.url + "/cart/items/%00", timeout=TIMEOUT, verify=target.verify),
        requests.get(
            target.url + "/me",
            headers={"Authorization": "Bearer " + "a." * 500},
            timeout=TIMEOUT,
            verify=target.verify,
        ),
    ]
    leaks = [
        r.status_code
        for r in probes
        if "Traceback" in r.text or "<html" in r.text.lower() or r.status_code >= 500
    ]
    return held_if(not leaks, status_codes(*probes))


@check(
    "unknown-host",
    "G. headers",
    "A request for an unknown Host is refused (400)",
    "Django ALLOWED_HOSTS; OWASP host header injection",
)
def unknown_host(target: Target) -> Observation:
    known = requests.get(target.url + "/products", timeout=TIMEOUT, verify=target.verify)
    require(
        known.status_code == 200, f"GET /products with the server's own Host: {known.status_code}"
    )
    response = requests.get(
        target.url + "/products",
        headers={"Host": "evil.example"},
        timeout=TIMEOUT,
        verify=target.verify,
    )
    # Also where the app answers 405 for the method: the Host is judged first.
    login = requests.get(
        target.url + "/login",
        headers={"Host": "evil.example"},
        timeout=TIMEOUT,
        verify=target.verify,
    )
    ok = is_envelope(response, 400) and is_envelope(login, 400)
    return held_if(ok, f"{response.status_code}" if ok else status_codes(response, login))


@check(
    "health",
    "G. headers",
    "GET /health answers 200 JSON with its stores up",
    "ASVS 5.0 16.5.2 (graceful degradation)",
)
def health(target: Target) -> Observation:
    response = requests.get(target.url + "/health", timeout=TIMEOUT, verify=target.verify)
    if response.status_code == 503:
        # The audit's stores are up: a 503 says the server cannot reach them.
        return Observation(FINDING, "503: the server reports its store unreachable")
    return held_if(response.status_code == 200 and _is_json(response), f"{response.status_code}")


def _is_json(response: requests.Response) -> bool:
    return response.headers.get("Content-Type", "").startswith("application/json")
