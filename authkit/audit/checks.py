"""Every check of ``authkit audit``: one function per row, each returning an observation.

A check takes an :class:`AuditTarget` (a URL, an auth style, the variant's declarations and,
for servers the audit started, the JWT signing key) and does what an outside attacker would
do over real HTTP. It returns an :class:`Observation`:

* ``held``: the server did what the reference requires;
* ``declared difference``: it did not, and the variant declares exactly that (e.g.
  ``jwt-stateless`` accepts a token after logout until it expires: ``revocation=at_expiry``);
* ``finding``: it did not, and nothing declares it (``authkit audit`` then exits 1);
* ``n/a``: the row does not apply to this auth style, or needs what the audit lacks.

``tests/test_audit.py`` parametrizes over :data:`CHECKS` and the variants, so the pytest
suite and ``authkit audit`` run these very functions.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import secrets
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from authkit.audit.slow_clients import slow_client_probe
from authkit.clients import CLIENTS, ApiClient, BearerClient, SessionClient

HELD, FINDING, DIFFERS, NA = "held", "finding", "declared difference", "n/a"
TIMEOUT = 10
ITEM = {"product_id": "sku-001", "quantity": 1}


@dataclass
class Observation:
    outcome: str
    detail: str = ""


@dataclass
class AuditTarget:
    """A server to audit. ``declared`` is the variant's registry entry, or just the style."""

    name: str
    url: str
    style: str
    declared: dict[str, Any] = field(default_factory=dict)
    #: The HS256 key, when the audit started the server (forgeries with a valid signature).
    jwt_key: bytes | None = None
    #: First load user this audit may use (``userNNNN`` / ``pw-NNNN``).
    first_user: int = 600
    _users: Any = field(default=None, repr=False)

    def client(self) -> ApiClient:
        return CLIENTS[self.style](self.url)

    def fresh_user(self) -> tuple[str, str]:
        if self._users is None:
            self._users = itertools.count(self.first_user)
        number = next(self._users)
        return f"user{number:04d}", f"pw-{number:04d}"

    def logged_in(self) -> ApiClient:
        client = self.client()
        response = client.login(*self.fresh_user())
        if response.status_code != 200:
            raise AssertionError(f"login failed: {response.status_code} {response.text[:200]}")
        return client


@dataclass(frozen=True)
class Check:
    id: str
    group: str
    title: str
    reference: str
    run: Callable[[AuditTarget], Observation]


CHECKS: list[Check] = []


def check(id: str, group: str, title: str, reference: str) -> Callable:
    def register(func: Callable[[AuditTarget], Observation]) -> Callable:
        CHECKS.append(Check(id, group, title, reference, func))
        return func

    return register


# -- helpers ------------------------------------------------------------------------------


def _held_if(condition: bool, detail: str) -> Observation:
    return Observation(HELD if condition else FINDING, detail)


def _is_envelope(response: requests.Response, status: int | tuple[int, ...]) -> bool:
    statuses = (status,) if isinstance(status, int) else status
    if response.status_code not in statuses:
        return False
    if not response.headers.get("Content-Type", "").startswith("application/json"):
        return False
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    return isinstance(error.get("code"), str) and isinstance(error.get("message"), str)


def _statuses(*responses: requests.Response) -> str:
    return ", ".join(str(r.status_code) for r in responses)


def _session_only(target: AuditTarget) -> Observation | None:
    return None if target.style == "session" else Observation(NA, "bearer tokens: no cookie")


def _bearer_only(target: AuditTarget) -> Observation | None:
    return None if target.style == "bearer" else Observation(NA, "session cookie: no JWT")


def _set_cookie(response: requests.Response) -> dict[str, str]:
    header = response.headers.get("Set-Cookie", "")
    name_value, *attributes = [part.strip() for part in header.split(";")]
    attrs = {"__name__": name_value.partition("=")[0], "__value__": name_value.partition("=")[2]}
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        attrs[key.lower()] = value
    return attrs


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})


def _me_with(target: AuditTarget, token: str) -> requests.Response:
    return requests.get(
        target.url + "/me", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
    )


def _forged_refused(target: AuditTarget, tokens: dict[str, str]) -> Observation:
    """Each forged access token must get 401 on ``GET /me``."""
    accepted = [
        name for name, token in tokens.items() if _me_with(target, token).status_code != 401
    ]
    return _held_if(not accepted, f"accepted: {accepted}" if accepted else f"{len(tokens)} x 401")


def _resigned(target: AuditTarget, token: str, claims: dict[str, Any]) -> str:
    header, payload = _parts(token)
    payload.update(claims)
    for name in [k for k, v in claims.items() if v is None]:
        payload.pop(name)
    return jwt.encode(payload, target.jwt_key, algorithm="HS256", headers=header)


def _unknown_username() -> str:
    """A username no server has, new for each check (its throttle windows start empty)."""
    return "nobody-" + secrets.token_hex(6)


def _needs_key(target: AuditTarget) -> Observation | None:
    return _bearer_only(target) or (
        None if target.jwt_key else Observation(NA, "needs the signing key (servers it starts)")
    )


