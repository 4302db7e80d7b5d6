"""What every check stands on: the outcome names, the registry, the helpers they share.

A check takes a :class:`~authkit.launcher.Target` and does what an outside attacker would do
over real HTTP; its proofs that a step worked (:func:`require`, :func:`logged_in`, ...) raise
:class:`PreconditionFailed`, which :func:`run_check` reports as a finding, never as held.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import Morsel, SimpleCookie
from typing import Any

import requests

from authkit.clients import ApiClient, auth_for
from authkit.launcher import Target

HELD, FINDING, DIFFERS, NA = "held", "finding", "declared difference", "n/a"
TIMEOUT = 10
ITEM = {"product_id": "sku-001", "quantity": 1}


class PreconditionFailed(Exception):
    """A step the check stands on did not work, so its verdict would prove nothing."""


@dataclass
class Observation:
    outcome: str
    detail: str = ""


@dataclass(frozen=True)
class Check:
    id: str
    group: str
    title: str
    reference: str
    run: Callable[[Target], Observation]


CHECKS: list[Check] = []


def check(id: str, group: str, title: str, reference: str) -> Callable:
    def register(func: Callable[[Target], Observation]) -> Callable:
        CHECKS.append(Check(id, group, title, reference, func))
        return func

    return register


def logged_in(target: Target) -> ApiClient:
    """A client of a fresh user, logged in; a failed login is a :class:`PreconditionFailed`."""
    client = target.client()
    require_login(client.login(*target.fresh_user()))
    return client


def require(condition: bool, what: str) -> None:
    if not condition:
        raise PreconditionFailed(what)


def require_login(response: requests.Response) -> None:
    require(
        response.status_code == 200,
        f"login failed: {response.status_code} {response.text[:120]}",
    )


def cart_items(client: ApiClient) -> list[Any]:
    """The cart's lines; an unreadable cart would make "nothing was added" vacuous."""
    response = client.get("/cart")
    require(response.status_code == 200, f"GET /cart answered {response.status_code}")
    return response.json().get("items", [])


def require_writes_work(client: ApiClient) -> None:
    """A well-formed write is applied: so the refusals the check saw were of the bad input,
    not of every write (call it after the check's own "nothing added" reading)."""
    response = client.post("/cart/items", json=ITEM)
    require(
        response.status_code == 200 and bool(cart_items(client)),
        f"a well-formed write answered {response.status_code}",
    )


def require_me_ok(client: ApiClient, when: str) -> None:
    status = client.get("/me").status_code
    require(status == 200, f"the credential {when} got {status} on GET /me")


def held_if(condition: bool, detail: str) -> Observation:
    return Observation(HELD if condition else FINDING, detail)


def set_cookie_headers(response: requests.Response) -> list[str]:
    """Each ``Set-Cookie`` header of ``response``, one cookie each.

    Read from the raw headers: ``response.headers`` joins repeated headers with ", ", which
    an ``Expires`` date holds too, so no parser could split them again.
    """
    return response.raw.headers.getlist("Set-Cookie") if response.raw is not None else []


def parse_set_cookie(header: str) -> tuple[str, Morsel]:
    """One ``Set-Cookie`` header as (name, attributes), by the standard library's parser;
    :class:`http.cookies.CookieError` or :class:`ValueError` when it is not one cookie."""
    ((name, morsel),) = SimpleCookie(header).items()
    return name, morsel


def is_envelope(response: requests.Response, status: int | tuple[int, ...]) -> bool:
    statuses = (status,) if isinstance(status, int) else status
    if response.status_code not in statuses:
        return False
    if not response.headers.get("Content-Type", "").startswith("application/json"):
        return False
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    return isinstance(error.get("code"), str) and isinstance(error.get("message"), str)


def status_codes(*responses: requests.Response) -> str:
    return ", ".join(str(r.status_code) for r in responses)


def session_only(target: Target) -> Observation | None:
    return (
        None
        if auth_for(target.style).credential_in_cookie
        else Observation(NA, "bearer tokens: no cookie")
    )


def bearer_only(target: Target) -> Observation | None:
    return (
        None
        if auth_for(target.style).credential_is_token
        else Observation(NA, "session cookie: no JWT")
    )


def me_with(target: Target, token: str) -> requests.Response:
    return requests.get(
        target.url + "/me",
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
        verify=target.verify,
    )


def run_check(check_: Check, target: Target) -> Observation:
    """Run one check; an exception is a finding (with its message), never a crash."""
    try:
        return check_.run(target)
    except PreconditionFailed as exc:
        return Observation(FINDING, f"precondition failed: {exc}"[:300])
    except Exception as exc:  # a check that cannot complete is reported, not raised
        return Observation(FINDING, f"check failed: {type(exc).__name__}: {exc}"[:300])
