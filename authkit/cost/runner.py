"""``run_cost``: every target, every endpoint, three counters, two targets at a time.

For each target the parent starts the target's private stores (a Redis of its own per job,
so ``INFO commandstats`` sees that job's commands only; a fresh SQLite file), runs the
target's prepare step, then runs :mod:`authkit.cost.driver` three times: natively (CPU time
and store calls), under callgrind (instructions) and under strace (system calls). Jobs run
two at a time (``--jobs``): the counts do not depend on what else runs, only CPU time does,
and its spread is reported beside it.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from authkit.cost.driver import ENDPOINTS
from authkit.cost.meters import callgrind_helper, count_syscalls
from authkit.cost.targets import CostTarget, cost_targets
from authkit.launcher import Launcher, stores_for
from authkit.reaper import release
from authkit.server import Stores, prepare, project_root, variant_env
from authkit.services import kill_tree, start_owned
from authkit.variants import framework_of

MODES = ("instructions", "syscalls", "cpu")
#: argon2id parameters for the cost run's logins: the smallest argon2 allows, so a login's
#: count is not 99% hash. The hash's own cost is measured apart at the same parameters and
#: subtracted (login outside argon2), and once at the kit's real parameters.
CHEAP_ARGON2 = {"ARGON2_MEMORY_KIB": "8", "ARGON2_TIME_COST": "1", "ARGON2_PARALLELISM": "1"}
USERNAME, PASSWORD = "user0000", "pw-0000"


@dataclass(frozen=True)
class Settings:
    n: int = 30
    warmup: int = 3
    #: CPU-time loops per endpoint (their spread is reported).
    repeats: int = 5
    jobs: int = 2
    modes: tuple[str, ...] = MODES
    attribution: bool = True
    #: The job that also measures the attribution parts: "instructions" (what the
    #: attribution stacks), or "cpu" for a quick run of every variant's parts without a
    #: tracer (``tests/test_cost_all.py``), whose figures the attribution leaves out.
    parts_mode: str = "instructions"
    #: Count one argon2id verify at the kit's own parameters (with the first baseline's jobs).
    argon2_at_kit_parameters: bool = True


#: Seconds one driver run may take: a fixed allowance (imports, set-up, the argon2 runs,
#: the attribution parts) plus a share per request it makes, by mode (callgrind runs Python
#: some fifty times slower). Ten times what a busy 2-core machine needs: the bound exists to
#: end a driver that hangs, never to fail a slow one.
DRIVER_BASE_SECONDS = 300.0
DRIVER_SECONDS_PER_CALL = {"instructions": 2.0, "syscalls": 0.5, "cpu": 0.2}


def driver_timeout(settings: Settings, mode: str) -> float:
    """How long the driver of one (target, mode) job may run before it counts as failed."""
    loops = settings.repeats if mode == "cpu" else 1
    calls = (settings.n + settings.warmup) * len(ENDPOINTS) * loops
    return DRIVER_BASE_SECONDS + calls * DRIVER_SECONDS_PER_CALL[mode]


def run_driver(command: list[str], env: dict[str, str], timeout: float) -> tuple[int, str]:
    """Run the driver in a process group of its own; on ``timeout`` kill the whole tree
    (valgrind, strace and what they run). Returns the exit status and the tail of stderr."""
    with tempfile.TemporaryFile() as stderr:  # a file: a full pipe would stall the driver
        proc = start_owned(
            command, env=env, cwd=project_root(), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            kill_tree(proc)
            raise
        release(proc)
        stderr.seek(0)
        return proc.returncode, stderr.read().decode(errors="replace")[-3000:]


def tool_command(mode: str, workdir: Path) -> list[str]:
    if mode == "instructions":
        return [
            "valgrind", "--tool=callgrind", "--quiet",
            "--instr-atstart=no", "--collect-atstart=no",
            "--dump-instr=no", "--dump-line=no", "--compress-strings=no",
            f"--callgrind-out-file={workdir / 'callgrind.out'}",
        ]  # fmt: skip
    if mode == "syscalls":
        return ["strace", "-f", "-qq", "-s", "0", "-e", "signal=none", "-o", str(workdir / "trace")]
    return []


def check_tools(modes: tuple[str, ...]) -> list[str]:
    """What is missing to run ``modes`` (empty when everything is there)."""
    missing = []
    if "instructions" in modes:
        if not shutil.which("valgrind"):
            missing.append("valgrind (apt-get install valgrind)")
        else:
            try:
                callgrind_helper()
            except RuntimeError as exc:
                missing.append(str(exc))
    if "syscalls" in modes and not shutil.which("strace"):
        missing.append("strace (apt-get install strace)")
    return missing


_prepared: dict[str, Path] = {}
_prepare_lock = threading.Lock()


def _prepare_once(target: CostTarget, env: dict[str, str], stores: Stores) -> None:
    """The target's prepare step; an SQLite database is migrated once and then copied.

    Migrating costs a few seconds of CPU and gives the same file every time, so each
    database target's three jobs share one migrated, seeded file (a copy each).
    """
    if target.variant.store != "database":
        prepare(target.variant, env)
        return
    with _prepare_lock:
        template = _prepared.get(target.name)
        if template is None or not template.exists():
            prepare(target.variant, env)
            template = Path(tempfile.mkdtemp(prefix="authkit-cost-db-")) / "template.sqlite3"
            shutil.copyfile(env["SQLITE_PATH"], template)
            _prepared[target.name] = template
            return
    shutil.copyfile(template, env["SQLITE_PATH"])


def _job(target: CostTarget, mode: str, settings: Settings, log: Callable[[str], None],
         argon2_at_kit_parameters: bool = False) -> dict:  # fmt: skip
    stores = Launcher.private_stores(**stores_for(target.variant))
    workdir = Path(tempfile.mkdtemp(prefix=f"authkit-cost-{target.name}-{mode}-"))
    try:
        env = variant_env(target.variant, stores)
        env.update(CHEAP_ARGON2)
        env.update({"SEED_LOAD_USERS": "4", "PYTHONHASHSEED": "0", "AUTHKIT_COST_MODE": mode})
        if not stores.redis_url:  # a baseline never talks to the user's Redis either
            env.pop("REDIS_URL", None)
        if not stores.memcached_url:  # (nor to the user's memcached)
            env.pop("MEMCACHED_URL", None)
        if target.variant.store == "database":  # this job's own file, never the user's
            env["SQLITE_PATH"] = str(stores.sqlite_path())
        _prepare_once(target, env, stores)
        framework = framework_of(target.variant)
        spec = {
            "mode": mode,
            "wsgi": target.variant.app,
            "style": target.variant.style,
            "sql_counter": framework.cost_sql_counter
            if target.variant.store == "database"
            else None,
            "username": USERNAME,
            "password": PASSWORD,
            "n": settings.n,
            "warmup": settings.warmup,
            "repeats": settings.repeats,
            "redis_url": stores.redis_url,
            "memcached_url": stores.memcached_url,
            "callgrind_out": str(workdir / "callgrind.out"),
            "result_path": str(workdir / "result.json"),
            "argon2_verify": mode == "instructions" and not target.is_baseline,
            "argon2_kit_parameters": argon2_at_kit_parameters
            and mode in ("instructions", "syscalls"),
            "parts": list(target.variant.cost_parts)
            if mode == settings.parts_mode and settings.attribution and not target.is_baseline
            else [],
        }
        spec_path = workdir / "spec.json"
        spec_path.write_text(json.dumps(spec))
        command = [*tool_command(mode, workdir), sys.executable, "-m", "authkit.cost.driver",
                   str(spec_path)]  # fmt: skip
        started = time.monotonic()
        timeout = driver_timeout(settings, mode)
        try:
            returncode, stderr = run_driver(command, env, timeout)
        except subprocess.TimeoutExpired:
            raise RuntimeError(
                f"{target.name} ({mode}) failed: the driver ran longer than {timeout:.0f} s "
                "and was killed with its process tree"
            ) from None
        if returncode != 0:
            raise RuntimeError(f"{target.name} ({mode}) failed with {returncode}:\n{stderr}")
        result = json.loads((workdir / "result.json").read_text())
        if mode == "syscalls":
            counted = count_syscalls(workdir / "trace")
            result["syscall_counts"] = {str(code): dict(c) for code, c in counted.items()}
        result["wall_seconds"] = time.monotonic() - started
        log(f"{target.name:<22} {mode:<12} {result['wall_seconds']:5.1f}s")
        return result
    finally:
        stores.close()
        shutil.rmtree(workdir, ignore_errors=True)


def _per_call(result: dict, mode: str) -> dict[str, dict[str, Any]]:
    """Per-call figures of one job: (loop total - calibration) / n, by endpoint."""
    out: dict[str, dict[str, Any]] = {}
    calibration = result.get("calibration") or 0.0
    syscalls = result.get("syscall_counts", {})
    for name, entry in result["endpoints"].items():
        n = entry["n"]
        cell: dict[str, Any] = {}
        if mode == "syscalls":
            loops = [syscalls.get(str(loop["code"]), {}) for loop in entry["loops"]]
            by_name = loops[0]
            cell["syscalls"] = sum(by_name.values()) / n
            cell["syscalls_by_name"] = {k: v / n for k, v in sorted(by_name.items())}
        else:
            values = [(loop["total"] - calibration) / n for loop in entry["loops"]]
            if mode == "instructions":
                cell["instructions"] = values[0]
            else:
                cell["cpu_us"] = statistics.median(values)
                cell["cpu_us_min"] = min(values)
                cell["cpu_us_max"] = max(values)
                cell["cpu_us_loops"] = values
                cell["store"] = entry.get("store", {})
                cell["store_calls"] = entry.get("store", {}).get("total")
        out[name] = cell
    return out


def run_cost(
    targets: list[str] | None = None,
    settings: Settings | None = None,
    log: Callable[[str], None] = lambda line: print(line, file=sys.stderr),
) -> dict[str, Any]:
    """Measure ``targets`` (default: every variant, its baseline and the lean Django row).

    Returns the document ``authkit cost --json`` writes: per target and endpoint, the
    instructions, system calls, CPU microseconds (median, min, max over repeats) and store
    calls per request, the login split into argon2 and the rest, and the attribution parts.
    """
    settings = settings or Settings()
    if settings.parts_mode not in ("instructions", "cpu"):
        raise ValueError(f"parts are measured by instructions or cpu, not {settings.parts_mode}")
    chosen = cost_targets(targets)
    missing = check_tools(settings.modes)
    if missing:
        raise RuntimeError("authkit cost needs: " + "; ".join(missing))
    jobs = [(t, m) for m in settings.modes for t in chosen]
    # Longest first, so the workers finish together: callgrind, then the targets with a
    # database (migrations and an ORM make them the slowest), then the rest.
    jobs.sort(key=lambda job: (job[1] != "instructions", job[0].variant.store != "database"))
    # One argon2id verify at the kit's own parameters, counted once: with the first baseline.
    argon2_with = next((t for t in chosen if t.is_baseline), None)
    started = time.monotonic()
    raw: dict[tuple[str, str], dict] = {}
    failed: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=max(1, settings.jobs)) as pool:
        futures = {
            (t.name, m): pool.submit(
                _job, t, m, settings, log,
                settings.argon2_at_kit_parameters and t is argon2_with,
            )
            for t, m in jobs
        }  # fmt: skip
        try:
            for (name, mode), future in futures.items():
                try:
                    raw[(name, mode)] = future.result()
                except Exception as exc:  # one target failing must not lose the others
                    failed.setdefault(name, f"{mode}: {exc}")
                    log(f"{name:<22} {mode:<12} FAILED: {_last_line(str(exc))}")
        finally:
            for template in _prepared.values():
                shutil.rmtree(template.parent, ignore_errors=True)
            _prepared.clear()
    document: dict[str, Any] = {
        "schema": "authkit-cost/1",
        "settings": {
            "n": settings.n,
            "warmup": settings.warmup,
            "cpu_repeats": settings.repeats,
            "jobs": settings.jobs,
            "login_argon2": {k.lower(): int(v) for k, v in CHEAP_ARGON2.items()},
        },
        "targets": {},
        "failed": failed,
        "seconds": time.monotonic() - started,
        "machine": _machine(),
    }
    for target in chosen:
        if target.name in failed:
            document["targets"][target.name] = {
                **_identity(target),
                "failed": failed[target.name],
                "endpoints": {},
            }
            continue
        cells: dict[str, dict[str, Any]] = {}
        extra: dict[str, Any] = {}
        for mode in settings.modes:
            result = raw[(target.name, mode)]
            for endpoint, values in _per_call(result, mode).items():
                cells.setdefault(endpoint, {}).update(values)
            if mode == "instructions":
                calibration = result.get("calibration") or 0.0
                if "argon2_verify" in result:
                    a = result["argon2_verify"]
                    extra["argon2_verify_instructions"] = (a["total"] - calibration) / a["n"]
                extra["calibration_instructions"] = calibration / settings.n
            if "parts" in result:
                extra["parts"] = _parts(result, mode)
            if "argon2_kit_parameters" in result:
                a = result["argon2_kit_parameters"]
                key = "instructions" if mode == "instructions" else "syscalls"
                value = a["total"] if mode == "instructions" else None
                if mode == "syscalls":
                    counted = result.get("syscall_counts", {}).get(str(a["code"]), {})
                    value = sum(counted.values())
                document.setdefault("argon2id_verify_at_kit_parameters", {"params": a["params"]})
                document["argon2id_verify_at_kit_parameters"][key] = value
        login = cells.get("POST /login", {})
        if "argon2_verify_instructions" in extra and "instructions" in login:
            login["argon2_instructions"] = extra["argon2_verify_instructions"]
            login["outside_argon2_instructions"] = (
                login["instructions"] - extra["argon2_verify_instructions"]
            )
        document["targets"][target.name] = {**_identity(target), "endpoints": cells, **extra}
    if settings.attribution:
        from authkit.cost.attribution import attribute

        document["attribution"] = attribute(document)
    return document


def _parts(result: dict, mode: str) -> dict[str, dict[str, Any]]:
    """Per-call figures of the parts, in the unit of the job's meter."""
    calibration = result.get("calibration") or 0.0
    unit = "instructions" if mode == "instructions" else "cpu_us"
    return {
        name: {
            # A difference of two loops already cancelled the meter.
            unit: (part["total"] - (0.0 if part.get("difference") else calibration)) / part["n"],
            "contains": part["contains"],
            "note": part["note"],
            "reference": part.get("reference", False),
            "source": part["source"],
        }
        for name, part in result["parts"].items()
    }


