"""The servers the contract suite runs against: started by the suite, or given by URL.

A *target* is one variant on one store configuration (``django-sessions[postgres]``),
served by real gunicorn processes over real HTTP. The suite starts each target once per
test session and shares it between tests; tests that stop stores or need special settings
start their own with :meth:`Fleet.dedicated`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from authkit import launcher
from authkit.launcher import Target, parse_target_id
from shared.throttle import SUITE_LIMITS_ENV

F = TypeVar("F", bound=Callable[..., Any])

#: Load users seeded for tests: enough for each test to log in as a user of its own.
SEEDED_USERS = 400
#: Test settings every started server gets.
TEST_ENV = {"SEED_LOAD_USERS": str(SEEDED_USERS), **SUITE_LIMITS_ENV}


def target_ids() -> list[str]:
    """Every registered variant x database combination; a registry mistake stops the run."""
    try:
        return launcher.target_ids()
    except launcher.UnknownTarget as exc:
        raise pytest.UsageError(str(exc)) from None


class Fleet(launcher.Launcher):
    """The session's launcher: each target started once, on first use, with the test settings."""

    def __init__(self) -> None:
        super().__init__(env=TEST_ENV)
        self._started: dict[str, Target] = {}

    def get(self, target_id: str) -> Target:
        if target_id not in self._started:
            self._started[target_id] = self.target(target_id)
        return self._started[target_id]


def external_target(url: str, style: str | None, variant_name: str | None) -> Target:
    """A server given by ``--target-url``: its variant named, or as its ``/health`` says."""
    try:
        return launcher.Launcher.external(url, style, variant_name, ask=True)
    except launcher.UnknownTarget:
        raise pytest.UsageError(
            "--target-style is needed for a variant the registry lacks"
        ) from None


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
    return variant.uses_redis or variant.uses_memcached or database == "postgres"


def require(target: Target, **declared: Any) -> None:
    """Skip, saying why, when an external target does not declare what a test is about.

    Targets the suite starts are filtered at collection (``only_targets``); only a server
    given by ``--target-url``, whose declarations are known at run time, can reach this.
    """
    for key, value in declared.items():
        if target.declaration(key) != value:
            pytest.skip(f"{target.id} declares {key}={target.declaration(key)!r}, not {value!r}")
