"""The JWT variants over real HTTP: both modes, their declared differences, forged tokens.

One private Redis and one gunicorn server per mode for the whole module. Test tokens are
forged with PyJWT and the ``SECRET_KEY`` the servers run with, so every refusal below is
the server's own judgement of a token it could otherwise have accepted (``test_forged_
baseline_is_accepted`` proves the forging itself is right).
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Iterator
from typing import Any, NamedTuple

import jwt
import pytest
import redis
import requests

from authkit.launcher import Launcher, Target
from authkit.server import Stores
from authkit.variants import get_variant
from jwt_api.keys import hmac_key

SECRET = "test-secret-" + "k" * 40
KID = hmac_key(SECRET).kid
MODES = ["jwt-stateless", "jwt-denylist"]
TIMEOUT = 10
SERVER_ENV = {
    "SEED_LOAD_USERS": "5",
    "SECRET_KEY": SECRET,
    "ACCESS_TTL_SECONDS": "60",
    "REFRESH_TTL_SECONDS": "600",
}
PASSWORDS = {"alice": "alice-pass-123", "bob": "bob-pass-123"} | {
    f"user{i:04d}": f"pw-{i:04d}" for i in range(5)
}


# -- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stores() -> Iterator[Stores]:
    with Launcher() as launcher:
        yield launcher.shared_stores(redis=True)


@pytest.fixture(scope="module")
def servers(stores: Stores) -> Iterator[dict[str, Target]]:
    # Both on one Redis database: the store fixture reads what either server keeps.
    launcher = Launcher(env=SERVER_ENV)
    with (
        launcher.dedicated("jwt-stateless", stores=stores) as stateless,
        launcher.dedicated("jwt-denylist", stores=stores) as denylist,
    ):
        yield {"jwt-stateless": stateless, "jwt-denylist": denylist}


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def url(servers: dict[str, Target], mode: str) -> str:
    return servers[mode].url


@pytest.fixture(scope="module")
def store(stores: Stores) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(stores.redis_url)
    yield client
    client.close()


# -- helpers --------------------------------------------------------------------------


def login(url: str, username: str = "alice") -> dict[str, Any]:
    response = requests.post(
        url + "/login",
        json={"username": username, "password": PASSWORDS[username]},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def me(url: str, token: str) -> requests.Response:
    return requests.get(url + "/me", headers=bearer(token), timeout=TIMEOUT)


def refresh(url: str, token: str) -> requests.Response:
    return requests.post(url + "/token/refresh", json={"refresh_token": token}, timeout=TIMEOUT)


def assert_error(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == code
    assert "Traceback" not in response.text


def claims(kind: str = "access", username: str = "user0004", **changes: Any) -> dict:
    now = int(time.time())
    base = {
        "iss": "authkit",
        "aud": "authkit-api",
        "sub": username,
        "iat": now,
        "nbf": now,
        "exp": now + 60,
        "jti": secrets.token_urlsafe(16),
        "token_type": kind,
        "fid": secrets.token_urlsafe(16),
        "gen": 0,
        "auth_time": now,
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def forge(payload: dict, key: Any = SECRET, algorithm: str = "HS256", **headers: Any) -> str:
    typ = "at+jwt" if payload.get("token_type") != "refresh" else "rt+jwt"
    header = {"kid": KID, "typ": typ, **headers}
    return jwt.encode(payload, key, algorithm=algorithm, headers=header)


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def unsigned(payload: dict, alg: str) -> str:
    """An ``alg: none`` style token, built by hand (PyJWT only writes lower-case none)."""
    return f"{b64({'alg': alg, 'typ': 'at+jwt', 'kid': KID})}.{b64(payload)}."


# -- the happy path -------------------------------------------------------------------


def test_login_returns_a_bearer_pair(url: str) -> None:
    body = login(url, "alice")
    assert body["username"] == "alice"
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 60
    access = jwt.decode(body["access_token"], SECRET, algorithms=["HS256"], audience="authkit-api")
    refresh_claims = jwt.decode(
        body["refresh_token"], SECRET, algorithms=["HS256"], audience="authkit-api"
    )
    assert access["token_type"] == "access"
    assert refresh_claims["token_type"] == "refresh"
    assert access["fid"] == refresh_claims["fid"]
    assert access["jti"] != refresh_claims["jti"]
    assert jwt.get_unverified_header(body["access_token"])["kid"] == KID


# -- logout, logout-all, refresh: where the modes differ --------------------------------


def test_logout_needs_a_valid_token(url: str) -> None:
    assert_error(requests.post(url + "/logout", timeout=TIMEOUT), 401, "unauthenticated")
    assert_error(requests.post(url + "/logout-all", timeout=TIMEOUT), 401, "unauthenticated")


def test_logout_all_then_a_new_login_in_the_same_second(url: str, mode: str) -> None:
    other_device = login(url, "user0001")
    this_device = login(url, "user0001")
    response = requests.post(
        url + "/logout-all", headers=bearer(this_device["access_token"]), timeout=TIMEOUT
    )
    assert response.status_code == 204
    fresh = login(url, "user0001")  # issued right after, very likely in the same second
    assert me(url, fresh["access_token"]).status_code == 200
    assert refresh(url, fresh["refresh_token"]).status_code == 200
    for old in (other_device, this_device):
        if mode == "jwt-stateless":  # declared logout_all: at_expiry
            assert me(url, old["access_token"]).status_code == 200
        else:
            assert_error(me(url, old["access_token"]), 401, "unauthenticated")
            assert_error(refresh(url, old["refresh_token"]), 401, "unauthenticated")


def test_refresh_rotates_the_pair(url: str) -> None:
    first = login(url, "user0004")
    second = refresh(url, first["refresh_token"])
    assert second.status_code == 200
    body = second.json()
    assert body["username"] == "user0004" and body["token_type"] == "Bearer"
    assert body["refresh_token"] != first["refresh_token"]
    assert me(url, body["access_token"]).json() == {"username": "user0004"}
    assert refresh(url, body["refresh_token"]).status_code == 200


def test_reused_refresh_token_revokes_the_family(url: str, mode: str) -> None:
    stolen = login(url, "user0004")
    legit = refresh(url, stolen["refresh_token"]).json()
    reuse = refresh(url, stolen["refresh_token"])
    if mode == "jwt-stateless":
        # No memory of use: rotation happens, reuse goes unnoticed (declared limitation).
        assert reuse.status_code == 200
        assert me(url, legit["access_token"]).status_code == 200
    else:  # RFC 9700 §4.14.2: the whole family dies, thief and victim alike
        assert_error(reuse, 401, "unauthenticated")
        assert_error(me(url, legit["access_token"]), 401, "unauthenticated")
        assert_error(refresh(url, legit["refresh_token"]), 401, "unauthenticated")
        assert me(url, login(url, "user0004")["access_token"]).status_code == 200


def test_refresh_is_refused_after_the_absolute_lifetime(url: str) -> None:
    old_login = int(time.time()) - 43200 - 60  # SESSION_ABSOLUTE_SECONDS defaults to 43200
    token = forge(claims("refresh", auth_time=old_login))
    assert_error(refresh(url, token), 401, "unauthenticated")
    assert refresh(url, forge(claims("refresh"))).status_code == 200


def test_refresh_body_rules(url: str) -> None:
    missing = requests.post(url + "/token/refresh", json={}, timeout=TIMEOUT)
    assert_error(missing, 422, "validation_error")
    assert "refresh_token" in missing.json()["error"]["fields"]
    garbage = refresh(url, "not-a-token")
    assert_error(garbage, 401, "unauthenticated")
    form = requests.post(url + "/token/refresh", data={"refresh_token": "x"}, timeout=TIMEOUT)
    assert_error(form, 415, "unsupported_media_type")


# -- token validation -------------------------------------------------------------------


def test_forged_baseline_is_accepted(url: str) -> None:
    assert me(url, forge(claims())).json() == {"username": "user0004"}


class FROM_NOW(NamedTuple):
    """A claim time given as seconds from the moment the test runs."""

    seconds: int


#: Claims the audit's jwt-aud-iss and jwt-expiry rows do not forge (expired, nbf in the
#: future, wrong or missing iss / aud / exp are theirs).
@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"iat": FROM_NOW(120)}, id="issued-in-the-future"),
        pytest.param({"aud": ["authkit-api", "another-api"]}, id="aud-list"),
        pytest.param({"jti": None}, id="missing-jti"),
        pytest.param({"iss": None}, id="missing-iss"),
        pytest.param({"sub": None}, id="missing-sub"),
        pytest.param({"iat": None}, id="missing-iat"),
        pytest.param({"nbf": None}, id="missing-nbf"),
        pytest.param({"fid": None}, id="missing-fid"),
        pytest.param({"gen": None}, id="missing-gen"),
        pytest.param({"token_type": None}, id="missing-token-type"),
        pytest.param({"auth_time": None}, id="missing-auth-time"),
        pytest.param({"gen": True}, id="bool-gen"),
        pytest.param({"sub": 42}, id="numeric-sub"),
    ],
)
def test_bad_claims_are_refused(url: str, changes: dict) -> None:
    now = int(time.time())  # times are relative to when the test runs, not when it was collected
    changes = {k: now + v.seconds if isinstance(v, FROM_NOW) else v for k, v in changes.items()}
    assert_error(me(url, forge(claims(**changes))), 401, "unauthenticated")


def test_leeway_covers_clock_skew_on_nbf_but_not_exp(url: str) -> None:
    now = int(time.time())
    # Minted by an instance whose clock runs 2 s ahead: within the 5 s leeway.
    assert me(url, forge(claims(nbf=now + 2, iat=now + 2))).status_code == 200
    # Expiry is strict: a token that expired a second ago is dead, leeway or not.
    assert_error(me(url, forge(claims(exp=now - 1))), 401, "unauthenticated")
    # So is a refresh token whose login is just past the absolute lifetime (43200 s).
    late = forge(claims("refresh", auth_time=now - 43201))
    assert_error(refresh(url, late), 401, "unauthenticated")


def test_bad_signature_and_tampering_are_refused(url: str) -> None:
    """A stripped or reversed signature and garbage are the audit's tampered-credential row;
    here another key's signature, and a payload changed under the original signature."""
    assert_error(me(url, forge(claims(), key="another-secret-" + "z" * 40)), 401, "unauthenticated")
    header, payload, signature = login(url, "user0004")["access_token"].split(".")
    as_bob = b64({**json.loads(base64.urlsafe_b64decode(payload + "==")), "sub": "bob"})
    assert_error(me(url, f"{header}.{as_bob}.{signature}"), 401, "unauthenticated")


