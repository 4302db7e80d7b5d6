"""An HS256 token signed with :mod:`hmac`, the one signature the audit makes by hand.

The algorithm-confusion attack (RFC 8725 §2.1) HMACs a token with a public key's PEM bytes.
PyJWT refuses to HMAC with a PEM key, as it should, so an attacker, and the audit playing one,
does it without the library: both the check on an attacker's key and the leaked-key audit's
"public key only" forger sign through this function.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any


def _segment(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def json_segment(part: Mapping[str, Any]) -> str:
    """A JOSE header or payload as a token segment: compact JSON, base64url, no padding."""
    return _segment(json.dumps(part, separators=(",", ":")).encode())


def hs256_token(header: Mapping[str, Any], payload: Mapping[str, Any], key: bytes) -> str:
    """``header`` (its ``alg`` set to HS256) and ``payload``, signed with HMAC-SHA256 by ``key``."""
    signing_input = f"{json_segment({**header, 'alg': 'HS256'})}.{json_segment(payload)}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_segment(signature)}"
