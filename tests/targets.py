"""The servers the contract suite runs against: started by the suite, or given by URL.

A *target* is one variant on one store configuration (``django-sessions[postgres]``),
served by real gunicorn processes over real HTTP. The suite starts each target once per
test session and shares it between tests; tests that stop stores or need special settings
start their own with :meth:`Fleet.start_dedicated`.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
import requests

from authkit.clients import CLIENTS, ApiClient
from authkit.server import Stores, VariantServer, serving
from authkit.variants import VARIANTS, Variant
from shared.throttle import SUITE_LIMITS_ENV

F = TypeVar("F", bound=Callable[..., Any])

#: Load users seeded for tests: enough for each test to log in as a user of its own.
SEEDED_USERS = 400
#: Test settings every started server gets.
TEST_ENV = {"SEED_LOAD_USERS": str(SEEDED_USERS), **SUITE_LIMITS_ENV}


def target_ids() -> list[str]:
    """Every registered variant x database combination.

    A registered variant whose package cannot be found is an error, not a quiet omission:
    otherwise a typo in the registry would shrink the suite without a word.
    """
    ids = []
    for variant in VARIANTS.values():
        package = variant.app.split(":")[0].split(".")[0]
        if importlib.util.find_spec(package) is None:
            raise pytest.UsageError(
                f"variant {variant.name!r} is registered but its package {package!r} cannot "
                "be imported"
            )
        if variant.store == "database":
            ids.extend(f"{variant.name}[{db}]" for db in variant.databases)
        else:
            ids.append(variant.name)
    return ids


def parse_target_id(target_id: str) -> tuple[Variant, str]:
    name, _, rest = target_id.partition("[")
    return VARIANTS[name], rest.rstrip("]") or "sqlite"


@dataclass
class Target:
    id: str
    url: str
    style: str
    variant: Variant | None
    database: str | None = None
    managed: bool = True
    declared: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.variant.name if self.variant else "external"

    def client(self) -> ApiClient:
        return CLIENTS[self.style](self.url)

    def declaration(self, key: str) -> Any:
        """What the variant declares about ``key``; skips (saying why) when it declares nothing."""
        if key not in self.declared:
            pytest.skip(f"{self.id} declares no {key!r}: pass --target-variant to check it")
        return self.declared[key]


class Fleet:
    """Starts targets on first use and stops everything at the end of the test session."""

    def __init__(self) -> None:
        self.stores: Stores | None = None
        self._postgres_stores: Stores | None = None
        self._servers: dict[str, Target] = {}
        self._stack = contextlib.ExitStack()
        self._next_redis_db = 0

    def _shared_stores(self, database: str) -> Stores:
        if self.stores is None:
            self.stores = Stores.start(redis=True)
            self._stack.callback(self.stores.close)
        if database == "postgres" and not self.stores.database_url:
            pg = Stores.start(postgres=True)
            self._stack.callback(pg.close)
            self.stores.postgres, self.stores.database_url = pg.postgres, pg.database_url
        return self.stores

    def get(self, target_id: str) -> Target:
        if target_id not in self._servers:
            variant, database = parse_target_id(target_id)
            stores = self._shared_stores(database)
            # Each variant gets its own Redis database number and SQLite file, so their
            # keys, rows and login-throttle counters never meet.
            env = dict(TEST_ENV)
            if variant.uses_redis:
                env["REDIS_URL"] = stores.redis_url.rsplit("/", 1)[0] + f"/{self._next_redis_db}"
                self._next_redis_db += 1
            if variant.store == "database" and database == "sqlite":
                env["SQLITE_PATH"] = str(stores.sqlite_path().with_name(f"{variant.name}.sqlite3"))
            server = self._stack.enter_context(
                serving(variant, stores, database=database, extra_env=env)
            )
            self._servers[target_id] = _target(target_id, server, variant, database)
        return self._servers[target_id]

    @contextlib.contextmanager
    def start_dedicated(
        self,
        target_id: str,
        extra_env: dict[str, str] | None = None,
        stores: Stores | None = None,
    ) -> Iterator[Target]:
        """A server of its own (own stores unless given), for tests that break things."""
        variant, database = parse_target_id(target_id)
        own = stores is None
        if stores is None:
            stores = Stores.start(
                redis=variant.uses_redis, postgres=database == "postgres", private=True
            )
        try:
            with serving(
                variant, stores, database=database, extra_env={**TEST_ENV, **(extra_env or {})}
            ) as server:
                target = _target(target_id, server, variant, database)
                target.stores = stores  # type: ignore[attr-defined]
                target.server = server  # type: ignore[attr-defined]
                yield target
        finally:
            if own:
                stores.close()

    def close(self) -> None:
        self._stack.close()


def _target(target_id: str, server: VariantServer, variant: Variant, database: str) -> Target:
    return Target(
        id=target_id,
        url=server.url,
        style=variant.style,
        variant=variant,
        database=database if variant.store == "database" else None,
        declared=variant.declarations(),
    )


def external_target(url: str, style: str | None, variant_name: str | None) -> Target:
    """A server somebody else runs: its declarations come from the registry, if named."""
    if variant_name is None:
        with contextlib.suppress(requests.RequestException, ValueError, KeyError):
            variant_name = requests.get(url + "/health", timeout=5).json()["variant"]
    variant = VARIANTS.get(variant_name or "")
    if style is None:
        if variant is None:
            raise pytest.UsageError("--target-style is needed for a variant the registry lacks")
        style = variant.style
    return Target(
        id="external",
        url=url.rstrip("/"),
        style=style,
        variant=variant,
        managed=False,
        declared=variant.declarations() if variant else {"style": style},
    )


def only_targets(predicate: Callable[[str], bool]) -> Callable[[F], F]:
    """Limit a ``target_id`` test to the targets ``predicate`` accepts (see conftest)."""

    def mark(test: F) -> F:
        test.target_filter = predicate  # type: ignore[attr-defined]
        return test

    return mark


def session_style(target_id: str) -> bool:
    return parse_target_id(target_id)[0].style == "session"


def bearer_style(target_id: str) -> bool:
    return parse_target_id(target_id)[0].style == "bearer"


def csrf_required(target_id: str) -> bool:
    return parse_target_id(target_id)[0].behaviour.csrf == "required"


def stoppable_store(target_id: str) -> bool:
    """Targets whose store is a server that can go down (not an SQLite file)."""
    variant, database = parse_target_id(target_id)
    return variant.uses_redis or database == "postgres"


def require(target: Target, **declared: Any) -> None:
    """Skip, saying why, when an external target does not declare what a test is about.

    Targets the suite starts are filtered at collection (``only_targets``); only a server
    given by ``--target-url``, whose declarations are known at run time, can reach this.
    """
    for key, value in declared.items():
        if target.declaration(key) != value:
            pytest.skip(f"{target.id} declares {key}={target.declaration(key)!r}, not {value!r}")