def test_unknown_kid_is_refused(url: str) -> None:
    assert_error(me(url, forge(claims(), kid="some-other-key")), 401, "unauthenticated")
    assert_error(me(url, forge(claims(), kid="../../etc/passwd")), 401, "unauthenticated")


@pytest.mark.parametrize(
    "headers",
    [
        {"jku": "http://127.0.0.1:9/keys.json"},
        {"x5u": "http://127.0.0.1:9/cert.pem"},
        {"jwk": {"kty": "oct", "k": "c2VjcmV0"}},
        {"x5c": ["MIIB"]},
        {"crit": ["exp"]},
    ],
    ids=["jku", "x5u", "jwk", "x5c", "crit"],
)
def test_key_fetching_headers_are_refused(url: str, headers: dict) -> None:
    # Signed with the right key: the header alone is the reason for the refusal.
    assert_error(me(url, forge(claims(), **headers)), 401, "unauthenticated")


def test_the_type_claim_and_the_typ_header_must_agree(url: str) -> None:
    """Each token type in the other's place is the audit's jwt-type-swap row; here the claim
    and the typ header must agree: neither alone makes a token of the other kind."""
    as_access = forge(claims("refresh"), typ="at+jwt")
    assert_error(me(url, as_access), 401, "unauthenticated")
    as_refresh = forge(claims("access"), typ="rt+jwt")
    assert_error(refresh(url, as_refresh), 401, "unauthenticated")


