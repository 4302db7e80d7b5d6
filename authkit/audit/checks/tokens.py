"""B. JWT: forged, re-signed and swapped tokens, and refresh-token rotation.

These rows need a bearer variant (and, for forgeries with a valid signature, the key the
audit knows only for servers it started); the JWT-specific helpers live here because no
other concern forges tokens.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from authkit.audit.checks.base import (
    DIFFERS,
    FINDING,
    HELD,
    NA,
    TIMEOUT,
    Observation,
    bearer_only,
    check,
    held_if,
    is_envelope,
    logged_in,
    me_with,
    require,
)
from authkit.audit.hs256_by_hand import hs256_token, json_segment
from authkit.clients import BearerClient
from authkit.launcher import Target


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})


def _forged_refused(target: Target, tokens: dict[str, str]) -> Observation:
    """Each forged access token must get a 401 envelope on ``GET /me``."""
    accepted = [
        name for name, token in tokens.items() if not is_envelope(me_with(target, token), 401)
    ]
    return held_if(not accepted, f"accepted: {accepted}" if accepted else f"{len(tokens)} x 401")


def _resigned(target: Target, token: str, claims: dict[str, Any]) -> str:
    header, payload = _parts(token)
    payload.update(claims)
    for name in [k for k, v in claims.items() if v is None]:
        payload.pop(name)
    return jwt.encode(payload, target.jwt_key, algorithm="HS256", headers=header)


def _needs_key(target: Target) -> Observation | None:
    return bearer_only(target) or (
        None if target.jwt_key else Observation(NA, "needs the signing key (servers it starts)")
    )


def _accepted_token(target: Target) -> tuple[BearerClient, str]:
    """A logged-in client and its access token, which ``GET /me`` accepts: so a forgery's
    401 is about the forgery, not a server that refuses every token."""
    client: BearerClient = logged_in(target)  # type: ignore[assignment]
    token = client.access_token or ""
    status = me_with(target, token).status_code
    require(status == 200, f"the token the login issued got {status} on GET /me")
    return client, token


def _keyed_token(target: Target) -> str:
    """An accepted access token, after proving that the audit's key signs tokens the server
    accepts (the token re-signed unmodified): with a wrong key every forgery below would be
    a 401 for the wrong reason."""
    _, token = _accepted_token(target)
    status = me_with(target, _resigned(target, token, {})).status_code
    require(status == 200, f"key does not sign accepted tokens (re-signed token: {status})")
    return token


@check(
    "jwt-alg-none",
    "B. JWT",
    "alg none / None / NONE is refused",
    "RFC 8725 3.1-3.2; ASVS 5.0 9.1.2",
)
def jwt_alg_none(target: Target) -> Observation:
    if not_here := bearer_only(target):
        return not_here
    _, token = _accepted_token(target)
    header, payload = _parts(token)
    forged = {
        alg: f"{json_segment({**header, 'alg': alg})}.{json_segment(payload)}."
        for alg in ("none", "None", "NONE", "nOnE")
    }
    return _forged_refused(target, forged)


@check(
    "jwt-key-confusion",
    "B. JWT",
    "Algorithm confusion: RS256/ES256 with the attacker's key, HS256 keyed with a public key",
    "RFC 8725 2.1, 3.1; CVE-2022-29217",
)
def jwt_key_confusion(target: Target) -> Observation:
    if not_here := bearer_only(target):
        return not_here
    _, token = _accepted_token(target)
    header, payload = _parts(token)
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = attacker.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    forged = {
        "RS256 attacker key": jwt.encode(
            payload, attacker, algorithm="RS256", headers={**header, "alg": "RS256"}
        ),
        # PyJWT refuses to HMAC with a PEM key, as it should; done by hand, as an attacker.
        "HS256 keyed with a PEM": hs256_token(header, payload, public_pem),
    }
    return _forged_refused(target, forged)


@check(
    "jwt-embedded-jwk",
    "B. JWT",
    "An embedded key (jwk / x5c header) is not trusted",
    "RFC 8725 3.10; ASVS 5.0 9.1.3",
)
def jwt_embedded_jwk(target: Target) -> Observation:
    if not_here := bearer_only(target):
        return not_here
    _, token = _accepted_token(target)
    header, payload = _parts(token)
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
def jwt_remote_key(target: Target) -> Observation:
    if not_here := bearer_only(target):
        return not_here
    _, token = _accepted_token(target)
    header, payload = _parts(token)
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
def jwt_kid(target: Target) -> Observation:
    if not_here := bearer_only(target):
        return not_here
    _, token = _accepted_token(target)
    header, payload = _parts(token)
    forged = {
        kid: hs256_token({**header, "kid": kid}, payload, key)
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
def jwt_aud_iss(target: Target) -> Observation:
    if not_here := _needs_key(target):
        return not_here
    token = _keyed_token(target)
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
def jwt_expiry(target: Target) -> Observation:
    if not_here := _needs_key(target):
        return not_here
    token = _keyed_token(target)
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
def jwt_signed_tamper(target: Target) -> Observation:
    if not_here := _needs_key(target):
        return not_here
    token = _keyed_token(target)
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
def jwt_type_swap(target: Target) -> Observation:
    if not_here := bearer_only(target):
        return not_here
    client, _ = _accepted_token(target)
    as_access = me_with(target, client.refresh_token or "")
    as_refresh = requests.post(
        target.url + "/token/refresh",
        json={"refresh_token": client.access_token},
        timeout=TIMEOUT,
        verify=target.verify,
    )
    # Each token still works in its own place: the 401s were about the swap.
    refreshed = client.refresh()
    require(
        refreshed.status_code == 200, f"the refresh token's own refresh: {refreshed.status_code}"
    )
    ok = as_access.status_code == 401 and as_refresh.status_code == 401
    return held_if(
        ok, f"refresh as access {as_access.status_code}, access as refresh {as_refresh.status_code}"
    )


@check(
    "refresh-reuse",
    "B. JWT",
    "A rotated refresh token replayed: refused, family revoked",
    "RFC 9700 4.14.2; ASVS 5.0 10.4.5",
)
def refresh_reuse(target: Target) -> Observation:
    if not_here := bearer_only(target):
        return not_here
    client: BearerClient = logged_in(target)  # type: ignore[assignment]
    old = client.refresh_token
    first = client.refresh()
    require(first.status_code == 200, f"the first refresh answered {first.status_code}")
    require(client.refresh_token != old, "the first refresh returned the same refresh token")
    replay = requests.post(
        target.url + "/token/refresh",
        json={"refresh_token": old},
        timeout=TIMEOUT,
        verify=target.verify,
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
def refresh_parallel(target: Target) -> Observation:
    if not_here := bearer_only(target):
        return not_here
    client: BearerClient = logged_in(target)  # type: ignore[assignment]

    def refresh(_: int) -> int:
        return requests.post(
            target.url + "/token/refresh",
            json={"refresh_token": client.refresh_token},
            timeout=TIMEOUT,
            verify=target.verify,
        ).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(refresh, range(4)))
    wins = statuses.count(200)
    require(wins >= 1, f"none of 4 parallel refreshes succeeded: statuses {sorted(statuses)}")
    if wins == 1:
        return Observation(HELD, f"statuses {sorted(statuses)}")
    if target.declared.get("revocation") == "at_expiry":
        return Observation(DIFFERS, f"{wins} succeeded (declared revocation=at_expiry)")
    return Observation(FINDING, f"{wins} of 4 parallel refreshes succeeded")
