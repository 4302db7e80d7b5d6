"""Named sets of variants and the two families they fall into, read from the registry.

Beside :mod:`authkit.variants` because both come from the variants' declarations, never
their names: ``authkit compare --variants all`` (or ``main``, ``server-side``,
``client-side``) expands here, and the report groups variants by where they keep their
session state (server-side stores, client-side credentials).
"""

from __future__ import annotations

from collections.abc import Iterable

from authkit.variants import VARIANTS, Variant


def variant_sets() -> dict[str, tuple[str, ...]]:
    """Named sets for ``--variants``, from the registry (anything else is a variant name):
    ``main`` is what ``make compare`` measures by default (``Variant.in_default_compare``)."""
    return {
        "main": tuple(n for n, v in VARIANTS.items() if v.in_default_compare),
        "all": tuple(VARIANTS),
        "server-side": tuple(
            n for n, v in VARIANTS.items() if v.behaviour.session_state == "server"
        ),
        "client-side": tuple(
            n for n, v in VARIANTS.items() if v.behaviour.session_state == "client"
        ),
    }


def expand_variant_names(names: Iterable[str] | None) -> list[str]:
    """Variant names for ``--variants``: set names (``all``, ``main``...) expanded, order kept,
    duplicates dropped; ``None`` means the default set, ``main``."""
    expanded: list[str] = []
    sets = variant_sets()
    for name in names or ["main"]:
        for item in sets.get(name, (name,)):
            if item not in expanded:
                expanded.append(item)
    return expanded


def families(variants: Iterable[Variant]) -> dict[str, list[str]]:
    """``{"server": [...], "client": [...]}``: where each variant keeps its session state."""
    grouped: dict[str, list[str]] = {"server": [], "client": []}
    for variant in variants:
        grouped[variant.behaviour.session_state].append(variant.name)
    return grouped
