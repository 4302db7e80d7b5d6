"""``authkit cost`` on one small target: the document's shape, and counts that repeat.

Runs the bare Flask baseline (no store to start) twice with a few calls per endpoint,
under callgrind and strace and natively; about half a minute on a quiet machine.
"""

from __future__ import annotations

import shutil

import pytest

from authkit.cost.driver import ENDPOINTS
from authkit.cost.report import report_rows
from authkit.cost.runner import Settings, check_tools, max_deviation, run_cost

pytestmark = pytest.mark.cost

SETTINGS = Settings(
    n=5, warmup=2, repeats=2, jobs=2, attribution=False, argon2_at_kit_parameters=False
)


@pytest.fixture(scope="module")
def two_runs() -> tuple[dict, dict]:
    missing = check_tools(SETTINGS.modes)
    if missing:
        pytest.skip("authkit cost's tools are missing: " + "; ".join(missing))
    return run_cost(["flask-bare"], SETTINGS), run_cost(["flask-bare"], SETTINGS)


def test_every_endpoint_gets_every_figure(two_runs: tuple[dict, dict]) -> None:
    document, _ = two_runs
    assert document["schema"] == "authkit-cost/1"
    cells = document["targets"]["flask-bare"]["endpoints"]
    assert list(cells) == ENDPOINTS  # a baseline answers every endpoint, refresh included
    for endpoint, cell in cells.items():
        assert cell["instructions"] > 100_000, endpoint  # a Flask request, not the meter
        assert cell["syscalls"] >= 0, endpoint  # in process, no store: may well be 0
        assert cell["store_calls"] == 0, endpoint
        assert 0 < cell["cpu_us_min"] <= cell["cpu_us"] <= cell["cpu_us_max"], endpoint
    rows = report_rows(document)
    assert {row["endpoint"] for row in rows} == set(ENDPOINTS)


def test_counts_repeat_between_runs(two_runs: tuple[dict, dict]) -> None:
    first, second = two_runs
    worst = max_deviation(first, second)
    assert worst["instructions"]["deviation"] < 0.02, worst
    if "syscalls" in worst:
        assert worst["syscalls"]["deviation"] < 0.02, worst


def test_tools_are_reported_missing_by_name() -> None:
    if shutil.which("strace"):
        assert "strace" not in " ".join(check_tools(("syscalls",)))
    else:
        assert "strace" in " ".join(check_tools(("syscalls",)))
