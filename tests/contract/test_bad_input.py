"""Input no store can hold is a 4xx with the envelope, never a 500 and never a 503.

A lone UTF-16 surrogate escape (``"\\ud800"``: valid JSON grammar, not Unicode) cannot be
encoded for Redis, a database or the password hash; a NUL is refused by PostgreSQL's text
type and kept by SQLite and Redis. A 503 would tell monitoring that the store is down and
clients to retry; a 500 would hide which side is wrong. Every test runs over real HTTP
against every target, each database included (``django-sessions[postgres]`` and
``[sqlite]``), and proves first that a normal request on the same target works, so a target
that refuses everything cannot pass.

The last tests are unit-level: an unexpected exception must be logged with its
traceback by the app (Flask's and Django's logging), which no request over HTTP can provoke
once every input above is handled.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from authkit.clients import ApiClient
from authkit.launcher import Target
from authkit.server import project_root
from tests.contract.test_public import assert_json_error
from tests.targets import bearer_style, only_targets

JSON = {"Content-Type": "application/json"}
#: Escapes of code points that are not Unicode scalar values: a high surrogate alone, a low
#: surrogate alone, and a pair in the wrong order.
LONE_SURROGATES = ["\\ud800", "\\udfff", "\\udc00\\ud800"]
#: Control characters a username cannot hold (C0, DEL, C1); NUL is the one PostgreSQL refuses.
CONTROL_CHARACTERS = ["\x00", "\n", "\x1b", "\x7f", "\x85"]


def _raw(client: ApiClient, method: str, path: str, body: str) -> requests.Response:
    """Send ``body`` as written (escapes unparsed), as JSON, with the client's credential."""
    return client.request(method, path, data=body.encode(), headers=JSON)


