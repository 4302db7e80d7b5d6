"""Readings taken around a measured window: CPU time, memory, storage calls.

CPU time per request is the headline cost because, on a small machine, the load generator
limits requests/s before the server does; CPU seconds the server spent cannot be distorted
that way. psutil reads ``/proc/PID/stat`` (utime + stime) for us.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass

import psutil

SERVER_CORE = 0
LOAD_CORE = 1


def can_pin() -> bool:
    """Pinning needs Linux's sched_setaffinity and at least two cores we may use."""
    return hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) >= 2


def pin(pids: Iterable[int], core: int) -> None:
    """Pin every thread of each process to ``core``; children forked later inherit it.

    ``sched_setaffinity(pid)`` moves one thread only, so each task in /proc/PID/task is
    pinned; threads a process starts later inherit its (pinned) mask.
    """
    for pid in pids:
        with contextlib.suppress(psutil.Error, OSError):
            for thread in psutil.Process(pid).threads():
                with contextlib.suppress(OSError):
                    os.sched_setaffinity(thread.id, {core})


def process_tree(pid: int) -> list[psutil.Process]:
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    return []


@dataclass
class CpuReading:
    """CPU seconds (user + system) of a group of processes, and their resident memory."""

    cpu_seconds: float
    rss_bytes: int


def read_cpu(pids: Iterable[int], include_reaped_children: bool = False) -> CpuReading:
    """Sum of utime + stime over ``pids``.

    With ``include_reaped_children``, CPU of children that already exited and were waited
    for is included too (PostgreSQL's backends come and go; the postmaster reaps them).
    """
    cpu = 0.0
    rss = 0
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            proc = psutil.Process(pid)
            times = proc.cpu_times()
            cpu += times.user + times.system
            if include_reaped_children:
                cpu += times.children_user + times.children_system
            rss += proc.memory_info().rss
    return CpuReading(cpu, rss)


def tree_pids(root_pid: int | None) -> list[int]:
    if root_pid is None:
        return []
    return [p.pid for p in process_tree(root_pid)]


def redis_commandstats(url: str) -> dict[str, int]:
    """Calls per Redis command so far (``INFO commandstats``), without our own INFO calls."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2)
    try:
        stats = client.info("commandstats")
    finally:
        client.close()
    calls = {}
    for key, value in stats.items():
        name = key.removeprefix("cmdstat_")
        if name in {"info", "hello", "client|setinfo", "ping", "select"}:
            # Connection chatter and our own readings, not the variant's work (SELECT is
            # sent once per new connection when the URL names a database other than 0).
            continue
        calls[name] = int(value["calls"]) if isinstance(value, dict) else 0
    return calls


def memcached_stats(url: str) -> dict[str, int]:
    """memcached's ``stats`` so far (``memcached://host:port``), as integers."""
    from pymemcache.client.base import Client

    host, _, port = url.removeprefix("memcached://").rstrip("/").rpartition(":")
    client = Client((host, int(port)), connect_timeout=2, timeout=2)
    try:
        stats = client.stats()
    finally:
        client.close()
    return {
        (k.decode() if isinstance(k, bytes) else k): int(v)
        for k, v in stats.items()
        if isinstance(v, int | float)
    }


def memcached_commandstats(url: str) -> dict[str, int]:
    """Calls per memcached command so far, named like Redis's (``get``, ``set``, ...).

    ``stats`` counts commands, not keys' outcomes: ``cmd_set`` includes every ``add``
    (the lock), and a delete is a hit or a miss. Our own ``stats`` calls are not counted
    by memcached.
    """
    stats = memcached_stats(url)
    return {
        "get": stats.get("cmd_get", 0),
        "set": stats.get("cmd_set", 0),
        "touch": stats.get("cmd_touch", 0),
        "delete": stats.get("delete_hits", 0) + stats.get("delete_misses", 0),
    }


def postgres_activity(url: str) -> dict[str, int]:
    """Transactions and tuples so far in the variant's database (``pg_stat_database``).

    These are not statements; statements per request are counted exactly in the probe
    (see :mod:`loadtests.sqlcount`). They show the database's work under the full mix.
    """
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=3) as conn:
        row = conn.execute(
            "SELECT xact_commit, xact_rollback, tup_returned, tup_fetched, tup_inserted,"
            " tup_updated, tup_deleted FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
        conn.execute("SELECT pg_stat_clear_snapshot()")
    names = ["commits", "rollbacks", "returned", "fetched", "inserted", "updated", "deleted"]
    return dict(zip(names, (int(v) for v in row or (0,) * 7), strict=True))


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    keys = set(before) | set(after)
    return {
        k: after.get(k, 0) - before.get(k, 0)
        for k in sorted(keys)
        if after.get(k, 0) != before.get(k, 0)
    }


def per_request(counts: dict[str, int], requests: int) -> dict[str, float]:
    if requests <= 0:
        return {}
    return {k: round(v / requests, 4) for k, v in counts.items()}
