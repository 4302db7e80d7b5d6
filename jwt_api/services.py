"""Everything a view needs (settings, Redis, tokens, revocation, carts), built once."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from flask import current_app

from jwt_api.cart import RedisCarts
from jwt_api.config import JwtConfig
from jwt_api.revocation import DenylistRevocation, Revocation, StatelessRevocation
from jwt_api.tokens import TokenService
from shared.redis_store import connect

EXTENSION = "authkit_jwt"


@dataclass(frozen=True)
class Services:
    """Built once per process, kept in ``app.extensions``."""

    config: JwtConfig
    redis: redis.Redis
    tokens: TokenService
    revocation: Revocation
    carts: RedisCarts


def services() -> Services:
    return current_app.extensions[EXTENSION]


def build_services(config: JwtConfig) -> Services:
    shared = config.shared
    client = connect(shared.require_redis_url(), shared.store_timeout_seconds)
    revocation: Revocation
    if config.mode == "denylist":
        revocation = DenylistRevocation(
            client,
            refresh_ttl=shared.refresh_ttl_seconds,
            absolute_lifetime=shared.session_absolute_seconds,
            leeway=config.leeway_seconds,
        )
    else:
        revocation = StatelessRevocation()
    tokens = TokenService(
        config.keys,
        issuer=config.issuer,
        audience=config.audience,
        access_ttl=shared.access_ttl_seconds,
        refresh_ttl=shared.refresh_ttl_seconds,
        absolute_lifetime=shared.session_absolute_seconds,
        leeway=config.leeway_seconds,
    )
    return Services(config, client, tokens, revocation, RedisCarts(client, config.variant_name))