# -- A. sessions and credentials --------------------------------------------------------


@check(
    "session-id-entropy",
    "A. sessions",
    "Session IDs: random, >= 128 bits, never repeated",
    "ASVS 4.0.3 3.2.2; ASVS 5.0 7.2.3",
)
def session_id_entropy(target: AuditTarget) -> Observation:
    if not_here := _session_only(target):
        return not_here
    values = [
        _set_cookie(target.client().login(*target.fresh_user()))["__value__"] for _ in range(5)
    ]
    ok = len(set(values)) == 5 and all(len(v) >= 22 for v in values)
    return _held_if(ok, f"5 distinct IDs of {min(map(len, values))}+ URL-safe chars")


@check(
    "fixation",
    "A. sessions",
    "Session fixation: the ID changes at login, the old one is dead",
    "ASVS 4.0.3 3.2.1; ASVS 5.0 7.2.4; OWASP SMCS",
)
def fixation(target: AuditTarget) -> Observation:
    if not_here := _session_only(target):
        return not_here
    client: SessionClient = target.client()  # type: ignore[assignment]
    client.fetch_csrf()
    planted = client.credential()
    client.login(*target.fresh_user())
    attacker = client.replay(planted).get("/me")
    ok = client.credential()["cookies"] != planted["cookies"] and attacker.status_code == 401
    return _held_if(ok, f"pre-login ID after login: {attacker.status_code}")


@check(
    "unissued-id",
    "A. sessions",
    "A session ID the server never issued is not adopted",
    "OWASP SMCS (session ID generation); ASVS 5.0 7.2.4",
)
def unissued_id(target: AuditTarget) -> Observation:
    if not_here := _session_only(target):
        return not_here
    client: SessionClient = target.client()  # type: ignore[assignment]
    name = _set_cookie(client.login(*target.fresh_user()))["__name__"]
    planted = "attackerchosen" + "a" * 30
    fresh = target.client()
    fresh.http.cookies.set(name, planted)
    login = fresh.login(*target.fresh_user())
    me = requests.get(target.url + "/me", cookies={name: planted}, timeout=TIMEOUT)
    ok = login.cookies.get(name) not in (None, planted) and me.status_code == 401
    return _held_if(ok, f"planted ID after login: {me.status_code}")


@check(
    "cookie-httponly",
    "A. sessions",
    "Session cookie is HttpOnly",
    "ASVS 4.0.3 3.4.2; ASVS 5.0 3.3.4",
)
def cookie_httponly(target: AuditTarget) -> Observation:
    if not_here := _session_only(target):
        return not_here
    attrs = _set_cookie(target.client().login(*target.fresh_user()))
    return _held_if("httponly" in attrs, "HttpOnly" if "httponly" in attrs else "no HttpOnly")


@check(
    "cookie-samesite",
    "A. sessions",
    "Session cookie has SameSite=Lax or Strict",
    "ASVS 4.0.3 3.4.3; ASVS 5.0 3.3.2",
)
def cookie_samesite(target: AuditTarget) -> Observation:
    if not_here := _session_only(target):
        return not_here
    value = _set_cookie(target.client().login(*target.fresh_user())).get("samesite", "")
    return _held_if(value.lower() in {"lax", "strict"}, f"SameSite={value or 'absent'}")


@check(
    "cookie-scope",
    "A. sessions",
    "Session cookie: Path=/, host-only (no Domain)",
    "ASVS 4.0.3 3.4.4-3.4.5; ASVS 5.0 3.3.1 (__Host- prefix)",
)
def cookie_scope(target: AuditTarget) -> Observation:
    if not_here := _session_only(target):
        return not_here
    attrs = _set_cookie(target.client().login(*target.fresh_user()))
    ok = attrs.get("path") == "/" and "domain" not in attrs
    return _held_if(ok, f"Path={attrs.get('path')}, Domain={attrs.get('domain', 'none')}")


@check(
    "credential-in-url",
    "A. sessions",
    "A credential in the URL is ignored (401)",
    "ASVS 4.0.3 3.1.1; ASVS 5.0 14.2.1",
)
def credential_in_url(target: AuditTarget) -> Observation:
    client = target.logged_in()
    if isinstance(client, BearerClient):
        query = f"access_token={client.access_token}"
    else:
        name, value = client.session_cookie() or ("session", "")
        query = f"{name}={value}"
    response = requests.get(f"{target.url}/me?{query}", timeout=TIMEOUT)
    return _held_if(response.status_code == 401, f"GET /me?credential: {response.status_code}")


@check(
    "tampered-credential",
    "A. sessions",
    "A tampered or garbage credential is 401",
    "ASVS 5.0 7.2.1, 9.1.1; RFC 8725 3.3",
)
def tampered_credential(target: AuditTarget) -> Observation:
    client = target.logged_in()
    responses = []
    if isinstance(client, BearerClient):
        token = client.access_token or ""
        head, body, sig = token.split(".")
        for bad in (f"{head}.{body}.{sig[::-1]}", f"{head}.{body}.", "garbage", "a.b.c", ""):
            responses.append(_me_with(target, bad))
    else:
        name, value = client.session_cookie() or ("session", "")
        # A middle character: a signed cookie's last base64 character has spare bits, so
        # changing it may decode to the same bytes (not a tampering at all).
        mid = len(value) // 2
        flipped = value[:mid] + ("A" if value[mid : mid + 1] != "A" else "B") + value[mid + 1 :]
        for bad in (flipped, value[::-1], "x" * 64):
            responses.append(requests.get(target.url + "/me", cookies={name: bad}, timeout=TIMEOUT))
    return _held_if(all(_is_envelope(r, 401) for r in responses), _statuses(*responses))


