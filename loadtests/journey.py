"""The shopper's journey, defined once, and one Locust user class per auth style.

Every variant is driven by the same :class:`Journey` task set; only the way a user proves
who it is differs (:class:`CookieSessionUser`: session cookie + ``X-CSRF-Token``;
:class:`BearerTokenUser`: ``Authorization: Bearer`` + refresh). So a difference in the
numbers is a difference in the server's auth design, not in what the clients ask for.
"""

from __future__ import annotations

import itertools
import os
import random
from typing import Any

from locust import FastHttpUser, TaskSet, task
from locust.exception import StopUser

from authkit.clients import AUTHS
from authkit.scenarios import SCENARIOS
from shared.catalog import PRODUCTS
from shared.users import load_user

PRODUCT_IDS = [product["id"] for product in PRODUCTS]

#: Every simulated user logs in as its own load account (``user0000``...): a shared account
#: would let one user's logout-all or cart writes disturb another's. The counter is per
#: Locust process; ``AUTHKIT_FIRST_USER`` shifts it (e.g. for a second load generator).
_next_account = itertools.count(int(os.environ.get("AUTHKIT_FIRST_USER", "0")))


def next_account() -> tuple[str, str]:
    count = int(os.environ.get("SEED_LOAD_USERS", "1000"))
    return load_user(next(_next_account) % count)


class AuthUser(FastHttpUser):
    """What both auth styles share: an account, a cart kept in step with the server.

    What a style sends and keeps is :mod:`authkit.clients`' (the same classes the tests and
    probes use); this class only adds Locust's HTTP client and request names.
    """

    abstract = True
    #: ``session`` or ``bearer``; the locustfile keeps only the class of the chosen style.
    auth_style = ""
    #: Relax the default 60 s connection timeout: a stuck server should show up as failures
    #: within a measurement, not hang it.
    network_timeout = 10.0
    connection_timeout = 5.0

    def on_start(self) -> None:
        self.username, self.password = next_account()
        self.cart: dict[str, int] = {}
        self.auth = AUTHS[self.auth_style]()
        scenario = SCENARIOS[getattr(self.environment.parsed_options, "scenario", "steady")]
        if scenario.logs_in_first:
            self.login()

    def login(self) -> None:
        self.client.cookiejar.clear()
        with self.client.post(
            "/login",
            json={"username": self.username, "password": self.password},
            headers=self.origin_header(),
            name="/login",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"login answered {response.status_code}")
                raise StopUser()  # a user that cannot log in would only add noise
            self.auth.remember(response.json())

    def logout(self) -> None:
        self.client.post("/logout", headers=self.auth_headers(unsafe=True), name="/logout")
        self.client.cookiejar.clear()
        self.auth.forget()
        self.cart = {}

    def auth_headers(self, unsafe: bool = False) -> dict[str, str]:
        origin = self.origin_header() if unsafe else {}
        return {**origin, **self.auth.headers("POST" if unsafe else "GET")}

    def origin_header(self) -> dict[str, str]:
        """``Origin`` over HTTPS, as a browser sends it with a write: Django's CSRF check of
        a secure request wants Origin (or Referer) naming the server."""
        host = (self.host or "").rstrip("/")
        return {"Origin": host} if host.startswith("https://") else {}

    def remember_cart(self, response: Any) -> None:
        if response.status_code == 200:
            self.cart = {item["product_id"]: item["quantity"] for item in response.json()["items"]}


class CookieSessionUser(AuthUser):
    """Server-side session: the cookie jar carries the session ID, the header the CSRF token."""

    abstract = True
    auth_style = "session"


class BearerTokenUser(AuthUser):
    """JWT: the access token in a header, renewed with the refresh token before it expires."""

    abstract = True
    auth_style = "bearer"

    def auth_headers(self, unsafe: bool = False) -> dict[str, str]:
        if self.auth.needs_refresh():
            self.refresh()
        return super().auth_headers(unsafe)

    def refresh(self) -> None:
        with self.client.post(
            "/token/refresh",
            json=self.auth.refresh_body(),
            name="/token/refresh",
            catch_response=True,
        ) as response:
            if response.status_code == 200:
                self.auth.remember(response.json())
            else:
                response.failure(f"refresh answered {response.status_code}")
                self.login()


class Journey(TaskSet):
    """Log in (on start), browse, read /me, add to the cart, read it, remove a line, and
    now and then log out and back in.

    Weights: about one relogin per 250 steps. A login costs one argon2id hash (tens of
    milliseconds of CPU, as much as a hundred ordinary requests), so a frequent relogin
    would drown every other cost in the same hash for every variant; the ``login``
    scenario measures it on its own.
    """

    @task(60)
    def browse_products(self) -> None:
        self.client.get("/products", name="/products")

    @task(60)
    def read_me(self) -> None:
        self.client.get("/me", headers=self.user.auth_headers(), name="/me")

    @task(45)
    def add_to_cart(self) -> None:
        if len(self.user.cart) >= 10:  # keep carts (and session records) bounded
            self.remove_line()
            return
        response = self.client.post(
            "/cart/items",
            json={"product_id": random.choice(PRODUCT_IDS), "quantity": 1},
            headers=self.user.auth_headers(unsafe=True),
            name="/cart/items",
        )
        self.user.remember_cart(response)

    @task(45)
    def read_cart(self) -> None:
        response = self.client.get("/cart", headers=self.user.auth_headers(), name="/cart")
        self.user.remember_cart(response)

    @task(30)
    def remove_line(self) -> None:
        if not self.user.cart:
            self.add_to_cart()
            return
        product_id = random.choice(list(self.user.cart))
        response = self.client.delete(
            f"/cart/items/{product_id}",
            headers=self.user.auth_headers(unsafe=True),
            name="/cart/items/[product_id]",
        )
        self.user.remember_cart(response)

    @task(1)
    def log_out_and_back_in(self) -> None:
        self.user.logout()
        self.user.login()


class AuthenticatedRead(TaskSet):
    """Only ``GET /me``: the smallest request that needs the credential checked."""

    @task
    def read_me(self) -> None:
        self.client.get("/me", headers=self.user.auth_headers(), name="/me")


class LoginChurn(TaskSet):
    """Log in, log out, again: the rate the password hash allows."""

    @task
    def login_logout(self) -> None:
        self.user.login()
        self.user.logout()
