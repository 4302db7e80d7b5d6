"""``authkit compare`` and ``authkit report``.

The end-to-end test runs a tiny compare (seconds per cell, one round) against the bare
baselines and every registered variant whose code is present, over real gunicorn, Redis
and SQLite, and checks that what it wrote is complete and plausible: numbers in every
cell, storage calls per ``GET /me`` as each variant declares, revocation windows in the
order the variants declare. The renderer is unit-tested on a small fixture.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import time
from pathlib import Path
from typing import Any

import pytest

from authkit import browser
from authkit.cli import main
from authkit.compare import loadgen, render
from authkit.compare import results as results_module
from authkit.compare.plan import order
from authkit.compare.probes import REPLAY_INTERVAL_SECONDS
from authkit.compare.runner import CompareOptions, Comparison
from authkit.compare.targets import select_targets
from authkit.variant_sets import variant_sets
from authkit.variants import VARIANTS

LIFETIME = 3
#: The first test here sets up ``tiny_run``, a whole ``compare`` of the default variants.
pytestmark = pytest.mark.timeout(900)


# -- end to end --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("compare")
    options = CompareOptions(
        # The default set (the registry's in_default_compare): ``--variants all`` verifies
        # every variant against the contract first, which CI cannot afford twice; the
        # contract suite already runs against every variant.
        variants=None,
        scenarios=["steady", "read", "revocation"],
        duration=1.5,
        warmup=1.0,
        users=4,
        login_users=2,
        rounds=1,
        revocation_lifetime=LIFETIME,
        out=out,
        cost=False,  # counted by tests/test_cost.py; its report section by a fixture below
        audit=False,  # run by tests/test_audit.py; its report section by a fixture below
    )
    results = Comparison(options).run()
    render.write_report(results, out)
    return {"results": results, "out": out}


def test_every_variant_present_is_compared(tiny_run: dict[str, Any]) -> None:
    targets = tiny_run["results"].targets
    main = set(variant_sets()["main"])
    assert main and main <= set(targets)
    assert {"flask-bare", "django-bare"} & set(targets)
    failed = {n: t.failure for n, t in targets.items() if not t.ok}
    assert not failed, f"variants that failed to start or verify: {failed}"


def test_every_cell_has_plausible_numbers(tiny_run: dict[str, Any]) -> None:
    results = tiny_run["results"]
    for name, target in results.targets.items():
        for scenario in ("steady", "read"):
            matching = [c for c in results.cells if c.target == name and c.scenario == scenario]
            assert len(matching) == 1, (name, scenario)
            cell = matching[0]
            assert cell.error is None, cell.error
            assert cell.requests > 0
            assert cell.failures == 0, cell.failures_by_status
            assert cell.requests_per_second > 0
            assert cell.server["cpu_ms_per_request"] > 0
            assert cell.server["rss_mb"] > 0
            assert 0 < cell.latency_ms["p50"] <= cell.latency_ms["p99"]
            assert cell.load_generator["cpu_seconds"] > 0
            if target.store == "redis":
                assert cell.store["cpu_seconds"] is not None
            assert (tiny_run["out"] / f"{cell.csv_prefix}_stats.csv").exists()


def test_results_follow_the_schema(tiny_run: dict[str, Any]) -> None:
    document = json.loads((tiny_run["out"] / "results.json").read_text())
    assert document["schema"] == results_module.SCHEMA
    assert document["schema_version"] == results_module.SCHEMA_VERSION
    for key in ("created", "machine", "versions", "settings", "targets", "cells", "timeline"):
        assert key in document
    reloaded = results_module.load(tiny_run["out"])
    assert reloaded == tiny_run["results"], "written and read back unchanged"
    settings = reloaded.settings
    for key in ("duration_seconds", "rounds", "server", "pinning", "hash_parameters", "database"):
        assert key in settings
    assert reloaded.machine["usable_cpus"] >= 1
    for target in reloaded.targets.values():
        assert target.server["worker_class"] == "gthread"
        if target.is_variant:
            assert target.verification["passed"] is True
            assert target.verification["method"] == "contract-suite"
        else:
            assert target.verification["passed"] is None, "a baseline is not verified"


def test_storage_calls_per_read_match_the_declarations(tiny_run: dict[str, Any]) -> None:
    """Like with like: one ``GET /me`` at a time, Redis commands plus SQL statements."""
    for name, target in tiny_run["results"].targets.items():
        if not target.is_variant:
            continue
        me = target.probe["storage_calls"]["GET /me"]
        assert me["status"] == 200
        declared = target.declarations["store_calls_per_read"]
        assert me["total"] == pytest.approx(declared), (name, me)


#: Bound on the round trips between a token's issue and its revocation (seconds).
AT_EXPIRY_SLACK = 1.0


def test_revocation_windows_order_as_declared(tiny_run: dict[str, Any]) -> None:
    for name, target in tiny_run["results"].targets.items():
        if not target.is_variant:
            continue
        declarations = target.declarations
        for kind, declared in (
            ("logout", declarations["revocation"]),
            ("logout_all", declarations["logout_all"]),
        ):
            window = target.revocation[kind]
            assert window["inconclusive"] is None, (name, kind, window)
            assert window["revoke_status"] == 204, (name, kind)
            if declared == "immediate":
                assert window["accepted_replays"] == 0, (name, kind, window)
                assert window["window_seconds"] < REPLAY_INTERVAL_SECONDS
            else:  # at_expiry: accepted until the token's exp, refused from then on
                # Guaranteed: exp = int(issued) + lifetime with issued before the revocation,
                # and exp is enforced with no leeway, so no replay sent `lifetime` seconds
                # after the revocation is accepted. And the token was good until exp, which
                # is at most 1 s (iat truncated to the second) plus the login-to-revocation
                # round trips before `lifetime`; the last accepted replay is at most one
                # interval before exp. AT_EXPIRY_SLACK bounds those round trips.
                lifetime = window["lifetime_seconds"]
                assert window["accepted_replays"] > 0, (name, kind, window)
                assert window["window_seconds"] <= lifetime, (name, kind, window)
                floor = lifetime - 1 - REPLAY_INTERVAL_SECONDS - AT_EXPIRY_SLACK
                assert window["window_seconds"] >= floor, (name, kind, window)
                assert not window["still_accepted_at_end"], (name, kind, window)
        if target.style == "bearer":  # the refresh token, presented right after logout
            expected = 200 if declarations["revocation"] == "at_expiry" else 401
            assert target.revocation["logout"]["refresh_after_revocation_status"] == expected


def test_every_variant_has_its_baseline_and_a_measured_cpu_ratio(tiny_run: dict[str, Any]) -> None:
    """Each variant's read CPU is divided by its framework's bare app of the same run.

    Only that the ratio was measured is asserted: CPU seconds over a 1.5 s window move by
    more than a variant's overhead on a busy machine. That a variant costs more than its
    baseline is asserted in counted instructions (tests/test_cost.py), which do not move.
    """
    view = render.View(tiny_run["results"])
    assert view.variants
    for name in view.variants:
        ratio = view.ratio(name, "read", "cpu")
        assert ratio is not None and math.isfinite(ratio) and ratio > 0, (name, ratio)


def test_the_report_files_are_written(tiny_run: dict[str, Any]) -> None:
    out: Path = tiny_run["out"]
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html
    assert "<script" not in html and "http://" not in html.replace("http://127.0.0.1", "")
    assert "Behaviour matrix" in html
    summary = (out / "summary.md").read_text()
    for name in tiny_run["results"].targets:
        assert name in summary


def test_the_report_shows_each_variants_page(tiny_run: dict[str, Any]) -> None:
    reason = browser.unavailable_reason()
    if reason:
        pytest.skip(f"no screenshots without a browser: {reason}")
    results, out = tiny_run["results"], tiny_run["out"]
    for name in results.variants:
        target = results.targets[name]
        assert target.screenshot_error is None, target.screenshot_error
        assert (out / target.screenshot).read_bytes().startswith(b"\x89PNG"), name
    html = (out / "report.html").read_text()
    assert "In a browser" in html
    assert html.count("data:image/png;base64,") >= len(results.variants) + 3


# -- the renderer on a fixture -------------------------------------------------------------
def _cell(target: str, scenario: str, cpu_ms: float, rps: float) -> dict[str, Any]:
    requests = int(rps * 2)
    return {
        "target": target, "scenario": scenario, "round": 1, "position": 1, "error": None,
        "tool": "locust", "users": 4, "csv_prefix": f"locust/{target}-{scenario}-r1",
        "seconds": 2.0, "requests": requests, "failures": 0, "failures_by_status": {},
        "statuses": {"200": requests}, "requests_per_second": rps,
        "latency_ms": {"p50": 2.0, "p95": 5.0, "p99": 9.0, "avg": 2.5, "max": 12.0},
        "server": {"cpu_seconds": cpu_ms * requests / 1000, "cpu_ms_per_request": cpu_ms,
                   "rss_mb": 80.0},
        "store": {"kind": None, "cpu_seconds": None, "cpu_ms_per_request": None},
        "storage_calls_per_request": {},
        "load_generator": {"cpu_seconds": 1.9, "core_share": 0.95, "saturated": True},
    }  # fmt: skip


def fixture_results() -> dict[str, Any]:
    declarations = {
        "style": "bearer", "store": "redis", "revocation": "at_expiry", "logout_all": "at_expiry",
        "csrf": "not_needed", "cart_survives_logout": True, "survives_store_restart": True,
        "me_while_store_down": "ok", "store_calls_per_read": 0,
    }  # fmt: skip
    window = {
        "revoke_status": 204, "accepted_replays": 45, "replays": 48, "statuses": {"200": 45},
        "window_seconds": 4.6, "first_refused_after_seconds": 4.7,
        "still_accepted_at_end": False, "lifetime_seconds": 5,
        "window_fraction_of_lifetime": 0.92, "replay_interval_seconds": 0.1,
    }  # fmt: skip
    return {
        "schema": results_module.SCHEMA,
        "schema_version": results_module.SCHEMA_VERSION,
        "created": "2026-01-01T00:00:00+00:00",
        "wall_seconds": 60.0,
        "machine": {"cpu_model": "test CPU", "usable_cpus": 2, "logical_cpus": 2},
        "versions": {"packages": {}},
        "settings": {
            "rounds": 1,
            "duration_seconds": 2.0,
            "warmup_seconds": 1.0,
            "database": "sqlite",
            "server": {
                "worker_class": "gthread",
                "workers": 2,
                "threads": 4,
                "keep_alive_seconds": 5,
            },
            "pinning": {"enabled": True, "server_and_store_core": 0, "load_generator_core": 1},
            "hash_parameters": {
                "algorithm": "argon2id",
                "memory_kib": 19456,
                "time_cost": 2,
                "parallelism": 1,
            },
            "revocation": {"replay_interval_seconds": 0.1, "credential_lifetime_seconds": 5},
        },
        "targets": {
            "flask-bare": {
                "kind": "baseline",
                "framework": "flask",
                "baseline": None,
                "style": "bearer",
                "store": "none",
                "declarations": None,
                "status": "ok",
                "failure": None,
                "verification": {"method": "none", "passed": True},
            },
            "jwt-example": {
                "kind": "variant",
                "framework": "flask",
                "baseline": "flask-bare",
                "style": "bearer",
                "store": "redis",
                "declarations": declarations,
                "status": "ok",
                "failure": None,
                "verification": {"method": "contract-suite", "passed": True},
                "probe": {
                    "storage_calls": {"GET /me": {"redis": {}, "total": 0, "status": 200}},
                    "credential_bytes": {
                        "issued_at_login": {"credential_bytes": 700},
                        "sent_per_read": 300,
                        "sent_per_write": 300,
                    },
                },
                "revocation": {"logout": window, "logout_all": window},
            },
            "broken": {
                "kind": "variant",
                "framework": "flask",
                "baseline": "flask-bare",
                "style": "session",
                "store": "redis",
                "declarations": declarations,
                "status": "failed",
                "failure": "failed verification (contract-suite)",
                "verification": {"method": "contract-suite", "passed": False},
            },
        },
        "cells": [
            _cell("flask-bare", "steady", 0.30, 1000),
            _cell("jwt-example", "steady", 0.45, 800),
            _cell("flask-bare", "login", 0.30, 20),
        ],
        "timeline": [],
    }


def test_report_renders_the_fixture(tmp_path: Path) -> None:
    """The fixture is a schema-1 file, as written before the typed results: still read."""
    results = results_module.ResultSet.from_dict(fixture_results())
    render.write_report(results, tmp_path)
    summary = (tmp_path / "summary.md").read_text()
    assert "| jwt-example |" in summary
    assert "0.450 (1.50x)" in summary  # CPU per request over the baseline
    assert "broken failed and has no numbers" in summary
    assert "load generator used 95%" in summary
    assert "4.60 s (92% of lifetime)" in summary
    html = (tmp_path / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 3
    assert "why it costs what it costs" in html


def test_report_command_renders_again_and_compares_runs(tmp_path: Path) -> None:
    earlier, later = tmp_path / "earlier", tmp_path / "later"
    earlier.mkdir()
    later.mkdir()
    (earlier / "results.json").write_text(json.dumps(fixture_results()))  # schema 1
    improved = copy.deepcopy(fixture_results())
    improved["created"] = "2026-02-01T00:00:00+00:00"
    improved["cells"][1]["server"]["cpu_ms_per_request"] = 0.36
    results_module.save(results_module.ResultSet.from_dict(improved), later)

    assert main(["report", str(later), "--against", str(earlier)]) == 0

    summary = (later / "summary.md").read_text()
    assert "## Against 2026-01-01T00:00:00+00:00" in summary
    assert "0.450 → 0.360 (-20%)" in summary
    assert (later / "report.html").exists()


def test_report_refuses_what_is_not_a_results_file(tmp_path: Path) -> None:
    (tmp_path / "results.json").write_text(json.dumps({"schema": "something else"}))
    assert main(["report", str(tmp_path)]) == 2


def test_rounds_rotate_the_order_of_targets() -> None:
    targets, unknown = select_targets(["flask-bare", "django-bare"])
    assert not unknown
    first = order(targets, 0)
    second = order(targets, 1)
    assert [t.name for t in second] == [t.name for t in first[1:] + first[:1]]


def test_each_variant_gets_its_frameworks_baseline() -> None:
    targets, _ = select_targets(list(VARIANTS))
    by_name = {t.name: t for t in targets}
    assert by_name["django-sessions"].baseline == "django-bare"
    assert by_name["flask-sessions"].baseline == "flask-bare"
    assert by_name["jwt-stateless"].baseline == "flask-bare"
    assert [t.kind for t in targets][:2] == ["baseline", "baseline"]


def test_a_variant_that_cannot_start_is_reported_failed_without_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broken variant is a result (failed, no numbers), not a crash of the whole run."""
    broken = dataclasses.replace(
        VARIANTS["jwt-stateless"], name="broken-variant", prepare="loadtests.baselines:missing"
    )
    monkeypatch.setitem(VARIANTS, "broken-variant", broken)
    options = CompareOptions(
        variants=["broken-variant"],
        scenarios=["read"],
        duration=1.0,
        warmup=0.5,
        users=2,
        rounds=1,
        out=tmp_path,
        cost=False,
        screenshots=False,
        audit=False,
    )
    results = Comparison(options).run()
    target = results.targets["broken-variant"]
    assert target.status == "failed"
    assert "did not start" in target.failure
    assert not [c for c in results.cells if c.target == "broken-variant"]
    assert target.probe is None and target.revocation is None
    # The baseline of the same round was still measured.
    assert [c.requests > 0 for c in results.cells if c.target == "flask-bare"] == [True]


