"""Drive a server with Locust (the journey) or wrk (the ceiling) and take readings around
exactly the measured seconds.

Locust runs as a subprocess (``locust --headless``): it shuts down cleanly, writes its own
CSV files, and has a PID of its own, so it can be pinned to the load core and its CPU
measured (the report warns when it, not the server, was the bottleneck). The locustfile
prints a marker line when the warm-up ends and another when the window ends; readings are
taken when each marker arrives.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from authkit import reaper
from authkit.compare.markers import MEASURE_END, MEASURE_START
from authkit.compare.measure import LOAD_CORE, pin, read_cpu
from authkit.server import project_root
from authkit.services import kill_tree, start_owned

LOCUSTFILE = project_root() / "loadtests" / "locustfile.py"
WRK_SCRIPT = project_root() / "loadtests" / "wrk_read.lua"
WRK_MARKER = "AUTHKIT-WRK"
#: A load generator busier than this share of its core was probably the bottleneck.
SATURATED_SHARE = 0.9

Readings = dict[str, Any]


class LoadError(RuntimeError):
    """The load generator failed or did not report a measured window."""


@dataclass
class Window:
    """What a load run reports: its own summary and the readings at both ends."""

    summary: dict[str, Any]
    before: Readings
    after: Readings
    loadgen_cpu_seconds: float
    seconds: float


def wrk_path() -> str | None:
    return shutil.which("wrk")


def _stdout_lines(proc: subprocess.Popen) -> queue.Queue[str | None]:
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            kill_tree(proc)
    reaper.release(proc)


def run_locust(
    url: str,
    style: str,
    scenario: str,
    users: int,
    warmup: float,
    duration: float,
    csv_prefix: Path,
    read: Callable[[], Readings],
    paced_rate: float = 100.0,
    pin_load: bool = False,
    env: dict[str, str] | None = None,
    log_path: Path | None = None,
) -> Window:
    """One Locust run: ``warmup`` seconds unmeasured, then ``duration`` seconds measured."""
    argv = [
        sys.executable, "-m", "locust",
        "-f", str(LOCUSTFILE),
        "--headless",
        "--users", str(users),
        "--spawn-rate", str(max(users, 1)),
        "--host", url,
        "--run-time", f"{int(warmup + duration + 20)}s",  # a bound only: the window ends it
        "--stop-timeout", "2",
        "--auth-style", style,
        "--scenario", scenario,
        "--paced-rate", str(paced_rate),
        "--csv", str(csv_prefix),
        "--only-summary",
        "--loglevel", "WARNING",
        "--exit-code-on-error", "0",
    ]  # fmt: skip
    child_env = {
        **os.environ,
        **(env or {}),
        "AUTHKIT_MEASURE": f"{warmup},{duration}",
        # The project first, and whatever the caller had (a plugin's folder) after it.
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(project_root()), os.environ.get("PYTHONPATH")])
        ),
    }
    csv_prefix.parent.mkdir(parents=True, exist_ok=True)
    stderr = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    proc = start_owned(
        argv, env=child_env, cwd=project_root(), stdout=subprocess.PIPE, stderr=stderr,
        stdin=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    if stderr is not subprocess.DEVNULL:
        stderr.close()
    if pin_load:
        pin([proc.pid], LOAD_CORE)
    lines = _stdout_lines(proc)
    deadline = time.monotonic() + warmup + duration + 60
    before: Readings | None = None
    locust_before = 0.0
    started = 0.0
    try:
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            if line.startswith(MEASURE_START):
                locust_before = read_cpu([proc.pid]).cpu_seconds
                before = read()
                started = time.monotonic()
            elif line.startswith(MEASURE_END) and before is not None:
                after = read()
                seconds = time.monotonic() - started
                locust_cpu = read_cpu([proc.pid]).cpu_seconds - locust_before
                summary = json.loads(line[len(MEASURE_END) :])
                return Window(summary, before, after, locust_cpu, seconds)
        raise LoadError(f"locust gave no measured window (exit code {proc.poll()})")
    finally:
        _stop(proc)


def run_wrk(
    url: str,
    path: str,
    header: str,
    duration: float,
    read: Callable[[], Readings],
    connections: int = 16,
    pin_load: bool = False,
) -> Window:
    """A ceiling run with wrk (one thread, keep-alive connections), credential in a header."""
    wrk = wrk_path()
    if wrk is None:
        raise LoadError("wrk is not installed")
    argv = [
        wrk, "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "5s",
        "-s", str(WRK_SCRIPT), url,
    ]  # fmt: skip
    env = {**os.environ, "AUTHKIT_WRK_PATH": path, "AUTHKIT_WRK_HEADER": header}
    # wrk's output goes to files, not pipes: we wait for it with wait4 (for its own CPU time)
    # before reading, and a pipe would block wrk once it holds more than the pipe buffer.
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        before = read()
        started = time.monotonic()
        proc = start_owned(argv, env=env, stdout=out_file, stderr=err_file)
        if pin_load:
            pin([proc.pid], LOAD_CORE)
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)
        except ChildProcessError:  # already reaped: no exit status or CPU time to report
            status, usage = None, None
        finally:
            reaper.release(proc)
        after = read()
        seconds = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status) if status is not None else None
        out_file.seek(0)
        err_file.seek(0)
        out = out_file.read().decode(errors="replace")
        err = err_file.read().decode(errors="replace")
    if proc.returncode != 0:
        raise LoadError(f"wrk exited with status {proc.returncode}: {err.strip()[:300]}")
    line = next((x for x in out.splitlines() if x.startswith(WRK_MARKER)), None)
    if line is None:
        raise LoadError(f"wrk printed no summary: {err.strip()[:300]}")
    data = json.loads(line[len(WRK_MARKER) :])
    lat = data["latency_us"]
    errors = data["errors"]
    summary = {
        "seconds": data["duration_us"] / 1e6,
        "requests": data["requests"],
        "failures": sum(errors.values()),
        "failures_by_status": {"non-2xx": errors["status"]} if errors["status"] else {},
        "wrk_errors": errors,
        "latency_ms": {
            "p50": lat["p50"] / 1000,
            "p95": lat["p95"] / 1000,
            "p99": lat["p99"] / 1000,
            "avg": lat["mean"] / 1000,
            "max": lat["max"] / 1000,
        },
        "connections": connections,
    }
    cpu = (usage.ru_utime + usage.ru_stime) if usage else 0.0
    return Window(summary, before, after, cpu, seconds)
