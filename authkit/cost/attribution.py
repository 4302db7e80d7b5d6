"""Placeholder: filled in below."""

from __future__ import annotations

from typing import Any


def attribute(document: dict[str, Any]) -> dict[str, Any]:
    return {}
