"""The JWT variant's settings: the shared ones plus the mode, the issuer and the keys."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

from jwt_api.keys import KeySet, key_set_from_env
from shared.settings import Settings, SettingsError

Mode = Literal["stateless", "denylist"]
MODES: tuple[Mode, ...] = ("stateless", "denylist")

#: Clock skew tolerated on ``nbf`` and ``iat``: a token minted by another instance whose
#: clock runs a little ahead must not be refused as "not yet valid". Instances behind one
#: load balancer are NTP-synchronised to well under a second; 5 s absorbs a stray drift.
#: ``exp`` and the absolute session deadline get no leeway (see ``TokenService.verify``):
#: leeway there would only add life to tokens that logout cannot reach.
LEEWAY_SECONDS = 5


@dataclass(frozen=True)
class JwtConfig:
    shared: Settings
    mode: Mode
    keys: KeySet
    #: ``iss`` and ``aud``: a token from another issuer, or minted for another API that
    #: shares the key, is refused (RFC 8725 §3.8-3.9).
    issuer: str
    audience: str
    leeway_seconds: int = LEEWAY_SECONDS

    @property
    def variant_name(self) -> str:
        """The registry name it is served as (``AUTHKIT_VARIANT``), else ``jwt-<mode>``."""
        return self.shared.variant or f"jwt-{self.mode}"

    @classmethod
    def from_env(cls) -> JwtConfig:
        shared = Settings.from_env()
        mode = os.environ.get("JWT_MODE", "") or "stateless"
        if mode not in MODES:
            raise SettingsError(f"JWT_MODE must be one of {MODES}, not {mode!r}")
        return cls(
            shared=shared,
            mode=mode,  # type: ignore[arg-type]  # checked just above
            keys=key_set_from_env(shared.secret_key, fallbacks=shared.secret_key_fallbacks),
            issuer=os.environ.get("JWT_ISSUER", "") or "authkit",
            audience=os.environ.get("JWT_AUDIENCE", "") or "authkit-api",
        )