def test_token_only_counts_in_the_authorization_header(url: str) -> None:
    """In the query string is the audit's credential-in-url row; nor in a cookie, nor with
    another scheme."""
    token = login(url, "user0004")["access_token"]
    in_cookie = requests.get(url + "/me", cookies={"access_token": token}, timeout=TIMEOUT)
    assert_error(in_cookie, 401, "unauthenticated")
    wrong_scheme = requests.get(url + "/me", headers={"Authorization": token}, timeout=TIMEOUT)
    assert_error(wrong_scheme, 401, "unauthenticated")
    assert wrong_scheme.headers["WWW-Authenticate"].startswith("Bearer")
    lower_case = requests.get(
        url + "/me", headers={"Authorization": f"bearer {token}"}, timeout=TIMEOUT
    )
    assert lower_case.status_code == 200  # RFC 7235: the scheme is case-insensitive


# -- the envelope and bad input ---------------------------------------------------------
# The contract suite covers the envelope, bad bodies, cart rules, 404/405, headers, login
# enumeration, concurrent adds and logout replay for both modes; here only what is JWT's.


def test_authentication_comes_before_the_body(url: str) -> None:
    response = requests.post(url + "/cart/items", data="not json", timeout=TIMEOUT)
    assert_error(response, 401, "unauthenticated")


def test_logout_refuses_a_non_json_body_but_accepts_none(url: str) -> None:
    token = login(url, "user0004")["access_token"]
    as_text = requests.post(
        url + "/logout",
        headers={**bearer(token), "Content-Type": "text/plain"},
        data="bye",
        timeout=TIMEOUT,
    )
    assert_error(as_text, 415, "unsupported_media_type")
    assert requests.post(url + "/logout", headers=bearer(token), timeout=TIMEOUT).status_code == 204


def test_a_huge_authorization_header_is_not_a_server_error(url: str) -> None:
    response = requests.get(url + "/me", headers=bearer("a" * 16000), timeout=TIMEOUT)
    assert 400 <= response.status_code < 500


# -- what one authenticated read costs the store ----------------------------------------


def redis_commands(store: redis.Redis) -> int:
    stats = store.info("commandstats")
    return sum(v["calls"] for name, v in stats.items() if name != "cmdstat_info")


@pytest.mark.parametrize(("variant", "declared"), [("jwt-stateless", 0), ("jwt-denylist", 1)])
def test_store_calls_per_read_match_the_declaration(
    servers: dict[str, Target], store: redis.Redis, variant: str, declared: int
) -> None:
    assert get_variant(variant).behaviour.store_calls_per_read == declared
    url = servers[variant].url
    token = login(url, "user0004")["access_token"]
    session = requests.Session()
    assert session.get(url + "/me", headers=bearer(token), timeout=TIMEOUT).status_code == 200
    reads = 25
    before = redis_commands(store)
    for _ in range(reads):
        assert session.get(url + "/me", headers=bearer(token), timeout=TIMEOUT).status_code == 200
    assert redis_commands(store) - before == declared * reads
