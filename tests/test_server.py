"""How the kit starts a variant: the address it binds is the address it waits on."""

from __future__ import annotations

import requests

from authkit.server import Stores, serving
from authkit.variants import get_variant


def test_a_server_bound_to_another_loopback_address_is_waited_for_there() -> None:
    """Bound to 127.0.0.2 (front and gunicorn alike), readiness must be checked on
    127.0.0.2: nothing answers on 127.0.0.1, where the check used to look."""
    variant = get_variant("jwt-stateless")
    with (
        Stores.start(redis=True, private=True) as stores,
        serving(
            variant,
            stores,
            host="127.0.0.2",
            extra_env={"SEED_LOAD_USERS": "2", "ALLOWED_HOSTS": "127.0.0.2"},
        ) as server,
    ):
        assert server.url.startswith("http://127.0.0.2:")
        health = requests.get(server.url + "/health", timeout=5)
        assert health.status_code == 200 and health.json()["variant"] == "jwt-stateless"