def _last_line(text: str) -> str:
    """The last non-blank line of a failure (a traceback's exception)."""
    return next((line for line in reversed(text.splitlines()) if line.strip()), text)


def _identity(target: CostTarget) -> dict[str, Any]:
    """What the document says about a target besides its figures (from the registry)."""
    return {
        "kind": "baseline" if target.is_baseline else "variant",
        "baseline": target.baseline,
        "framework": target.variant.framework,
        "store": target.variant.store,
        "description": target.description,
        "parts_declared": list(target.variant.cost_parts),
        "remainder_label": framework_of(target.variant).cost_remainder,
        "cost_goal": dict(target.variant.cost_goal),
    }


def _machine() -> dict[str, Any]:
    import platform

    versions = {}
    for tool, flag in (("valgrind", "--version"), ("strace", "-V")):
        try:
            out = subprocess.run([tool, flag], capture_output=True, text=True).stdout
            versions[tool] = out.splitlines()[0] if out else ""
        except OSError:
            versions[tool] = "missing"
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        **versions,
    }


def max_deviation(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """The largest relative difference between two documents, per counter (repeatability)."""
    worst: dict[str, Any] = {}
    for name, target in first["targets"].items():
        other = second["targets"].get(name, {}).get("endpoints", {})
        for endpoint, cell in target["endpoints"].items():
            for key in ("instructions", "syscalls", "store_calls", "cpu_us"):
                a, b = cell.get(key), other.get(endpoint, {}).get(key)
                if a is None or b is None or max(abs(a), abs(b)) == 0:
                    continue
                deviation = abs(a - b) / max(abs(a), abs(b))
                if deviation >= worst.get(key, {}).get("deviation", -1):
                    worst[key] = {"deviation": deviation, "target": name, "endpoint": endpoint}
    return worst
