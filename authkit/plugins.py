"""Registry entries from outside the kit: ``AUTHKIT_PLUGINS=my_pkg.authkit_entries``.

Each module named (comma-separated) is imported once, after the built-in variants and
scenarios are registered; it calls :func:`authkit.variants.register_variant`,
:func:`authkit.variants.register_framework` or :func:`authkit.scenarios.register_scenario`.
The variable reaches every process the kit starts (gunicorn, Locust, the contract suite),
so an entry added this way is seen everywhere a built-in one is, without editing the kit.
"""

from __future__ import annotations

import importlib
import os

_loaded = False


def load() -> None:
    """Import the modules named in ``AUTHKIT_PLUGINS`` (once per process)."""
    global _loaded
    if _loaded:
        return
    _loaded = True  # before importing: a plugin imports the registries that call load()

    for name in filter(None, (n.strip() for n in os.environ.get("AUTHKIT_PLUGINS", "").split(","))):
        importlib.import_module(name)
