"""H. transport: what keeps the credential off plain HTTP once a server speaks HTTPS.

A session cookie or a bearer token read off an unencrypted hop is as good as a login, so
over TLS three things must hold: plain HTTP is refused or redirected (never answered by
the app), every answer over TLS says ``Strict-Transport-Security`` (the browser then never
tries plain HTTP for the host again), and every session cookie is ``Secure`` under the
``__Host-`` prefix (the browser never sends it over plain HTTP, and no other host or path
can set one of that name). A server the audit talks to over plain HTTP has none of this to
check: those rows say so (``authkit audit --tls`` serves the variants over HTTPS).
"""

from __future__ import annotations

import re
from http.cookies import CookieError
from urllib.parse import urlsplit

import requests

from authkit.audit.checks.base import (
    NA,
    TIMEOUT,
    Observation,
    check,
    held_if,
    logged_in,
    parse_set_cookie,
    require,
    require_login,
    session_only,
    set_cookie_headers,
)
from authkit.launcher import Target
from authkit.services import bracketed
from authkit.tls import HSTS_MAX_AGE_SECONDS

PLAIN_HTTP = "served over plain HTTP: no TLS to keep the session cookie or bearer token on"


def _tls_only(target: Target) -> Observation | None:
    return None if target.tls else Observation(NA, PLAIN_HTTP)


def _plain_faces(target: Target) -> list[str]:
    """Where plain HTTP reaches the server: its plain-HTTP port (if known) and the TLS port."""
    parts = urlsplit(target.url)
    tls_port = f"http://{bracketed(parts.hostname or '')}:{parts.port or 443}"
    return [target.plain_url, tls_port] if target.plain_url else [tls_port]


def _over_plain(url: str, method: str, path: str, **kwargs: object) -> str | None:
    """What plain HTTP got: None when refused or redirected to https, else what it was."""
    try:
        response = requests.request(
            method, url + path, allow_redirects=False, timeout=TIMEOUT, **kwargs
        )
    except requests.ConnectionError:
        return None  # nothing listens: refused
    location = response.headers.get("Location", "")
    if 300 <= response.status_code < 400:
        return None if location.startswith("https://") else f"{response.status_code} to {location}"
    if 400 <= response.status_code < 500 and "Set-Cookie" not in response.headers:
        return None
    return f"{method} {path}: {response.status_code} over plain HTTP"


@check(
    "plain-http-refused",
    "H. transport",
    "Plain HTTP is refused or redirected to https, never answered",
    "ASVS 4.0.3 9.1.1; ASVS 5.0 12.2.1; RFC 6797 7.2",
)
def plain_http_refused(target: Target) -> Observation:
    if not_here := _tls_only(target):
        return not_here
    username, password = target.fresh_user()
    over_tls = target.client()
    require(over_tls.get("/products").status_code == 200, "GET /products over https failed")
    answered = []
    for face in _plain_faces(target):
        for method, path, body in (
            ("GET", "/products", None),
            ("POST", "/login", {"username": username, "password": password}),
        ):
            got = _over_plain(face, method, path, json=body)
            if got:
                answered.append(f"{face}: {got}")
    # The account the plain login tried still logs in over https: the refusals above were
    # of plain HTTP, not of the user.
    require_login(over_tls.login(username, password))
    faces = ", ".join(_plain_faces(target))
    return held_if(not answered, "; ".join(answered) or f"refused or redirected on {faces}")


def _max_age(value: str) -> int | None:
    match = re.search(r"(?:^|;)\s*max-age\s*=\s*\"?(\d+)\"?\s*(?:;|$)", value, re.IGNORECASE)
    return int(match.group(1)) if match else None


@check(
    "hsts",
    "H. transport",
    f"HSTS on every answer over TLS, one header, max-age >= {HSTS_MAX_AGE_SECONDS}",
    "ASVS 4.0.3 14.4.5; ASVS 5.0 3.4.1; RFC 6797 6.1, 8.1",
)
def hsts(target: Target) -> Observation:
    if not_here := _tls_only(target):
        return not_here
    client = logged_in(target)
    answers = {
        "login": client.login_response,
        "/me": client.get("/me"),
        "/products": client.get("/products"),
        "404": client.get("/no-such-thing"),
        "401": requests.get(target.url + "/me", timeout=TIMEOUT, verify=target.verify),
    }
    require(answers["/me"].status_code == 200, f"GET /me: {answers['/me'].status_code}")
    problems = []
    for label, response in answers.items():
        assert response is not None
        # A browser heeds only the first header (RFC 6797 8.1): two are a mistake even
        # when one of them is right.
        values = response.raw.headers.getlist("Strict-Transport-Security")
        if len(values) != 1:
            problems.append(f"{label}: {len(values)} headers {values}")
            continue
        age = _max_age(values[0])
        if age is None or age < HSTS_MAX_AGE_SECONDS:
            problems.append(f"{label}: {values[0]!r}")
    return held_if(not problems, "; ".join(problems) or f"max-age >= {HSTS_MAX_AGE_SECONDS}")


def _cookie_problems(label: str, response: requests.Response) -> tuple[int, list[str]]:
    """(cookies set, what is wrong with each): ``Secure``, ``__Host-``, Path=/, no Domain."""
    headers = set_cookie_headers(response)
    problems = []
    for header in headers:
        try:
            name, morsel = parse_set_cookie(header)
        except (CookieError, ValueError):
            problems.append(f"{label}: unparsable {header[:60]!r}")
            continue
        wrong = [
            what
            for what, ok in (
                ("no __Host- prefix", name.startswith("__Host-")),
                ("no Secure", bool(morsel["secure"])),
                ("Path is not /", morsel["path"] == "/"),
                ("a Domain", not morsel["domain"]),
            )
            if not ok
        ]
        if wrong:
            problems.append(f"{label} {name}: {', '.join(wrong)}")
    return len(headers), problems


@check(
    "cookie-secure-host",
    "H. transport",
    "Every session cookie over TLS: Secure, __Host- prefix (Path=/, no Domain)",
    "ASVS 4.0.3 3.4.1, 3.4.4; ASVS 5.0 3.3.1; RFC 6265bis 4.1.3.2",
)
def cookie_secure_host(target: Target) -> Observation:
    if not_here := session_only(target) or _tls_only(target):
        return not_here
    anonymous = target.client()
    csrf = anonymous.get("/csrf")
    require(csrf.status_code == 200, f"GET /csrf: {csrf.status_code}")
    client = logged_in(target)
    logout = client.logout()
    require(logout.status_code == 204, f"logout: {logout.status_code}")
    counted, problems = 0, []
    for label, response in (("csrf", csrf), ("login", client.login_response), ("logout", logout)):
        assert response is not None
        count, wrong = _cookie_problems(label, response)
        counted += count
        problems += wrong
        if label == "login":
            require(count > 0, "the login set no cookie")
    return held_if(not problems, "; ".join(problems) or f"{counted} cookies, all Secure __Host-")
