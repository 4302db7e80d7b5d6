"""Running a variant as a real gunicorn server, the same way for every variant.

Everything that could make one variant faster than another for reasons other than its auth
design is fixed here, once: worker class, threads, keep-alive, limits, logging. Tests,
``authkit serve`` and ``authkit compare`` all start servers through this module.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

from authkit import reaper
from authkit.front import PrivateNginx, default_front, front_settings
from authkit.services import (
    PrivateMemcached,
    PrivatePostgres,
    PrivateRedis,
    bracketed,
    free_port,
    reachable_host,
    start_owned,
    wait_for_port,
)
from authkit.variants import Variant, framework_of

#: One gunicorn configuration for every variant (fairness); the worker class and threads
#: come from the variant's framework (:class:`authkit.variants.Serving`), the same for all
#: variants of one framework and for its baseline.
KEEP_ALIVE_SECONDS = 5
DEFAULT_WORKERS = 2
#: How long gunicorn may take to import the app and answer: a bound that tells a server
#: that will never answer from one on a machine busy starting ten others (compose's up),
#: not a measure of anything.
START_TIMEOUT_SECONDS = 90
#: The worker that serves a framework's ``worker_class``: ``gthread`` itself, with the
#: requests gunicorn refuses before the app runs answered as JSON (see the module).
WORKER_CLASSES = {"gthread": "authkit.gunicorn_worker.JsonErrorThreadWorker"}


def gunicorn_argv(
    variant: Variant, port: int, workers: int = DEFAULT_WORKERS, host: str = "127.0.0.1"
) -> list[str]:
    serving_spec = framework_of(variant).serving
    argv = [
        sys.executable, "-m", "gunicorn", variant.app,
        "--bind", f"{bracketed(host)}:{port}",
        "--workers", str(workers),
        "--worker-class", WORKER_CLASSES.get(serving_spec.worker_class, serving_spec.worker_class),
        "--keep-alive", str(KEEP_ALIVE_SECONDS),
        "--graceful-timeout", "5",
        "--timeout", "30",
        "--no-control-socket",  # gunicorn 27 would otherwise want a socket in $HOME
        # Above the front's limits (authkit/front.py), so nginx answers an oversized request
        # line or header with JSON before gunicorn's HTML 414/431 could.
        "--limit-request-line", "8190",
        "--limit-request-fields", "32768",
        "--log-level", "warning",
    ]  # fmt: skip
    if serving_spec.worker_class == "gthread":
        argv += ["--threads", str(serving_spec.threads)]
    return argv


def server_settings(
    variant: Variant, workers: int = DEFAULT_WORKERS, front: str | None = None
) -> dict[str, object]:
    """The server configuration a variant runs with, for reports (the front:
    ``AUTHKIT_FRONT``, nginx by default)."""
    serving_spec = framework_of(variant).serving
    return {
        **front_settings(front or default_front()),
        "server": "gunicorn",
        "interface": serving_spec.interface,
        "worker_class": serving_spec.worker_class,
        "workers": workers,
        "threads": serving_spec.threads if serving_spec.worker_class == "gthread" else None,
        "keep_alive_seconds": KEEP_ALIVE_SECONDS,
    }


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


@dataclass
class Stores:
    """The stores a run uses: private ones started here, or the user's from the environment."""

    redis_url: str = ""
    database_url: str = ""
    redis: PrivateRedis | None = None
    postgres: PrivatePostgres | None = None
    memcached_url: str = ""
    memcached: PrivateMemcached | None = None
    sqlite_dir: Path | None = None
    #: One key per run, shared by every server on these stores: two instances must accept
    #: each other's sessions and tokens. ``SECRET_KEY`` from the environment wins.
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(48))

    @classmethod
    def start(
        cls,
        redis: bool = False,
        postgres: bool = False,
        private: bool = False,
        memcached: bool = False,
    ) -> Stores:
        """Start what is needed and not already given by ``REDIS_URL`` / ``MEMCACHED_URL`` /
        ``DATABASE_URL``.

        ``private=True`` ignores those variables: tests that kill and restart stores must
        own them, never stop a server somebody pointed the kit at.
        """
        environ = {} if private else os.environ
        stores = cls(
            redis_url=environ.get("REDIS_URL", ""),
            database_url=environ.get("DATABASE_URL", ""),
            memcached_url=environ.get("MEMCACHED_URL", ""),
        )
        try:
            if redis and not stores.redis_url:
                stores.redis = PrivateRedis().start()
                stores.redis_url = stores.redis.url
            if memcached and not stores.memcached_url:
                stores.memcached = PrivateMemcached().start()
                stores.memcached_url = stores.memcached.url
            if postgres and not stores.database_url:
                stores.postgres = PrivatePostgres().start()
                stores.database_url = stores.postgres.url
        except BaseException:
            stores.close()
            raise
        return stores

    def sqlite_path(self) -> Path:
        """The SQLite file for database variants run without PostgreSQL (one per run)."""
        if self.sqlite_dir is None:
            self.sqlite_dir = Path(tempfile.mkdtemp(prefix="authkit-sqlite-"))
            reaper.adopt_dir(self.sqlite_dir)
        return self.sqlite_dir / "authkit.sqlite3"

    def __enter__(self) -> Stores:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.sqlite_dir is not None:
            shutil.rmtree(self.sqlite_dir, ignore_errors=True)
            reaper.release_dir(self.sqlite_dir)
        for server in (self.redis, self.memcached, self.postgres):
            if server is not None:
                server.cleanup()


