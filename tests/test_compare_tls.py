"""``authkit compare --tls``: one variant and its baseline measured over HTTPS, end to end.

The variant is Django's database sessions, whose CSRF check is the strictest about HTTPS (it
wants Origin or Referer to name the server on a secure request): the contract check, the
Locust load, the probes and the screenshot all go through the TLS front.
"""

from __future__ import annotations

from typing import Any

import pytest

from authkit import browser
from authkit.compare.runner import CompareOptions, Comparison
from authkit.variants import VARIANTS

#: A main variant with a database-backed session (``make compare``'s set, from the registry).
VARIANT = next(n for n, v in VARIANTS.items() if v.in_default_compare and v.store == "database")


@pytest.fixture(scope="module")
def tls_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("compare-tls")
    options = CompareOptions(
        variants=[VARIANT],
        scenarios=["steady"],
        duration=1.0,
        warmup=0.5,
        users=2,
        login_users=1,
        rounds=1,
        out=out,
        cost=False,
        audit=False,
        restart_loss=False,
        screenshots=browser.unavailable_reason() is None,
        tls=True,
    )
    return {"results": Comparison(options).run(), "out": out}


def test_compare_over_tls_verifies_loads_and_probes(tls_run: dict[str, Any]) -> None:
    results = tls_run["results"]
    assert results.settings["front"]["tls"] is True
    assert all(t.server["tls"] is True for t in results.targets.values())
    failed = {n: t.failure for n, t in results.targets.items() if not t.ok}
    assert not failed, failed
    target = results.targets[VARIANT]
    assert target.verification["passed"] is True, target.verification
    assert target.probe["storage_calls"]["GET /me"]["status"] == 200
    for cell in results.cells:
        assert cell.error is None, cell.error
        assert cell.requests > 0 and cell.failures == 0, (cell.target, cell.failures_by_status)
    if browser.unavailable_reason() is None:
        assert target.screenshot_error is None, target.screenshot_error
        assert (tls_run["out"] / target.screenshot).read_bytes().startswith(b"\x89PNG")
