"""Fixtures of the contract suite: targets, clients and users.

Run everything: ``make test``. One variant: ``pytest --variant flask-sessions``.
A server you run yourself: ``pytest tests/contract --target-url http://127.0.0.1:9000
--target-style session`` (or ``authkit verify --url ... --style ...``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from authkit.clients import ApiClient
from tests.targets import SEEDED_USERS, Fleet, Target, external_target, target_ids


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("authkit")
    group.addoption(
        "--variant",
        action="append",
        default=[],
        help="only these targets: a variant name (all its databases) or e.g. 'x[postgres]'",
    )
    group.addoption("--target-url", help="run against a server that is already running")
    group.addoption("--target-style", choices=["session", "bearer"], help="its auth style")
    group.addoption("--target-variant", help="the registry variant whose declarations it follows")


def selected_target_ids(config: pytest.Config) -> list[str]:
    if config.getoption("--target-url"):
        return ["external"]
    wanted = config.getoption("--variant")
    ids = target_ids()
    if wanted:
        ids = [i for i in ids if i in wanted or i.split("[")[0] in wanted]
    return ids


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize every test that takes ``target`` (or ``target_id``) over the targets."""
    ids = selected_target_ids(metafunc.config)
    external = bool(metafunc.config.getoption("--target-url"))
    selector = getattr(metafunc.function, "target_filter", None)
    if selector and not external:
        ids = [i for i in ids if selector(i)]
    if "target" in metafunc.fixturenames:
        metafunc.parametrize("target", ids, indirect=True, scope="session")
    elif "target_id" in metafunc.fixturenames:
        # These tests start servers of their own; against a URL there is nothing to start.
        metafunc.parametrize("target_id", [] if external else ids)


@pytest.fixture(scope="session")
def fleet() -> Iterator[Fleet]:
    fleet = Fleet()
    try:
        yield fleet
    finally:
        fleet.close()


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest, fleet: Fleet) -> Target:
    config = request.config
    if config.getoption("--target-url"):
        return external_target(
            config.getoption("--target-url"),
            config.getoption("--target-style"),
            config.getoption("--target-variant"),
        )
    return fleet.get(request.param)


_user_numbers: dict[str, itertools.count] = {}


@pytest.fixture
def user(target: Target) -> tuple[str, str]:
    """A load user no other test on this target has used (a JWT cart outlives a login)."""
    number = next(_user_numbers.setdefault(target.id, itertools.count())) % SEEDED_USERS
    return f"user{number:04d}", f"pw-{number:04d}"


@pytest.fixture
def client(target: Target) -> ApiClient:
    return target.client()


@pytest.fixture
def logged_in(target: Target, user: tuple[str, str]) -> ApiClient:
    client = target.client()
    response = client.login(*user)
    assert response.status_code == 200, response.text
    return client
