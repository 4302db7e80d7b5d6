"""What an attacker holding the server's signing key (and nothing else) can build with it.

Each forger makes credentials in one design's own format with the library that design
uses, never by hand: Flask's :class:`~flask.sessions.SecureCookieSessionInterface` serializer
(itsdangerous), :mod:`django.core.signing` with the salt and serializer of Django's
``signed_cookies`` engine, PyJWT with the claims and ``kid`` the JWT variants issue, and the
kit's own anonymous-CSRF scheme (:mod:`shared.anonymous_csrf`). A variant names its forger in
its registry entry (:class:`authkit.variants.KeyLeak`), so nothing here asks which variant
it faces; :mod:`authkit.audit.leaked_key` sends what a forger builds and reads the answers.

A forger for a design whose session ID is opaque still builds what the key signs in its
framework's format (a signed Flask or Django session cookie) and presents it: that the
server refuses it is measured, not assumed.
"""

from __future__ import annotations

import importlib
import json
import secrets
import sqlite3
import time
import zlib
from collections.abc import Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core import signing
from django.utils.crypto import salted_hmac
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from authkit.audit.hs256_by_hand import hs256_token
from authkit.clients import BearerClient, SessionClient
from authkit.launcher import Target
from authkit.variants import KeyLeak
from jwt_api.keys import EDDSA, HS256, Key, ed25519_key, ed25519_thumbprint, hmac_key
from jwt_api.tokens import TYP_HEADER, new_id
from shared import anonymous_csrf
from shared.flask_session_app import CART, CSRF, STARTED_AT, USER

#: Django's ``signed_cookies`` engine signs the session under this salt.
DJANGO_SIGNED_COOKIES_SALT = "django.contrib.sessions.backends.signed_cookies"
#: The salt of ``django_sessions.models.User._get_session_auth_hash`` (the kit's user model).
DJANGO_AUTH_HASH_SALT = "django_sessions.models.User.get_session_auth_hash"
DJANGO_BACKEND = "django.contrib.auth.backends.ModelBackend"
#: Session keys of a logged-in Django session (django.contrib.auth, the kit's engines).
DJANGO_USER_ID, DJANGO_HASH, DJANGO_CSRF = "_auth_user_id", "_auth_user_hash", "_csrftoken"
DJANGO_LOGIN_AT, DJANGO_SLID_AT = "_auth_login_at", "_authkit_slid_at"


def forger_class(leak: KeyLeak) -> type[Forger]:
    """The class a declaration names (``module:Class``)."""
    module, name = leak.forger.split(":")
    return getattr(importlib.import_module(module), name)


def forger_for(target: Target, key: str, leak: KeyLeak | None = None) -> Forger:
    """The forger ``leak`` (by default the target's variant's declaration) names, with ``key``."""
    leak = leak or (target.variant.key_leak if target.variant else None)
    if leak is None:
        raise ValueError(f"{target.id} declares no key_leak forger")
    return forger_class(leak)(target, key)


class Forger:
    """Builds clients presenting credentials signed with ``key`` for ``target``'s design."""

    #: The setting holding the key that signs, and the one holding old keys that verify.
    KEY_ENV = "SECRET_KEY"
    FALLBACKS_ENV = "SECRET_KEY_FALLBACKS"

    def __init__(self, target: Target, key: str) -> None:
        self.target = target
        self.key = key

    @classmethod
    def key_of(cls, env: Mapping[str, str]) -> str:
        """The key a server running with ``env`` signs with."""
        return env[cls.KEY_ENV]

    @staticmethod
    def new_key() -> str:
        return secrets.token_urlsafe(48)

    @classmethod
    def fallback_env(cls, old_key: str) -> str:
        """The ``FALLBACKS_ENV`` value that keeps ``old_key`` verifying."""
        return json.dumps([old_key])

    @classmethod
    def serving_env(cls, key: str) -> dict[str, str | None]:
        """How a server must be configured to sign with ``key`` the way this forger forges
        (``{}``: as it is started); :meth:`unserving_env` undoes it."""
        return {}

    @classmethod
    def unserving_env(cls) -> dict[str, str | None]:
        return {}

    def login(self, username: str) -> SessionClient | BearerClient:
        """A client whose credential claims ``username``, made with the key alone."""
        raise NotImplementedError

    def revive(self, credential: Any, username: str) -> SessionClient | BearerClient:
        """A client presenting a logged-out ``credential``'s contents, signed afresh."""
        raise NotImplementedError

    def read(self, credential: Any) -> Mapping[str, Any] | None:
        """What a captured credential shows without any key (None: nothing, it is opaque)."""
        raise NotImplementedError

    def anonymous_csrf(self) -> tuple[SessionClient, str] | None:
        """A visitor's cookie and the CSRF token the key says goes with it (None: no CSRF)."""
        raise NotImplementedError

    def public_key_forger(self) -> Forger | None:
        """A forger holding only the published half of the key (None: the key has none)."""
        return None

    def signs_like(self, credential: Any) -> bool:
        """Whether a credential the server issued is signed as this forger signs (the server
        runs the configuration :meth:`serving_env` asked for)."""
        return True


