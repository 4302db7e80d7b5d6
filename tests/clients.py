"""One client adapter per auth style, so a contract test reads the same for every variant.

A test says ``client.login("alice", ...)``, ``client.post("/cart/items", json=...)``,
``client.logout()``; the adapter knows whether that means a cookie plus ``X-CSRF-Token``
or an ``Authorization: Bearer`` header, and how to refresh. ``credential()`` takes a copy of
what the client holds, and ``replay(credential)`` builds a client that presents it again:
that is how revocation after logout is tested.
"""

from __future__ import annotations

from typing import Any

import requests

TIMEOUT = 10
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class ApiClient:
    style: str

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()
        self.username: str | None = None

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
            self.remember(response)
        return response

    def logout(self) -> requests.Response:
        return self.post("/logout")

    def logout_all(self) -> requests.Response:
        return self.post("/logout-all")

    def add_item(self, product_id: str, quantity: int = 1) -> requests.Response:
        return self.post("/cart/items", json={"product_id": product_id, "quantity": quantity})

    # -- what each style defines --------------------------------------------------------

    def auth_headers(self, method: str) -> dict[str, str]:
        raise NotImplementedError

    def remember(self, login_response: requests.Response) -> None:
        raise NotImplementedError

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

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self.csrf_token: str | None = None

    def auth_headers(self, method: str) -> dict[str, str]:
        if method in UNSAFE and self.csrf_token:
            return {"X-CSRF-Token": self.csrf_token}
        return {}

    def remember(self, login_response: requests.Response) -> None:
        self.csrf_token = login_response.json()["csrf_token"]

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

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self.access_token: str | None = None
        self.refresh_token: str | None = None

    def auth_headers(self, method: str) -> dict[str, str]:
        if self.access_token:
            return {"Authorization": f"Bearer {self.access_token}"}
        return {}

    def remember(self, login_response: requests.Response) -> None:
        body = login_response.json()
        self.access_token = body["access_token"]
        self.refresh_token = body["refresh_token"]

    def refresh(self) -> requests.Response:
        response = self.http.post(
            self.base_url + "/token/refresh",
            json={"refresh_token": self.refresh_token},
            timeout=TIMEOUT,
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
