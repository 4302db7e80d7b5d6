"""Private Redis, memcached and PostgreSQL servers on free loopback ports, in a temporary
directory.

The kit never touches the servers on the standard ports (6379, 11211, 5432): those may hold
somebody's data. Instead it starts its own, which the tests may kill and restart at will,
and removes them afterwards. ``REDIS_URL`` / ``MEMCACHED_URL`` / ``DATABASE_URL`` skip all
of this.
"""

from __future__ import annotations

import contextlib
import glob
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from authkit import reaper

REDIS_PACKAGE = "redis-server"
MEMCACHED_PACKAGE = "memcached"
POSTGRES_PACKAGE = "postgresql"


class ServiceError(RuntimeError):
    """A private server could not be found, installed or started."""


#: Where private servers listen: below Linux's ephemeral range (32768-60999), which
#: ``bind(port 0)`` and every outgoing connection draw from, so a port picked here is not
#: handed to someone else between the check and the server's own bind.
PORT_RANGE = (20000, 32000)
#: Slices of :data:`PORT_RANGE`: each pytest-xdist worker picks in a slice of its own, so
#: two workers starting servers at the same moment never pick the same port.
PORT_SLICES = 8
_handed_out: set[int] = set()


def _port_slice() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    number = int(worker[2:]) if worker[2:].isdigit() else os.getpid()
    low, high = PORT_RANGE
    width = (high - low) // PORT_SLICES
    start = low + (number % PORT_SLICES) * width
    return range(start, start + width)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now, never the same twice in
    one process (a server that just stopped may leave its port in TIME_WAIT)."""
    ports = _port_slice()
    for _ in range(500):
        port = random.choice(ports)
        if port in _handed_out:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise ServiceError(f"no free port on 127.0.0.1 in {ports.start}-{ports.stop - 1}")


def wait_for_port(
    port: int,
    timeout: float = 15.0,
    proc: subprocess.Popen | None = None,
    host: str = "127.0.0.1",
) -> None:
    """Wait until something accepts connections on ``host:port`` (or ``proc`` exits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ServiceError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise ServiceError(f"nothing listened on {host}:{port} after {timeout:.0f}s")


def bracketed(host: str) -> str:
    """An address as it goes in a URL or ``host:port`` (IPv6 in brackets)."""
    return f"[{host}]" if ":" in host else host


def reachable_host(host: str) -> str:
    """Where a client on this machine reaches a server bound to ``host``.

    A wildcard bind (``0.0.0.0``, ``::``) is reached on loopback; any other address is
    reached on itself (a server bound to 127.0.0.2 does not answer on 127.0.0.1).
    """
    if host in ("", "0.0.0.0"):  # noqa: S104  (mapping a wildcard bind, not binding)
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host


def _postgres_bin_dirs() -> list[str]:
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit() else 0,
        reverse=True,
    )
    return versions


def find_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for directory in [*_postgres_bin_dirs(), "/usr/sbin", "/usr/local/sbin"]:
        candidate = os.path.join(directory, name)
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def _can_apt_install() -> bool:
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


#: What ``authkit cost`` runs: valgrind (instructions), strace (system calls) and a C
#: compiler for its callgrind client-request helper (valgrind ships callgrind.h).
COST_TOOLS = {"valgrind": "valgrind", "strace": "strace", "cc": "gcc"}


def ensure_binaries(
    redis: bool = False, postgres: bool = False, cost_tools: bool = False, memcached: bool = False
) -> None:
    """Make sure the server binaries exist: apt-get them as root on Debian/Ubuntu, else explain."""
    wanted = []
    if redis and not find_binary("redis-server"):
        wanted.append(REDIS_PACKAGE)
    if memcached and not find_binary("memcached"):
        wanted.append(MEMCACHED_PACKAGE)
    if postgres and not (find_binary("initdb") and find_binary("postgres")):
        wanted.append(POSTGRES_PACKAGE)
    if cost_tools:
        wanted += [package for tool, package in COST_TOOLS.items() if not shutil.which(tool)]
    if not wanted:
        return
    if not _can_apt_install():
        raise ServiceError(
            "authkit needs " + " and ".join(wanted) + ". Install them with your package manager "
            f"(Debian/Ubuntu: sudo apt-get install -y {' '.join(wanted)}; macOS: brew install "
            "redis memcached postgresql), or point REDIS_URL / MEMCACHED_URL / DATABASE_URL at "
            "servers you run yourself."
        )
    apt_install(wanted)


