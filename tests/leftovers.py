"""Session-end check: nothing the suite started outlives it.

The kit starts every server in a session of its own, so a test that dies before its teardown
(a timeout, a killed subprocess) can leave Redis, PostgreSQL, nginx or gunicorn running, with
their temporary directories, long after the run looked green. This plugin fails the run when
that happens. It only looks: it starts, stops and removes nothing that may still be in use.

A process belongs to this run when any of these holds:

- it descends from this pytest process;
- its environment carries this run's tag (:data:`RUN_TAG_ENV`), which every process started
  from here inherits, so it is still recognised after its parent died;
- its working directory, command line or an open file lies in this run's temporary
  directory. Redis, PostgreSQL and nginx write their process titles over their environment,
  but they work in the directory the kit made for them, and that directory is in there.

The run's temporary directory is ``TMPDIR`` for everything the suite starts (one per run,
and one below it per xdist worker), so the kit's directories (``authkit-*``, made with
:mod:`tempfile` in authkit/services.py, server.py, front.py) are looked for there only, and
another suite running on the same machine at the same time is never mistaken for this one.
pytest's own ``tmp_path`` directories stay where they always are (``PYTEST_DEBUG_TEMPROOT``).

Each xdist worker checks what it started when its session ends and reports to the
controller, which checks the whole run again once every worker has gone.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from authkit import reaper

#: Set on every process the suite starts: ``<run>`` in the controller, ``<run>:<worker>``
#: in an xdist worker.
RUN_TAG_ENV = "AUTHKIT_TEST_RUN"
#: The run's temporary directory, passed from the controller to its workers.
RUN_DIR_ENV = "AUTHKIT_TEST_RUN_DIR"
#: What the kit names its temporary directories (``tempfile.mkdtemp(prefix=...)``).
KIT_TEMP_PREFIX = "authkit-"
#: How long a process found at the end may take to finish exiting before it counts.
EXIT_GRACE_SECONDS = 5.0
_WORKEROUTPUT_KEY = "authkit_leftovers"


class _Run:
    """Who this pytest process is in the run, and where its processes keep their files."""

    def __init__(self, name: str, tag: str, directory: Path, is_root: bool) -> None:
        self.name = name
        self.tag = tag
        self.directory = directory
        self.is_root = is_root
        #: (worker, what) pairs the workers reported, in the controller.
        self.reported: list[tuple[str, str]] = []


_run: _Run | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _run
    # workerinput is how xdist marks its workers; PYTEST_XDIST_WORKER alone would also
    # be inherited by a pytest that a test runs in a subprocess, which is a run of its own.
    worker_input = getattr(config, "workerinput", None)
    if worker_input is not None and RUN_DIR_ENV in os.environ:
        worker = worker_input["workerid"]
        tag = f"{os.environ[RUN_TAG_ENV]}:{worker}"
        directory = Path(os.environ[RUN_DIR_ENV]) / worker
        directory.mkdir(exist_ok=True)
        is_root = False
    else:
        # pytest's own tmp_path stays in the system's temporary directory, as without us.
        os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", tempfile.gettempdir())
        tag = secrets.token_hex(8)
        directory = Path(tempfile.mkdtemp(prefix=f"{KIT_TEMP_PREFIX}suite-"))
        os.environ[RUN_DIR_ENV] = str(directory)
        worker = ""
        is_root = True
    # PostgreSQL and nginx's workers run unprivileged under root: they must reach their
    # directories in here.
    directory.chmod(0o755)
    os.environ[RUN_TAG_ENV] = tag
    os.environ["TMPDIR"] = str(directory)
    tempfile.tempdir = None  # forget the cached value: gettempdir() reads TMPDIR again
    _run = _Run(worker, tag, directory, is_root)


def _belongs_to_run(proc: psutil.Process, run: _Run) -> bool:
    with contextlib.suppress(psutil.Error):
        tag = proc.environ().get(RUN_TAG_ENV, "")
        if tag == run.tag or (run.is_root and tag.startswith(run.tag + ":")):
            return True
    inside = str(run.directory) + os.sep
    with contextlib.suppress(psutil.Error):
        if (proc.cwd() + os.sep).startswith(inside):
            return True
    with contextlib.suppress(psutil.Error):
        if any(inside in part for part in proc.cmdline()):
            return True
    with contextlib.suppress(psutil.Error):
        return any(f.path.startswith(inside) for f in proc.open_files())
    return False


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _describe(proc: psutil.Process) -> str:
    try:
        # A rewritten process title is padded with spaces.
        command = " ".join(" ".join(proc.cmdline()).split()) or proc.name()
        return f"pid {proc.pid}: {command[:200]} (cwd {proc.cwd()})"
    except psutil.Error:
        return f"pid {proc.pid}"


def _leftover_processes(run: _Run) -> Iterator[psutil.Process]:
    me = psutil.Process()
    # The reaper's watcher lives as long as this process, by design (authkit/reaper.py).
    exempt = {me.pid, *(p.pid for p in me.parents()), reaper.watcher_pid()}
    found = {p.pid: p for p in me.children(recursive=True) if p.pid not in exempt}
    for proc in psutil.process_iter():
        if proc.pid not in exempt and proc.pid not in found and _belongs_to_run(proc, run):
            found[proc.pid] = proc
    candidates = [p for p in found.values() if _alive(p)]
    _, still_alive = psutil.wait_procs(candidates, timeout=EXIT_GRACE_SECONDS)
    yield from (p for p in still_alive if _alive(p))


def _leftover_directories(run: _Run) -> list[Path]:
    # The controller's directory holds one directory per worker, each checked the same way.
    levels = [run.directory, *(p for p in run.directory.iterdir() if p.name.startswith("gw"))]
    return [
        entry
        for level in levels
        if level.is_dir()
        for entry in level.iterdir()
        if entry.name.startswith(KIT_TEMP_PREFIX)
    ]


def leftovers(run: _Run) -> list[str]:
    """What this pytest process (or, in the controller, the whole run) left behind."""
    processes = [f"process still running, {_describe(p)}" for p in _leftover_processes(run)]
    directories = [f"temporary directory remains: {d}" for d in _leftover_directories(run)]
    return processes + directories


@pytest.hookimpl(optionalhook=True)  # an xdist hook: without xdist it is never called
def pytest_testnodedown(node: object, error: object) -> None:
    """(xdist controller) Keep what a worker reported about itself."""
    if _run is not None:
        _run.reported += getattr(node, "workeroutput", {}).get(_WORKEROUTPUT_KEY, [])


@pytest.hookimpl(trylast=True)  # after the session's fixtures and xdist's workers are gone
def pytest_sessionfinish(session: pytest.Session) -> None:
    if _run is None:
        return
    found = leftovers(_run)
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[_WORKEROUTPUT_KEY] = [(_run.name, line) for line in found]
        return
    seen_by_workers = {line for _, line in _run.reported}
    lines = [f"{worker}: {line}" for worker, line in _run.reported]
    lines += [line for line in found if line not in seen_by_workers]
    if not lines:
        shutil.rmtree(_run.directory, ignore_errors=True)
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.ensure_newline()
        reporter.section("left behind by the suite", sep="=", red=True, bold=True)
        for line in lines:
            reporter.write_line(line, red=True)
        reporter.write_line(f"(left in place for a look: {_run.directory})")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