@check(
    "logout-replay",
    "A. sessions",
    "The credential is dead right after logout",
    "ASVS 4.0.3 3.3.1; ASVS 5.0 7.4.1; OWASP JWTCS (denylist)",
)
def logout_replay(target: AuditTarget) -> Observation:
    client = target.logged_in()
    stolen = client.replay(client.credential())
    client.logout()
    status = stolen.get("/me").status_code
    if status == 401:
        return Observation(HELD, "401 after logout")
    if status == 200 and target.declared.get("revocation") == "at_expiry":
        return Observation(DIFFERS, "200 until exp (declared revocation=at_expiry)")
    return Observation(FINDING, f"{status} after logout")


@check(
    "logout-all-replay",
    "A. sessions",
    "Other devices are logged out by logout-all",
    "ASVS 4.0.3 3.3.3; ASVS 5.0 7.4.3",
)
def logout_all_replay(target: AuditTarget) -> Observation:
    username, password = target.fresh_user()
    laptop, phone = target.client(), target.client()
    laptop.login(username, password)
    phone.login(username, password)
    laptop.logout_all()
    status = phone.get("/me").status_code
    if status == 401:
        return Observation(HELD, "other device 401")
    if status == 200 and target.declared.get("logout_all") == "at_expiry":
        return Observation(DIFFERS, "200 until exp (declared logout_all=at_expiry)")
    return Observation(FINDING, f"other device {status}")


# -- B. JWT ---------------------------------------------------------------------------------


@check(
    "jwt-alg-none",
    "B. JWT",
    "alg none / None / NONE is refused",
    "RFC 8725 3.1-3.2; ASVS 5.0 9.1.2",
)
def jwt_alg_none(target: AuditTarget) -> Observation:
    if not_here := _bearer_only(target):
        return not_here
    client: BearerClient = target.logged_in()  # type: ignore[assignment]
    header, payload = _parts(client.access_token or "")
    forged = {
        alg: f"{_b64({**header, 'alg': alg})}.{_b64(payload)}."
        for alg in ("none", "None", "NONE", "nOnE")
    }
    return _forged_refused(target, forged)


@check(
    "jwt-key-confusion",
    "B. JWT",
    "Algorithm confusion: RS256/ES256 with the attacker's key, HS256 keyed with a public key",
    "RFC 8725 2.1, 3.1; CVE-2022-29217",
)
def jwt_key_confusion(target: AuditTarget) -> Observation:
    if not_here := _bearer_only(target):
        return not_here
    client: BearerClient = target.logged_in()  # type: ignore[assignment]
    header, payload = _parts(client.access_token or "")
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    from cryptography.hazmat.primitives import serialization

    public_pem = attacker.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    forged = {
        "RS256 attacker key": jwt.encode(
            payload, attacker, algorithm="RS256", headers={**header, "alg": "RS256"}
        ),
        # PyJWT refuses to HMAC with a PEM key, as it should; done by hand, as an attacker.
        "HS256 keyed with a PEM": _hs256_raw(header, payload, public_pem),
    }
    return _forged_refused(target, forged)


def _hs256_raw(header: dict[str, Any], payload: dict[str, Any], key: bytes) -> str:
    import hashlib
    import hmac

    signing_input = f"{_b64({**header, 'alg': 'HS256'})}.{_b64(payload)}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()


@check(
    "jwt-embedded-jwk",
    "B. JWT",
    "An embedded key (jwk / x5c header) is not trusted",
    "RFC 8725 3.10; ASVS 5.0 9.1.3",
)
def jwt_embedded_jwk(target: AuditTarget) -> Observation:
    if not_here := _bearer_only(target):
        return not_here
    client: BearerClient = target.logged_in()  # type: ignore[assignment]
    header, payload = _parts(client.access_token or "")
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(attacker.public_key()))
    forged = {
        "jwk": jwt.encode(
            payload, attacker, algorithm="RS256", headers={**header, "alg": "RS256", "jwk": jwk}
        ),
        "x5c": jwt.encode(
            payload,
            attacker,
            algorithm="RS256",
            headers={**header, "alg": "RS256", "x5c": ["MIIB"]},
        ),
    }
    return _forged_refused(target, forged)


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        _Recorder.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        pass


