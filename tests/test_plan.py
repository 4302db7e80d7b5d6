"""The plan of an ``authkit compare`` run: its steps, and estimates from a previous run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from authkit.compare import plan
from authkit.compare.runner import CompareOptions
from authkit.compare.targets import Target, select_targets
from authkit.scenarios import SCENARIOS

SCENARIO_NAMES = ["steady", "login", "ceiling", "revocation"]


def _options(**changes: object) -> CompareOptions:
    base: dict[str, object] = {
        "variants": ["flask-sessions", "jwt-stateless"],
        "scenarios": SCENARIO_NAMES,
        "duration": 3.0,
        "warmup": 1.5,
        "login_duration": 3.0,
        "ceiling_duration": 2.5,
        "rounds": 2,
        "revocation_lifetime": 5,
        "screenshots": False,
    }
    return CompareOptions(**{**base, **changes})  # type: ignore[arg-type]


def _targets(options: CompareOptions) -> list[Target]:
    targets, unknown = select_targets(options.variants)
    assert not unknown
    return targets


def _probed(target: Target) -> bool:
    return not target.is_baseline


def _steps(options: CompareOptions, history: plan.History | None) -> dict[str, float]:
    steps = plan.plan_steps(_targets(options), options, _probed, history)
    return {s.label: s.seconds for s in steps}


def _document(timeline: list[list[object]], **settings: object) -> dict[str, object]:
    """A results document as a previous run wrote it (only what the plan reads)."""
    recorded = {
        "duration_seconds": 3.0,
        "warmup_seconds": 1.5,
        "login_warmup_seconds": 1.0,
        "login_duration_seconds": 3.0,
        "ceiling_duration_seconds": 2.5,
        "scenarios": SCENARIO_NAMES,
        "revocation": {"credential_lifetime_seconds": 5},
        **settings,
    }
    targets = {
        name: {"status": "ok", "screenshot": None}
        for name in ("flask-bare", "flask-sessions", "jwt-stateless")
    }
    return {"settings": recorded, "targets": targets, "timeline": timeline}


#: A previous run of the same targets: every step took its own (synthetic) time.
TIMELINE: list[list[object]] = [
    ["round 1: start flask-bare", 0.5],
    ["round 1: flask-bare steady", 5.0],
    ["round 1: flask-bare ceiling", 2.0],
    ["round 1: start flask-sessions", 1.0],
    ["verify flask-sessions", 6.0],
    ["round 1: flask-sessions steady", 6.0],
    ["round 1: flask-sessions login", 4.0],
    ["round 1: flask-sessions ceiling", 2.0],
    ["round 2: start flask-sessions", 1.4],
    ["round 2: flask-sessions steady", 7.0],
    ["probe flask-sessions", 5.0],
    ["probe jwt-stateless", 15.0],
    ["counted cost", 150.0],
    ["security audit", 20.0],
]


def test_without_history_the_estimates_are_the_constants() -> None:
    options = _options()
    steps = _steps(options, None)
    assert steps["round 1: start flask-bare"] == plan.START_SECONDS
    assert steps["verify flask-sessions"] == plan.VERIFY_SECONDS
    assert "verify flask-bare" not in steps and "verify jwt-stateless" in steps
    for name in ("steady", "login", "ceiling"):
        label = f"round 2: flask-sessions {name}"
        assert steps[label] == pytest.approx(SCENARIOS[name].estimate(options))
    assert "round 1: flask-bare login" not in steps  # baselines have no login to time
    # jwt-stateless revokes only at expiry: its probe replays for two whole lifetimes.
    window = options.revocation_lifetime + plan.REVOCATION_WINDOW_EXTRA_SECONDS
    assert steps["probe jwt-stateless"] == pytest.approx(3 + 2 * window)
    assert steps["probe flask-sessions"] == pytest.approx(4.0)
    assert steps["counted cost"] == 25.0 * 3 + 10
    assert steps["security audit"] == 15.0 * 3 + 10
    no_revocation = _steps(_options(scenarios=["steady"], screenshots=True), None)
    assert no_revocation["probe flask-sessions"] == plan.PROBE_SECONDS + plan.SCREENSHOT_SECONDS


def test_with_the_same_options_the_estimates_are_the_recorded_times() -> None:
    history = plan.History.from_document(_document(TIMELINE))
    steps = _steps(_options(), history)
    assert steps["round 1: start flask-bare"] == pytest.approx(0.5)
    assert steps["round 1: start flask-sessions"] == pytest.approx(1.2)  # median of rounds
    assert steps["round 2: flask-sessions steady"] == pytest.approx(6.5)
    assert steps["verify flask-sessions"] == pytest.approx(6.0)
    assert steps["probe jwt-stateless"] == pytest.approx(15.0)
    assert steps["counted cost"] == pytest.approx(150.0)
    # A step this target did not record: the same kind of step of the other targets.
    assert steps["verify jwt-stateless"] == pytest.approx(6.0)
    assert steps["round 1: start jwt-stateless"] == pytest.approx(1.0)  # median of 0.5, 1, 1.4
    assert steps["round 1: jwt-stateless login"] == pytest.approx(4.0)


def test_recorded_times_scale_with_the_options() -> None:
    history = plan.History.from_document(_document(TIMELINE))
    options = _options(duration=9.0, warmup=1.5, revocation_lifetime=10)
    steps = _steps(options, history)
    steady = SCENARIOS["steady"]
    then = 1.5 + 3.0 + steady.overhead_seconds
    now = 1.5 + 9.0 + steady.overhead_seconds
    assert steps["round 2: flask-sessions steady"] == pytest.approx(6.5 * now / then)
    assert steps["round 1: flask-sessions login"] == pytest.approx(4.0)  # its own duration
    # Two expiry windows of a longer lifetime; flask-sessions revokes at once.
    then_probe = 3 + 2 * (5 + plan.REVOCATION_WINDOW_EXTRA_SECONDS)
    now_probe = 3 + 2 * (10 + plan.REVOCATION_WINDOW_EXTRA_SECONDS)
    assert steps["probe jwt-stateless"] == pytest.approx(15.0 * now_probe / then_probe)
    assert steps["probe flask-sessions"] == pytest.approx(5.0)
    # More targets than then: the audit and the cost grow per target.
    more = _options(variants=["flask-sessions", "jwt-stateless", "django-sessions"])
    cost = _steps(more, history)["counted cost"]
    assert cost == pytest.approx(150.0 * (25.0 * 5 + 10) / (25.0 * 3 + 10))


def test_labels_read_back_as_what_they_measured() -> None:
    assert plan.step_key(plan.start_label(1, "jwt-denylist")) == ("start", "jwt-denylist")
    assert plan.step_key(plan.verify_label("flask-cookie")) == ("verify", "flask-cookie")
    assert plan.step_key(plan.probe_label("django-cache")) == ("probe", "django-cache")
    assert plan.step_key(plan.cell_label(0, "flask-bare", "paced")) == ("paced", "flask-bare")
    assert plan.step_key("counted cost") == ("counted cost", None)


def test_history_is_the_newest_earlier_run_then_the_sample(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    sample = tmp_path / "sample" / "results.json"
    assert plan.load_history(plan.history_candidates(reports, sample)) is None
    sample.parent.mkdir()
    sample.write_text(json.dumps(_document([["counted cost", 99.0]])))
    found = plan.load_history(plan.history_candidates(reports, sample))
    assert found is not None and found.source == sample
    for index, (name, seconds) in enumerate((("old", 1.0), ("new", 2.0), ("current", 3.0))):
        run = reports / name
        run.mkdir(parents=True)
        (run / "results.json").write_text(json.dumps(_document([["counted cost", seconds]])))
        os.utime(run / "results.json", (1000 + index, 1000 + index))
    (reports / "broken").mkdir()
    (reports / "broken" / "results.json").write_text("{not json")
    os.utime(reports / "broken" / "results.json", (2000, 2000))
    found = plan.load_history(plan.history_candidates(reports, sample, exclude=reports / "current"))
    assert found is not None and found.source == reports / "new" / "results.json"
    assert found.seconds("counted cost", None) == 2.0


def test_the_committed_sample_run_gives_a_plan() -> None:
    sample = Path(__file__).resolve().parents[1] / "docs" / "sample-run" / "results.json"
    history = plan.load_history([sample])
    assert history is not None and history.timeline
    steps = _steps(_options(), history)
    assert all(seconds > 0 for seconds in steps.values())