def apt_install(packages: list[str], extra_env: dict[str, str] | None = None) -> None:
    """``apt-get install`` as root, waiting for a lock another apt holds; a clear error if
    it fails (strict CI must fail then, not run on without the tool)."""
    print(f"authkit: installing {' '.join(packages)} with apt-get", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive", **(extra_env or {})}
    lock = ["-o", "DPkg::Lock::Timeout=300"]
    for argv in (["apt-get", *lock, "update", "-qq"],
                 ["apt-get", *lock, "install", "-y", "-qq", *packages]):  # fmt: skip
        if subprocess.run(argv, env=env).returncode != 0:
            raise ServiceError(f"{' '.join(argv)} failed: install {' '.join(packages)} by hand")


class PrivateServer:
    """A server process of our own: started in a work directory, stopped, crashed, frozen.

    Subclasses say how to start it (``start``), which signal stops it cleanly
    (``stop_signal``) and which one crashes it (``kill_signal``).
    """

    prefix = "authkit-server-"
    stop_signal: int = signal.SIGTERM
    kill_signal: int = signal.SIGKILL

    def __init__(self, workdir: Path | None = None, port: int | None = None) -> None:
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix=self.prefix))
        if workdir is None:
            reaper.adopt_dir(self.workdir)
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> PrivateServer:
        raise NotImplementedError

    def stop(self) -> None:
        """Stop cleanly (Redis flushes its append-only file, PostgreSQL checkpoints)."""
        _terminate(self.proc, sig=self.stop_signal)
        self.proc = None

    def kill(self) -> None:
        """Crash it, as an outage would."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(self.kill_signal)
            self.proc.wait()
        if self.proc is not None:
            reaper.release(self.proc)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def pause(self) -> None:
        """Freeze it (SIGSTOP): connections stay open but nothing answers, like a stalled server."""
        _signal_group(self.proc, signal.SIGSTOP)

    def resume(self) -> None:
        _signal_group(self.proc, signal.SIGCONT)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)
        reaper.release_dir(self.workdir)

    def detach(self) -> None:
        """Let the server outlive this process (``authkit services up``): whoever holds its
        PID and directory stops and removes them."""
        if self.proc is not None:
            reaper.release(self.proc)
        reaper.release_dir(self.workdir)


#: Redis persistence options: ``append-only`` (the default: an append-only file, fsync
#: before each reply) or ``none`` (nothing on disk: a restart starts empty).
REDIS_PERSISTENCE = ("append-only", "none")


def redis_persistence_from_env() -> str:
    """``AUTHKIT_REDIS_PERSISTENCE`` (``authkit serve/compare --redis-persistence``)."""
    value = os.environ.get("AUTHKIT_REDIS_PERSISTENCE") or "append-only"
    if value not in REDIS_PERSISTENCE:
        raise ServiceError(
            f"AUTHKIT_REDIS_PERSISTENCE must be one of {', '.join(REDIS_PERSISTENCE)}, "
            f"not {value!r}"
        )
    return value


class PrivateRedis(PrivateServer):
    """A redis-server of our own, with an append-only file (``appendfsync always``) by default.

    The append-only file is what lets a revocation (the JWT denylist) or a session survive a
    restart of Redis; every variant gets the same configuration, so the comparison is fair.
    Why ``always`` and not the common ``everysec``: under ``everysec``, while a background
    fsync is still running, Redis postpones the AOF ``write()`` for up to two seconds and
    keeps replying, so a SIGKILL can take writes it has already acknowledged (seen once in
    three CI runs of ``tests/test_store_persistence.py``, with four test workers on two
    cores). ``always`` writes and fsyncs before any reply leaves, like PostgreSQL's default
    ``synchronous_commit``, which is what "no acknowledged write is lost" needs. Measured
    here with ``redis-benchmark -t set``: one client 18.7k → 5.8k SET/s (p50 0.055 → 0.159
    ms, about 0.1 ms added to a write), eight clients 94k → 22k SET/s.
    ``persistence="none"`` runs it as a pure cache instead (no AOF, no RDB snapshots): what
    a restart then loses is measured by ``authkit.compare.restart_loss``. The attribute may
    be changed between ``kill()`` and ``start()``: a start without persistence ignores the
    files a previous start wrote, exactly as a Redis that never persisted would start empty.
    """

    prefix = "authkit-redis-"

    def __init__(
        self, workdir: Path | None = None, port: int | None = None, persistence: str | None = None
    ) -> None:
        super().__init__(workdir, port)
        self.persistence = persistence or redis_persistence_from_env()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        ensure_binaries(redis=True)
        self.workdir.mkdir(parents=True, exist_ok=True)
        argv = [
            find_binary("redis-server") or "redis-server",
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--protected-mode", "yes",
            "--dir", str(self.workdir),
            "--save", "",
            "--appendonly", "yes" if self.persistence == "append-only" else "no",
            "--appendfsync", "always",
            "--daemonize", "no",
            "--logfile", str(self.workdir / "redis.log"),
        ]  # fmt: skip
        self.proc = start_owned(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,  # it logs to its logfile; an inherited pipe would
            stderr=subprocess.DEVNULL,  # keep `eval "$(authkit services up)"` waiting
        )
        wait_for_port(self.port, proc=self.proc)
        return self


class PrivateMemcached(PrivateServer):
    """A memcached of our own: memory only, so a restart (or a crash) starts it empty.

    That is memcached's design, not a setting left out: it has no persistence to turn on,
    which is what the restart-loss probe shows for the sessions kept in it. UDP is off
    (``-U 0``: only TCP is used, and an open UDP port is an amplification risk), memory is
    memcached's default 64 MB said out loud (``-m 64``: past it, it evicts), and as root
    it must be told to stay root (``-u root``), since it refuses to run as root otherwise.
    """

    prefix = "authkit-memcached-"

    @property
    def url(self) -> str:
        return f"memcached://127.0.0.1:{self.port}"

    def start(self) -> PrivateMemcached:
        ensure_binaries(memcached=True)
        self.workdir.mkdir(parents=True, exist_ok=True)
        argv = [
            find_binary("memcached") or "memcached",
            "-l", "127.0.0.1",
            "-p", str(self.port),
            "-U", "0",
            "-m", "64",
        ]  # fmt: skip
        if os.geteuid() == 0:
            argv += ["-u", "root"]
        log = open(self.workdir / "memcached.log", "ab")  # noqa: SIM115 - owned by the child
        self.proc = start_owned(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        wait_for_port(self.port, proc=self.proc)
        return self


class PrivatePostgres(PrivateServer):
    """A PostgreSQL cluster of our own, initialised in a temporary directory.

    PostgreSQL refuses to run as root, and CI runs as root, so as root the cluster is
    created and run by the ``postgres`` system account.
    """

    prefix = "authkit-pg-"
    # SIGINT is PostgreSQL's "fast" shutdown (abort transactions, write a checkpoint);
    # SIGQUIT its immediate one, with recovery at the next start, like after a crash.
    stop_signal = signal.SIGINT
    kill_signal = signal.SIGQUIT
    database = "authkit"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    def _run_as(self) -> dict[str, object]:
        if os.geteuid() != 0:
            return {}
        try:
            import pwd

            account = pwd.getpwnam("postgres")
        except KeyError:
            raise ServiceError(
                "running as root, PostgreSQL needs an unprivileged account: create a "
                "'postgres' user (the postgresql package does) or run as a normal user"
            ) from None
        return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}

    def start(self) -> PrivatePostgres:
        ensure_binaries(postgres=True)
        run_as = self._run_as()
        data = self.workdir / "data"
        self.workdir.mkdir(parents=True, exist_ok=True)
        if run_as:
            os.chown(self.workdir, run_as["user"], run_as["group"])
        if not (data / "PG_VERSION").exists():
            subprocess.run(
                [find_binary("initdb") or "initdb", "-D", str(data), "-U", "postgres",
                 "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **run_as,
            )  # fmt: skip
        argv = [
            find_binary("postgres") or "postgres",
            "-D", str(data),
            "-p", str(self.port),
            "-k", str(self.workdir),
            "-c", "listen_addresses=127.0.0.1",
            "-c", "max_connections=200",
            "-c", "track_counts=on",
        ]  # fmt: skip
        log = open(self.workdir / "postgres.log", "ab")  # noqa: SIM115 - owned by the child
        self.proc = start_owned(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, **run_as,
        )  # fmt: skip
        log.close()
        wait_for_port(self.port, proc=self.proc)
        self._create_database()
        return self

    def _create_database(self) -> None:
        import psycopg

        deadline = time.monotonic() + 15
        while True:
            try:
                with psycopg.connect(
                    f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True
                ) as conn:
                    exists = conn.execute(
                        "SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)
                    ).fetchone()
                    if not exists:
                        conn.execute(f'CREATE DATABASE "{self.database}"')
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


def start_owned(argv: list[str], **popen_kwargs: object) -> subprocess.Popen:
    """Start ``argv`` in a session of its own, killed with its process group (and every
    descendant) if this process dies without stopping it (:mod:`authkit.reaper`)."""
    proc = subprocess.Popen(argv, start_new_session=True, **popen_kwargs)  # type: ignore[call-overload]
    reaper.adopt(proc)
    return proc


def kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL ``proc``, its process group and every descendant, and reap ``proc``.

    Only while ``proc`` is not reaped: until then its ID (and its group's) cannot belong to
    anybody else, even when it has already exited.
    """
    if proc.returncode is None:
        doomed = [proc.pid, *_descendants(proc.pid)]
        with contextlib.suppress(OSError):
            if os.getpgid(proc.pid) == proc.pid:
                os.killpg(proc.pid, signal.SIGKILL)
        for pid in doomed:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        proc.wait()
    reaper.release(proc)


def _terminate(
    proc: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 10
) -> None:
    if proc is None:
        return
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    reaper.release(proc)


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (PostgreSQL backends call setsid, so killpg misses them)."""
    found: list[int] = []
    for task in glob.glob(f"/proc/{pid}/task/*/children"):
        try:
            children = [int(c) for c in Path(task).read_text().split()]
        except OSError:
            continue
        for child in children:
            found += [child, *_descendants(child)]
    return found


def _signal_group(proc: subprocess.Popen | None, sig: int) -> None:
    """Signal a server and all its descendants (PostgreSQL's backends)."""
    if proc is None or proc.poll() is not None:
        return
    for pid in [proc.pid, *_descendants(proc.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
