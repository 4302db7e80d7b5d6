"""Strict parsing of JSON request bodies, identical in every variant.

Python's ``json`` module is lenient in ways an API must not be: it accepts ``NaN`` and
``Infinity``, turns ``1e400`` into ``inf``, and keeps the last of duplicate keys (so
``{"quantity": 1, "quantity": -5}`` could mean different things to a proxy and to us).
The framework helpers (``request.get_json``, ``json.loads``) inherit all of that, hence
this small parser.
"""

from __future__ import annotations

import json
import math
from typing import Any

from shared.errors import ApiError
from shared.settings import MAX_BODY_BYTES

#: The one message of every ``invalid_json`` answer.
INVALID_JSON_MESSAGE = (
    "The request body is not valid JSON (UTF-8, no NaN/Infinity, no duplicate keys)."
)


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
        data = json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=_unique_keys,
            parse_constant=_reject_constant,
            parse_float=_parse_float,
        )
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        # A fixed message: the parser's own text would echo the client's input back and
        # tell a prober which Python library parsed it (matrix F.44).
        raise ApiError("invalid_json", INVALID_JSON_MESSAGE) from None
    if not isinstance(data, dict):
        raise ApiError("invalid_json", "The request body must be a JSON object.")
    return data


def require_string_fields(data: dict[str, Any], *names: str) -> list[str]:
    """The named fields as non-empty strings, or a 422 naming each bad field."""
    problems = {
        name: "must be a non-empty string"
        for name in names
        if not isinstance(data.get(name), str) or not data.get(name)
    }
    if problems:
        raise ApiError("validation_error", "Some fields are invalid.", problems)
    return [data[name] for name in names]