def variant_env(
    variant: Variant,
    stores: Stores,
    database: str = "sqlite",
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment a variant's processes run with."""
    env = dict(os.environ)
    env.update(variant.env)
    env["AUTHKIT_VARIANT"] = variant.name
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(project_root()), env.get("PYTHONPATH")]))
    if stores.redis_url:
        env["REDIS_URL"] = stores.redis_url
    if stores.memcached_url:
        env["MEMCACHED_URL"] = stores.memcached_url
    if variant.store == "database":
        if database == "postgres":
            env["DATABASE_URL"] = stores.database_url
        else:
            env.pop("DATABASE_URL", None)
            env.setdefault("SQLITE_PATH", str(stores.sqlite_path()))
    if not env.get("SECRET_KEY"):
        env["SECRET_KEY"] = stores.secret_key
    env.update(extra or {})
    return env


def prepare(variant: Variant, env: dict[str, str]) -> None:
    """Run the variant's set-up (migrations, seed users) in a child with its environment."""
    module, func = variant.prepare.split(":")
    subprocess.run(
        [sys.executable, "-c", f"import {module} as m; m.{func}()"],
        env=env,
        check=True,
        cwd=project_root(),
    )


@dataclass
class VariantServer:
    """One gunicorn process tree serving one variant (on 127.0.0.1 unless ``host`` says)."""

    variant: Variant
    env: dict[str, str]
    workers: int = DEFAULT_WORKERS
    port: int = 0
    proc: subprocess.Popen | None = None
    log_path: Path | None = None
    #: Where gunicorn listens; only a container needs anything but loopback.
    host: str = "127.0.0.1"
    #: The buffering proxy clients talk to (see authkit/front.py); None: gunicorn directly.
    front: PrivateNginx | None = None

    @property
    def url(self) -> str:
        if self.front:
            return self.front.url
        return f"http://{bracketed(reachable_host(self.host))}:{self.port}"

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> VariantServer:
        self.port = self.port or free_port()
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = start_owned(
            gunicorn_argv(self.variant, self.port, self.workers, self.host),
            env=self.env,
            cwd=project_root(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
        if log is not subprocess.DEVNULL:
            log.close()
        wait_for_port(self.port, timeout=timeout, proc=self.proc, host=reachable_host(self.host))
        self._wait_until_answering(timeout)
        return self

    def _wait_until_answering(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                code = self.proc.returncode
                raise RuntimeError(f"{self.variant.name}: gunicorn exited with {code}")
            with contextlib.suppress(requests.RequestException):
                requests.get(self.url + "/products", timeout=2)
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.variant.name} did not answer on {self.url}")

    def worker_pids(self) -> list[int]:
        """The gunicorn master and its workers (for CPU accounting)."""
        if self.proc is None:
            return []
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            children = ""
        return [self.proc.pid, *(int(pid) for pid in children.split())]

    def restart(
        self, env: dict[str, str | None] | None = None, timeout: float = START_TIMEOUT_SECONDS
    ) -> VariantServer:
        """Stop gunicorn and start it again on the same port, with ``env`` changed (a
        ``None`` value removes the variable): a new configuration (a rotated key) over the
        same stores, behind the same front, as an operator's restart would be.

        The variant's set-up is not run again: the stores keep their users and sessions.
        """
        self._stop_gunicorn()
        for name, value in (env or {}).items():
            if value is None:
                self.env.pop(name, None)
            else:
                self.env[name] = value
        return self.start(timeout)

    def stop(self) -> None:
        if self.front is not None:
            self.front.cleanup()
        self._stop_gunicorn()

    def _stop_gunicorn(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        reaper.release(self.proc)


@contextlib.contextmanager
def serving(
    variant: Variant,
    stores: Stores,
    database: str = "sqlite",
    extra_env: dict[str, str] | None = None,
    workers: int = DEFAULT_WORKERS,
    port: int = 0,
    log_path: Path | None = None,
    host: str = "127.0.0.1",
    front: str | None = None,
) -> Iterator[VariantServer]:
    """Prepare and serve ``variant`` for the duration of a ``with`` block.

    ``front``: ``"nginx"`` (the default, or ``AUTHKIT_FRONT``) puts a private buffering nginx
    on ``port``/``host`` in front of gunicorn, which then listens on a free loopback port;
    ``"none"`` lets gunicorn face clients itself.
    """
    front = front or default_front()
    env = variant_env(variant, stores, database, extra_env)
    if front == "nginx":
        env.setdefault("TRUSTED_PROXIES", "127.0.0.1")  # X-Forwarded-For from our nginx only
    prepare(variant, env)
    server = VariantServer(
        variant,
        env,
        workers=workers,
        port=0 if front == "nginx" else port,
        log_path=log_path,
        host="127.0.0.1" if front == "nginx" else host,
    )
    try:
        server.start()
        if front == "nginx":
            server.front = PrivateNginx(server.port, port=port or None, host=host).start()
        yield server
    finally:
        server.stop()
