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
import threading
import time
from collections.abc import Callable, Iterator
from http.cookies import SimpleCookie

import psycopg
import pytest
import requests

from authkit.server import Stores, VariantServer, project_root, serving
from authkit.variants import get_variant

VARIANT = get_variant("django-sessions")
DATABASES = ["sqlite", "postgres"]
ALICE = ("alice", "alice-pass-123")
BOB = ("bob", "bob-pass-123")
TIMEOUT = 10  # seconds for any single HTTP request: a hung worker fails the test, not CI
SHORT_TIMEOUTS = {"SESSION_IDLE_SECONDS": "2", "SESSION_ABSOLUTE_SECONDS": "4"}


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stores() -> Iterator[Stores]:
    with Stores.start(postgres=True) as started:
        yield started


@pytest.fixture(scope="module")
def start_server(stores: Stores, tmp_path_factory) -> Iterator[Callable[..., VariantServer]]:
    """Start a django-sessions server (closed at the end of the module)."""
    with contextlib.ExitStack() as stack:

        def start(database: str, **env: str) -> VariantServer:
            extra = {"SEED_LOAD_USERS": "5", **env}
            log = tmp_path_factory.mktemp("logs") / "gunicorn.log"
            return stack.enter_context(
                serving(VARIANT, stores, database=database, extra_env=extra, log_path=log)
            )

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


class Tab:
    """One browser tab: a cookie jar plus the CSRF token the API handed out."""

    def __init__(self, base_url: str, cookies: requests.cookies.RequestsCookieJar | None = None):
        self.base_url = base_url
        self.http = requests.Session()
        if cookies is not None:
            self.http.cookies.update(cookies)
        self.csrf_token = ""

    def login(self, username: str = ALICE[0], password: str = ALICE[1]) -> requests.Response:
        response = self.post("/login", json={"username": username, "password": password})
        if response.status_code == 200:
            self.csrf_token = response.json()["csrf_token"]
        return response

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.base_url + path, timeout=TIMEOUT, **kwargs)

    def post(self, path: str, csrf: bool = True, **kwargs) -> requests.Response:
        return self._unsafe("POST", path, csrf, **kwargs)

    def delete(self, path: str, csrf: bool = True, **kwargs) -> requests.Response:
        return self._unsafe("DELETE", path, csrf, **kwargs)

    def _unsafe(self, method: str, path: str, csrf: bool, **kwargs) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if csrf and self.csrf_token:
            headers.setdefault("X-CSRF-Token", self.csrf_token)
        return self.http.request(
            method, self.base_url + path, headers=headers, timeout=TIMEOUT, **kwargs
        )

    @property
    def session_id(self) -> str:
        return self.http.cookies.get("sessionid", "")


def error_code(response: requests.Response) -> str:
    assert response.headers["Content-Type"].startswith("application/json"), response.text
    return response.json()["error"]["code"]


def set_cookie(response: requests.Response) -> tuple[str, str, str]:
    """(name, value, the raw Set-Cookie header) of the one cookie a response sets."""
    header = response.headers["Set-Cookie"]
    cookie = SimpleCookie()
    cookie.load(header)
    (name,) = cookie.keys()
    return name, cookie[name].value, header


def session_row_exists(server: VariantServer, session_key: str) -> bool:
    """Whether django_session still holds the row, expired or not (read straight from SQL)."""
    query = "SELECT count(*) FROM django_session WHERE session_key = "
    if server.env.get("DATABASE_URL"):
        with psycopg.connect(server.env["DATABASE_URL"], connect_timeout=2) as conn:
            return conn.execute(query + "%s", (session_key,)).fetchone()[0] == 1
    with sqlite3.connect(server.env["SQLITE_PATH"], timeout=5) as conn:
        return conn.execute(query + "?", (session_key,)).fetchone()[0] == 1


