"""Every Django session engine of the kit keeps Django's session API: probes against real stores.

Django's own session tests (``SessionTestsMixin`` in Django's repository) are not shipped in
the wheel, so the probes that matter here are written after them and run against each
engine's ``SessionStore`` on its real store: a SQLite file for the database engines, the
kit's private Redis for ``cache`` and ``cached_db``, a directory for ``file``. What the kit
adds (the absolute timeout) must not change what the API promises:

* ``get_expiry_age()`` and ``get_expiry_date()`` describe the same moment;
* ``set_expiry()`` with a time in the past ends the session, logged in or not;
* the async API (``aload``, ``asave``, ``aexists``, ...) applies the same checks as the sync
  one, and a store that is down is an error there too, never an empty session.

Each engine runs in a child process (Django's settings are per process), which prints what
it observed as JSON; the assertions are here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from authkit.launcher import Launcher
from authkit.server import Stores, prepare, project_root, variant_env
from authkit.variants import get_variant

#: The registry's Django variants by the engine they run (the cache engine on each cache).
ENGINES = {
    "db": "django-sessions",
    "cache": "django-cache",
    "cache-memcached": "django-memcached",
    "cached_db": "django-cached-db",
    "file": "django-file",
    "signed_cookies": "django-signed-cookies",
}
#: Engines with a store to lose (a signed cookie has none).
STORED = ["db", "cache", "cache-memcached", "cached_db", "file"]
#: Engines whose store is a server that can be unreachable.
SERVED = ["db", "cache", "cache-memcached", "cached_db"]
#: Long idle, short absolute timeout: the cap is what decides the expiry.
TIMEOUTS = {"SESSION_IDLE_SECONDS": "3600", "SESSION_ABSOLUTE_SECONDS": "600"}


# -- the child: probes on one engine --------------------------------------------------------


def _store_class() -> Any:
    import os
    from importlib import import_module

    import django

    os.environ["DJANGO_SETTINGS_MODULE"] = "django_sessions.settings"
    django.setup()
    from django.conf import settings

    return import_module(settings.SESSION_ENGINE).SessionStore


def _logged_in(store_class: Any, logged_in_ago: float = 0.0) -> Any:
    """A saved session that logged in ``logged_in_ago`` seconds ago (the cap is active)."""
    import time

    from django_sessions.engines.base import LOGIN_AT_KEY

    session = store_class()
    session["foo"] = "bar"
    session.mark_login()
    session[LOGIN_AT_KEY] = time.time() - logged_in_ago
    session.save()
    return session


def _observe() -> None:
    """Run in a child with an engine's environment: print what the API answered."""
    import asyncio
    import time
    from datetime import timedelta

    store_class = _store_class()
    from django.conf import settings
    from django.utils import timezone

    from django_sessions.engines.base import LOGIN_AT_KEY

    seen: dict[str, Any] = {}
    absolute = settings.SESSION_ABSOLUTE_SECONDS

    # get_expiry_age() and get_expiry_date() at one moment (``modification``), capped alike.
    session = _logged_in(store_class)
    moment = timezone.now()
    age = session.get_expiry_age(modification=moment)
    date = session.get_expiry_date(modification=moment)
    seen["expiry"] = {
        "age": age,
        "age_of_date": int((date - moment).total_seconds()),
        "absolute": absolute,
        "idle": settings.SESSION_COOKIE_AGE,
    }

    # set_expiry() in the past, as Django's test_actual_expiry does, on a logged-in session.
    # The signed cookie is left out: stock Django checks only the idle age there (#19201).
    if settings.SESSION_ENGINE != "django_sessions.engines.signed_cookies":
        for name, past in (("seconds", -10), ("timedelta", -timedelta(seconds=10))):
            session = _logged_in(store_class)
            alive_before = "foo" in store_class(session.session_key)
            session.set_expiry(past)
            session.save()
            seen[f"set_expiry_{name}"] = {
                "alive_before": alive_before,
                "alive_after": "foo" in store_class(session.session_key),
            }

    # The async API, on sessions the sync API saved and on ones it saves itself.
    fresh = _logged_in(store_class)
    stale = _logged_in(store_class, logged_in_ago=absolute + 60)

    async def async_api() -> dict[str, Any]:
        result: dict[str, Any] = {}
        result["aload_fresh"] = await store_class(fresh.session_key).aload()
        result["aget_fresh"] = await store_class(fresh.session_key).aget("foo")
        result["aget_expiry_age"] = await store_class(fresh.session_key).aget_expiry_age(
            modification=moment
        )
        result["stale_aload"] = await store_class(stale.session_key).aload()
        result["stale_aget"] = await store_class(stale.session_key).aget("foo")
        # Logged in long ago, saved through asave (which must cap its expiry too).
        astale = store_class()
        await astale.aset("foo", "bar")
        await astale.aset(LOGIN_AT_KEY, time.time() - absolute - 60)
        await astale.asave()
        result["astale_key"] = astale.session_key
        result["astale_aload"] = await store_class(astale.session_key).aload()
        created = store_class()
        await created.acreate()
        result["aexists_created"] = await created.aexists(created.session_key)
        await created.adelete()
        result["aexists_deleted"] = await created.aexists(created.session_key)
        return result

    seen["async"] = asyncio.run(async_api())
    seen["async"]["get_expiry_age"] = store_class(fresh.session_key).get_expiry_age(
        modification=moment
    )
    seen["async"]["stale_load"] = store_class(stale.session_key).load()
    seen["async"]["astale_load"] = store_class(seen["async"].pop("astale_key")).load()
    print(json.dumps(seen, default=str))


