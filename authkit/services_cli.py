"""``authkit services up|down|status``: private Redis and PostgreSQL for longer work.

``up`` starts them detached and prints ``export`` lines, so ``eval "$(authkit services up)"``
points every later command at them. Their state lives in one directory (by default under
the system temporary directory) until ``down`` removes it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

from authkit.front import default_front, ensure_nginx
from authkit.services import PrivatePostgres, PrivateRedis, ServiceError, ensure_binaries


def state_dir() -> Path:
    default = Path(tempfile.gettempdir()) / f"authkit-services-{os.getuid()}"
    return Path(os.environ.get("AUTHKIT_SERVICES_DIR", default))


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("services", help="start/stop private Redis and PostgreSQL")
    parser.add_argument(
        "action",
        choices=["up", "down", "status", "check"],
        help="check: make sure redis-server, memcached, PostgreSQL, nginx and authkit cost's "
        "tools (valgrind, strace, cc) are installed (apt-get as root)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="start Redis only")
    parser.set_defaults(handler=services)


def process_alive(pid: int) -> bool:
    """Whether ``pid`` runs: a zombie (dead, not yet reaped) answers ``kill(pid, 0)`` too."""
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc (not Linux): kill() is all we know


def _read_state() -> dict:
    try:
        return json.loads((state_dir() / "state.json").read_text())
    except (OSError, ValueError):
        return {}


def _stop_all(state: dict, timeout: float = 15) -> None:
    """Stop every recorded server, wait until each has exited, then remove its directory
    (only then: removing it first would pull the data out from under a running server)."""
    for info in state.values():
        if process_alive(info["pid"]):
            os.kill(info["pid"], signal.SIGINT if "postgres" in info["url"] else signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for info in state.values():
        while process_alive(info["pid"]) and time.monotonic() < deadline:
            time.sleep(0.05)
        if process_alive(info["pid"]):
            os.kill(info["pid"], signal.SIGKILL)
        if info.get("dir"):
            shutil.rmtree(info["dir"], ignore_errors=True)


def services(args: argparse.Namespace) -> int:
    if args.action == "check":
        try:
            ensure_binaries(
                redis=True, postgres=not args.no_postgres, cost_tools=True, memcached=True
            )
            if default_front() == "nginx":
                ensure_nginx()  # the buffering front every server starts behind
        except (ServiceError, OSError) as exc:
            print(f"authkit: {exc}")
            return 2
        return 0
    state = _read_state()
    if args.action == "status":
        if not state:
            print("authkit services: not running")
            return 1
        for name, info in state.items():
            status = "running" if process_alive(info["pid"]) else "dead"
            print(f"{name}: {status} pid {info['pid']} {info['url']}")
        return 0
    if args.action == "down":
        _stop_all(state)
        shutil.rmtree(state_dir(), ignore_errors=True)
        print("authkit services: stopped")
        return 0
    wanted = {"redis"} | (set() if args.no_postgres else {"postgres"})
    if (
        state
        and set(state) == wanted
        and all(process_alive(info["pid"]) for info in state.values())
    ):
        _print_exports(state)
        return 0
    # Anything left from an earlier `up` (one server dead, or a different set) is stopped
    # before starting afresh: a survivor would otherwise run on with nobody recording it.
    _stop_all(state)
    shutil.rmtree(state_dir(), ignore_errors=True)
    base = state_dir()
    base.mkdir(parents=True, exist_ok=True)
    started: dict[str, dict] = {}
    try:
        redis = PrivateRedis(base / "redis").start()
        redis.detach()  # outlives this command until `down`
        started["redis"] = {"pid": redis.proc.pid, "url": redis.url, "dir": str(redis.workdir)}
        if not args.no_postgres:
            # In a directory of its own under the system temporary directory (as root the
            # cluster runs as `postgres`, which may not enter the state directory's parents);
            # recorded, so that `down` removes it too.
            postgres = PrivatePostgres().start()
            postgres.detach()
            started["postgres"] = {
                "pid": postgres.proc.pid,
                "url": postgres.url,
                "dir": str(postgres.workdir),
            }
    except ServiceError as exc:
        _stop_all(started)
        print(f"# authkit: {exc}")
        return 2
    (base / "state.json").write_text(json.dumps(started))
    _print_exports(started)
    return 0


def _print_exports(state: dict) -> None:
    if "redis" in state:
        print(f"export REDIS_URL={state['redis']['url']}")
    if "postgres" in state:
        print(f"export DATABASE_URL={state['postgres']['url']}")
