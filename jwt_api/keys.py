"""The signing keys: one current key that signs, any configured key that verifies.

Every key has a ``kid`` and exactly one algorithm. A token's ``kid`` header picks the key,
and the key's own algorithm is the only one accepted for it; the token's ``alg`` header is
never trusted to decide how to verify. That is what stops the classic confusion attack
(RFC 8725 §2.1, CVE-2022-29217): an HS256 token "signed" with a published Ed25519 public
key is checked against ``["EdDSA"]`` and refused.

Rotation: set the new key as current and move the old one to ``JWT_PREVIOUS_KEYS``; tokens
signed with the old key keep working until they expire, new ones use the new key.

Settings:

* ``JWT_ALGORITHM``: ``HS256`` (default, keyed with ``SECRET_KEY``) or ``EdDSA``.
* ``JWT_PRIVATE_KEY``: for EdDSA, an Ed25519 private key as PEM text or a path to a PEM file.
* ``JWT_PREVIOUS_KEYS``: a JSON array of strings, each an old key still accepted for
  verification: an Ed25519 key (PEM text or a path to a PEM file; public or private) or,
  for anything else, an old HS256 secret (at least 32 bytes).
* ``SECRET_KEY_FALLBACKS`` (shared by every variant): under HS256, each old ``SECRET_KEY``
  also verifies, so one rotation procedure serves all variants.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.settings import MIN_SECRET_KEY_BYTES, SettingsError

HS256 = "HS256"
EDDSA = "EdDSA"
SUPPORTED_ALGORITHMS = (HS256, EDDSA)

SigningMaterial = bytes | Ed25519PrivateKey
VerifyingMaterial = bytes | Ed25519PublicKey


@dataclass(frozen=True)
class Key:
    """One key: its id, its single algorithm, and what signs (if we hold it) and verifies."""

    kid: str
    algorithm: str
    verifying: VerifyingMaterial = field(repr=False)
    signing: SigningMaterial | None = field(default=None, repr=False)


@dataclass(frozen=True)
class KeySet:
    """The current key (signs) and every key that verifies, by ``kid``."""

    current: Key
    by_kid: Mapping[str, Key]

    @classmethod
    def of(cls, current: Key, previous: Iterable[Key] = ()) -> KeySet:
        if current.signing is None:
            raise SettingsError("the current JWT key must be able to sign (a private key)")
        by_kid = {key.kid: key for key in previous}
        by_kid[current.kid] = current
        return cls(current=current, by_kid=by_kid)

    def find(self, kid: object) -> Key | None:
        return self.by_kid.get(kid) if isinstance(kid, str) else None


def hmac_key(secret: str) -> Key:
    """An HS256 key; its kid is a hash of the secret, so it is stable across restarts.

    Publishing a hash of a 32+ byte random secret reveals nothing an attacker could not
    already test offline against any token's HMAC.
    """
    raw = secret.encode()
    if len(raw) < MIN_SECRET_KEY_BYTES:
        raise SettingsError(f"HS256 keys need at least {MIN_SECRET_KEY_BYTES} bytes")
    kid = "hs-" + hashlib.sha256(b"authkit-jwt-kid\0" + raw).hexdigest()[:16]
    return Key(kid=kid, algorithm=HS256, verifying=raw, signing=raw)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def ed25519_thumbprint(public_key: Ed25519PublicKey) -> str:
    """The RFC 7638 JWK thumbprint of an Ed25519 public key (used as its kid)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    # RFC 7638 §3: the required members, sorted, no whitespace.
    jwk = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}, separators=(",", ":"))
    return _b64url(hashlib.sha256(jwk.encode()).digest())


def _read_pem(pem_or_path: str) -> bytes:
    text = pem_or_path.strip()
    if text.startswith("-----BEGIN"):
        return text.encode()
    try:
        with open(text, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise SettingsError(f"cannot read the PEM key file {text!r}: {exc}") from exc


def ed25519_key(pem_or_path: str) -> Key:
    """An EdDSA key from a PEM (private: signs and verifies; public: verifies only)."""
    pem = _read_pem(pem_or_path)
    loaded: object
    try:
        loaded = serialization.load_pem_private_key(pem, password=None)
    except ValueError:
        try:
            loaded = serialization.load_pem_public_key(pem)
        except ValueError as exc:
            raise SettingsError("the JWT key is not a PEM Ed25519 key") from exc
    if isinstance(loaded, Ed25519PrivateKey):
        public = loaded.public_key()
        return Key(ed25519_thumbprint(public), EDDSA, verifying=public, signing=loaded)
    if isinstance(loaded, Ed25519PublicKey):
        return Key(ed25519_thumbprint(loaded), EDDSA, verifying=loaded)
    raise SettingsError("EdDSA keys must be Ed25519 keys")


def _looks_like_pem_key(entry: str) -> bool:
    return entry.strip().startswith("-----BEGIN") or os.path.isfile(entry)


def previous_keys_from_env(value: str) -> list[Key]:
    """The keys listed in ``JWT_PREVIOUS_KEYS`` (see the module docstring)."""
    if not value.strip():
        return []
    try:
        entries = json.loads(value)
    except ValueError as exc:
        raise SettingsError("JWT_PREVIOUS_KEYS must be a JSON array of strings") from exc
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise SettingsError("JWT_PREVIOUS_KEYS must be a JSON array of strings")
    return [ed25519_key(e) if _looks_like_pem_key(e) else hmac_key(e) for e in entries]


def key_set_from_env(
    secret_key: str,
    env: Mapping[str, str] | None = None,
    fallbacks: Iterable[str] = (),
) -> KeySet:
    """The key set configured by ``JWT_ALGORITHM``, ``JWT_PRIVATE_KEY``, ``JWT_PREVIOUS_KEYS``.

    ``fallbacks`` (``SECRET_KEY_FALLBACKS``) are old ``SECRET_KEY`` values; under HS256 each
    verifies like an HS256 entry of ``JWT_PREVIOUS_KEYS``, so rotating ``SECRET_KEY`` the
    way every variant rotates it keeps the tokens it signed valid until they expire.
    """
    env = os.environ if env is None else env
    algorithm = env.get("JWT_ALGORITHM", "") or HS256
    if algorithm == HS256:
        current = hmac_key(secret_key)
    elif algorithm == EDDSA:
        private = env.get("JWT_PRIVATE_KEY", "")
        if not private:
            raise SettingsError("JWT_ALGORITHM=EdDSA needs JWT_PRIVATE_KEY (PEM text or a path)")
        current = ed25519_key(private)
    else:
        raise SettingsError(
            f"JWT_ALGORITHM must be one of {SUPPORTED_ALGORITHMS}, not {algorithm!r}"
        )
    previous = previous_keys_from_env(env.get("JWT_PREVIOUS_KEYS", ""))
    if algorithm == HS256:
        previous += [hmac_key(fallback) for fallback in fallbacks]
    return KeySet.of(current, previous)
