"""Servers and temporary directories that die with the process that made them.

The kit starts its servers in sessions of their own (a Ctrl-C in a terminal must not crash
the stores under a test that is stopping them cleanly), so a signal to the parent's process
group never reaches them, and a parent killed with SIGKILL (a CI timeout, an OOM kill) runs
no ``finally`` block. ``PR_SET_PDEATHSIG`` is not enough either: it fires when the *thread*
that started the child ends, and it reaches only that child, not nginx's or gunicorn's
workers, which outlive a killed master.

So the first server a process starts also starts one small watcher (this file run as a
script, standard library only) that holds the read end of a pipe. The parent tells it, one
line at a time, which process groups and directories it owns and when it has cleaned them
up itself. When the pipe reaches end of file, however the parent ended, the watcher kills
whatever is still registered (each group and every descendant, since PostgreSQL's backends
leave their group) and removes the registered directories, then exits. A parent that
exits normally with nothing registered costs one idle process and nothing else.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

#: How long the watcher waits for killed processes to disappear before removing directories.
EXIT_WAIT_SECONDS = 10.0

_lock = threading.Lock()
_watcher: subprocess.Popen | None = None
_watcher_owner: int | None = None


def _start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (field 22 of /proc/pid/stat): tells a reused
    process ID from the process that was registered."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _send(line: str, start: bool = True) -> None:
    global _watcher, _watcher_owner
    with _lock:
        # A forked child inherits the module state but not a watcher of its own.
        if _watcher is None or _watcher_owner != os.getpid() or _watcher.poll() is not None:
            if not start:
                return
            _watcher = subprocess.Popen(
                [sys.executable, "-I", "-S", str(Path(__file__).resolve())],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # outlives a signal to the parent's process group
                text=True,
            )
            _watcher_owner = os.getpid()
        assert _watcher.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            _watcher.stdin.write(line + "\n")
            _watcher.stdin.flush()


def watcher_pid() -> int | None:
    """This process's watcher, if it started one: a leak check must not count it as a
    server left behind (it exits on its own when this process ends)."""
    with _lock:
        if _watcher is None or _watcher_owner != os.getpid() or _watcher.poll() is not None:
            return None
        return _watcher.pid


def adopt(proc: subprocess.Popen) -> None:
    """Kill ``proc``'s process group and descendants if this process dies first."""
    _send(f"pid {proc.pid} {_start_time(proc.pid)}")


def release(proc: subprocess.Popen) -> None:
    """``proc`` has been stopped (or handed to someone else): forget it."""
    _send(f"unpid {proc.pid}", start=False)


def adopt_dir(path: Path | str) -> None:
    """Remove ``path`` if this process dies before removing it."""
    _send(f"dir {os.fspath(path)}")


def release_dir(path: Path | str) -> None:
    _send(f"undir {os.fspath(path)}", start=False)


# -- the watcher ---------------------------------------------------------------------------


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            children = [int(c) for c in task.read_text().split()]
        except OSError:
            continue
        for child in children:
            found += [child, *_descendants(child)]
    return found


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs; a zombie nobody reaps (no init in a container) counts as gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _reap(pids: dict[int, str], dirs: set[str]) -> None:
    # Every process first, then the kills: a killed parent's children are reparented and
    # could no longer be found below it.
    leaders = [pid for pid, started in pids.items() if _start_time(pid) == started]
    doomed = [found for pid in leaders for found in (pid, *_descendants(pid))]
    for pid in leaders:
        with contextlib.suppress(OSError):
            if os.getpgid(pid) == pid:
                os.killpg(pid, signal.SIGKILL)
    for pid in doomed:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + EXIT_WAIT_SECONDS
    while any(_alive(pid) for pid in doomed) and time.monotonic() < deadline:
        time.sleep(0.05)
    for path in dirs:
        shutil.rmtree(path, ignore_errors=True)


def watch(lines: object) -> None:
    """Read registrations until end of file, then clean up what is still registered."""
    pids: dict[int, str] = {}
    dirs: set[str] = set()
    for line in lines:  # type: ignore[attr-defined]
        verb, _, rest = line.rstrip("\n").partition(" ")
        if verb == "pid":
            pid, _, started = rest.partition(" ")
            pids[int(pid)] = started
        elif verb == "unpid":
            pids.pop(int(rest), None)
        elif verb == "dir":
            dirs.add(rest)
        elif verb == "undir":
            dirs.discard(rest)
    _reap(pids, dirs)


if __name__ == "__main__":
    # The parent's terminal signals are not the watcher's business: only end of file is.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    watch(sys.stdin)
