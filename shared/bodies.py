"""Strict parsing of JSON request bodies, identical in every variant.

Python's ``json`` module is lenient in ways an API must not be: it accepts ``NaN`` and
``Infinity``, turns ``1e400`` into ``inf``, keeps the last of duplicate keys (so
``{"quantity": 1, "quantity": -5}`` could mean different things to a proxy and to us), and
turns an escaped lone UTF-16 surrogate (``"\\ud800"``) into a Python string that no UTF-8
encoder, hence no Redis, database or password hash, accepts. The framework helpers
(``request.get_json``, ``json.loads``) inherit all of that, hence this small parser. Each of
its refusals is a rule of I-JSON (RFC 7493), the profile of RFC 8259 for interoperable texts.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from shared.errors import ApiError
from shared.settings import MAX_BODY_BYTES

#: The one message of every ``invalid_json`` answer.
INVALID_JSON_MESSAGE = (
    "The request body is not valid JSON (UTF-8, no NaN/Infinity, no duplicate keys, "
    "no lone surrogate escapes)."
)

#: A UTF-16 surrogate code point: in a parsed string only an escape such as ``\ud800``
#: without its pair can produce one (strict UTF-8 decoding refuses encoded surrogates).
_SURROGATE = re.compile("[\ud800-\udfff]")
#: Unicode control characters (category Cc: C0, DEL, C1), refused in usernames.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _has_lone_surrogate(data: Any) -> bool:
    """Whether any key or string value anywhere in ``data`` holds a lone surrogate.

    A loop over a stack rather than recursion: the parser already accepted the nesting
    depth, and a recursive walk on top of a deep request could hit the recursion limit.
    """
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def is_json_content_type(content_type: str | None) -> bool:
    """True for ``application/json`` with or without parameters such as ``charset``."""
    if not content_type:
        return False
    return content_type.split(";", 1)[0].strip().lower() == "application/json"


def check_body_size(content_length: int | None) -> None:
    """Refuse a body whose declared length is over the limit, before reading it."""
    if content_length is not None and content_length > MAX_BODY_BYTES:
        raise ApiError(
            "payload_too_large", f"Request bodies are limited to {MAX_BODY_BYTES} bytes."
        )


def parse_json_object(raw: bytes, content_type: str | None) -> dict[str, Any]:
    """The request body as a JSON object, or an :class:`ApiError` saying what is wrong."""
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(
            "payload_too_large", f"Request bodies are limited to {MAX_BODY_BYTES} bytes."
        )
    if not is_json_content_type(content_type):
        raise ApiError("unsupported_media_type", "Request bodies must be application/json.")
    try:
        text = raw.decode("utf-8")
        data = json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_constant=_reject_constant,
            parse_float=_parse_float,
        )
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        # A fixed message: the parser's own text would echo the client's input back and
        # tell a prober which Python library parsed it (matrix F.44).
        raise ApiError("invalid_json", INVALID_JSON_MESSAGE) from None
    # 400 invalid_json, like the other texts I-JSON refuses (duplicate names, numbers out
    # of range), not 422: the string is not Unicode text at all, it may be a key (no field
    # to name) as well as a value, and raw invalid UTF-8 bytes already answer 400; the
    # escape is the same input spelled differently. Only an escape can make one, so bodies
    # without ``\u`` skip the walk.
    if "\\u" in text and _has_lone_surrogate(data):
        raise ApiError("invalid_json", INVALID_JSON_MESSAGE)
    if not isinstance(data, dict):
        raise ApiError("invalid_json", "The request body must be a JSON object.")
    return data


def _string_problems(data: dict[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    return {
        name: "must be a non-empty string"
        for name in names
        if not isinstance(data.get(name), str) or not data.get(name)
    }


def require_string_fields(data: dict[str, Any], *names: str) -> list[str]:
    """The named fields as non-empty strings, or a 422 naming each bad field."""
    problems = _string_problems(data, names)
    if problems:
        raise ApiError("validation_error", "Some fields are invalid.", problems)
    return [data[name] for name in names]


def login_fields(data: dict[str, Any]) -> tuple[str, str, bool]:
    """``(username, password, remember)`` of a ``POST /login`` body, or a 422 naming each
    bad field.

    A username holding a control character (NUL, newline, DEL, C1...) is refused with 422,
    before any store is asked: no account can be named so, the rule depends on the input
    alone (so the answer says nothing about which accounts exist), and it makes the stores
    agree (PostgreSQL cannot hold NUL in text; SQLite and Redis can, and would answer 401).
    Passwords are opaque: any Unicode string goes to the hash, and a wrong one is a 401.
    ``remember`` is optional and false by default; anything but a JSON boolean is a 422
    (``1`` or ``"yes"`` would otherwise mean whatever each framework's truthiness says).
    """
    problems = _string_problems(data, ("username", "password"))
    remember = data.get("remember", False)
    if not isinstance(remember, bool):
        problems["remember"] = "must be true or false"
    if problems:
        raise ApiError("validation_error", "Some fields are invalid.", problems)
    username, password = data["username"], data["password"]
    if _CONTROL.search(username):
        raise ApiError(
            "validation_error",
            "Some fields are invalid.",
            {"username": "must not contain control characters"},
        )
    return username, password, remember