def _observe_outage() -> None:
    """Run in a child whose store is unreachable: what each API does with the error."""
    import asyncio

    from django_sessions.errors import STORE_ERRORS

    store_class = _store_class()
    key = "k" * 32
    seen: dict[str, Any] = {}

    def outcome(call: Any) -> str:
        try:
            result = call()
            if asyncio.iscoroutine(result):
                result = asyncio.run(result)
        except STORE_ERRORS as error:
            return f"store error: {type(error).__name__}"
        except Exception as error:  # what else came out is the observation
            return f"other error: {type(error).__name__}"
        return f"answered: {result!r}"

    def with_data() -> Any:
        session = store_class(key)
        session._session_cache = {"foo": "bar"}  # as after a load, before the store went down
        return session

    seen["load"] = outcome(lambda: store_class(key).load())
    seen["aload"] = outcome(lambda: store_class(key).aload())
    seen["get"] = outcome(lambda: store_class(key).get("foo"))
    seen["aget"] = outcome(lambda: store_class(key).aget("foo"))
    seen["save"] = outcome(lambda: with_data().save())
    seen["asave"] = outcome(lambda: with_data().asave())
    print(json.dumps(seen))


# -- the parent: stores, children, assertions -----------------------------------------------


def _run_child(function: str, env: dict[str, str]) -> dict[str, Any]:
    child = subprocess.run(
        [sys.executable, "-c", f"import tests.test_django_session_api as t; t.{function}()"],
        env=env,
        cwd=project_root(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    return json.loads(child.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def stores() -> Iterator[Stores]:
    with Launcher.private_stores(redis=True, memcached=True) as started:
        yield started


@pytest.fixture(scope="module")
def observed(stores: Stores, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What each engine's API answered, by engine (one child each, on its real store)."""
    results = {}
    for engine, variant_name in ENGINES.items():
        variant = get_variant(variant_name)
        directory = tmp_path_factory.mktemp(engine)
        extra = {
            **TIMEOUTS,
            "SQLITE_PATH": str(directory / "sessions.sqlite3"),
            "SESSION_FILE_PATH": str(directory / "files"),
            "SEED_LOAD_USERS": "0",
        }
        env = variant_env(variant, stores, extra=extra)
        prepare(variant, env)
        results[engine] = _run_child("_observe", env)
    return results


@pytest.fixture(scope="module")
def outage(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What each stored engine's API did while its store was unreachable.

    The database is a SQLite file in a directory that does not exist (SQLite cannot open
    it); Redis and memcached are a loopback port nothing listens on (each connection is
    refused).
    """
    with Stores() as unreachable:
        unreachable.redis_url = "redis://127.0.0.1:1/0"
        unreachable.memcached_url = "memcached://127.0.0.1:1"
        results = {}
        for engine in SERVED:
            missing = Path(tmp_path_factory.mktemp(engine)) / "missing" / "sessions.sqlite3"
            env = variant_env(
                get_variant(ENGINES[engine]), unreachable, extra={"SQLITE_PATH": str(missing)}
            )
            results[engine] = _run_child("_observe_outage", env)
    return results


@pytest.mark.parametrize("engine", ENGINES)
def test_expiry_age_and_date_agree_and_are_capped(observed: dict[str, Any], engine: str) -> None:
    expiry = observed[engine]["expiry"]
    assert expiry["absolute"] < expiry["idle"], "precondition: the cap decides the expiry"
    assert expiry["age"] == expiry["age_of_date"], expiry
    assert expiry["absolute"] - 5 < expiry["age"] <= expiry["absolute"], expiry


@pytest.mark.parametrize("engine", STORED)
@pytest.mark.parametrize("past", ["seconds", "timedelta"])
def test_set_expiry_in_the_past_ends_a_logged_in_session(
    observed: dict[str, Any], engine: str, past: str
) -> None:
    seen = observed[engine][f"set_expiry_{past}"]
    assert seen["alive_before"], "precondition: the saved session loads"
    assert not seen["alive_after"], f"{engine}: set_expiry({past} in the past) kept it"


@pytest.mark.parametrize("engine", ENGINES)
def test_the_async_api_loads_what_the_sync_api_saved(observed: dict[str, Any], engine: str) -> None:
    seen = observed[engine]["async"]
    assert seen["aload_fresh"]["foo"] == "bar" and seen["aget_fresh"] == "bar", seen
    assert seen["aget_expiry_age"] == seen["get_expiry_age"], seen


@pytest.mark.parametrize("engine", ENGINES)
def test_the_async_api_refuses_a_session_past_its_absolute_timeout(
    observed: dict[str, Any], engine: str
) -> None:
    seen = observed[engine]["async"]
    assert seen["stale_load"] == {}, "precondition: the sync API refuses it"
    assert seen["stale_aload"] == {} and seen["stale_aget"] is None, seen
    assert seen["astale_load"] == {} and seen["astale_aload"] == {}, (
        "saved through asave past its absolute timeout, the session must not load",
        seen,
    )


@pytest.mark.parametrize("engine", STORED)
def test_async_create_exists_delete(observed: dict[str, Any], engine: str) -> None:
    seen = observed[engine]["async"]
    assert seen["aexists_created"] and not seen["aexists_deleted"], seen


@pytest.mark.parametrize("engine", SERVED)
def test_the_async_api_reports_a_store_outage_like_the_sync_api(
    outage: dict[str, Any], engine: str
) -> None:
    seen = outage[engine]
    assert seen["load"].startswith("store error"), f"precondition: the store is down: {seen}"
    assert seen["save"].startswith("store error"), f"precondition: the store is down: {seen}"
    for call in ("load", "get", "save"):
        assert seen["a" + call] == seen[call], (call, seen)