def wait_until(condition: Callable[[], bool], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


# -- happy path and cookies -----------------------------------------------------------------


def test_login_me_cart_logout(server: VariantServer) -> None:
    tab = Tab(server.url)
    health = tab.get("/health")
    assert health.json() == {"status": "ok", "variant": "django-sessions"}

    login = tab.login()
    assert login.status_code == 200
    assert login.json()["username"] == "alice"
    assert login.headers["Cache-Control"] == "no-store"
    assert tab.get("/me").json() == {"username": "alice"}

    added = tab.post("/cart/items", json={"product_id": "sku-002", "quantity": 3})
    assert added.status_code == 200
    assert [(i["product_id"], i["quantity"]) for i in added.json()["items"]] == [("sku-002", 3)]
    assert tab.get("/cart").json() == added.json()
    removed = tab.delete("/cart/items/sku-002")
    assert removed.json() == {"items": [], "total_cents": 0}

    session_id = tab.session_id
    logout = tab.post("/logout")
    assert logout.status_code == 204
    assert logout.content == b""
    assert "Max-Age=0" in logout.headers["Set-Cookie"]
    assert not session_row_exists(server, session_id)
    assert tab.get("/me").status_code == 401


def test_session_cookie_attributes(server: VariantServer) -> None:
    name, value, header = set_cookie(Tab(server.url).login())
    attributes = [part.strip().lower() for part in header.split(";")[1:]]
    assert name == "sessionid"
    assert len(value) >= 32  # Django's 32 chars of [a-z0-9]: about 165 bits
    assert sorted(attributes) == ["httponly", "path=/", "samesite=lax"]  # no Domain/Expires


def test_secure_cookie_gets_host_prefix(start_server) -> None:
    secure = start_server("sqlite", COOKIE_SECURE="1")
    name, _, header = set_cookie(Tab(secure.url).login())
    attributes = sorted(part.strip().lower() for part in header.split(";")[1:])
    assert name == "__Host-sessionid"
    assert attributes == ["httponly", "path=/", "samesite=lax", "secure"]


# -- CSRF, fixation, logout -----------------------------------------------------------------


def test_csrf_token_missing_or_wrong_is_refused(server: VariantServer) -> None:
    tab = Tab(server.url)
    tab.login()
    item = {"product_id": "sku-001", "quantity": 1}
    assert error_code(tab.post("/cart/items", csrf=False, json=item)) == "csrf_failed"
    wrong = {"X-CSRF-Token": secrets.token_urlsafe(48)[:64]}
    assert error_code(tab.post("/cart/items", json=item, headers=wrong)) == "csrf_failed"
    cross_site = {"Sec-Fetch-Site": "cross-site"}
    assert error_code(tab.post("/cart/items", json=item, headers=cross_site)) == "csrf_failed"
    assert error_code(tab.post("/logout", csrf=False)) == "csrf_failed"
    # The token from GET /csrf is the session's (a fresh masking of the same secret).
    tab.csrf_token = tab.get("/csrf").json()["csrf_token"]
    assert tab.post("/cart/items", json=item).status_code == 200


def test_unauthenticated_is_401_before_csrf(server: VariantServer) -> None:
    anonymous = Tab(server.url)
    anonymous.csrf_token = anonymous.get("/csrf").json()["csrf_token"]
    item = {"product_id": "sku-001", "quantity": 1}
    for response in (
        anonymous.post("/cart/items", csrf=False, json=item),
        anonymous.post("/cart/items", json=item),
        anonymous.get("/cart"),
        anonymous.post("/logout", csrf=False),
    ):
        assert error_code(response) == "unauthenticated"


def test_fixation_pre_login_session_dies_at_login(server: VariantServer) -> None:
    tab = Tab(server.url)
    tab.get("/csrf")  # an anonymous cookie, stored nowhere (shared.anonymous_csrf)
    pre_login = tab.session_id
    assert pre_login and not session_row_exists(server, pre_login)
    tab.login()
    assert tab.session_id != pre_login
    assert not session_row_exists(server, pre_login)
    attacker = Tab(server.url)
    attacker.http.cookies.set("sessionid", pre_login)
    assert attacker.get("/me").status_code == 401


def test_unknown_session_id_is_not_adopted(server: VariantServer) -> None:
    made_up = {"Cookie": "sessionid=" + "a" * 32}
    assert requests.get(server.url + "/me", headers=made_up, timeout=TIMEOUT).status_code == 401
    fresh = requests.get(server.url + "/csrf", headers=made_up, timeout=TIMEOUT)
    name, value, _ = set_cookie(fresh)
    assert name == "sessionid"
    assert value != "a" * 32 and value.startswith("anon"), "a fresh, signed anonymous ID"


def test_logout_replay_is_refused(server: VariantServer) -> None:
    tab = Tab(server.url)
    tab.login()
    stolen = Tab(server.url, tab.http.cookies.copy())
    stolen.csrf_token = tab.csrf_token
    assert tab.post("/logout").status_code == 204
    assert stolen.get("/me").status_code == 401
    assert stolen.post("/logout").status_code == 401


def test_logout_all_ends_every_session_of_the_user(server: VariantServer) -> None:
    laptop, phone, other_user = Tab(server.url), Tab(server.url), Tab(server.url)
    laptop.login()
    phone.login()
    other_user.login(*BOB)
    assert laptop.post("/logout-all").status_code == 204
    assert laptop.get("/me").status_code == 401
    assert phone.get("/me").status_code == 401
    assert other_user.get("/me").status_code == 200
    assert phone.login().status_code == 200  # logging in again works
    assert phone.get("/me").status_code == 200


def test_login_failures_look_alike(server: VariantServer) -> None:
    wrong_password = Tab(server.url).login("alice", "nope")
    unknown_user = Tab(server.url).login("nobody", "nope")
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json() == unknown_user.json()
    assert "Set-Cookie" not in wrong_password.headers


# -- concurrency and instances --------------------------------------------------------------


def test_concurrent_cart_adds_from_two_tabs_all_count(server: VariantServer) -> None:
    first = Tab(server.url)
    first.login()
    second = Tab(server.url, first.http.cookies.copy())  # same session cookie, other tab
    second.csrf_token = first.csrf_token
    start = threading.Barrier(20)
    statuses: list[int] = []

    def add(tab: Tab) -> None:
        start.wait()
        response = tab.post("/cart/items", json={"product_id": "sku-005", "quantity": 1})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=add, args=(tab,)) for tab in [first, second] * 10]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 20
    (line,) = first.get("/cart").json()["items"]
    assert line["quantity"] == 20


