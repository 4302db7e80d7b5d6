"""``authkit serve VARIANT``: one variant under gunicorn, with private stores if none are given."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from authkit.launcher import Launcher, Target, stores_for
from authkit.server import DEFAULT_WORKERS, Stores
from authkit.services import REDIS_PERSISTENCE, ServiceError
from authkit.variants import VARIANTS, get_variant


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "serve",
        help="run one variant under gunicorn",
        description="Run a variant under gunicorn with the kit's shared server settings. "
        "Without REDIS_URL / DATABASE_URL it starts private stores on free loopback ports "
        "and removes them on exit.",
    )
    parser.add_argument("variant", choices=sorted(VARIANTS))
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (0.0.0.0 only inside a container)"
    )
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="django-sessions: SQLite file (default) or PostgreSQL (DATABASE_URL or a private one)",
    )
    parser.add_argument(
        "--redis-persistence",
        choices=REDIS_PERSISTENCE,
        default=None,
        help="the private Redis: append-only file (default) or none (a restart empties it)",
    )
    parser.set_defaults(handler=serve)


def serve(args: argparse.Namespace) -> int:
    variant = get_variant(args.variant)
    if args.redis_persistence:  # read by PrivateRedis when it starts
        os.environ["AUTHKIT_REDIS_PERSISTENCE"] = args.redis_persistence
    stop = False

    def _stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    with Launcher() as launcher:
        try:
            # One server alone: on the stores as given (REDIS_URL, SQLITE_PATH, ...), not
            # kept apart from others the way the launcher's shared targets are.
            stores = launcher.shared_stores(**stores_for(variant, args.database))
        except ServiceError as exc:
            print(f"authkit: {exc}", file=sys.stderr)
            return 2
        try:
            with launcher.dedicated(
                variant,
                stores=stores,
                database=args.database,
                workers=args.workers,
                port=args.port,
                host=args.host,
                # gunicorn's error log (a 500's traceback among it) on this command's stderr,
                # where a person running ``authkit serve`` looks.
                log_path=Path("/dev/stderr"),
            ) as target:
                return _wait(target, stores, lambda: stop)
        except KeyboardInterrupt:
            return 0


def _wait(target: Target, stores: Stores, stopped: Callable[[], bool]) -> int:
    """Say where the server is, then wait for a signal or for gunicorn to exit."""
    server = target.server
    assert server is not None
    print(f"authkit: {target.name} on {server.url} (Ctrl-C to stop)")
    if server.front:
        print(f"authkit: behind a private nginx; gunicorn on 127.0.0.1:{server.port}")
    if stores.redis:
        print(f"authkit: private Redis at {stores.redis_url}")
    if stores.memcached:
        print(f"authkit: private memcached at {stores.memcached_url}")
    if stores.postgres:
        print(f"authkit: private PostgreSQL at {stores.database_url}")
    while not stopped() and server.proc and server.proc.poll() is None:
        time.sleep(0.5)
    if server.proc and server.proc.poll() not in (None, 0):
        print(f"authkit: gunicorn exited with {server.proc.returncode}", file=sys.stderr)
        return 1
    return 0
