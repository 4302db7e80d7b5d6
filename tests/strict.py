"""Strict mode: with ``AUTHKIT_STRICT=1`` (``.ci/run`` sets it) a skipped test fails.

Outside CI a test whose tool is missing (Chromium, valgrind, a second loopback address)
skips and says why, so a newcomer's ``make test`` still runs everything else. In CI the same
skip would hide that the browser or the cost counters were never exercised, and the run
would pass: there every skip is turned into a failure that carries the skip's reason.

Only the whole suite is strict. A run narrowed with ``--variant`` leaves out by choice the
tests of the variants it did not select (pytest's "got empty parameter set" skip), and a
run against a server given by ``--target-url`` (``authkit verify``) learns only at run time
whether a test applies (a session cookie check on a bearer server): their skips are answers,
not missing tools.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

STRICT_ENV = "AUTHKIT_STRICT"


def strict_mode(config: pytest.Config) -> bool:
    """Whether skips fail this run."""
    if os.environ.get(STRICT_ENV, "") not in ("1", "true", "yes"):
        return False
    narrowed = config.getoption("--variant", default=None) or config.getoption(
        "--target-url", default=None
    )
    return not narrowed


def _failed_skip(report: pytest.CollectReport | pytest.TestReport) -> None:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    report.outcome = "failed"
    report.longrepr = (
        f"skipped in strict mode ({STRICT_ENV}=1), which fails every skip: {reason}\n"
        "Install what the test needs (make stores chromium) or run without "
        f"{STRICT_ENV} to let it skip."
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    outcome = yield
    report = outcome.get_result()
    # An expected failure (xfail) reports as skipped too; it is not a missing tool.
    if report.skipped and not hasattr(report, "wasxfail") and strict_mode(item.config):
        _failed_skip(report)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, None]:
    """A whole module skipped at import (``pytest.importorskip``) fails as well."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and strict_mode(collector.config):
        _failed_skip(report)