@pytest.mark.parametrize("database", DATABASES)
def test_two_instances_share_sessions(start_server, database: str) -> None:
    key = {"SECRET_KEY": secrets.token_urlsafe(48)}  # one key for every instance
    one, two = start_server(database, **key), start_server(database, **key)
    tab = Tab(one.url)
    tab.login()
    on_two = Tab(two.url, tab.http.cookies.copy())
    on_two.csrf_token = tab.csrf_token
    assert on_two.get("/me").json() == {"username": "alice"}
    assert on_two.post("/cart/items", json={"product_id": "sku-003", "quantity": 2}).ok
    assert tab.get("/cart").json()["items"][0]["quantity"] == 2
    assert on_two.post("/logout").status_code == 204
    assert tab.get("/me").status_code == 401


# -- timeouts -------------------------------------------------------------------------------


@pytest.mark.slow
def test_idle_timeout_slides(short_server: VariantServer) -> None:
    active, idle = Tab(short_server.url), Tab(short_server.url)
    active.login()
    idle.login()
    for _ in range(6):  # 3 s of activity: longer than the 2 s idle timeout
        time.sleep(0.5)
        assert active.get("/me").status_code == 200
    assert idle.get("/me").status_code == 401


@pytest.mark.slow
def test_absolute_timeout_does_not_slide(short_server: VariantServer) -> None:
    tab = Tab(short_server.url)
    tab.login()
    statuses = []
    for _ in range(9):  # 4.5 s of activity every 0.5 s: never idle, past the 4 s deadline
        time.sleep(0.5)
        statuses.append(tab.get("/me").status_code)
    assert statuses[:5] == [200] * 5  # alive past the 2 s idle timeout: activity slid it
    assert statuses[-1] == 401
    assert statuses == sorted(statuses)  # 200s, then 401s: once refused, refused for good


@pytest.mark.slow
def test_clearsessions_removes_expired_rows(short_server: VariantServer) -> None:
    tab = Tab(short_server.url)
    tab.login()
    session_id = tab.session_id
    time.sleep(2.5)  # idle timeout is 2 s: the row has expired but is still there
    assert session_row_exists(short_server, session_id)
    manage = project_root() / "django_sessions" / "manage.py"
    subprocess.run([sys.executable, str(manage), "clearsessions"], env=short_server.env, check=True)
    assert not session_row_exists(short_server, session_id)


# -- the database going away ----------------------------------------------------------------


@pytest.mark.fault
def test_database_outage_answers_503_then_recovers(stores: Stores, start_server) -> None:
    server = start_server("postgres")
    tab = Tab(server.url)
    tab.login()
    stores.postgres.stop()
    try:
        for response in (tab.get("/me"), tab.get("/health"), Tab(server.url).login()):
            assert response.status_code == 503
            assert error_code(response) == "store_unavailable"
            assert response.headers["Retry-After"] == "1"
            assert "Traceback" not in response.text
    finally:
        stores.postgres.start()
    wait_until(lambda: tab.get("/health").status_code == 200)
    assert tab.get("/me").json() == {"username": "alice"}  # the session survived the restart


# -- bad input ------------------------------------------------------------------------------


def test_bad_inputs_get_json_errors(server: VariantServer) -> None:
    tab = Tab(server.url)
    tab.login()
    post = tab.post
    cases = [
        (post("/cart/items", data="{}", headers={"Content-Type": "text/plain"}), 415),
        (
            post(
                "/cart/items",
                data="a=1",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ),
            415,
        ),
        (post("/cart/items", data="{nope", headers={"Content-Type": "application/json"}), 400),
        (
            post(
                "/cart/items",
                data='{"quantity": 1, "quantity": 2}',
                headers={"Content-Type": "application/json"},
            ),
            400,
        ),
        (
            post("/cart/items", data="x" * 20_000, headers={"Content-Type": "application/json"}),
            413,
        ),
        (post("/cart/items", json={"product_id": "sku-001", "quantity": True}), 422),
        (post("/cart/items", json={"product_id": "sku-001", "quantity": 100}), 422),
        (post("/cart/items", json={"product_id": "sku-999", "quantity": 1}), 404),
        (tab.delete("/cart/items/sku-001"), 404),
        (post("/login", json={"username": "", "password": 5}), 422),
        (tab.get("/no/such/path"), 404),
        (tab.get("/logout"), 405),
        (tab.delete("/products"), 405),
    ]
    for response, status in cases:
        assert response.status_code == status, (response.request.url, response.text)
        assert error_code(response)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert tab.get("/logout").headers["Allow"] == "POST"
    assert Tab(server.url).get("/logout").status_code == 405  # 405 before 401
    assert tab.get("/me").status_code == 200  # nothing above broke the session


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
