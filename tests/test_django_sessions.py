"""django-sessions, beyond the common contract: its own servers, on SQLite and PostgreSQL.

Every test here runs real gunicorn servers over real HTTP against a real database (a SQLite
file, and a private PostgreSQL cluster), except :func:`test_sql_statements_per_request`,
which counts SQL statements with Django's ``CaptureQueriesContext`` in a child process.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import psycopg
import pytest
import requests

from authkit.clients import SessionClient
from authkit.launcher import Launcher
from authkit.server import Stores, VariantServer, project_root
from authkit.variants import get_variant

VARIANT = get_variant("django-sessions")
DATABASES = ["sqlite", "postgres"]
ALICE = ("alice", "alice-pass-123")
SHORT_TIMEOUTS = {"SESSION_IDLE_SECONDS": "2", "SESSION_ABSOLUTE_SECONDS": "4"}


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stores() -> Iterator[Stores]:
    with Launcher.private_stores(postgres=True) as started:
        yield started


@pytest.fixture(scope="module")
def start_server(stores: Stores, tmp_path_factory) -> Iterator[Callable[..., VariantServer]]:
    """Start a django-sessions server (closed at the end of the module)."""
    launcher = Launcher()
    with contextlib.ExitStack() as stack:

        def start(database: str, **env: str) -> VariantServer:
            extra = {"SEED_LOAD_USERS": "5", **env}
            log = tmp_path_factory.mktemp("logs") / "gunicorn.log"
            served = launcher.dedicated(
                VARIANT, extra, stores=stores, database=database, log_path=log
            )
            return stack.enter_context(served).server

        yield start


@pytest.fixture(scope="module", params=DATABASES)
def server(request, start_server) -> VariantServer:
    """A server with the default settings, once per database."""
    return start_server(request.param)


@pytest.fixture(scope="module", params=DATABASES)
def short_server(request, start_server) -> VariantServer:
    """A server with short idle (2 s) and absolute (4 s) timeouts, once per database."""
    return start_server(request.param, **SHORT_TIMEOUTS)


# -- helpers --------------------------------------------------------------------------------


def tab(url: str) -> SessionClient:
    """A browser tab: :class:`authkit.clients.SessionClient`, the contract suite's client."""
    return SessionClient(url)


def error_code(response: requests.Response) -> str:
    assert response.headers["Content-Type"].startswith("application/json"), response.text
    return response.json()["error"]["code"]


def session_row_exists(server: VariantServer, session_key: str) -> bool:
    """Whether django_session still holds the row, expired or not (read straight from SQL)."""
    query = "SELECT count(*) FROM django_session WHERE session_key = "
    if server.env.get("DATABASE_URL"):
        with psycopg.connect(server.env["DATABASE_URL"], connect_timeout=2) as conn:
            return conn.execute(query + "%s", (session_key,)).fetchone()[0] == 1
    with sqlite3.connect(server.env["SQLITE_PATH"], timeout=5) as conn:
        return conn.execute(query + "?", (session_key,)).fetchone()[0] == 1


# What the contract suite (tests/contract) already asserts for django-sessions on SQLite and
# PostgreSQL is not repeated here: cookie attributes, CSRF, fixation as seen by a client,
# logout and logout-all replay, login timing, concurrent cart adds, timeouts, outages, bad
# bodies. What follows is what only this variant has: rows in django_session, Django's
# middleware order, clearsessions, and the SQL each request costs.


def test_logout_deletes_the_session_row(server: VariantServer) -> None:
    client = tab(server.url)
    assert client.login(*ALICE).status_code == 200
    session_id = client.http.cookies["sessionid"]
    assert session_row_exists(server, session_id)
    logout = client.logout()
    assert logout.status_code == 204
    assert "Max-Age=0" in logout.headers["Set-Cookie"]
    assert not session_row_exists(server, session_id)


def test_the_anonymous_csrf_cookie_is_stored_nowhere_and_replaced_at_login(
    server: VariantServer,
) -> None:
    client = tab(server.url)
    client.fetch_csrf()  # an anonymous cookie, signed, stored nowhere (shared.anonymous_csrf)
    pre_login = client.http.cookies["sessionid"]
    assert pre_login and not session_row_exists(server, pre_login)
    client.login(*ALICE)
    session_id = client.http.cookies["sessionid"]
    assert session_id != pre_login
    assert session_row_exists(server, session_id)


def test_unauthenticated_is_401_before_csrf(server: VariantServer) -> None:
    """Django's CsrfViewMiddleware would answer 403 first; the contract's order is 401."""
    anonymous = tab(server.url)
    anonymous.fetch_csrf()
    item = {"product_id": "sku-001", "quantity": 1}
    for response in (
        anonymous.post("/cart/items", json=item),
        anonymous.post("/cart/items", json=item, headers={"X-CSRF-Token": ""}),
        anonymous.get("/cart"),
        anonymous.post("/logout", headers={"X-CSRF-Token": ""}),
    ):
        assert error_code(response) == "unauthenticated"


@pytest.mark.parametrize("database", DATABASES)
def test_two_instances_share_sessions(start_server, database: str) -> None:
    """On SQLite too (the contract suite's version needs a store server to share)."""
    key = {"SECRET_KEY": secrets.token_urlsafe(48)}  # one key for every instance
    one, two = start_server(database, **key), start_server(database, **key)
    first = tab(one.url)
    first.login(*ALICE)
    on_two = SessionClient(two.url)
    on_two.http.cookies.update(first.http.cookies)
    on_two.csrf_token = first.csrf_token
    assert on_two.get("/me").json() == {"username": "alice"}
    assert on_two.add_item("sku-003", 2).ok
    assert first.get("/cart").json()["items"][0]["quantity"] == 2
    assert on_two.logout().status_code == 204
    assert first.get("/me").status_code == 401