@check(
    "jwt-remote-key",
    "B. JWT",
    "jku / x5u headers: refused, and no request is made to them",
    "RFC 8725 3.10; ASVS 5.0 9.1.3 (SSRF)",
)
def jwt_remote_key(target: AuditTarget) -> Observation:
    if not_here := _bearer_only(target):
        return not_here
    client: BearerClient = target.logged_in()  # type: ignore[assignment]
    header, payload = _parts(client.access_token or "")
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    listener = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=listener.serve_forever, daemon=True)
    thread.start()
    _Recorder.hits = []
    try:
        where = f"http://127.0.0.1:{listener.server_address[1]}/jwks.json"
        forged = {
            name: jwt.encode(
                payload,
                attacker,
                algorithm="RS256",
                headers={**header, "alg": "RS256", name: where},
            )
            for name in ("jku", "x5u")
        }
        result = _forged_refused(target, forged)
        time.sleep(0.2)
    finally:
        listener.shutdown()
        listener.server_close()
    if _Recorder.hits:
        return Observation(FINDING, f"the server fetched {_Recorder.hits}")
    return Observation(result.outcome, result.detail + ", no outbound request")


@check(
    "jwt-kid",
    "B. JWT",
    "kid tricks (path traversal, SQL, empty key, unknown) are refused",
    "RFC 8725 3.10; OWASP JWTCS",
)
def jwt_kid(target: AuditTarget) -> Observation:
    if not_here := _bearer_only(target):
        return not_here
    client: BearerClient = target.logged_in()  # type: ignore[assignment]
    header, payload = _parts(client.access_token or "")
    forged = {
        kid: _hs256_raw({**header, "kid": kid}, payload, key)
        for kid, key in (
            ("../../../../dev/null", b""),
            ("' OR '1'='1", b"x"),
            ("", b""),
            ("unknown-kid", b"secret"),
            ("0", b"0"),
        )
    }
    return _forged_refused(target, forged)


@check(
    "jwt-aud-iss",
    "B. JWT",
    "Valid signature, wrong aud or iss: refused",
    "RFC 8725 3.8-3.9; ASVS 5.0 9.2.3",
)
def jwt_aud_iss(target: AuditTarget) -> Observation:
    if not_here := _needs_key(target):
        return not_here
    token = target.logged_in().access_token  # type: ignore[attr-defined]
    return _forged_refused(
        target,
        {
            "aud": _resigned(target, token, {"aud": "another-api"}),
            "iss": _resigned(target, token, {"iss": "https://evil.example"}),
            "no aud": _resigned(target, token, {"aud": None}),
        },
    )


@check(
    "jwt-expiry",
    "B. JWT",
    "Valid signature, expired / missing exp / nbf in the future: refused",
    "RFC 8725 3.8; RFC 7519 4.1.4-4.1.5; ASVS 5.0 9.2.1",
)
def jwt_expiry(target: AuditTarget) -> Observation:
    if not_here := _needs_key(target):
        return not_here
    token = target.logged_in().access_token  # type: ignore[attr-defined]
    now = int(time.time())
    return _forged_refused(
        target,
        {
            "expired": _resigned(target, token, {"exp": now - 60}),
            "no exp": _resigned(target, token, {"exp": None}),
            "nbf future": _resigned(target, token, {"nbf": now + 3600}),
        },
    )


@check(
    "jwt-explicit-typ",
    "B. JWT",
    "Valid signature but typ JWT instead of at+jwt: refused",
    "RFC 8725 3.11 (explicit typing); RFC 9068 2.1",
)
def jwt_signed_tamper(target: AuditTarget) -> Observation:
    if not_here := _needs_key(target):
        return not_here
    token = target.logged_in().access_token  # type: ignore[attr-defined]
    header, payload = _parts(token)
    typ_swapped = jwt.encode(
        payload, target.jwt_key, algorithm="HS256", headers={**header, "typ": "JWT"}
    )
    return _forged_refused(target, {"typ JWT": typ_swapped})


@check(
    "jwt-type-swap",
    "B. JWT",
    "Refresh token as access token, and access as refresh: refused",
    "RFC 8725 3.11-3.12; ASVS 5.0 9.2.2",
)
def jwt_type_swap(target: AuditTarget) -> Observation:
    if not_here := _bearer_only(target):
        return not_here
    client: BearerClient = target.logged_in()  # type: ignore[assignment]
    as_access = _me_with(target, client.refresh_token or "")
    as_refresh = requests.post(
        target.url + "/token/refresh", json={"refresh_token": client.access_token}, timeout=TIMEOUT
    )
    ok = as_access.status_code == 401 and as_refresh.status_code == 401
    return _held_if(
        ok, f"refresh as access {as_access.status_code}, access as refresh {as_refresh.status_code}"
    )


@check(
    "refresh-reuse",
    "B. JWT",
    "A rotated refresh token replayed: refused, family revoked",
    "RFC 9700 4.14.2; ASVS 5.0 10.4.5",
)
def refresh_reuse(target: AuditTarget) -> Observation:
    if not_here := _bearer_only(target):
        return not_here
    client: BearerClient = target.logged_in()  # type: ignore[assignment]
    old = client.refresh_token
    client.refresh()
    replay = requests.post(
        target.url + "/token/refresh", json={"refresh_token": old}, timeout=TIMEOUT
    )
    current = client.refresh()
    if replay.status_code == 401 and current.status_code == 401:
        return Observation(HELD, "replay 401, family revoked (new refresh 401)")
    if replay.status_code == 200 and target.declared.get("revocation") == "at_expiry":
        return Observation(DIFFERS, "replay accepted until exp (declared revocation=at_expiry)")
    return Observation(FINDING, f"replay {replay.status_code}, current {current.status_code}")


