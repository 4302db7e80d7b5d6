"""JWT parts: the kit's token check, PyJWT beneath it, and the denylist's Redis lookup."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from authkit.cost.parts import PartRecorder, require

AUTHENTICATE = "authenticate() (kit: header, verify, revocation check)"
VERIFY = "token verification (kit + PyJWT)"
DECODE = "PyJWT decode_complete"
SEGMENTS = "PyJWT base64url segment checks"
REVOCATION = "Redis client: one MGET"


def _services(app: Any) -> Any:
    from jwt_api.services import EXTENSION

    require(EXTENSION in app.extensions, "the app is not the JWT API (no token services)")
    return app.extensions[EXTENSION]


def token_verification(recorder: PartRecorder, app: Any, caller: Any) -> None:
    """The request's authentication, its token verification, PyJWT's decode beneath it,
    and HMAC-SHA256 + JSON parsing of the same token as a reference."""
    import jwt

    from jwt_api.auth import authenticate
    from jwt_api.tokens import ACCESS, REQUIRED_CLAIMS

    found = _services(app)
    token = caller.auth.access_token
    require(bool(token), "the logged-in client holds no access token")
    key = found.config.keys.current
    with app.test_request_context("/me", headers={"Authorization": f"Bearer {token}"}):
        recorder.measure(AUTHENTICATE, authenticate, contains=(VERIFY, REVOCATION))
    recorder.measure(VERIFY, lambda: found.tokens.verify(token, ACCESS), contains=(DECODE,))
    recorder.measure(
        DECODE,
        lambda: jwt.decode_complete(
            token,
            key.verifying,
            algorithms=[key.algorithm],
            audience=found.tokens.audience,
            issuer=found.tokens.issuer,
            leeway=found.tokens.leeway,
            options={"require": REQUIRED_CLAIMS, "strict_aud": True},
        ),
        contains=(SEGMENTS,),
    )
    segments = [s.encode() for s in token.split(".")]
    decode_segment = jwt.api_jws.PyJWS._decode_base64url_segment
    recorder.measure(
        SEGMENTS,
        lambda: [decode_segment(s, "x") for s in segments],
        note="PyJWS._decode_base64url_segment on the three segments, as _load calls it",
    )
    recorder.measure(
        "HMAC-SHA256 + JSON parse (reference)",
        lambda: hmac_and_parse(token, key.verifying),
        note="what checking the signature and reading the claims costs without PyJWT",
        reference=True,
    )


def revocation_lookup(recorder: PartRecorder, app: Any, caller: Any) -> None:
    """The denylist's one Redis command per request (the token's and the user's entries)."""
    from jwt_api.tokens import ACCESS

    found = _services(app)
    require(found.config.mode == "denylist", "the JWT API does not check a denylist")
    keys = found.revocation._keys(found.tokens.verify(caller.auth.access_token, ACCESS))
    recorder.measure(REVOCATION, lambda: found.redis.mget(keys))


def hmac_and_parse(token: str, secret: bytes) -> dict[str, Any]:
    # Hand-written on purpose: it is the reference PyJWT is compared with, not a verifier.
    signing_input, _, signature = token.rpartition(".")
    header, _, payload = signing_input.partition(".")
    expected = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, base64.urlsafe_b64decode(signature + "==")):
        raise ValueError("bad signature")
    json.loads(base64.urlsafe_b64decode(header + "=="))
    return json.loads(base64.urlsafe_b64decode(payload + "=="))