@pytest.mark.slow
def test_clearsessions_removes_expired_rows(short_server: VariantServer) -> None:
    client = tab(short_server.url)
    client.login(*ALICE)
    session_id = client.http.cookies["sessionid"]
    time.sleep(2.5)  # idle timeout is 2 s: the row has expired but is still there
    assert session_row_exists(short_server, session_id)
    manage = project_root() / "django_sessions" / "manage.py"
    subprocess.run([sys.executable, str(manage), "clearsessions"], env=short_server.env, check=True)
    assert not session_row_exists(short_server, session_id)


# -- SQL statements per request -------------------------------------------------------------


def _count_statements() -> None:
    """Run in a child process: the SQL one GET /me and one POST /cart/items cost.

    Prints JSON: the statements captured by ``CaptureQueriesContext`` for each request, and
    how many connection health checks (``CONN_HEALTH_CHECKS``) ran. Django's test client
    skips the ``close_old_connections`` signal handlers a real server runs at the start and
    end of every request, so they are run by hand to count the checks a server would make.
    """
    import django

    os.environ["DJANGO_SETTINGS_MODULE"] = "django_sessions.settings"
    django.setup()
    from django.db import close_old_connections, connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    health_checks = 0
    is_usable = connection.is_usable

    def counting_is_usable() -> bool:
        nonlocal health_checks
        health_checks += 1
        return is_usable()

    connection.is_usable = counting_is_usable
    client = Client(enforce_csrf_checks=True)
    login = client.post(
        "/login", {"username": "alice", "password": "alice-pass-123"}, "application/json"
    )
    token = login.json()["csrf_token"]
    results: dict[str, object] = {}
    for name, request in [
        ("me", lambda: client.get("/me")),
        (
            "add",
            lambda: client.post(
                "/cart/items",
                {"product_id": "sku-001", "quantity": 1},
                "application/json",
                headers={"X-CSRF-Token": token},
            ),
        ),
    ]:
        close_old_connections()  # request_started, as under gunicorn
        health_checks = 0
        with CaptureQueriesContext(connection) as captured:
            response = request()
        assert response.status_code == 200, response.content
        results[name] = [query["sql"] for query in captured.captured_queries]
        results[name + "_health_checks"] = health_checks
        close_old_connections()  # request_finished
    print(json.dumps(results))


@pytest.mark.parametrize("database", DATABASES)
def test_sql_statements_per_request(stores: Stores, start_server, database: str) -> None:
    server = start_server(database)  # migrated and seeded database, settings in server.env
    env = {**server.env, "ALLOWED_HOSTS": "testserver"}
    child = subprocess.run(
        [sys.executable, "-c", "import tests.test_django_sessions as t; t._count_statements()"],
        env=env,
        cwd=project_root(),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    counts = json.loads(child.stdout.strip().splitlines()[-1])
    print(json.dumps(counts, indent=2))
    me, add = counts["me"], counts["add"]
    # GET /me: 2 statements, no write.
    #   1. SELECT the session row by key (expire_date > now)        -- SessionStore.load()
    #   2. SELECT the user by id (its auth hash is checked in Python) -- auth.get_user()
    # The idle expiry slides by steps (a tenth of the idle timeout), so a read writes nothing.
    assert len(me) == 2, me
    assert "django_session" in me[0] and "django_sessions_user" in me[1]
    # POST /cart/items: the same two reads, then a locked read-modify-write of the row.
    if database == "sqlite":
        # 3. BEGIN IMMEDIATE (takes the write lock), 4. SELECT the row again,
        # 5. UPDATE data + expiry, 6. COMMIT.
        expected = [
            "django_session",
            "django_sessions_user",
            "BEGIN IMMEDIATE",
            "django_session",
            "UPDATE",
            "COMMIT",
        ]
    else:
        # 3. BEGIN, 4. SELECT ... FOR UPDATE, 5. UPDATE data + expiry, 6. COMMIT.
        expected = [
            "django_session",
            "django_sessions_user",
            "BEGIN",
            "FOR UPDATE",
            "UPDATE",
            "COMMIT",
        ]
    assert len(add) == len(expected), add
    for sql, fragment in zip(add, expected, strict=True):
        assert fragment in sql, (fragment, sql)
    # Round trips beyond the statements: CONN_HEALTH_CHECKS pings a reused connection once
    # per request ("SELECT 1" on PostgreSQL; free on SQLite, where nothing is sent).
    assert counts["me_health_checks"] == counts["add_health_checks"] == 1


# -- no side channels -----------------------------------------------------------------------

#: ``getattr`` reads that are someone's documented API: Django's ``@login_not_required``
#: marker (read as Django's ``LoginRequiredMiddleware`` reads it) and ``ApiError``'s field.
DOCUMENTED_READS = {("view_func", "login_required"), ("error", "retry_after")}


def test_layers_pass_nothing_on_functions_or_responses() -> None:
    """What one layer tells another goes through a call or Django's own API, never through
    an attribute stuck on a view function or a response (which a reader cannot follow)."""
    import ast

    found = []
    for path in sorted((project_root() / "django_sessions").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and ast.unparse(target.value) not in (
                    "self",
                    "row",  # a model instance's field
                ):
                    found.append(f"{path.name}:{node.lineno}: {ast.unparse(target)} = ...")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "setattr", "hasattr")
            ):
                owner, name = ast.unparse(node.args[0]), ast.literal_eval(node.args[1])
                if owner != "self" and (owner, name) not in DOCUMENTED_READS:
                    found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    assert not found, found