@check(
    "refresh-parallel",
    "B. JWT",
    "Two parallel refreshes with one token: at most one succeeds",
    "RFC 9700 4.14.2 (one-time use)",
)
def refresh_parallel(target: AuditTarget) -> Observation:
    if not_here := _bearer_only(target):
        return not_here
    client: BearerClient = target.logged_in()  # type: ignore[assignment]

    def refresh(_: int) -> int:
        return requests.post(
            target.url + "/token/refresh",
            json={"refresh_token": client.refresh_token},
            timeout=TIMEOUT,
        ).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(refresh, range(4)))
    wins = statuses.count(200)
    if wins <= 1:
        return Observation(HELD, f"statuses {sorted(statuses)}")
    if target.declared.get("revocation") == "at_expiry":
        return Observation(DIFFERS, f"{wins} succeeded (declared revocation=at_expiry)")
    return Observation(FINDING, f"{wins} of 4 parallel refreshes succeeded")


# -- C. CSRF --------------------------------------------------------------------------------


def _csrf_attempt(target: AuditTarget, token: str | None) -> tuple[Observation | None, int]:
    client = target.logged_in()
    headers = {} if token is None else {"X-CSRF-Token": token}
    if isinstance(client, SessionClient):
        client.csrf_token = None
    status = client.post("/cart/items", json=ITEM, headers=headers).status_code
    items = client.get("/cart").json().get("items", [])
    if items:
        return Observation(FINDING, f"{status} and the item was added"), status
    return None, status


def _csrf_row(target: AuditTarget, token_for: Callable[[AuditTarget], str | None]) -> Observation:
    bad, status = _csrf_attempt(target, token_for(target))
    if bad:
        if target.declared.get("csrf") == "not_needed" and target.style == "bearer":
            return Observation(DIFFERS, "bearer header is the credential: nothing ambient")
        return bad
    return _held_if(status == 403, f"{status}")


@check(
    "csrf-missing",
    "C. CSRF",
    "Cookie-authenticated write without a CSRF token: 403",
    "OWASP CSRFCS (synchronizer token); ASVS 4.0.3 13.2.3; ASVS 5.0 3.5.1",
)
def csrf_missing(target: AuditTarget) -> Observation:
    if not_here := _session_only(target):
        return not_here
    return _csrf_row(target, lambda _t: None)


@check(
    "csrf-wrong", "C. CSRF", "Write with a wrong CSRF token: 403", "OWASP CSRFCS; ASVS 5.0 3.5.1"
)
def csrf_wrong(target: AuditTarget) -> Observation:
    if not_here := _session_only(target):
        return not_here
    return _csrf_row(target, lambda _t: "wrong-token-0123456789abcdef")


@check(
    "csrf-other-session",
    "C. CSRF",
    "Write with another session's CSRF token: 403",
    "OWASP CSRFCS (token bound to the session)",
)
def csrf_other_session(target: AuditTarget) -> Observation:
    if not_here := _session_only(target):
        return not_here
    return _csrf_row(target, lambda t: t.logged_in().csrf_token)  # type: ignore[attr-defined]


@check(
    "csrf-simple-content-types",
    "C. CSRF",
    "text/plain, form and multipart writes: 415",
    "OWASP CSRFCS (simple requests); ASVS 5.0 3.5.2",
)
def csrf_simple_content_types(target: AuditTarget) -> Observation:
    client = target.logged_in()
    responses = [
        client.post("/cart/items", data=json.dumps(ITEM), headers={"Content-Type": "text/plain"}),
        client.post("/cart/items", data={"product_id": "sku-001", "quantity": "1"}),
        client.post("/cart/items", files={"product_id": (None, "sku-001")}),
    ]
    added = client.get("/cart").json().get("items", [])
    ok = all(_is_envelope(r, 415) for r in responses) and not added
    return _held_if(ok, _statuses(*responses))