def _session_client(target: Target, cookie: str, value: str, csrf: str | None) -> SessionClient:
    client: SessionClient = target.client()  # type: ignore[assignment]
    client.http.cookies.set(cookie, value)
    client.csrf_token = csrf
    return client


def _cookie_name(target: Target) -> str:
    """The session cookie's name, as any visitor learns it (``GET /csrf`` sets it)."""
    client: SessionClient = target.client()  # type: ignore[assignment]
    client.fetch_csrf()
    found = client.session_cookie()
    if found is None:
        raise ValueError(f"{target.id}: GET /csrf set no session cookie")
    return found[0]


def _only_cookie(credential: Mapping[str, Any]) -> str:
    return next(iter(credential["cookies"].values()), "")


class AnonymousIdScheme:
    """The kit's anonymous-visitor CSRF: an ID signed with the key, its token an HMAC."""

    target: Target
    key: str
    cookie: str

    def anonymous_csrf(self) -> tuple[SessionClient, str] | None:
        visitor = anonymous_csrf.anonymous_id(self.key, None)
        token = anonymous_csrf.token_for(self.key, visitor)
        return _session_client(self.target, self.cookie, visitor, None), token


class FlaskCookieFormat(Forger):
    """Flask's signed session cookie (itsdangerous, Flask's salt, key derivation, digest)."""

    def __init__(self, target: Target, key: str) -> None:
        super().__init__(target, key)
        app = Flask("authkit-forger")
        app.secret_key = key
        interface = SecureCookieSessionInterface()
        self.serializer = interface.get_signing_serializer(app)
        self.cookie = _cookie_name(target)

    def _signed(self, data: Mapping[str, Any]) -> str:
        return self.serializer.dumps(dict(data))  # type: ignore[union-attr]

    def login(self, username: str) -> SessionClient:
        csrf = secrets.token_urlsafe(32)
        data = {USER: username, CSRF: csrf, STARTED_AT: time.time(), CART: {}}
        return _session_client(self.target, self.cookie, self._signed(data), csrf)

    def revive(self, credential: Any, username: str) -> SessionClient:
        data = dict(self.read(credential) or {USER: username, CSRF: credential["csrf_token"]})
        data[STARTED_AT] = time.time()
        return _session_client(self.target, self.cookie, self._signed(data), data.get(CSRF))

    def read(self, credential: Any) -> Mapping[str, Any] | None:
        # loads_unsafe: the payload whatever the signature says (no key needed to read).
        _valid, data = self.serializer.loads_unsafe(_only_cookie(credential))  # type: ignore[union-attr]
        return data if isinstance(data, dict) and data else None

    def anonymous_csrf(self) -> tuple[SessionClient, str] | None:
        token = secrets.token_urlsafe(32)
        value = self._signed({CSRF: token, STARTED_AT: time.time()})
        return _session_client(self.target, self.cookie, value, None), token


class FlaskCookie(FlaskCookieFormat):
    """flask-cookie: the whole session is the cookie the key signs."""


class FlaskSessions(AnonymousIdScheme, FlaskCookieFormat):
    """flask-sessions: Flask-Session's cookie is a random ID, signed by nothing; what the key
    signs (Flask's cookie format, the anonymous ID) is all the attacker can present."""


