"""Unit tests of the shared rules every variant applies: bodies, cart lines, settings, hashing."""

from __future__ import annotations

import pytest

from shared.bodies import parse_json_object
from shared.cart import add_line, parse_add_item, remove_line, render_cart
from shared.errors import STATUS_BY_CODE, ApiError
from shared.passwords import hash_password, password_hasher, verify_password
from shared.settings import Settings, SettingsError

JSON = "application/json"


def _code(call) -> str:
    with pytest.raises(ApiError) as caught:
        call()
    return caught.value.code


@pytest.mark.parametrize(
    ("raw", "content_type", "code"),
    [
        (b"{", JSON, "invalid_json"),
        (b"[]", JSON, "invalid_json"),
        (b'"text"', JSON, "invalid_json"),
        (b'{"a": NaN}', JSON, "invalid_json"),
        (b'{"a": -Infinity}', JSON, "invalid_json"),
        (b'{"a": 1e400}', JSON, "invalid_json"),
        (b'{"a": ' + b"9" * 5000 + b"}", JSON, "invalid_json"),
        (b'{"a": 1, "a": 2}', JSON, "invalid_json"),
        (b"\xc3\x28", JSON, "invalid_json"),
        (b"[" * 100_00 + b"]" * 100_00, JSON, "payload_too_large"),
        (b"{}", "text/plain", "unsupported_media_type"),
        (b"{}", None, "unsupported_media_type"),
        (b"{}", "application/jsonx", "unsupported_media_type"),
    ],
)
def test_bad_bodies(raw: bytes, content_type: str | None, code: str) -> None:
    assert _code(lambda: parse_json_object(raw, content_type)) == code


def test_good_bodies() -> None:
    assert parse_json_object(b'{"a": 1.5}', "application/json; charset=utf-8") == {"a": 1.5}
    assert parse_json_object(b'{"a": {"b": [1]}}', "Application/JSON") == {"a": {"b": [1]}}


def test_deep_nesting_is_invalid_json_not_a_crash() -> None:
    assert _code(lambda: parse_json_object(b"[" * 5000 + b"]" * 5000, JSON)) == "invalid_json"


@pytest.mark.parametrize("quantity", [0, 100, -1, True, False, 1.0, "1", None, [1]])
def test_quantity_rules(quantity: object) -> None:
    with pytest.raises(ApiError) as error:
        parse_add_item({"product_id": "sku-001", "quantity": quantity})
    assert error.value.code == "validation_error"
    assert "quantity" in error.value.fields


def test_cart_lines() -> None:
    assert parse_add_item({"product_id": "sku-001", "quantity": 99, "price": 0}) == ("sku-001", 99)
    assert _code(lambda: parse_add_item({"product_id": "sku-000", "quantity": 1})) == "not_found"
    lines = add_line(add_line({}, "sku-001", 98), "sku-001", 1)
    assert lines == {"sku-001": 99}
    assert _code(lambda: add_line(lines, "sku-001", 1)) == "validation_error"
    assert remove_line(lines, "sku-001") == {}
    assert _code(lambda: remove_line({}, "sku-001")) == "not_found"
    cart = render_cart({"sku-001": 2, "sku-gone": 1})
    assert [i["product_id"] for i in cart["items"]] == ["sku-001"]
    assert cart["total_cents"] == 2 * cart["items"][0]["unit_price_cents"]


def test_every_error_code_has_a_status() -> None:
    assert {STATUS_BY_CODE[c] for c in STATUS_BY_CODE} <= {
        400,
        401,
        403,
        404,
        405,
        413,
        415,
        422,
        429,
        500,
        503,
    }
    with pytest.raises(ValueError):
        ApiError("no_such_code", "x")


def test_secret_key_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "x" * 31)
    with pytest.raises(SettingsError):
        Settings.from_env()
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    assert Settings.from_env().secret_key == "x" * 32
    monkeypatch.delenv("SECRET_KEY")
    with pytest.warns(RuntimeWarning, match="SECRET_KEY is not set"):
        first = Settings.from_env().secret_key
    assert len(first) >= 32
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("SESSION_IDLE_SECONDS", "soon")
    with pytest.raises(SettingsError, match="SESSION_IDLE_SECONDS"):
        Settings.from_env()


def test_password_hashing_uses_the_shared_argon2id_parameters() -> None:
    hasher = password_hasher()
    assert (hasher.memory_cost, hasher.time_cost, hasher.parallelism) == (19456, 2, 1)
    stored = hash_password("correct horse battery staple " * 3)  # 87 chars: never truncated
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(stored, "correct horse battery staple " * 3)
    assert not verify_password(stored, ("correct horse battery staple " * 3)[:-1])
    assert not verify_password(None, "anything")
    assert not verify_password("not-a-hash", "anything")


@pytest.mark.parametrize("value", ["0", "-1", "abc", "nan", "inf", "1e9", " "])
def test_store_timeout_must_be_a_sane_number_of_seconds(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("STORE_TIMEOUT_SECONDS", value)
    with pytest.raises(SettingsError, match="STORE_TIMEOUT_SECONDS"):
        Settings.from_env()


def test_store_timeout_accepts_fractions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("STORE_TIMEOUT_SECONDS", "0.25")
    assert Settings.from_env().store_timeout_seconds == 0.25
