"""Nothing the kit starts outlives the process that started it, even one killed outright.

A CI timeout or an out-of-memory kill sends SIGKILL: no ``finally`` block runs, and the
servers the kit started (each in a session of its own) would run on with their temporary
directories. These tests start the kit's real servers from a child process, kill the child
with SIGKILL and watch everything it started disappear (:mod:`authkit.reaper`).
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from authkit.server import project_root

#: How long the killed tree may take to disappear: the watcher's SIGKILLs are immediate;
#: the bound only keeps a broken reaper from hanging the suite.
GONE_WITHIN_SECONDS = 30
#: Starting Redis, memcached, PostgreSQL (initdb), gunicorn and nginx on a busy machine.
READY_WITHIN_SECONDS = 240

#: The child: every kind of server the kit starts (Redis, memcached, PostgreSQL, gunicorn
#: behind nginx, an SQLite directory), then it reports ready and waits to be killed.
CHILD = textwrap.dedent(
    """
    import sys, time
    from authkit.server import Stores, serving
    from authkit.variants import VARIANTS

    stores = Stores.start(redis=True, postgres=True, memcached=True, private=True)
    stores.sqlite_path()
    with serving(VARIANTS["flask-sessions"], stores, front="nginx") as server:
        print("ready", server.url, flush=True)
        time.sleep(3600)
    """
)

SERVER_NAMES = ("redis-server", "memcached", "postgres", "gunicorn", "nginx")


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A temporary directory of the child's own (its TMPDIR); world-searchable because as
    root PostgreSQL runs as ``postgres`` and must reach its data directory below it."""
    path = Path(tempfile.mkdtemp(prefix="authkit-cleanup-test-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _live(processes: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for proc in processes:
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(proc)
        except psutil.NoSuchProcess:
            continue
    return alive


def _describe(proc: psutil.Process) -> str:
    try:
        return " ".join(proc.cmdline())[:120] or proc.name()
    except psutil.Error:
        return str(proc.pid)


def _start_child(scratch: Path) -> tuple[subprocess.Popen, list[psutil.Process]]:
    env = {**os.environ, "TMPDIR": str(scratch), "AUTHKIT_FRONT": "nginx"}
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    with tempfile.TemporaryFile() as errors:  # a file: a pipe nobody reads could fill up
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD],
            cwd=project_root(),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            start_new_session=True,
        )
        assert child.stdout is not None
        ready, _, _ = select.select([child.stdout], [], [], READY_WITHIN_SECONDS)
        line = child.stdout.readline() if ready else ""
        if not line.startswith("ready"):
            tree = _live(psutil.Process(child.pid).children(recursive=True))
            child.kill()
            child.wait()
            for proc in tree:
                with contextlib.suppress(psutil.Error):
                    proc.kill()
            errors.seek(0)
            pytest.fail(f"the child did not start its servers: {line!r}\n{errors.read()[-3000:]!r}")
    return child, psutil.Process(child.pid).children(recursive=True)


def test_servers_and_directories_die_with_a_parent_killed_by_sigkill(scratch: Path) -> None:
    child, tree = _start_child(scratch)
    try:
        # The precondition: every kind of server runs below the child, and each of its
        # temporary directories exists.
        names = " ".join(_describe(p) for p in tree)
        for name in SERVER_NAMES:
            assert name in names, f"no {name} below the child: {names}"
        made = sorted(p.name for p in scratch.iterdir())
        prefixes = ("authkit-redis-", "authkit-memcached-", "authkit-pg-", "authkit-nginx-",
                    "authkit-sqlite-")  # fmt: skip
        for prefix in prefixes:
            assert any(m.startswith(prefix) for m in made), f"no {prefix}* in {made}"

        child.send_signal(signal.SIGKILL)  # what a CI timeout does: no clean-up code runs
        child.wait()

        deadline = time.monotonic() + GONE_WITHIN_SECONDS
        while (_live(tree) or any(scratch.iterdir())) and time.monotonic() < deadline:
            time.sleep(0.1)
        survivors = [_describe(p) for p in _live(tree)]
        assert not survivors, f"still running after the parent was killed: {survivors}"
        left = sorted(p.name for p in scratch.iterdir())
        assert not left, f"temporary directories left behind: {left}"
    finally:
        for proc in _live(tree):
            with contextlib.suppress(psutil.Error):
                proc.kill()
        if child.returncode is None:
            child.kill()
            child.wait()


def test_the_watcher_leaves_with_a_parent_that_cleaned_up(scratch: Path) -> None:
    """A parent that stops its servers itself and exits normally leaves nothing either:
    not the server, not its directory, not the watcher."""
    script = textwrap.dedent(
        """
        import os, sys
        from authkit import reaper
        from authkit.services import PrivateRedis

        redis = PrivateRedis().start()
        print(redis.proc.pid, reaper._watcher.pid, flush=True)
        redis.cleanup()
        print("stopped", flush=True)
        sys.stdin.readline()
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=project_root(),
        env={**os.environ, "TMPDIR": str(scratch)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdin is not None
    redis_pid, watcher_pid = (int(x) for x in child.stdout.readline().split())
    assert child.stdout.readline().strip() == "stopped"
    watcher = psutil.Process(watcher_pid)
    assert watcher.is_running()
    assert _gone(redis_pid)
    assert not any(scratch.iterdir()), sorted(p.name for p in scratch.iterdir())
    child.stdin.close()  # the child exits normally: the watcher sees end of file and exits
    assert child.wait(GONE_WITHIN_SECONDS) == 0
    watcher.wait(GONE_WITHIN_SECONDS)


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