class DjangoCookieFormat(Forger):
    """A session signed as Django's ``signed_cookies`` engine signs it."""

    def __init__(self, target: Target, key: str) -> None:
        super().__init__(target, key)
        self.signer = signing.TimestampSigner(
            key=key, salt=DJANGO_SIGNED_COOKIES_SALT, fallback_keys=[]
        )
        self.cookie = _cookie_name(target)

    def auth_hash(self, password_hash: str, generation: int = 0) -> str:
        """The session auth hash of the kit's user model: the key HMACs the password hash."""
        return salted_hmac(
            DJANGO_AUTH_HASH_SALT,
            f"{password_hash}:{generation}",
            secret=self.key,
            algorithm="sha256",
        ).hexdigest()

    def _signed(self, data: Mapping[str, Any]) -> str:
        return self.signer.sign_object(dict(data), serializer=signing.JSONSerializer, compress=True)

    def login(self, username: str, password_hash: str = "") -> SessionClient:
        """A session for ``username``; the attacker lacks the password hash (``""``), which
        the kit, knowing the database, can pass to prove the format right."""
        user_id, generation = user_row(self.target, username)
        csrf = secrets.token_hex(16)  # 32 characters, like Django's CSRF secret
        now = time.time()
        data = {
            DJANGO_USER_ID: str(user_id),
            "_auth_user_backend": DJANGO_BACKEND,
            DJANGO_HASH: self.auth_hash(password_hash, generation),
            DJANGO_CSRF: csrf,
            DJANGO_LOGIN_AT: now,
            DJANGO_SLID_AT: now,
        }
        return _session_client(self.target, self.cookie, self._signed(data), csrf)

    def revive(self, credential: Any, username: str) -> SessionClient:
        data = self.read(credential)
        if data is None:  # an opaque ID: the key can only sign a session of its own
            return self.login(username)
        data = {**data, DJANGO_LOGIN_AT: time.time(), DJANGO_SLID_AT: time.time()}
        return _session_client(
            self.target, self.cookie, self._signed(data), credential["csrf_token"]
        )

    def read(self, credential: Any) -> Mapping[str, Any] | None:
        """Django's signed value is ``payload:timestamp:signature``, the payload base64 (and
        zlib-compressed when it starts with a dot): readable without the key."""
        payload = _only_cookie(credential).split(":", 1)[0]
        try:
            raw = signing.b64_decode(payload.lstrip(".").encode())
            if payload.startswith("."):
                raw = zlib.decompress(raw)
            data = signing.JSONSerializer().loads(raw)
        except (ValueError, zlib.error):
            return None
        return data if isinstance(data, dict) and data else None


class DjangoServerSide(AnonymousIdScheme, DjangoCookieFormat):
    """Django's db, cache, cached_db and file engines: the cookie is a random session key."""


class DjangoSignedCookies(AnonymousIdScheme, DjangoCookieFormat):
    """Django's signed_cookies engine: the session is the cookie the key signs."""


def user_row(target: Target, username: str) -> tuple[int, int]:
    """(primary key, session generation) of a Django user, from the variant's SQLite file.

    The attacker would have to guess the key (sequential, so guessable); the generation
    only moves on ``/logout-all``. Read from the database the kit started, which is also
    where :func:`password_hash` finds what the attacker does not have.
    """
    row = _user_columns(target, username, "id, session_generation")
    return int(row[0]), int(row[1])


def password_hash(target: Target, username: str) -> str:
    """The stored password hash: what the attacker lacks, for proving forgeries right."""
    return str(_user_columns(target, username, "password")[0])


def _user_columns(target: Target, username: str, columns: str) -> tuple[Any, ...]:
    env = target.server.env if target.server else {}
    if not env.get("SQLITE_PATH") or env.get("DATABASE_URL"):
        raise ValueError(f"{target.id}: the leaked-key audit reads users from SQLite only")
    with sqlite3.connect(env["SQLITE_PATH"]) as connection:
        row = connection.execute(
            f"SELECT {columns} FROM django_sessions_user WHERE username = ?",  # noqa: S608
            (username,),
        ).fetchone()
    if row is None:
        raise ValueError(f"{target.id}: no user {username!r}")
    return tuple(row)