@check(
    "csrf-fetch-metadata",
    "C. CSRF",
    "Sec-Fetch-Site: cross-site write refused (login too)",
    "OWASP CSRFCS (Fetch Metadata); ASVS 5.0 3.5.3",
)
def csrf_fetch_metadata(target: AuditTarget) -> Observation:
    client = target.logged_in()
    cross = {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
    write = client.post("/cart/items", json=ITEM, headers=cross)
    login = requests.post(
        target.url + "/login",
        json=dict(zip(("username", "password"), target.fresh_user(), strict=True)),
        headers=cross,
        timeout=TIMEOUT,
    )
    if write.status_code == 403 and login.status_code == 403:
        return Observation(HELD, "write 403, login 403")
    if target.style == "bearer" and target.declared.get("csrf") == "not_needed":
        return Observation(
            DIFFERS,
            f"write {write.status_code}, login {login.status_code}: no ambient credential to ride",
        )
    return Observation(FINDING, f"write {write.status_code}, login {login.status_code}")


@check(
    "cross-site-form",
    "C. CSRF",
    "Forged cross-site form with the ambient cookie changes nothing",
    "OWASP CSRFCS; ASVS 4.0.3 13.2.3",
)
def cross_site_form(target: AuditTarget) -> Observation:
    client = target.logged_in()
    response = requests.post(
        target.url + "/cart/items",
        data=json.dumps(ITEM),
        cookies=client.http.cookies.get_dict(),
        headers={"Content-Type": "text/plain"},
        timeout=TIMEOUT,
    )
    added = client.get("/cart").json().get("items", [])
    return _held_if(
        not added and response.status_code in (401, 403, 415), f"{response.status_code}"
    )


@check(
    "get-does-not-change-state",
    "C. CSRF",
    "State-changing endpoints refuse GET: 405 + Allow",
    "OWASP CSRFCS; RFC 9110 9.2.1 (safe methods)",
)
def get_does_not_change_state(target: AuditTarget) -> Observation:
    client = target.logged_in()
    responses = [client.get(path) for path in ("/logout", "/logout-all", "/cart/items")]
    ok = all(_is_envelope(r, 405) and "Allow" in r.headers for r in responses)
    return _held_if(ok and client.get("/me").status_code == 200, _statuses(*responses))


# -- D. login -------------------------------------------------------------------------------


@check(
    "enumeration-body",
    "D. login",
    "Unknown user and wrong password: same status, body, headers",
    "OWASP AuthCS (generic errors); ASVS 5.0 6.3.8",
)
def enumeration_body(target: AuditTarget) -> Observation:
    user, _ = target.fresh_user()
    wrong = target.client().login(user, "not-the-password")
    unknown = target.client().login(_unknown_username(), "not-the-password")
    same = (
        wrong.status_code == unknown.status_code == 401
        and wrong.json() == unknown.json()
        and set(wrong.headers) - {"Date"} == set(unknown.headers) - {"Date"}
    )
    return _held_if(same, f"{wrong.status_code} / {unknown.status_code}")


@check(
    "enumeration-timing",
    "D. login",
    "Unknown user costs a password hash too (timing)",
    "OWASP AuthCS (response time); ASVS 5.0 6.3.8",
)
def enumeration_timing(target: AuditTarget) -> Observation:
    user, _ = target.fresh_user()
    nobody = _unknown_username()
    times: dict[str, list[float]] = {user: [], nobody: []}
    statuses = []
    for _ in range(4):  # interleaved; 4 failures stay under the per-account limit (5/min)
        for name, samples in times.items():
            started = time.perf_counter()
            response = requests.post(
                target.url + "/login", json={"username": name, "password": "x"}, timeout=TIMEOUT
            )
            samples.append(time.perf_counter() - started)
            statuses.append(response.status_code)
    if set(statuses) != {401}:  # a throttled answer would time the limiter, not the login
        return Observation(FINDING, f"could not time the login: statuses {sorted(set(statuses))}")
    # The fastest of each: the work the server must do, without the other tenants' noise
    # (load only ever adds time); a real difference (a skipped hash) shows in the floor.
    ratio = min(times[nobody]) / min(times[user])
    return _held_if(1 / 3 < ratio < 3, f"unknown/wrong time ratio {ratio:.2f}")


@check(
    "throttle-brute-force",
    "D. login",
    "Brute force of one account: 429 + Retry-After",
    "ASVS 4.0.3 2.2.1; ASVS 5.0 6.1.1, 6.3.1; OWASP AuthCS",
)
def throttle_brute_force(target: AuditTarget) -> Observation:
    user, password = target.fresh_user()
    for attempt in range(1, 61):
        response = target.client().login(user, f"guess-{attempt}")
        if response.status_code == 429:
            right = target.client().login(user, password)
            same = right.status_code == 429 and right.json() == response.json()
            retry = response.headers.get("Retry-After", "")
            ok = _is_envelope(response, 429) and retry.isdigit() and same
            return _held_if(
                ok,
                f"429 at attempt {attempt}, Retry-After {retry}, "
                f"right password {right.status_code}",
            )
    return Observation(FINDING, "60 wrong passwords, never a 429")


@check(
    "login-bad-bodies",
    "D. login",
    "Login: text/plain 415, bad JSON 400, missing fields 422",
    "OWASP RESTCS (input validation); ASVS 5.0 3.5.2",
)
def login_bad_bodies(target: AuditTarget) -> Observation:
    url = target.url + "/login"
    plain = requests.post(url, data="{}", headers={"Content-Type": "text/plain"}, timeout=TIMEOUT)
    broken = requests.post(
        url, data="{", headers={"Content-Type": "application/json"}, timeout=TIMEOUT
    )
    missing = requests.post(url, json={"username": "alice"}, timeout=TIMEOUT)
    ok = _is_envelope(plain, 415) and _is_envelope(broken, 400) and _is_envelope(missing, 422)
    return _held_if(ok, _statuses(plain, broken, missing))


# -- F. bad input ---------------------------------------------------------------------------


def _raw_exchange(target: AuditTarget, data: bytes) -> bytes:
    parts = urlsplit(target.url)
    with socket.create_connection((parts.hostname, parts.port or 80), timeout=TIMEOUT) as sock:
        sock.sendall(data)
        chunks = []
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    return b"".join(chunks)


@check(
    "body-limit-declared",
    "F. bad input",
    "Body over 16 KiB (Content-Length): 413, not applied",
    "OWASP RESTCS; ASVS 5.0 4.2.1",
)
def body_limit_declared(target: AuditTarget) -> Observation:
    client = target.logged_in()
    big = json.dumps({**ITEM, "pad": "x" * 20000})
    response = client.post("/cart/items", data=big, headers={"Content-Type": "application/json"})
    added = client.get("/cart").json().get("items", [])
    return _held_if(_is_envelope(response, 413) and not added, f"{response.status_code}")


@check(
    "body-limit-chunked",
    "F. bad input",
    "Chunked body over 16 KiB: 413, never truncated",
    "RFC 9112 7.1; OWASP RESTCS",
)
def body_limit_chunked(target: AuditTarget) -> Observation:
    client = target.logged_in()
    body = json.dumps(ITEM).encode() + b" " * (1024 * 1024)

    def chunks() -> Any:
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    response = client.post(
        "/cart/items", data=chunks(), headers={"Content-Type": "application/json"}
    )
    added = client.get("/cart").json().get("items", [])
    return _held_if(_is_envelope(response, 413) and not added, f"{response.status_code}")


@check(
    "malformed-json",
    "F. bad input",
    "Malformed JSON, NaN, duplicate keys: 400, no echo",
    "OWASP RESTCS; RFC 8259 4 (duplicate names)",
)
def malformed_json(target: AuditTarget) -> Observation:
    client = target.logged_in()
    bodies = [
        b"{",
        b'{"quantity": NaN}',
        b'{"product_id":"sku-001","quantity":1,"quantity":-5}',
        b"\xff\xfe",
        b"[]",
        b'"x"',
        b"{'secret-echo': 1}",
    ]
    responses = [
        client.post("/cart/items", data=b, headers={"Content-Type": "application/json"})
        for b in bodies
    ]
    echo = any("secret-echo" in r.text or "Expecting" in r.text for r in responses)
    ok = all(_is_envelope(r, 400) for r in responses) and not echo
    return _held_if(ok, _statuses(*responses) + (", echoes input" if echo else ""))


@check(
    "wrong-content-type",
    "F. bad input",
    "JSON sent as another media type: 415",
    "OWASP RESTCS (Content-Type validation)",
)
def wrong_content_type(target: AuditTarget) -> Observation:
    client = target.logged_in()
    responses = [
        client.post("/cart/items", data=json.dumps(ITEM), headers={"Content-Type": ct})
        for ct in ("application/xml", "application/json-patch+json", "")
    ]
    return _held_if(all(_is_envelope(r, 415) for r in responses), _statuses(*responses))


@check(
    "quantity-types",
    "F. bad input",
    'quantity "2", 2.5, true, null, [], 1e400, 10**5000: refused, never applied',
    "OWASP RESTCS; ASVS 5.0 1.2",
)
def quantity_types(target: AuditTarget) -> Observation:
    client = target.logged_in()
    raws = ['"2"', "2.5", "true", "null", "[]", "1e400", "1" + "0" * 5000, "0", "-1", "100"]
    responses = [
        client.post(
            "/cart/items",
            data=f'{{"product_id":"sku-001","quantity":{q}}}',
            headers={"Content-Type": "application/json"},
        )
        for q in raws
    ]
    added = client.get("/cart").json().get("items", [])
    ok = (
        all(r.status_code in (400, 413, 422) and _is_envelope(r, r.status_code) for r in responses)
        and not added
    )
    return _held_if(ok, _statuses(*responses))


@check(
    "extra-fields",
    "F. bad input",
    "Extra fields (price, user_id) never applied",
    "OWASP RESTCS (mass assignment); ASVS 5.0 15.3.3",
)
def extra_fields(target: AuditTarget) -> Observation:
    client = target.logged_in()
    response = client.post("/cart/items", json={**ITEM, "price_cents": 1, "user_id": "alice"})
    if response.status_code == 200:
        line = response.json()["items"][0]
        ok = line.get("price_cents", 0) != 1 and line.get("unit_price_cents", 0) != 1
        return _held_if(ok, "200, extra fields ignored" if ok else "price applied")
    return _held_if(response.status_code in (400, 422), f"{response.status_code}")


@check("unknown-product", "F. bad input", "Unknown product: 404/422 envelope", "OWASP RESTCS")
def unknown_product(target: AuditTarget) -> Observation:
    client = target.logged_in()
    response = client.post("/cart/items", json={"product_id": "sku-999", "quantity": 1})
    return _held_if(_is_envelope(response, (404, 422)), f"{response.status_code}")


@check(
    "oversized-header",
    "F. bad input",
    "16 KB header or cookie: 4xx envelope, never 5xx",
    "RFC 6585 5; OWASP RESTCS",
)
def oversized_header(target: AuditTarget) -> Observation:
    header = requests.get(target.url + "/products", headers={"X-Big": "b" * 16000}, timeout=TIMEOUT)
    cookie = requests.get(
        target.url + "/me", headers={"Cookie": "c=" + "d" * 16000}, timeout=TIMEOUT
    )
    ok = all(
        400 <= r.status_code < 500 and _is_envelope(r, r.status_code) for r in (header, cookie)
    )
    return _held_if(ok, _statuses(header, cookie))


@check(
    "slow-clients",
    "F. bad input",
    "50 slow clients (slowloris) delay others by under 1 s",
    "gunicorn deployment docs (buffering proxy); ASVS 5.0 13.1.3 (resource limits)",
)
def slow_clients(target: AuditTarget) -> Observation:
    result = slow_client_probe(target.url, connections=50, probes=5, probe_timeout=3.0)
    ok = result.answered == result.probes and result.max_latency < 1.0
    return _held_if(
        ok, f"{result.answered}/{result.probes} answered, max {result.max_latency * 1000:.0f} ms"
    )


# -- G. headers and errors ------------------------------------------------------------------


@check(
    "security-headers",
    "G. headers",
    "nosniff, CSP default-src 'none', no-store when authenticated",
    "OWASP RESTCS (security headers); ASVS 5.0 3.4.3, 3.4.4, 14.3.2",
)
def security_headers(target: AuditTarget) -> Observation:
    client = target.logged_in()
    me = client.get("/me")
    public = client.get("/products")
    problems = []
    for response in (me, public):
        if response.headers.get("X-Content-Type-Options") != "nosniff":
            problems.append(f"{response.url}: no nosniff")
        if "default-src 'none'" not in response.headers.get("Content-Security-Policy", ""):
            problems.append(f"{response.url}: no CSP")
    if "no-store" not in me.headers.get("Cache-Control", ""):
        problems.append("/me: cacheable")
    return _held_if(not problems, "; ".join(problems) or "all present")


@check(
    "error-envelope-app",
    "G. headers",
    "Every app error is a JSON envelope (404, 405, 401, OPTIONS)",
    "OWASP RESTCS (error handling); ASVS 5.0 16.5.1",
)
def error_envelope_app(target: AuditTarget) -> Observation:
    url = target.url
    responses = [
        requests.get(url + "/no-such-thing", timeout=TIMEOUT),
        requests.put(url + "/me", timeout=TIMEOUT),
        requests.get(url + "/me", timeout=TIMEOUT),
        requests.options(url + "/me", timeout=TIMEOUT),
    ]
    ok = all(_is_envelope(r, s) for r, s in zip(responses, (404, 405, 401, 405), strict=True))
    return _held_if(ok, _statuses(*responses))


@check(
    "error-envelope-server",
    "G. headers",
    "The server's own errors (bad request line, 414, bad framing) are JSON envelopes",
    "OWASP RESTCS; ASVS 5.0 16.5.1",
)
def error_envelope_server(target: AuditTarget) -> Observation:
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
    return _held_if(not problems, "; ".join(problems) or "all JSON")


@check(
    "no-stack-traces",
    "G. headers",
    "No stack trace or framework page on any probe",
    "ASVS 4.0.3 7.4.1; ASVS 5.0 13.4.2",
)
def no_stack_traces(target: AuditTarget) -> Observation:
    probes = [
        requests.post(
            target.url + "/login",
            data=b"\x00\xff" * 50,
            headers={"Content-Type": "application/json"},
            timeout=TIMEOUT,
        ),
        requests.get(target.url + "/cart/items/%00", timeout=TIMEOUT),
        requests.get(
            target.url + "/me", headers={"Authorization": "Bearer " + "a." * 500}, timeout=TIMEOUT
        ),
    ]
    leaks = [
        r.status_code
        for r in probes
        if "Traceback" in r.text or "<html" in r.text.lower() or r.status_code >= 500
    ]
    return _held_if(not leaks, _statuses(*probes))


@check(
    "unknown-host",
    "G. headers",
    "A request for an unknown Host is refused (400)",
    "Django ALLOWED_HOSTS; OWASP host header injection",
)
def unknown_host(target: AuditTarget) -> Observation:
    response = requests.get(
        target.url + "/products", headers={"Host": "evil.example"}, timeout=TIMEOUT
    )
    return _held_if(_is_envelope(response, 400), f"{response.status_code}")


@check(
    "health",
    "G. headers",
    "GET /health answers JSON with its store state (200 or 503)",
    "ASVS 5.0 16.5.2 (graceful degradation)",
)
def health(target: AuditTarget) -> Observation:
    response = requests.get(target.url + "/health", timeout=TIMEOUT)
    return _held_if(
        response.status_code in (200, 503) and _is_json(response), f"{response.status_code}"
    )


def _is_json(response: requests.Response) -> bool:
    return response.headers.get("Content-Type", "").startswith("application/json")


def run_check(check_: Check, target: AuditTarget) -> Observation:
    """Run one check; an exception is a finding (with its message), never a crash."""
    try:
        return check_.run(target)
    except Exception as exc:  # a check that cannot complete is reported, not raised
        return Observation(FINDING, f"check failed: {type(exc).__name__}: {exc}"[:300])