def test_wrk_runner_drains_large_output_and_reports_wrk_failing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrk that prints more than a pipe holds and then fails: the runner must neither
    hang (waiting for a child blocked on a full pipe) nor call the run a success."""
    fake = tmp_path / "wrk"
    fake.write_text("#!/bin/sh\nhead -c 300000 /dev/zero | tr '\\0' x\necho broken >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr(loadgen, "wrk_path", lambda: str(fake))
    started = time.monotonic()
    with pytest.raises(loadgen.LoadError, match="status 3"):
        loadgen.run_wrk("http://127.0.0.1:9", "/me", "X-None: 0", 1, lambda: {})
    assert time.monotonic() - started < 30


def test_report_shows_the_counted_cost_beside_the_load_figures(tmp_path: Path) -> None:
    """The counts (authkit cost) sit in the same report as the wall-clock figures, with the
    attribution bars; here from the committed sample document."""
    document = fixture_results()
    cost_sample = Path(__file__).resolve().parent.parent / "loadtests" / "cost-sample"
    document["cost"] = json.loads((cost_sample / "cost.json").read_text())
    results = results_module.ResultSet.from_dict(document)
    render.write_report(results, tmp_path)
    summary = (tmp_path / "summary.md").read_text()
    assert "## Counted cost per request (repeatable)" in summary
    assert "Headline: instructions." in summary
    me_rows = [
        line for line in summary.splitlines() if line.startswith("| jwt-stateless | GET /me")
    ]
    assert me_rows and "(+" in me_rows[0], me_rows  # the overhead over flask-bare
    assert "## Cost per request" in summary  # the wall-clock table beside it
    assert "jwt-stateless: " in summary and "over flask-bare" in summary  # attribution
    html = (tmp_path / "report.html").read_text()
    assert "GET /me overhead, in parts" in html
    assert (tmp_path / "cost-attribution.png").read_bytes().startswith(b"\x89PNG")


def test_report_shows_the_audit_matrix(tmp_path: Path) -> None:
    document = fixture_results()
    document["audit"] = {
        "targets": ["jwt-example"],
        "rows": [
            {
                "id": "alg-none",
                "title": "JWT alg none",
                "reference": "RFC 8725 3.1",
                "cells": {"jwt-example": {"outcome": "held", "detail": "401"}},
            },
            {
                "id": "logout",
                "title": "logout replay",
                "reference": "ASVS 3.3.1",
                "cells": {"jwt-example": {"outcome": "declared difference", "detail": "200"}},
            },
        ],
        "counts": {"held": 1, "declared difference": 1, "finding": 0, "n/a": 0},
    }
    render.write_report(results_module.ResultSet.from_dict(document), tmp_path)
    summary = (tmp_path / "summary.md").read_text()
    assert "## Security audit (observed in this run)" in summary
    assert "| JWT alg none | RFC 8725 3.1 | held |" in summary
    assert "| logout replay | ASVS 3.3.1 | declared ≠ |" in summary
    assert "1 held, 1 declared differences, 0 findings" in summary
