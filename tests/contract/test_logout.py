"""Logout and logout-all: what happens to a credential afterwards is what the variant declares.

This is the difference people argue about most: a session ID dies with its server-side
record, a stateless JWT lives until it expires. Each variant declares ``revocation`` and
``logout_all`` in ``authkit/variants.py``; these tests hold it to that.
"""

from __future__ import annotations

from authkit.clients import ApiClient, BearerClient
from authkit.launcher import Target
from tests.contract.test_public import assert_json_error
from tests.targets import bearer_style, only_targets, parse_target_id, require


def _still_works(client: ApiClient) -> bool:
    status = client.get("/me").status_code
    assert status in (200, 401), status
    return status == 200


def test_logout_answers_204_and_ends_the_login_for_this_client(logged_in: ApiClient) -> None:
    response = logged_in.logout()
    assert response.status_code == 204
    assert response.content == b""
    assert "Content-Type" not in response.headers, "a 204 has no body to type"
    if logged_in.style == "session":  # the browser is told to drop the cookie
        assert (
            "Max-Age=0" in response.headers["Set-Cookie"]
            or "1970" in response.headers["Set-Cookie"]
        )
        assert logged_in.get("/me").status_code == 401


def test_logout_needs_a_credential(client: ApiClient) -> None:
    assert_json_error(client.logout(), 401, "unauthenticated")
    assert_json_error(client.logout_all(), 401, "unauthenticated")


def _revoked_at_expiry(target_id: str) -> bool:
    return parse_target_id(target_id)[0].behaviour.revocation == "at_expiry"


@only_targets(_revoked_at_expiry)
def test_a_credential_declared_valid_until_expiry_survives_logout(
    target: Target, logged_in: ApiClient
) -> None:
    """The declaration is not stale: the audit's logout-replay row proves that an immediate
    revocation is immediate, and lets ``at_expiry`` pass without asking that it is so."""
    require(target, revocation="at_expiry")
    before = logged_in.credential()
    assert logged_in.logout().status_code == 204
    assert logged_in.replay(before).get("/me").status_code == 200


@only_targets(bearer_style)
def test_refresh_token_after_logout(target: Target, logged_in: ApiClient) -> None:
    require(target, style="bearer")
    assert isinstance(logged_in, BearerClient)
    before = logged_in.credential()
    logged_in.logout()
    response = logged_in.replay(before).refresh()
    expected = 401 if target.declaration("revocation") == "immediate" else 200
    assert response.status_code == expected, response.text


def test_logout_all_ends_every_login_of_the_user(target: Target, user: tuple[str, str]) -> None:
    phone, laptop, other_user = target.client(), target.client(), target.client()
    assert phone.login(*user).status_code == 200
    assert laptop.login(*user).status_code == 200
    assert other_user.login("bob", "bob-pass-123").status_code == 200
    phone_credential = phone.credential()
    assert laptop.logout_all().status_code == 204
    if target.declaration("logout_all") == "immediate":
        assert not _still_works(phone.replay(phone_credential))
        assert not _still_works(laptop)
    else:
        assert _still_works(phone.replay(phone_credential))
    assert _still_works(other_user), "logout-all must not touch other users"
    fresh = target.client()
    assert fresh.login(*user).status_code == 200
    assert _still_works(fresh), "a login right after logout-all must work"


def _lines(response) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return [(i["product_id"], i["quantity"]) for i in response.json()["items"]]


def test_cart_after_logout_and_login_again(target: Target, user: tuple[str, str]) -> None:
    client = target.client()
    assert client.login(*user).status_code == 200
    # The add must have happened, or "the cart is empty after login" would prove nothing.
    assert _lines(client.add_item("sku-010", 3)) == [("sku-010", 3)]
    assert _lines(client.get("/cart")) == [("sku-010", 3)]
    assert client.logout().status_code == 204
    client = target.client()
    assert client.login(*user).status_code == 200
    items = client.get("/cart").json()["items"]
    if target.declaration("cart_survives_logout"):
        assert [(i["product_id"], i["quantity"]) for i in items] == [("sku-010", 3)]
    else:
        assert items == []


def test_one_logout_does_not_end_another_device(target: Target, user: tuple[str, str]) -> None:
    phone, laptop = target.client(), target.client()
    phone.login(*user)
    laptop.login(*user)
    assert phone.logout().status_code == 204
    assert _still_works(laptop)