def _assert_client_error(response: requests.Response) -> None:
    """A 4xx with the envelope, or a normal answer: never a 5xx, never an HTML page."""
    assert response.status_code < 500, (response.status_code, response.text[:300])
    assert response.headers.get("Content-Type", "").startswith("application/json"), (
        response.status_code,
        response.headers,
    )
    if response.status_code >= 400:
        error = response.json()["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str)
    assert "Traceback" not in response.text


def _logged_in(target: Target, user: tuple[str, str]) -> ApiClient:
    client = target.client()
    response = client.login(*user)
    assert response.status_code == 200, response.text  # the target logs in normally
    return client


# -- login ------------------------------------------------------------------------------------


def test_a_control_character_in_the_username_is_a_422_in_every_store(
    target: Target, user: tuple[str, str]
) -> None:
    _logged_in(target, user)
    wrong = target.client().login(user[0], "wrong-password")
    assert_json_error(wrong, 401, "invalid_credentials")  # the refusal a 422 stands beside
    for character in CONTROL_CHARACTERS:
        for username in (user[0] + character, character, f"a{character}b"):
            response = target.client().login(username, user[1])
            body = assert_json_error(response, 422, "validation_error")
            assert set(body["error"]["fields"]) == {"username"}, body
            assert "Retry-After" not in response.headers


def test_a_control_character_in_the_password_is_a_wrong_password(
    target: Target, user: tuple[str, str]
) -> None:
    _logged_in(target, user)
    for character in CONTROL_CHARACTERS:
        response = target.client().login(user[0], user[1] + character)
        assert_json_error(response, 401, "invalid_credentials")


@pytest.mark.parametrize("field", ["username", "password"])
def test_a_lone_surrogate_in_a_login_field_is_invalid_json(
    target: Target, user: tuple[str, str], field: str
) -> None:
    _logged_in(target, user)
    for escape in LONE_SURROGATES:
        fields = {"username": json.dumps(user[0]), "password": json.dumps(user[1])}
        fields[field] = f'"{user[0]}{escape}"'
        body = f'{{"username": {fields["username"]}, "password": {fields["password"]}}}'
        response = _raw(target.client(), "POST", "/login", body)
        assert_json_error(response, 400, "invalid_json")


def test_a_lone_surrogate_in_a_key_or_an_ignored_field_is_invalid_json(
    target: Target, user: tuple[str, str]
) -> None:
    credentials = f'"username": {json.dumps(user[0])}, "password": {json.dumps(user[1])}'
    for extra in ('"\\ud800": 1', '"note": ["ok", {"deep": "\\udfff"}]'):
        response = _raw(target.client(), "POST", "/login", f"{{{credentials}, {extra}}}")
        assert_json_error(response, 400, "invalid_json")
    # The same body without the lone surrogate logs in: the refusal was the escape's.
    response = _raw(target.client(), "POST", "/login", f'{{{credentials}, "note": ["ok"]}}')
    assert response.status_code == 200, response.text


def test_an_escaped_surrogate_pair_is_ordinary_text(target: Target, user: tuple[str, str]) -> None:
    """``\\ud83d\\ude00`` is one character (U+1F600): a wrong username, not bad JSON."""
    _logged_in(target, user)
    body = '{"username": "\\ud83d\\ude00", "password": "x"}'
    assert_json_error(_raw(target.client(), "POST", "/login", body), 401, "invalid_credentials")


def test_over_long_credentials_are_a_401(target: Target, user: tuple[str, str]) -> None:
    """Longer than any column (Django's username is 150 characters), still under 16 KiB."""
    _logged_in(target, user)
    for username, password in (("u" * 5000, user[1]), (user[0], "p" * 5000), ("é" * 2000, "x")):
        response = target.client().login(username, password)
        assert_json_error(response, 401, "invalid_credentials")


@only_targets(bearer_style)
def test_a_lone_surrogate_in_a_refresh_token_or_logout_body_is_invalid_json(
    target: Target, user: tuple[str, str]
) -> None:
    if target.style != "bearer":
        pytest.skip(f"{target.id} has no refresh token (session style)")
    client = _logged_in(target, user)
    refresh = _raw(target.client(), "POST", "/token/refresh", '{"refresh_token": "a\\ud800"}')
    assert_json_error(refresh, 400, "invalid_json")
    for path in ("/logout", "/logout-all"):
        response = _raw(client, "POST", path, '{"reason": "\\ud800"}')
        assert_json_error(response, 400, "invalid_json")
    assert client.get("/me").status_code == 200  # refused requests logged nothing out


# -- cart -------------------------------------------------------------------------------------


def test_a_lone_surrogate_in_a_cart_body_is_invalid_json_and_changes_nothing(
    target: Target, user: tuple[str, str]
) -> None:
    client = _logged_in(target, user)
    added = client.add_item("sku-001", 1)
    assert added.status_code == 200, added.text
    before = client.get("/cart").json()
    for body in (
        '{"product_id": "sku-001\\ud800", "quantity": 1}',
        '{"product_id": "\\udfff", "quantity": 1}',
        '{"product_id": "sku-001", "quantity": 1, "\\ud800": true}',
        '{"\\ud800product_id": "sku-001", "quantity": 1}',
    ):
        assert_json_error(_raw(client, "POST", "/cart/items", body), 400, "invalid_json")
    assert client.get("/cart").json() == before


def test_a_control_character_in_a_product_id_is_an_unknown_product(
    target: Target, user: tuple[str, str]
) -> None:
    client = _logged_in(target, user)
    for product_id in ("sku-001\x00", "\x00", "sku-\x7f01", "s" * 5000):
        response = client.add_item(product_id, 1)
        assert_json_error(response, 404, "not_found")
    assert client.get("/cart").json()["items"] == []


def test_bad_bytes_in_a_path_or_query_are_a_404_or_the_normal_answer(
    target: Target, user: tuple[str, str]
) -> None:
    client = _logged_in(target, user)
    assert client.add_item("sku-001", 1).status_code == 200
    for quoted in ("%00", "sku-001%00", "%ED%A0%80", "%C0%AF", "%FF%FE", "%E2%80%AE"):
        # A NUL is refused by the front (400); anything else is no such line (404).
        response = client.delete(f"/cart/items/{quoted}")
        _assert_client_error(response)
        assert response.status_code in (400, 404), response.text
        _assert_client_error(
            requests.get(f"{target.url}/{quoted}", timeout=10, verify=target.verify)
        )
    me = client.get("/me?x=%00&y=%ED%A0%80&%FF=%FE")
    assert me.status_code == 200 and me.json() == {"username": user[0]}
    assert [line["product_id"] for line in client.get("/cart").json()["items"]] == ["sku-001"]


# -- cookies and headers ----------------------------------------------------------------------


def _cookie_names(target: Target, user: tuple[str, str]) -> list[str]:
    client = _logged_in(target, user)
    names = list(client.http.cookies.get_dict())
    if target.style == "session":
        assert names, "a session login sets its cookie"
    return names or ["session", "sessionid"]


#: Cookie values no server issued: an escaped NUL (RFC 6265 quoted-string escapes, which
#: Python's cookie parser decodes), raw bytes above ASCII, a UTF-8 encoded surrogate, a
#: percent-escaped NUL, and a 40-character key with a NUL in the middle.
BAD_COOKIE_VALUES = [
    b'"\\000abcdefghijkl"',
    b"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8",
    b"\xed\xa0\x80abcdefgh",
    b"%00abcdefghijkl",
    b"abcdefghijklmnopqrst\\000uvwxyz0123456789ab",
]


def test_bad_bytes_in_a_cookie_are_no_credential(target: Target, user: tuple[str, str]) -> None:
    names = _cookie_names(target, user)
    for value in BAD_COOKIE_VALUES:
        cookie = b"; ".join(name.encode() + b"=" + value for name in names)
        response = requests.get(
            target.url + "/me", headers={"Cookie": cookie}, timeout=10, verify=target.verify
        )
        assert_json_error(response, 401, "unauthenticated")
        products = requests.get(
            target.url + "/products", headers={"Cookie": cookie}, timeout=10, verify=target.verify
        )
        assert products.status_code == 200, products.text
        login = requests.post(
            target.url + "/login",
            json={"username": user[0], "password": user[1]},
            headers={"Cookie": cookie},
            timeout=10,
            verify=target.verify,
        )
        assert login.status_code == 200, login.text  # a bad cookie does not block a login


def test_bad_bytes_in_headers_are_a_4xx_or_the_normal_answer(
    target: Target, user: tuple[str, str]
) -> None:
    client = _logged_in(target, user)
    for value in [b"\xff\xfe", b"\xed\xa0\x80", "é".encode(), "\u202e".encode(), b"x" * 4000]:
        for name in ("Authorization", "X-CSRF-Token", "Sec-Fetch-Site", "X-Forwarded-For"):
            # Sent in place of the client's own header of that name.
            response = client.get("/me", headers={name: value})
            _assert_client_error(response)
            write = client.post("/cart/items", json={"product_id": "sku-002", "quantity": 1},
                                headers={name: value})  # fmt: skip
            _assert_client_error(write)
        bearer = requests.get(
            target.url + "/me",
            headers={"Authorization": b"Bearer " + value},
            timeout=10,
            verify=target.verify,
        )
        assert_json_error(bearer, 401, "unauthenticated")
    assert client.get("/me").status_code == 200  # the client's own credential still works


def test_a_control_character_in_a_header_value_is_a_400_envelope(
    target: Target, user: tuple[str, str]
) -> None:
    client = _logged_in(target, user)
    response = client.get("/me", headers={"X-CSRF-Token": b"a\x7fb"})
    assert response.status_code == 400  # a 4xx already: never a 5xx
    assert_json_error(response, 400, "bad_request")


# -- unit level: an unexpected 500 is logged with its traceback -------------------------------


#: A Flask app with the kit's JSON plumbing and a route that raises what no handler knows,
#: called as gunicorn calls it (``wsgi.errors`` is gunicorn's error log; here, stderr).
_FLASK_PROBE = """
import sys
from flask import Flask
from shared import flask_api

app = Flask("bad_input_probe")
flask_api.install(app, store_errors=())

@app.get("/boom")
def boom():
    raise LookupError("the probe's own exception")

response = app.test_client().get("/boom", environ_overrides={"wsgi.errors": sys.stderr})
print(response.status_code, response.get_data(as_text=True).strip())
"""

#: The same through django-sessions' settings, middleware and ``handler500``.
_DJANGO_PROBE = """
import sys, types
import django
django.setup()
from django.contrib.auth.decorators import login_not_required
from django.test import Client
from django.test.utils import override_settings
from django.urls import path

@login_not_required
def boom(request):
    raise LookupError("the probe's own exception")

urls = types.ModuleType("bad_input_probe_urls")
urls.urlpatterns = [path("boom", boom)]
urls.handler500 = "django_sessions.errors.server_error"
sys.modules[urls.__name__] = urls
with override_settings(ROOT_URLCONF=urls.__name__):
    response = Client(raise_request_exception=False).get("/boom")
print(response.status_code, response.content.decode())
"""


@pytest.mark.parametrize("probe", [_FLASK_PROBE, _DJANGO_PROBE], ids=["flask", "django"])
def test_an_unexpected_error_is_a_500_envelope_and_logged_with_its_traceback(
    probe: str, tmp_path: Path
) -> None:
    """In a child process, as under gunicorn: pytest installs logging handlers of its own,
    which would change where Flask logs, and Django is configured once per process."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "django_sessions.settings",
        "SECRET_KEY": "bad-input-probe-" + "k" * 40,
        "SQLITE_PATH": str(tmp_path / "probe.sqlite3"),
        "ALLOWED_HOSTS": "testserver",
        "PYTHONPATH": str(project_root()),
    }
    env.pop("DATABASE_URL", None)
    child = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        cwd=project_root(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    status, _, body = child.stdout.strip().splitlines()[-1].partition(" ")
    assert status == "500", child.stdout
    assert json.loads(body)["error"]["code"] == "internal_error"
    assert "Traceback" not in body and "LookupError" not in body
    assert "Traceback (most recent call last)" in child.stderr, child.stderr[-3000:]
    assert "LookupError: the probe's own exception" in child.stderr, child.stderr[-3000:]
