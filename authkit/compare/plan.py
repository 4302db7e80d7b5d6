"""The steps of one ``authkit compare`` run, how long each should take, and how long it took.

The progress display shows what runs now and how long is left, so the estimates should be
near the truth. The best guide is a previous run on the same machine: every run records
its timeline (``results.json``'s ``"timeline"``: ``[label, seconds]`` per step), and the next
run's plan reads it (:func:`load_history`), scaled to its own options. A step the history
does not have, or a run without any history, falls back to the constants below.

The constants and the timeline live together because the second feeds the first: the
:class:`Timer` that times each step as it runs writes the timeline the next plan reads.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

from authkit.compare.targets import Target
from authkit.scenarios import SCENARIOS, Scenario
from authkit.variants import VARIANTS, Variant

# Where no history says otherwise: near what the committed docs/sample-run recorded on a
# shared 2-core machine (server start 0.5-1.4 s, contract suite 5-7.5 s, a probe 5 s, or
# 15 s with two expiry windows of 5 s, counted cost 174 s and audit 25 s for six targets),
# erring long for a busier machine except the counted cost.
#: Starting one gunicorn server and waiting for its health check.
START_SECONDS = 2.5
#: The contract suite against one variant (:mod:`authkit.compare.verification`).
VERIFY_SECONDS = 8.0
#: The probe of one variant without the revocation windows: storage calls, credential bytes.
PROBE_SECONDS = 4.0
#: The probe with revocation, before its windows; a window refused at once.
REVOCATION_PROBE_SECONDS = 3.0
IMMEDIATE_WINDOW_SECONDS = 0.5
#: One revocation window of a variant that revokes at expiry, beyond the credential
#: lifetime: the margin and the last replays.
REVOCATION_WINDOW_EXTRA_SECONDS = 2.5
#: Chromium's start, a login and three cart adds (the screenshot of each variant's page).
SCREENSHOT_SECONDS = 6.0
#: ``authkit audit`` of the variants: per target, and once for the run.
AUDIT_SECONDS_PER_TARGET = 15.0
AUDIT_SECONDS = 10.0
#: callgrind and strace of every target, two at a time: per target, and once for the run.
COST_SECONDS_PER_TARGET = 25.0
COST_SECONDS = 10.0

AUDIT_STEP = "security audit"
COST_STEP = "counted cost"


@dataclass
class Step:
    """One unit of work shown in the progress display, with its time estimate."""

    label: str
    seconds: float


class Progress:
    """What runs now and how long is left; a no-op by default (tests, quiet runs)."""

    def plan(self, steps: list[Step]) -> None: ...

    def start(self, step: Step) -> None: ...

    def done(self, step: Step) -> None: ...

    def note(self, message: str) -> None: ...


def scenarios_for(target: Target, scenarios: Iterable[str]) -> list[Scenario]:
    """The load scenarios (not the probes) this target takes part in."""
    wanted = [SCENARIOS[s] for s in scenarios if SCENARIOS[s].tool != "probe"]
    if target.is_baseline:
        wanted = [s for s in wanted if s.on_baselines]
    return wanted


def order(targets: list[Target], round_index: int) -> list[Target]:
    """Round ``r`` starts at target ``r`` (mod n), so drift hits every target alike."""
    if not targets:
        return []
    shift = round_index % len(targets)
    return targets[shift:] + targets[:shift]


# -- the step labels and what they are ------------------------------------------------
def start_label(round_index: int, name: str) -> str:
    return f"round {round_index + 1}: start {name}"


def verify_label(name: str) -> str:
    return f"verify {name}"


def cell_label(round_index: int, name: str, scenario: str) -> str:
    return f"round {round_index + 1}: {name} {scenario}"


def probe_label(name: str) -> str:
    return f"probe {name}"


_ROUND = re.compile(r"^round \d+: ")


def step_key(label: str) -> tuple[str, str | None]:
    """What a timeline label measured, without its round: ``(kind, target)``, where kind is
    ``start``, ``verify``, ``probe``, a scenario name, or the label of a once-a-run step."""
    rest = _ROUND.sub("", label)
    for kind in ("start", "verify", "probe"):
        if rest.startswith(kind + " "):
            return kind, rest[len(kind) + 1 :]
    if label in (AUDIT_STEP, COST_STEP):
        return label, None
    name, _, scenario = rest.rpartition(" ")
    return scenario, name or None


# -- the settings an estimate depends on -----------------------------------------------
@dataclass(frozen=True)
class Settings:
    """What the time of a step depends on; taken from the options now, from the recorded
    settings for a previous run (:meth:`from_document`)."""

    durations: dict[str, float]
    scenarios: tuple[str, ...]
    revocation_lifetime: float
    screenshots: bool
    targets: int

    @classmethod
    def from_options(cls, options: Any, targets: int) -> Settings:
        return cls(
            durations={n: float(getattr(options, n)) for n in _duration_options()},
            scenarios=tuple(options.scenarios),
            revocation_lifetime=float(options.revocation_lifetime),
            screenshots=bool(options.screenshots),
            targets=targets,
        )

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Settings:
        settings = document.get("settings") or {}
        # Each option is recorded as ``<option>_seconds`` (``duration_seconds``...).
        recorded = {n: settings.get(f"{n}_seconds") for n in _duration_options()}
        targets = document.get("targets") or {}
        return cls(
            durations={k: float(v) for k, v in recorded.items() if v is not None},
            scenarios=tuple(settings.get("scenarios") or ()),
            revocation_lifetime=float(
                (settings.get("revocation") or {}).get("credential_lifetime_seconds") or 0
            ),
            screenshots=any(
                (t or {}).get("screenshot") or (t or {}).get("screenshot_error")
                for t in targets.values()
            ),
            targets=sum(1 for t in targets.values() if (t or {}).get("status") == "ok"),
        )


def _duration_options() -> set[str]:
    """The option names the scenarios read their windows from (``duration``, ``warmup``...)."""
    return {n for s in SCENARIOS.values() for n in (s.duration_option, s.warmup_option)}


# -- the constants ---------------------------------------------------------------------
def cell_seconds(scenario: Scenario, settings: Settings) -> float:
    """One cell of ``scenario`` (:meth:`Scenario.estimate` with these settings' durations)."""
    return scenario.estimate(_Durations(settings.durations))


class _Durations:
    """The options :meth:`Scenario.estimate` reads; a duration a document lacks is 0."""

    def __init__(self, durations: dict[str, float]) -> None:
        self._durations = durations

    def __getattr__(self, name: str) -> float:
        return self._durations.get(name, 0.0)


def revocation_seconds(variant: Variant | None, lifetime: float) -> float:
    """The probe with its revocation windows: a variant that revokes only at expiry keeps
    the replay going for a whole lifetime (per window: logout, then logout-all)."""
    behaviour = variant.behaviour if variant is not None else None
    slow = behaviour is not None and behaviour.revocation == "at_expiry"
    slow_all = behaviour is not None and behaviour.logout_all == "at_expiry"
    per_window = lifetime + REVOCATION_WINDOW_EXTRA_SECONDS
    quick = IMMEDIATE_WINDOW_SECONDS
    return (
        REVOCATION_PROBE_SECONDS
        + (per_window if slow else quick)
        + (per_window if slow_all else quick)
    )


def probe_seconds(variant: Variant | None, settings: Settings) -> float:
    seconds = PROBE_SECONDS
    if "revocation" in settings.scenarios:
        seconds = revocation_seconds(variant, settings.revocation_lifetime)
    if settings.screenshots:
        seconds += SCREENSHOT_SECONDS
    return seconds


def constant_seconds(kind: str, name: str | None, settings: Settings) -> float:
    """The constants' estimate of one step (``kind`` and ``name`` as :func:`step_key`)."""
    if kind == "start":
        return START_SECONDS
    if kind == "verify":
        return VERIFY_SECONDS
    if kind == "probe":
        return probe_seconds(VARIANTS.get(name or ""), settings)
    if kind == AUDIT_STEP:
        return AUDIT_SECONDS_PER_TARGET * settings.targets + AUDIT_SECONDS
    if kind == COST_STEP:
        return COST_SECONDS_PER_TARGET * settings.targets + COST_SECONDS
    if kind in SCENARIOS:
        return cell_seconds(SCENARIOS[kind], settings)
    return 1.0


# -- the history -----------------------------------------------------------------------
@dataclass
class History:
    """A previous run's timeline and the settings it ran with."""

    timeline: list[tuple[str, float]]
    settings: Settings
    source: Path | None = None
    _by_key: dict[tuple[str, str | None], list[float]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_key = {}
        for label, seconds in self.timeline:
            self._by_key.setdefault(step_key(label), []).append(float(seconds))

    @classmethod
    def from_document(cls, document: dict[str, Any], source: Path | None = None) -> History:
        timeline = [(str(label), float(seconds)) for label, seconds in document["timeline"]]
        return cls(timeline, Settings.from_document(document), source)

    def seconds(self, kind: str, name: str | None) -> float | None:
        """The recorded seconds of this step (the median over rounds); of the same kind of
        step of any target when this target did not run then; ``None`` when neither ran."""
        if (kind, name) in self._by_key:
            return median(self._by_key[(kind, name)])
        same_kind = [s for (k, _), values in self._by_key.items() if k == kind for s in values]
        return median(same_kind) if same_kind else None


def estimate(kind: str, name: str | None, now: Settings, history: History | None) -> float:
    """Seconds one step should take: the history's time for it, scaled by how much the
    constants say the settings changed it (a longer window, a longer lifetime, more
    targets); the constants alone without history."""
    constant = constant_seconds(kind, name, now)
    recorded = history.seconds(kind, name) if history else None
    if recorded is None or history is None:
        return constant
    then = constant_seconds(kind, name, history.settings)
    if then <= 0:
        return constant
    return recorded * constant / then


def load_history(candidates: Iterable[Path]) -> History | None:
    """The first readable ``results.json`` with a timeline among ``candidates``."""
    for path in candidates:
        try:
            document = json.loads(path.read_text())
            if document.get("timeline"):
                return History.from_document(document, path)
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            continue
    return None


def history_candidates(reports: Path, sample: Path, exclude: Path | None = None) -> list[Path]:
    """Earlier runs on this machine (``reports/*/results.json``, newest first), then the
    committed sample run."""
    earlier = sorted(
        (p for p in reports.glob("*/results.json") if exclude is None or p.parent != exclude),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    return [*earlier, sample]


# -- the plan and the timer ------------------------------------------------------------
def plan_steps(
    active: list[Target],
    options: Any,
    probed: Callable[[Target], bool],
    history: History | None = None,
) -> list[Step]:
    """Every step of a run with ``options`` over the ``active`` targets, in run order."""
    now = Settings.from_options(options, len(active))

    def step(label: str) -> Step:
        return Step(label, estimate(*step_key(label), now, history))

    steps: list[Step] = []
    for round_index in range(options.rounds):
        for target in order(active, round_index):
            steps.append(step(start_label(round_index, target.name)))
            if round_index == 0 and options.verify and not target.is_baseline:
                steps.append(step(verify_label(target.name)))
            for scenario in scenarios_for(target, options.scenarios):
                steps.append(step(cell_label(round_index, target.name, scenario.name)))
    steps.extend(step(probe_label(t.name)) for t in active if probed(t))
    if options.audit:
        steps.append(step(AUDIT_STEP))
    if options.cost:
        steps.append(step(COST_STEP))
    return steps


class Timer:
    """Times each step as it runs: tells the progress display, and records the timeline."""

    def __init__(self, steps: list[Step], progress: Progress) -> None:
        self.steps = {s.label: s for s in steps}
        self.progress = progress
        self.timeline: list[list[Any]] = []

    @contextlib.contextmanager
    def step(self, label: str) -> Iterator[None]:
        step = self.steps.get(label) or Step(label, 1)
        self.progress.start(step)
        started = time.monotonic()
        try:
            yield
        finally:
            self.timeline.append([label, round(time.monotonic() - started, 2)])
            self.progress.done(step)
