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
from pathlib import Path

from authkit.services import PrivatePostgres, PrivateRedis, ServiceError, ensure_binaries


def state_dir() -> Path:
    default = Path(tempfile.gettempdir()) / f"authkit-services-{os.getuid()}"
    return Path(os.environ.get("AUTHKIT_SERVICES_DIR", default))


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("services", help="start/stop private Redis and PostgreSQL")
    parser.add_argument(
        "action",
        choices=["up", "down", "status", "check"],
        help="check: make sure redis-server, PostgreSQL and authkit cost's tools (valgrind, "
        "strace, cc) are installed (apt-get as root)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="start Redis only")
    parser.set_defaults(handler=services)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _read_state() -> dict:
    try:
        return json.loads((state_dir() / "state.json").read_text())
    except (OSError, ValueError):
        return {}


def services(args: argparse.Namespace) -> int:
    if args.action == "check":
        try:
            ensure_binaries(redis=True, postgres=not args.no_postgres, cost_tools=True)
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
            status = "running" if _alive(info["pid"]) else "dead"
            print(f"{name}: {status} pid {info['pid']} {info['url']}")
        return 0
    if args.action == "down":
        for info in state.values():
            if _alive(info["pid"]):
                os.kill(info["pid"], signal.SIGINT if "postgres" in info["url"] else signal.SIGTERM)
        shutil.rmtree(state_dir(), ignore_errors=True)
        print("authkit services: stopped")
        return 0
    if state and all(_alive(info["pid"]) for info in state.values()):
        _print_exports(state)
        return 0
    base = state_dir()
    base.mkdir(parents=True, exist_ok=True)
    started: dict[str, dict] = {}
    try:
        redis = PrivateRedis(base / "redis").start()
        started["redis"] = {"pid": redis.proc.pid, "url": redis.url}
        if not args.no_postgres:
            postgres = PrivatePostgres(Path(tempfile.mkdtemp(prefix="authkit-pg-"))).start()
            started["postgres"] = {"pid": postgres.proc.pid, "url": postgres.url}
    except ServiceError as exc:
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
