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
from authkit.launcher import Target, Undeclared, is_tls_id, parse_target_id
from tests.targets import SEEDED_USERS, Fleet, external_target, target_ids

pytest_plugins = [
    "tests.strict",  # AUTHKIT_STRICT=1: a skip fails (see tests/strict.py)
    "tests.leftovers",  # a server or temp directory outliving the run fails it
]


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
    group.addoption("--target-ca", help="with an https --target-url: the CA file it chains to")


def selected_target_ids(config: pytest.Config) -> list[str]:
    if config.getoption("--target-url"):
        return ["external"]
    wanted = config.getoption("--variant")
    ids = target_ids()
    if wanted:
        ids = [i for i in ids if i in wanted or parse_target_id(i)[0].name in wanted]
    return ids


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize every test that takes ``target`` (or ``target_id``) over the targets."""
    ids = selected_target_ids(metafunc.config)
    external = bool(metafunc.config.getoption("--target-url"))
    selector = getattr(metafunc.function, "target_filter", None)
    if selector and not external:
        ids = [i for i in ids if selector(i)]
    if not _over_tls_too(metafunc):
        ids = [i for i in ids if not is_tls_id(i)]
    if "target" in metafunc.fixturenames:
        # One xdist group per target: its servers start once, in the worker that runs them all.
        params = [pytest.param(i, id=i, marks=pytest.mark.xdist_group(_group(i))) for i in ids]
        metafunc.parametrize("target", params, indirect=True, scope="session")
    elif "target_id" in metafunc.fixturenames:
        # These tests start servers of their own; against a URL there is nothing to start.
        metafunc.parametrize("target_id", [] if external else ids)


def _over_tls_too(metafunc: pytest.Metafunc) -> bool:
    """Whether the HTTPS targets (``+tls``) join the HTTP ones: for the contract suite's
    shared-target tests and modules that say ``OVER_TLS_TOO = True`` (the front's). Tests
    that start servers of their own, the browser's (which cannot trust a run's CA) and the
    fuzzer stay on HTTP: what they test is not the transport."""
    if "target" not in metafunc.fixturenames:
        return False
    module = metafunc.module
    return module.__name__.startswith("tests.contract.") or getattr(module, "OVER_TLS_TOO", False)


def _group(target_id: str) -> str:
    """An xdist group name for a target: xdist reads a name ending in ``]`` as no group."""
    return target_id.replace("[", ":").replace("]", "")


def _file_in_group(item: pytest.Item, name: str) -> None:
    """Append ``@name`` to the test's node id, which is how xdist's loadgroup sees groups.

    pytest-xdist (3.8) does this by setting ``item._nodeid``, which pytest 9.2 no longer
    reads (its node ids became structured), so every group would be silently ignored.
    """
    if "@" not in item.nodeid and hasattr(item, "_id"):
        from _pytest.nodeid import coerce_node_id

        item._id = coerce_node_id(f"{item.nodeid}@{name}")


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook turns the marks into groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep each module whose fixtures live for the whole module on one xdist worker.

    Such a fixture starts servers (or a whole ``compare`` run) and its tests may build on
    each other's state; spread over workers it would start once per worker instead.
    Tests that start servers of their own (``target_id``) stay free to run anywhere.
    """
    for item in items:
        if item.get_closest_marker("xdist_group") or not isinstance(item, pytest.Function):
            continue
        # pytest has no public view of a test's fixture scopes; _fixtureinfo is its own.
        definitions = item._fixtureinfo.name2fixturedefs.values()
        if any(defs and defs[-1].scope == "module" for defs in definitions):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
    if config.getoption("loadgroup", False):  # set in xdist's workers under --dist loadgroup
        for item in items:
            marks = list(item.iter_markers("xdist_group"))
            if marks:
                _file_in_group(item, "_".join(sorted({str(m.args[0]) for m in marks})))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A test about a key the target declares nothing about (a server given by URL) is
    skipped, saying why: it has nothing to compare the server's behaviour with."""
    try:
        return (yield)
    except Undeclared as exc:
        pytest.skip(str(exc))


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
            config.getoption("--target-ca") or True,
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
