"""How the kit starts a variant: the address it binds is the address it waits on."""

from __future__ import annotations

import pytest
import requests

from authkit import services
from authkit.server import Stores, serving
from authkit.variants import get_variant


def test_a_server_bound_to_another_loopback_address_is_waited_for_there() -> None:
    """Bound to 127.0.0.2 (front and gunicorn alike), readiness must be checked on
    127.0.0.2: nothing answers on 127.0.0.1."""
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


def test_free_ports_come_from_this_workers_slice_and_never_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two xdist workers never pick in the same slice; one process never gets a port twice."""

    slices = []
    for worker in ("gw0", "gw1"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        ports = [services.free_port() for _ in range(50)]
        assert len(set(ports)) == len(ports)
        assert all(p in services._port_slice() for p in ports)
        assert all(p < 32768 for p in ports), "outside the kernel's ephemeral range"
        slices.append(services._port_slice())
    assert set(slices[0]).isdisjoint(slices[1])
