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

This module and :mod:`authkit.variants` are the only places that know what a style is:
code elsewhere asks the style's auth class (:func:`auth_for`) what applies to it
(``credential_in_cookie``, ``credential_is_token``, ``sends_csrf_token``, ``refreshes``)
instead of comparing style names.
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
    #: The credential travels in a cookie the client's jar keeps (so cookie attributes,
    #: SameSite and CSRF are what protect it).
    credential_in_cookie = True
    #: The credential is a signed token the client presents itself (a JWT).
    credential_is_token = False
    #: Unsafe requests carry the CSRF token handed out at login.
    sends_csrf_token = True
    #: A refresh token renews the credential (``POST /token/refresh``).
    refreshes = False

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
    credential_in_cookie = False
    credential_is_token = True
    sends_csrf_token = False
    refreshes = True
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


Auth = SessionAuth | BearerAuth

AUTHS: dict[str, type[Auth]] = {
    "session": SessionAuth,
    "bearer": BearerAuth,
}


def auth_for(style: str) -> type[Auth]:
    """What the style sends and keeps (ask it, e.g. ``auth_for(style).refreshes``)."""
    return AUTHS[style]


class ApiClient:
    """A requests session speaking the contract as a client of one auth style."""

    style: str
    auth: Auth

    def __init__(
        self, base_url: str, http: requests.Session | None = None, verify: str | bool = True
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http or requests.Session()
        #: What TLS certificates to trust: a CA file (a run's own CA) or True (the system's).
        #: Passed on each request: ``REQUESTS_CA_BUNDLE`` would override a session's own.
        self.verify = verify
        self.username: str | None = None
        self.auth = AUTHS[self.style]()
        #: The last login answer (its headers and body size are what the probes weigh).
        self.login_response: requests.Response | None = None

    # -- plain HTTP ---------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        kwargs.setdefault("verify", self.verify)
        headers = {
            **self.transport_headers(method),
            **self.auth_headers(method),
            **kwargs.pop("headers", {}),
        }
        return self.http.request(method, self.base_url + path, headers=headers, **kwargs)

    def transport_headers(self, method: str) -> dict[str, str]:
        """Headers a browser would add for this origin (none but a session client's)."""
        return {}

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    # -- the auth journey ---------------------------------------------------------------

    def login(
        self, username: str, password: str, remember: bool | None = None
    ) -> requests.Response:
        """``POST /login``; ``remember`` is sent only when given (the contract's default is
        false: a session cookie that ends with the browser)."""
        body: dict[str, Any] = {"username": username, "password": password}
        if remember is not None:
            body["remember"] = remember
        response = self.post("/login", json=body)
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

    def issued_at_login(self) -> dict[str, int]:
        """Bytes of each piece of credential the last login answer handed out."""
        raise NotImplementedError

    def refresh(self) -> requests.Response:
        """Renew the credential (only for styles whose auth ``refreshes``)."""
        raise NotImplementedError(f"{self.style} credentials are not refreshed")


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

    def transport_headers(self, method: str) -> dict[str, str]:
        """``Origin`` on unsafe requests over HTTPS, as a browser sends it: Django's CSRF
        check on a secure request wants Origin or Referer naming the server itself."""
        if method.upper() in UNSAFE and self.base_url.startswith("https://"):
            return {"Origin": self.base_url}
        return {}

    def fetch_csrf(self) -> requests.Response:
        response = self.get("/csrf")
        if response.status_code == 200:
            self.csrf_token = response.json()["csrf_token"]
        return response

    def credential(self) -> dict[str, Any]:
        return {"cookies": self.http.cookies.get_dict(), "csrf_token": self.csrf_token}

    def replay(self, credential: dict[str, Any]) -> SessionClient:
        client = SessionClient(self.base_url, verify=self.verify)
        client.http.cookies.update(credential["cookies"])
        client.csrf_token = credential["csrf_token"]
        client.username = self.username
        return client

    def issued_at_login(self) -> dict[str, int]:
        response = self.login_response
        assert response is not None, "log the client in first"
        set_cookies = response.raw.headers.getlist("Set-Cookie") if response.raw else []
        return {
            "set_cookie_bytes": sum(len(c) for c in set_cookies),
            "csrf_token_bytes": len(response.json().get("csrf_token", "")),
        }

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
            self.base_url + "/token/refresh",
            json=self.auth.refresh_body(),
            timeout=TIMEOUT,
            verify=self.verify,
        )
        if response.status_code == 200:
            self.remember(response)
        return response

    def credential(self) -> dict[str, Any]:
        return {"access_token": self.access_token, "refresh_token": self.refresh_token}

    def issued_at_login(self) -> dict[str, int]:
        response = self.login_response
        assert response is not None, "log the client in first"
        body = response.json()
        return {
            "access_token_bytes": len(body.get("access_token", "")),
            "refresh_token_bytes": len(body.get("refresh_token", "")),
        }

    def replay(self, credential: dict[str, Any]) -> BearerClient:
        client = BearerClient(self.base_url, verify=self.verify)
        client.access_token = credential["access_token"]
        client.refresh_token = credential["refresh_token"]
        client.username = self.username
        return client


CLIENTS: dict[str, type[ApiClient]] = {"session": SessionClient, "bearer": BearerClient}


def client_for(style: str, base_url: str, verify: str | bool = True) -> ApiClient:
    return CLIENTS[style](base_url, verify=verify)
