"""Keys: EdDSA, algorithm confusion, rotation with previous keys, and key settings.

The HTTP tests run real gunicorn servers (jwt-denylist; key handling is the same code in
both modes); the settings tests call :mod:`jwt_api.keys` directly.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from authkit.launcher import Launcher, Target
from authkit.server import Stores
from jwt_api.keys import EDDSA, HS256, ed25519_key, hmac_key, key_set_from_env
from shared.settings import SettingsError

OLD_SECRET = "old-secret-" + "o" * 40
NEW_SECRET = "new-secret-" + "n" * 40
TIMEOUT = 10
BASE_ENV = {"SEED_LOAD_USERS": "5"}


def private_pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


ED_KEY = Ed25519PrivateKey.generate()
ED_KID = ed25519_key(private_pem(ED_KEY)).kid


@pytest.fixture(scope="module")
def stores() -> Iterator[Stores]:
    with Launcher() as launcher:
        yield launcher.shared_stores(redis=True)


def serve(stores: Stores, **env: str) -> contextlib.AbstractContextManager[Target]:
    return Launcher().dedicated("jwt-denylist", {**BASE_ENV, **env}, stores=stores)


def login(url: str) -> dict[str, Any]:
    response = requests.post(
        url + "/login", json={"username": "alice", "password": "alice-pass-123"}, timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    return response.json()


def me(url: str, token: str) -> requests.Response:
    return requests.get(url + "/me", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)


def refresh(url: str, token: str) -> requests.Response:
    return requests.post(url + "/token/refresh", json={"refresh_token": token}, timeout=TIMEOUT)


def claims() -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": "authkit", "aud": "authkit-api", "sub": "alice", "iat": now, "nbf": now,
        "exp": now + 60, "jti": secrets.token_urlsafe(16), "token_type": "access",
        "fid": secrets.token_urlsafe(16), "gen": 0, "auth_time": now,
    }  # fmt: skip


# -- EdDSA --------------------------------------------------------------------------------


def test_eddsa_tokens_and_algorithm_confusion(stores: Stores) -> None:
    with serve(stores, SECRET_KEY=NEW_SECRET, JWT_ALGORITHM="EdDSA",
               JWT_PRIVATE_KEY=private_pem(ED_KEY)) as server:  # fmt: skip
        pair = login(server.url)
        header = jwt.get_unverified_header(pair["access_token"])
        assert header["alg"] == "EdDSA" and header["kid"] == ED_KID
        # Anyone holding the public key can verify (the point of EdDSA) ...
        jwt.decode(pair["access_token"], ED_KEY.public_key(), algorithms=["EdDSA"],
                   audience="authkit-api")  # fmt: skip
        assert me(server.url, pair["access_token"]).status_code == 200
        assert refresh(server.url, pair["refresh_token"]).status_code == 200

        # ... and an EdDSA token we sign ourselves is accepted (the forging baseline).
        headers = {"kid": ED_KID, "typ": "at+jwt"}
        good = jwt.encode(claims(), ED_KEY, algorithm="EdDSA", headers=headers)
        assert me(server.url, good).status_code == 200

        # Algorithm confusion: HS256 "signed" with the public key as the HMAC secret.
        # PyJWT refuses to HMAC with a PEM, so the signature is computed by hand.
        forged = _hs256_by_hand(claims(), public_pem(ED_KEY), headers)
        assert me(server.url, forged).status_code == 401
        # The server's SECRET_KEY is not a verification key in EdDSA mode either.
        hs = jwt.encode(claims(), NEW_SECRET, algorithm="HS256",
                        headers={**headers, "kid": hmac_key(NEW_SECRET).kid})  # fmt: skip
        assert me(server.url, hs).status_code == 401
        hs_ed_kid = jwt.encode(claims(), NEW_SECRET, algorithm="HS256", headers=headers)
        assert me(server.url, hs_ed_kid).status_code == 401


def _hs256_by_hand(payload: dict, secret: bytes, headers: dict) -> str:
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", **headers}).encode())
    body = b64(json.dumps(payload).encode())
    signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"


# -- rotation -----------------------------------------------------------------------------


def test_rotation_keeps_old_tokens_valid_until_expiry(stores: Stores) -> None:
    with serve(stores, SECRET_KEY=OLD_SECRET) as old_server:
        before = login(old_server.url)
    old_kid = hmac_key(OLD_SECRET).kid
    assert jwt.get_unverified_header(before["access_token"])["kid"] == old_kid

    rotated_env = {"SECRET_KEY": NEW_SECRET, "JWT_PREVIOUS_KEYS": json.dumps([OLD_SECRET])}
    with serve(stores, **rotated_env) as rotated:
        assert me(rotated.url, before["access_token"]).json() == {"username": "alice"}
        renewed = refresh(rotated.url, before["refresh_token"])
        assert renewed.status_code == 200
        new_header = jwt.get_unverified_header(renewed.json()["access_token"])
        assert new_header["kid"] == hmac_key(NEW_SECRET).kid  # new tokens use the new key
        after = login(rotated.url)

    # Rotation to EdDSA: the old HS256 key stays a verification key, bound to its kid.
    to_eddsa = {
        "SECRET_KEY": NEW_SECRET,
        "JWT_ALGORITHM": "EdDSA",
        "JWT_PRIVATE_KEY": private_pem(ED_KEY),
        "JWT_PREVIOUS_KEYS": json.dumps([NEW_SECRET]),
    }
    with serve(stores, **to_eddsa) as ed_server:
        assert me(ed_server.url, after["access_token"]).status_code == 200
        assert jwt.get_unverified_header(login(ed_server.url)["access_token"])["alg"] == "EdDSA"

    # Once the old key is dropped from the previous keys, its tokens are an unknown kid.
    with serve(stores, SECRET_KEY=NEW_SECRET) as dropped:
        assert me(dropped.url, before["access_token"]).status_code == 401
        assert me(dropped.url, after["access_token"]).status_code == 200


# -- key settings -------------------------------------------------------------------------


def test_default_is_hs256_keyed_with_the_secret() -> None:
    keys = key_set_from_env(NEW_SECRET, {})
    assert keys.current.algorithm == HS256
    assert keys.current.signing == NEW_SECRET.encode()
    assert keys.current.kid == hmac_key(NEW_SECRET).kid != hmac_key(OLD_SECRET).kid


def test_eddsa_from_a_pem_file_and_previous_public_keys(tmp_path: Path) -> None:
    path = tmp_path / "signing.pem"
    path.write_text(private_pem(ED_KEY))
    older = Ed25519PrivateKey.generate()
    public_path = tmp_path / "older.pub.pem"
    public_path.write_bytes(public_pem(older))
    env = {
        "JWT_ALGORITHM": "EdDSA",
        "JWT_PRIVATE_KEY": str(path),
        "JWT_PREVIOUS_KEYS": json.dumps([str(public_path), OLD_SECRET]),
    }
    keys = key_set_from_env(NEW_SECRET, env)
    assert keys.current.kid == ED_KID and keys.current.algorithm == EDDSA
    older_key = keys.find(ed25519_key(public_pem(older).decode()).kid)
    assert older_key is not None and older_key.signing is None  # verify-only
    assert keys.find(hmac_key(OLD_SECRET).kid).algorithm == HS256
    assert keys.find(hmac_key(NEW_SECRET).kid) is None  # the secret is not a key in EdDSA mode


@pytest.mark.parametrize(
    "env",
    [
        {"JWT_ALGORITHM": "RS256"},
        {"JWT_ALGORITHM": "none"},
        {"JWT_ALGORITHM": "EdDSA"},
        {"JWT_ALGORITHM": "EdDSA", "JWT_PRIVATE_KEY": "/nonexistent/key.pem"},
        {"JWT_PREVIOUS_KEYS": "not json"},
        {"JWT_PREVIOUS_KEYS": json.dumps(["too-short"])},
        {"JWT_PREVIOUS_KEYS": json.dumps({"kid": "x"})},
    ],
    ids=["rs256", "none", "eddsa-without-key", "missing-file", "bad-json", "short", "object"],
)
def test_bad_key_settings_stop_start_up(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        key_set_from_env(NEW_SECRET, env)


def test_a_public_key_cannot_be_the_signing_key() -> None:
    with pytest.raises(SettingsError):
        key_set_from_env(
            NEW_SECRET, {"JWT_ALGORITHM": "EdDSA", "JWT_PRIVATE_KEY": public_pem(ED_KEY).decode()}
        )
