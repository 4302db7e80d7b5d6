"""One client per auth style, used by everything that talks to a variant: the contract
suite, the focused tests, the compare probes and (through :class:`SessionAuth` and
:class:`BearerAuth`) the Locust users.

The auth classes hold what each style knows and nothing about HTTP transport: which
headers a request needs, what to keep from a login answer, when to refresh. The requests
based :class:`ApiClient` wraps one of them, so a test says ``client.login("alice", ...)``,
``client.post("/cart/items", json=...)``, ``client.logout()`` the same way for every
variant. ``credential()`` takes a copy of what the client holds, and
``replay(credential)`` builds a client that presents it again: that is how revocation
after logout is tested and measured.
"""

from __future__ import annotations

import time
from typing import Any

import requests

TIMEOUT = 10
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class SessionAuth:
    """Cookie session: the cookie jar carries the session ID; unsafe requests add the CSRF
    token the server handed out at login (or from ``GET /csrf``)."""

    style = "session"

    def __init__(self) -> None:
        self.csrf_token: str | None = None

    def remember(self, login_body: dict[str, Any]) -> None:
        self.csrf_token = login_body["csrf_token"]

    def forget(self) -> None:
        self.csrf_token = None

    def headers(self, method: str) -> dict[str, str]:
        if method.upper() in UNSAFE and self.csrf_token:
            return {"X-CSRF-Token": self.csrf_token}
        return {}


class BearerAuth:
    """Access and refresh token: ``Authorization: Bearer`` on every request, and a refresh
    once less than ``refresh_margin`` of the access token's lifetime is left."""

    style = "bearer"
    refresh_margin = 0.1

    def __init__(self) -> None:
        self.access_token: str | None = None
        self.refresh_token: str | None = None
        self.refresh_at = float("inf")

    def remember(self, login_body: dict[str, Any]) -> None:
        self.access_token = login_body["access_token"]
        self.refresh_token = login_body["refresh_token"]
        expires_in = float(login_body.get("expires_in") or 300)
        self.refresh_at = time.monotonic() + expires_in * (1 - self.refresh_margin)

    def forget(self) -> None:
        self.access_token = self.refresh_token = None
        self.refresh_at = float("inf")

    def headers(self, method: str) -> dict[str, str]:
        if self.access_token:
            return {"Authorization": f"Bearer {self.access_token}"}
        return {}

    def needs_refresh(self) -> bool:
        return bool(self.refresh_token) and time.monotonic() >= self.refresh_at

    def refresh_body(self) -> dict[str, Any]:
        return {"refresh_token": self.refresh_token}


AUTHS: dict[str, type[SessionAuth] | type[BearerAuth]] = {
    "session": SessionAuth,
    "bearer": BearerAuth,
}


class ApiClient:
    """A requests session speaking the contract as a client of one auth style."""

    style: str
    auth: SessionAuth | BearerAuth

    def __init__(self, base_url: str, http: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http or requests.Session()
        self.username: str | None = None
        self.auth = AUTHS[self.style]()
        #: The last login answer (its headers and body size are what the probes weigh).
        self.login_response: requests.Response | None = None

    # -- plain HTTP ---------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        headers = {**self.auth_headers(method), **kwargs.pop("headers", {})}
        return self.http.request(method, self.base_url + path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    # -- the auth journey ---------------------------------------------------------------

    def login(self, username: str, password: str) -> requests.Response:
        response = self.post("/login", json={"username": username, "password": password})
        if response.status_code == 200:
            self.username = username
            self.login_response = response
            self.remember(response)
        return response

    def logout(self) -> requests.Response:
        return self.post("/logout")

    def logout_all(self) -> requests.Response:
        return self.post("/logout-all")

    def add_item(self, product_id: str, quantity: int = 1) -> requests.Response:
        return self.post("/cart/items", json={"product_id": product_id, "quantity": quantity})

    def auth_headers(self, method: str) -> dict[str, str]:
        return self.auth.headers(method)

    def remember(self, login_response: requests.Response) -> None:
        self.auth.remember(login_response.json())

    # -- the credential on the wire -----------------------------------------------------

    def credential_headers(self, method: str = "GET") -> dict[str, str]:
        """Every header that carries the credential (cookies included), as sent."""
        headers = dict(self.auth_headers(method))
        cookies = self.http.cookies.get_dict()
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        return headers

    def header_line(self) -> str:
        """The credential of a read as one ``Name: value`` header (for wrk)."""
        name, value = next(iter(self.credential_headers().items()), ("X-None", ""))
        return f"{name}: {value}"

    # -- what each style defines --------------------------------------------------------

    def credential(self) -> Any:
        """A copy of what this client presents as its credential."""
        raise NotImplementedError

    def replay(self, credential: Any) -> ApiClient:
        """A new client presenting ``credential`` (e.g. one taken before logout)."""
        raise NotImplementedError

    def another_tab(self) -> ApiClient:
        """A second client sharing this one's credential, as a second browser tab would."""
        return self.replay(self.credential())


class SessionClient(ApiClient):
    """A browser-like client: the cookie jar carries the session; unsafe calls add the token."""

    style = "session"
    auth: SessionAuth

    @property
    def csrf_token(self) -> str | None:
        return self.auth.csrf_token

    @csrf_token.setter
    def csrf_token(self, value: str | None) -> None:
        self.auth.csrf_token = value

    def fetch_csrf(self) -> requests.Response:
        response = self.get("/csrf")
        if response.status_code == 200:
            self.csrf_token = response.json()["csrf_token"]
        return response

    def credential(self) -> dict[str, Any]:
        return {"cookies": self.http.cookies.get_dict(), "csrf_token": self.csrf_token}

    def replay(self, credential: dict[str, Any]) -> SessionClient:
        client = SessionClient(self.base_url)
        client.http.cookies.update(credential["cookies"])
        client.csrf_token = credential["csrf_token"]
        client.username = self.username
        return client

    def session_cookie(self) -> tuple[str, str] | None:
        cookies = self.http.cookies.get_dict()
        return next(iter(cookies.items()), None)


class BearerClient(ApiClient):
    """An API client holding an access and a refresh token; it sends no cookies."""

    style = "bearer"
    auth: BearerAuth

    @property
    def access_token(self) -> str | None:
        return self.auth.access_token

    @access_token.setter
    def access_token(self, value: str | None) -> None:
        self.auth.access_token = value

    @property
    def refresh_token(self) -> str | None:
        return self.auth.refresh_token

    @refresh_token.setter
    def refresh_token(self, value: str | None) -> None:
        self.auth.refresh_token = value

    def refresh(self) -> requests.Response:
        response = self.http.post(
            self.base_url + "/token/refresh", json=self.auth.refresh_body(), timeout=TIMEOUT
        )
        if response.status_code == 200:
            self.remember(response)
        return response

    def credential(self) -> dict[str, Any]:
        return {"access_token": self.access_token, "refresh_token": self.refresh_token}

    def replay(self, credential: dict[str, Any]) -> BearerClient:
        client = BearerClient(self.base_url)
        client.access_token = credential["access_token"]
        client.refresh_token = credential["refresh_token"]
        client.username = self.username
        return client


CLIENTS: dict[str, type[ApiClient]] = {"session": SessionClient, "bearer": BearerClient}


def client_for(style: str, base_url: str) -> ApiClient:
    return CLIENTS[style](base_url)