class Jwt(Forger):
    """The JWT variants under HS256: the key is the HMAC secret; PyJWT signs, with the
    ``kid`` the server derives from the secret and the claims it requires."""

    def __init__(self, target: Target, key: str) -> None:
        super().__init__(target, key)
        env = target.server.env if target.server else {}
        self.signing = self.signing_key(key)
        # Public facts, printed in every token a server issues.
        self.issuer = env.get("JWT_ISSUER") or "authkit"
        self.audience = env.get("JWT_AUDIENCE") or "authkit-api"
        self.access_ttl = int(env.get("ACCESS_TTL_SECONDS") or 300)

    def signing_key(self, key: str) -> Key:
        return hmac_key(key)

    def encode(self, payload: Mapping[str, Any], headers: Mapping[str, str]) -> str:
        return jwt.encode(
            dict(payload),
            self.signing.signing,  # type: ignore[arg-type]
            algorithm=self.signing.algorithm,
            headers=dict(headers),
        )

    def _sign(self, claims: Mapping[str, Any], token_type: str) -> str:
        now = int(time.time())
        payload = {
            **claims,
            "iat": now,
            "nbf": now,
            "exp": now + self.access_ttl,
            "jti": new_id(),
            "token_type": token_type,
        }
        return self.encode(payload, {"kid": self.signing.kid, "typ": TYP_HEADER[token_type]})

    def _client(self, claims: Mapping[str, Any]) -> BearerClient:
        client: BearerClient = self.target.client()  # type: ignore[assignment]
        client.access_token = self._sign(claims, "access")
        client.refresh_token = self._sign(claims, "refresh")
        return client

    def login(self, username: str) -> BearerClient:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": username,
            "fid": new_id(),
            "gen": 0,
            "auth_time": now,
        }
        return self._client(claims)

    def revive(self, credential: Any, username: str) -> BearerClient:
        claims = dict(self.read(credential) or {})
        for name in ("iat", "nbf", "exp", "jti", "token_type"):
            claims.pop(name, None)
        return self._client(claims or {"sub": username})

    def read(self, credential: Any) -> Mapping[str, Any] | None:
        token = credential.get("access_token") if isinstance(credential, Mapping) else None
        if not token:
            return None
        return jwt.decode(token, options={"verify_signature": False})

    def anonymous_csrf(self) -> tuple[SessionClient, str] | None:
        return None


def _public_pem(private_pem: str) -> str:
    private = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


class JwtEdDSA(Jwt):
    """The JWT variants under ``JWT_ALGORITHM=EdDSA``: the leaked key is the Ed25519 private
    key; rotating moves its public half to ``JWT_PREVIOUS_KEYS`` (verification only)."""

    KEY_ENV = "JWT_PRIVATE_KEY"
    FALLBACKS_ENV = "JWT_PREVIOUS_KEYS"

    def signing_key(self, key: str) -> Key:
        return ed25519_key(key)

    @staticmethod
    def new_key() -> str:
        return (
            Ed25519PrivateKey.generate()
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode()
        )

    @classmethod
    def fallback_env(cls, old_key: str) -> str:
        return json.dumps([_public_pem(old_key)])

    @classmethod
    def serving_env(cls, key: str) -> dict[str, str | None]:
        return {"JWT_ALGORITHM": EDDSA, cls.KEY_ENV: key, cls.FALLBACKS_ENV: None}

    @classmethod
    def unserving_env(cls) -> dict[str, str | None]:
        return {"JWT_ALGORITHM": None, cls.KEY_ENV: None, cls.FALLBACKS_ENV: None}

    def signs_like(self, credential: Any) -> bool:
        header = jwt.get_unverified_header(credential["access_token"])
        return header.get("alg") == EDDSA and header.get("kid") == self.signing.kid

    def public_key_forger(self) -> JwtPublicKeyOnly:
        return JwtPublicKeyOnly(self.target, _public_pem(self.key))


class JwtPublicKeyOnly(Jwt):
    """An attacker with the published Ed25519 public key only: the one signature it can
    make is an HS256 one keyed with the public key, under the key's own ``kid`` (the
    algorithm-confusion attack, RFC 8725 §2.1). PyJWT refuses to HMAC with a PEM key, so
    the attacker does it by hand (:mod:`authkit.audit.hs256_by_hand`)."""

    def signing_key(self, key: str) -> Key:
        public = serialization.load_pem_public_key(key.encode())
        return Key(ed25519_thumbprint(public), HS256, verifying=key.encode())  # type: ignore[arg-type]

    def encode(self, payload: Mapping[str, Any], headers: Mapping[str, str]) -> str:
        return hs256_token(headers, payload, self.key.encode())
