"""The one kind of target every part of the kit talks to: a variant's server, over HTTP.

The contract suite, the audit, ``authkit compare``, ``authkit cost`` and ``authkit serve``
all hold a :class:`Target`: the URL clients talk to, the auth style that says how to talk
to it, and what the variant declares about itself. A target the kit started also carries
the server and the stores behind it (so a fault test can stop a store and an audit that
knows the key can forge with it); a server given by URL carries only what its registry
entry, if named, declares. A :class:`Launcher` starts the kit's targets, one way for all.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import requests

from authkit.clients import CLIENTS, ApiClient, auth_for
from authkit.server import Stores, VariantServer, serving
from authkit.variants import VARIANTS, Variant, get_variant

#: First load user a run may use on a server the kit started (``userNNNN`` / ``pw-NNNN``).
FIRST_USER = 600


class Undeclared(LookupError):
    """A target declares nothing about a key a check is about (a server given by URL)."""


@dataclass
class Target:
    """One variant on one store configuration (``django-sessions[postgres]``), or a URL."""

    id: str
    url: str
    style: str
    variant: Variant | None = None
    #: ``sqlite`` or ``postgres`` for a variant whose store is the database, else None.
    database: str | None = None
    #: False for a server somebody else runs (given by URL).
    managed: bool = True
    declared: dict[str, Any] = field(default_factory=dict)
    #: The HS256 key the server signs with, when the kit started it (forgeries with a
    #: valid signature); None for a server given by URL or one signing with EdDSA.
    jwt_key: bytes | None = None
    first_user: int = FIRST_USER
    server: VariantServer | None = field(default=None, repr=False)
    stores: Stores | None = field(default=None, repr=False)
    _users: Any = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.variant.name if self.variant else self.id

    def client(self) -> ApiClient:
        return CLIENTS[self.style](self.url)

    def fresh_user(self) -> tuple[str, str]:
        """A seeded load user no earlier call on this target handed out."""
        if self._users is None:
            self._users = itertools.count(self.first_user)
        number = next(self._users)
        return f"user{number:04d}", f"pw-{number:04d}"

    def restart(self, env: dict[str, str | None]) -> None:
        """Restart the server the kit started with ``env`` changed, keeping its stores and
        its URL (see :meth:`authkit.server.VariantServer.restart`)."""
        if self.server is None or self.variant is None:
            raise UnknownTarget(f"{self.id}: only a server the kit started can be restarted")
        self.server.restart(env)
        self.jwt_key = _hs256_key(self.variant, self.server.env)

    def declaration(self, key: str) -> Any:
        """What the variant declares about ``key``; :class:`Undeclared` when it declares nothing."""
        if key not in self.declared:
            raise Undeclared(f"{self.id} declares no {key!r}: name its variant to check it")
        return self.declared[key]


class UnknownTarget(ValueError):
    """A target that cannot be served or addressed as asked (a caller's mistake)."""


def target_ids() -> list[str]:
    """Every registered variant x database combination (``django-sessions[postgres]``).

    A registered variant whose package cannot be found is an error, not a quiet omission:
    otherwise a typo in the registry would shrink every run without a word.
    """
    ids = []
    for variant in VARIANTS.values():
        package = variant.app.split(":")[0].split(".")[0]
        if importlib.util.find_spec(package) is None:
            raise UnknownTarget(
                f"variant {variant.name!r} is registered but its package {package!r} cannot "
                "be imported"
            )
        if variant.store == "database":
            ids.extend(f"{variant.name}[{db}]" for db in variant.databases)
        else:
            ids.append(variant.name)
    return ids


def parse_target_id(target_id: str) -> tuple[Variant, str]:
    """``django-sessions[postgres]`` -> (variant, ``postgres``); the database defaults to SQLite."""
    name, _, rest = target_id.partition("[")
    return VARIANTS[name], rest.rstrip("]") or "sqlite"


class Launcher:
    """Starts variants' servers for a run and stops them (and the stores) at :meth:`close`.

    Servers started with :meth:`target` share one set of stores, started on first use
    (PostgreSQL only once a target needs it), and are kept apart on them: each gets a Redis
    database number, a memcached key prefix and an SQLite file of its own, so no variant
    sees another's users, sessions or login-throttle counters. :meth:`dedicated` serves one
    for a ``with`` block, on stores of its own unless given: what a run that stops stores or
    restarts servers needs.
    """

    def __init__(self, env: dict[str, str] | None = None) -> None:
        #: Settings every server this launcher starts gets (a caller's ``extra_env`` wins).
        self.env = dict(env or {})
        self.stores: Stores | None = None
        self._stack = contextlib.ExitStack()
        self._redis_targets = 0
        self._memcached_targets = 0

    def __enter__(self) -> Launcher:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every server :meth:`target` started, then the shared stores."""
        self._stack.close()

    @staticmethod
    def private_stores(
        redis: bool = False, postgres: bool = False, memcached: bool = False
    ) -> Stores:
        """Stores of their own, never the ``REDIS_URL`` / ``DATABASE_URL`` a user gave:
        whoever stops or restarts them must own them. The caller closes them."""
        return Stores.start(redis=redis, postgres=postgres, memcached=memcached, private=True)

    def shared_stores(
        self, redis: bool = False, postgres: bool = False, memcached: bool = False
    ) -> Stores:
        """The launcher's stores, each started once somebody needs it (or taken from
        ``REDIS_URL`` / ``MEMCACHED_URL`` / ``DATABASE_URL``); closed by :meth:`close`."""
        have = self.stores
        need_redis = redis and not (have and have.redis_url)
        need_postgres = postgres and not (have and have.database_url)
        need_memcached = memcached and not (have and have.memcached_url)
        if have is not None and not (need_redis or need_postgres or need_memcached):
            return have
        started = Stores.start(redis=need_redis, postgres=need_postgres, memcached=need_memcached)
        if have is None:
            self._stack.callback(started.close)
            self.stores = started
            return started
        # Onto the stores already there, whose close then stops these too.
        if need_redis:
            have.redis, have.redis_url = started.redis, started.redis_url
        if need_postgres:
            have.postgres, have.database_url = started.postgres, started.database_url
        if need_memcached:
            have.memcached, have.memcached_url = started.memcached, started.memcached_url
        return have

    def target(
        self,
        target: str | Variant,
        database: str | None = None,
        extra_env: dict[str, str] | None = None,
        **options: Any,
    ) -> Target:
        """Serve ``target`` (an id, a variant name or a variant) until :meth:`close`, on the
        shared stores; ``options`` go to :func:`authkit.server.serving` (workers, port,
        log_path, host, front)."""
        target_id, variant, database = _resolve(target, database)
        stores = self.shared_stores(**stores_for(variant, database))
        env = dict(self.env)
        if variant.uses_redis:
            env["REDIS_URL"] = _redis_database(stores.redis_url, self._redis_targets)
            self._redis_targets += 1
        if variant.uses_memcached:
            # memcached has no databases: a key prefix of its own keeps each target apart.
            env["MEMCACHED_KEY_PREFIX"] = f"t{self._memcached_targets}"
            self._memcached_targets += 1
        if variant.store == "database" and database == "sqlite":
            env["SQLITE_PATH"] = str(stores.sqlite_path().with_name(f"{variant.name}.sqlite3"))
        env.update(extra_env or {})
        return self._stack.enter_context(
            self._serve(target_id, variant, database, stores, env, options)
        )

    @contextlib.contextmanager
    def dedicated(
        self,
        target: str | Variant,
        extra_env: dict[str, str] | None = None,
        stores: Stores | None = None,
        database: str | None = None,
        **options: Any,
    ) -> Iterator[Target]:
        """Serve ``target`` for a ``with`` block: on ``stores`` if given (left running),
        else on private stores of its own (closed with the server)."""
        target_id, variant, database = _resolve(target, database)
        with contextlib.ExitStack() as stack:
            if stores is None:
                stores = stack.enter_context(self.private_stores(**stores_for(variant, database)))
            env = {**self.env, **(extra_env or {})}
            yield stack.enter_context(
                self._serve(target_id, variant, database, stores, env, options)
            )

    @staticmethod
    @contextlib.contextmanager
    def _serve(
        target_id: str,
        variant: Variant,
        database: str,
        stores: Stores,
        env: dict[str, str],
        options: dict[str, Any],
    ) -> Iterator[Target]:
        with serving(variant, stores, database=database, extra_env=env, **options) as server:
            yield Target(
                id=target_id,
                url=server.url,
                style=variant.style,
                variant=variant,
                database=database if variant.store == "database" else None,
                declared=variant.declarations(),
                jwt_key=_hs256_key(variant, server.env),
                server=server,
                stores=stores,
            )

    @staticmethod
    def external(
        url: str,
        style: str | None = None,
        variant_name: str | None = None,
        ask: bool = False,
    ) -> Target:
        """A server somebody else runs; its declarations come from the registry when its
        variant is named (``ask``: by its ``/health`` answer when the caller names none)."""
        if variant_name is None and ask:
            with contextlib.suppress(requests.RequestException, ValueError, KeyError):
                variant_name = requests.get(url + "/health", timeout=5).json()["variant"]
        variant = VARIANTS.get(variant_name or "")
        if style is None:
            if variant is None:
                raise UnknownTarget("a URL target needs its auth style (session or bearer)")
            style = variant.style
        # Load users from a random start (a run takes about 50): two runs against one server
        # within a minute then use other accounts, so one run's failed logins do not fill the
        # throttle windows of the next run's accounts.
        first_user = 100 + secrets.randbelow(10) * 50  # 100..599; servers it starts: 600 on
        return Target(
            id=variant_name or url,
            url=url.rstrip("/"),
            style=style,
            variant=variant,
            managed=False,
            declared=variant.declarations() if variant else {"style": style},
            first_user=first_user,
        )


def _resolve(target: str | Variant, database: str | None) -> tuple[str, Variant, str]:
    """(target id, variant, database) of an id, a variant name or a variant."""
    if isinstance(target, Variant):
        variant, named = target, None
    else:
        name, _, rest = target.partition("[")
        variant, named = get_variant(name), rest.rstrip("]") or None
    database = named or database or "sqlite"
    if variant.store == "database":
        return f"{variant.name}[{database}]", variant, database
    return variant.name, variant, database


def stores_for(variant: Variant, database: str = "sqlite") -> dict[str, bool]:
    """The stores ``variant`` needs on ``database``: arguments of the stores' start."""
    return {
        "redis": variant.uses_redis,
        "postgres": variant.store == "database" and database == "postgres",
        "memcached": variant.uses_memcached,
    }


def _redis_database(url: str, number: int) -> str:
    """``url`` with its database number ``number`` higher (``redis://host:port/N``)."""
    base, _, db = url.rpartition("/")
    if not base.endswith("/") and db.isdigit():
        return f"{base}/{int(db) + number}"
    return f"{url.rstrip('/')}/{number}"


def _hs256_key(variant: Variant, env: dict[str, str]) -> bytes | None:
    """The key a token variant signs with, unless it signs with a public-key algorithm."""
    if not auth_for(variant.style).credential_is_token or env.get("JWT_ALGORITHM"):
        return None
    from jwt_api.keys import hmac_key

    return hmac_key(env["SECRET_KEY"]).signing  # type: ignore[return-value]
