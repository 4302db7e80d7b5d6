"""From raw cells to what a report shows: medians over rounds, ratios to the baselines,
and a plain-language reason for each gap.

Everything here is computed from ``results.json`` alone, so ``authkit report`` can render
an old run again (or two runs side by side) without measuring anything.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from typing import Any

from authkit.compare.results import Cell, ResultSet, TargetStatus
from authkit.scenarios import by_measure, load_scenarios


# The order scenarios appear in tables: the registry's.
def scenario_order() -> list[str]:
    return [s.name for s in load_scenarios()]


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _add(a: float | None, b: float | None) -> float | None:
    if a is None:
        return None
    return a + (b or 0.0)


def summarise(results: ResultSet) -> dict[str, dict[str, dict[str, Any]]]:
    """``{target: {scenario: medians over rounds}}`` for the cells without errors."""
    grouped: dict[str, dict[str, list[Cell]]] = defaultdict(lambda: defaultdict(list))
    for cell in results.cells:
        if cell.measured:
            grouped[cell.target][cell.scenario].append(cell)
    summary: dict[str, dict[str, dict[str, Any]]] = {}
    for target, scenarios in grouped.items():
        summary[target] = {}
        for scenario, cells in scenarios.items():
            failures: Counter[str] = Counter()
            redis_calls: dict[str, list[float]] = defaultdict(list)
            for cell in cells:
                failures.update(cell.failures_by_status)
                for name, value in cell.storage_calls_per_request.get("redis", {}).items():
                    redis_calls[name].append(value)
            server_cpu = _median([c.server["cpu_ms_per_request"] for c in cells])
            store_cpu = _median([c.store.get("cpu_ms_per_request") for c in cells])
            cpu_per_round = [
                _add(c.server["cpu_ms_per_request"], c.store.get("cpu_ms_per_request"))
                for c in cells
            ]
            summary[target][scenario] = {
                "rounds": len(cells),
                "requests": sum(c.requests for c in cells),
                "requests_per_second": _median([c.requests_per_second for c in cells]),
                "p50_ms": _median([c.latency_ms["p50"] for c in cells]),
                "p95_ms": _median([c.latency_ms["p95"] for c in cells]),
                "p99_ms": _median([c.latency_ms["p99"] for c in cells]),
                "server_cpu_ms": server_cpu,
                "store_cpu_ms": store_cpu,
                "cpu_ms": _median(cpu_per_round),
                "cpu_ms_range": [
                    min(v for v in cpu_per_round if v is not None),
                    max(v for v in cpu_per_round if v is not None),
                ]
                if any(v is not None for v in cpu_per_round)
                else None,
                "failures": sum(c.failures for c in cells),
                "failures_by_status": dict(failures),
                "rss_mb": max(
                    (c.server["rss_mb"] for c in cells if c.server["rss_mb"] is not None),
                    default=None,
                ),
                "redis_calls_per_request": {k: _median(v) for k, v in sorted(redis_calls.items())},
                "loadgen_core_share": max(c.load_generator["core_share"] or 0 for c in cells),
                "loadgen_saturated": any(c.load_generator["saturated"] for c in cells),
                "logins_per_second": _median([c.logins_per_second for c in cells]),
                "tool": cells[0].tool,
            }
    return summary


def ratios(
    results: ResultSet, summary: dict[str, dict[str, dict[str, Any]]]
) -> dict[str, dict[str, dict[str, float | None]]]:
    """Each variant's numbers over its framework baseline's, per scenario."""
    out: dict[str, dict[str, dict[str, float | None]]] = {}
    for name, target in results.targets.items():
        base = target.baseline
        if not target.is_variant or not base or base not in summary:
            continue
        out[name] = {}
        for scenario, row in summary.get(name, {}).items():
            base_row = summary[base].get(scenario)
            if not base_row:
                continue
            out[name][scenario] = {
                "cpu": _ratio(row["cpu_ms"], base_row["cpu_ms"]),
                "requests_per_second": _ratio(
                    row["requests_per_second"], base_row["requests_per_second"]
                ),
                "p50": _ratio(row["p50_ms"], base_row["p50_ms"]),
                "p99": _ratio(row["p99_ms"], base_row["p99_ms"]),
            }
    return out


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or not b:
        return None
    return a / b


def read_calls(target: TargetStatus, endpoint: str = "GET /me") -> dict[str, float] | None:
    """Storage calls of one endpoint from the probe, by kind (``redis:getex``,
    ``memcached:get``, ``sql:select``)."""
    probe = target.probe or {}
    row = probe.get("storage_calls", {}).get(endpoint)
    if row is None:
        return None
    calls = {f"redis:{k}": v for k, v in row.get("redis", {}).items()}
    calls.update({f"memcached:{k}": v for k, v in row.get("memcached", {}).items()})
    calls.update({f"sql:{k}": v for k, v in row.get("sql", {}).items()})
    return calls


def describe_calls(calls: dict[str, float] | None) -> str:
    if calls is None:
        return "n/a"
    if not calls:
        return "none"
    return " + ".join(
        f"{value:g} {name.split(':', 1)[1].upper()}" for name, value in sorted(calls.items())
    )


def why(name: str, target: TargetStatus, ratio: dict[str, Any] | None) -> str:
    """A short reason for a variant's cost, from its declared design and declarations and
    from what this run measured (store calls per endpoint, the revocation window)."""
    if not target.is_variant:
        return "no auth, no store: the framework alone"
    if not target.ok:
        return target.failure or target.status
    parts = [target.design or f"{target.style} credential"]
    me = read_calls(target)
    if me is not None:
        parts.append(f"store calls per authenticated read: {describe_calls(me)}")
    write = read_calls(target, "POST /cart/items")
    if write is not None:
        parts.append(f"per cart write: {describe_calls(write)}")
    parts.append(_revocation_text(target))
    text = "; ".join(parts)
    ratio = ratio or {}
    read = next((ratio[s.name] for s in read_scenarios() if ratio.get(s.name)), None)
    if read and read.get("cpu"):
        text += f". CPU per GET /me: {read['cpu']:.2f}x the bare baseline"
    journey = next((ratio[s.name] for s in by_measure("journey") if ratio.get(s.name)), None)
    if journey and journey.get("cpu"):
        text += f"; per journey request: {journey['cpu']:.2f}x"
    return text


def _revocation_text(target: TargetStatus) -> str:
    """What logout did to the old credential: measured in this run when probed, else the
    declaration, labelled as such."""
    window = (target.revocation or {}).get("logout")
    if window:
        if window.get("inconclusive"):
            return f"revocation after logout: not measured ({window['inconclusive']})"
        if window["accepted_replays"] == 0:
            return "after logout the old credential was refused from the first replay (measured)"
        return (
            f"after logout the old credential was still accepted for "
            f"{window['window_seconds']:.1f} s (measured)"
        )
    declared = (target.declarations or {}).get("revocation")
    return f"revocation after logout: {declared} (declared, not measured in this run)"


def read_scenarios() -> list[Any]:
    """Scenarios measuring GET /me, the preferred one (e.g. wrk's ceiling) first."""
    scenarios = by_measure("read")
    preferred = [s for s in scenarios if s.preferred_over]
    return preferred + [s for s in scenarios if not s.preferred_over]


def warnings(results: ResultSet, summary: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """What a reader must know before trusting the numbers."""
    notes: list[str] = []
    for target, scenarios in summary.items():
        for scenario, row in scenarios.items():
            if row["loadgen_saturated"]:
                notes.append(
                    f"{target} / {scenario}: the load generator used "
                    f"{row['loadgen_core_share']:.0%} of its core: it, not the server, limited "
                    "requests/s. Compare CPU per request instead."
                )
    for name, target in results.targets.items():
        verification = target.verification or {}
        if target.status == "failed":
            notes.append(f"{name} failed and has no numbers: {target.failure}")
        elif target.status == "skipped":
            notes.append(f"{name} was skipped: {target.failure}")
        elif str(verification.get("method", "")).startswith("skipped"):
            notes.append(f"{name} was not verified (--no-verify).")
        if target.probe_error:
            notes.append(f"{name}: the probe failed: {target.probe_error}")
        if target.screenshot_error:
            notes.append(f"{name}: no screenshot of its page: {target.screenshot_error}")
        for kind, window in (target.revocation or {}).items():
            if window.get("inconclusive"):
                notes.append(
                    f"{name}: the {kind.replace('_', '-')} revocation window was not measured: "
                    f"{window['inconclusive']}"
                )
    if not results.settings["pinning"]["enabled"]:
        notes.append("processes were not pinned to cores (fewer than 2 usable cores?)")
    return notes
