"""The rounds of ``authkit compare``: serve each target, verify it, measure its cells.

Fair by construction: one target at a time on the same port, with the same gunicorn
settings and load accounts; each Locust run warms up before it measures; rounds visit the
targets in rotating order (:func:`authkit.compare.plan.order`) so drift (thermal, other
tenants) hits every target alike; the bare baselines run in the same rounds. Serving lives
here because the rounds are what it is for; the probes borrow it (:meth:`Rounds.serve`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from authkit.compare import loadgen, probes
from authkit.compare.measure import (
    SERVER_CORE,
    delta,
    memcached_commandstats,
    per_request,
    pin,
    postgres_activity,
    read_cpu,
    redis_commandstats,
    tree_pids,
)
from authkit.compare.plan import (
    cell_label,
    order,
    scenarios_for,
    start_label,
    verify_label,
)
from authkit.compare.results import Cell
from authkit.compare.state import RunState, account, short
from authkit.compare.targets import Target
from authkit.compare.verification import NONE, verify
from authkit.launcher import Launcher
from authkit.launcher import Target as Served
from authkit.scenarios import Scenario
from authkit.server import Stores
from authkit.variants import Variant
from shared.throttle import SUITE_LIMITS_ENV


class Rounds:
    """The served part of one run: its rounds, and the server each probe restarts."""

    def __init__(self, run: RunState, targets: list[Target], launcher: Launcher) -> None:
        self.run = run
        self.launcher = launcher
        self.targets = targets
        # What serving reads from the run, as attributes of its own.
        self.options = run.options
        self.out = run.out
        self.pinning = run.pinning
        self.port = run.port
        self.cells: list[Cell] = []

    def _server_env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        # The contract suite verifies each server first and fails logins on purpose from
        # one address: generous login limits (recorded in the results' settings). The load
        # scenarios' logins all succeed, and only failures count, so the limiter never
        # answers them; each login still pays the limiter's check (3 reads of the store).
        return {"SEED_LOAD_USERS": str(self.run.seed_count), **SUITE_LIMITS_ENV, **(extra or {})}

    @contextlib.contextmanager
    def _serve(
        self,
        target: Target,
        stores: Stores,
        variant: Variant | None = None,
        extra: dict[str, str] | None = None,
        tag: str = "load",
    ) -> Iterator[Served]:
        """Serve a target on the run's port, pinned to the server core when pinning.

        A ``--url`` target is a server this run did not start: its processes are not ours
        to read, so its cells carry no server CPU or memory, and the probes (which restart
        the server with short lifetimes and a counting wrapper) are skipped.
        """
        url = self.options.urls.get(target.name)
        if url and variant is None:
            yield Launcher.external(url, target.variant.style, target.name)
            return
        log = self.out / "logs" / f"{target.name}-{tag}.log"
        with self.launcher.dedicated(
            variant or target.variant,
            self._server_env(extra),
            stores=stores,
            database=self.options.database,
            workers=self.options.workers,
            port=self.port,
            log_path=log,
        ) as served:
            if self.pinning and served.server:
                pin(served.server.worker_pids(), SERVER_CORE)
            yield served

    #: The probes serve their counting variant the same way (port, pinning, environment).
    serve = _serve

    def round(self, round_index: int, stores: Stores) -> None:
        """One round: each active target served in turn, verified in the first round, then
        measured in each of its scenarios."""
        active = [t for t in self.targets if self.run.active(t)]
        for position, target in enumerate(order(active, round_index)):
            if not self.run.active(target):
                continue
            with contextlib.ExitStack() as stack:
                try:
                    with self.run.timer.step(start_label(round_index, target.name)):
                        server = stack.enter_context(self._serve(target, stores))
                except Exception as exc:  # a variant that cannot start is a result, not a crash
                    self.run.fail(target, f"did not start: {short(exc)}")
                    continue
                if round_index == 0 and not target.is_baseline:
                    with self.run.timer.step(verify_label(target.name)):
                        if not self._verify(target, server):
                            continue
                elif target.is_baseline and self.run.status[target.name].verification is None:
                    self.run.status[target.name].verification = {"method": NONE, "passed": None}
                for scenario in scenarios_for(target, self.options.scenarios):
                    with self.run.timer.step(cell_label(round_index, target.name, scenario.name)):
                        self.cells.append(
                            self._cell(target, scenario, round_index, position, server, stores)
                        )

    def _verify(self, target: Target, server: Served) -> bool:
        if not self.options.verify:
            # Not checked is not passed: the report says "not verified", never "ok".
            self.run.status[target.name].verification = {
                "method": "skipped (--no-verify)",
                "passed": None,
            }
            return True
        log = self.out / "logs" / f"{target.name}-verify.log"
        outcome = verify(server.url, target.variant.style, target.name, log)
        self.run.status[target.name].verification = outcome
        if not outcome["passed"]:
            self.run.fail(target, f"failed verification ({outcome['method']}: {outcome['detail']})")
            return False
        return True

    # -- one measured cell ---------------------------------------------------------
    def _reader(self, target: Target, served: Served, stores: Stores) -> Callable[[], dict]:
        kind = store_kind(target, self.options.database)
        server_pids = served.server.worker_pids() if served.server else []

        def read() -> dict[str, Any]:
            reading: dict[str, Any] = {"server": read_cpu(server_pids)}
            if kind == "redis" and stores.redis and stores.redis.proc:
                reading["store"] = read_cpu([stores.redis.proc.pid])
            elif kind == "memcached" and stores.memcached and stores.memcached.proc:
                reading["store"] = read_cpu([stores.memcached.proc.pid])
            elif kind == "postgres" and stores.postgres and stores.postgres.proc:
                reading["store"] = read_cpu(
                    tree_pids(stores.postgres.proc.pid), include_reaped_children=True
                )
            if stores.redis_url and kind == "redis":
                reading["redis"] = redis_commandstats(stores.redis_url)
            if stores.memcached_url and kind == "memcached":
                reading["memcached"] = memcached_commandstats(stores.memcached_url)
            if kind == "postgres":
                reading["postgres"] = postgres_activity(stores.database_url)
            return reading

        return read

    def _cell(
        self,
        target: Target,
        scenario: Scenario,
        round_index: int,
        position: int,
        server: Served,
        stores: Stores,
    ) -> Cell:
        options = self.options
        cell: dict[str, Any] = {
            "target": target.name,
            "scenario": scenario.name,
            "round": round_index + 1,
            "position": position + 1,
            "error": None,
        }
        read = self._reader(target, server, stores)
        csv_prefix = self.out / "locust" / f"{target.name}-{scenario.name}-r{round_index + 1}"
        duration = getattr(options, scenario.duration_option)
        try:
            if scenario.tool == "wrk":
                # No fallback to an anonymous header: wrk against 401 answers would measure
                # the rejection path and call it the read path. A failed login fails the cell.
                header = probes.login(
                    server.url, target.variant.style, *account(self.run.seed_count - 4)
                ).header_line()
                window = loadgen.run_wrk(
                    server.url, "/me", header, duration, read, pin_load=self.pinning
                )
                cell["tool"] = "wrk"
                cell["users"] = window.summary["connections"]
            else:
                users = getattr(options, scenario.users_option)
                window = loadgen.run_locust(
                    server.url,
                    target.variant.style,
                    scenario.name,
                    users,
                    getattr(options, scenario.warmup_option),
                    duration,
                    csv_prefix,
                    read,
                    paced_rate=options.paced_rate,
                    pin_load=self.pinning,
                    env={
                        "SEED_LOAD_USERS": str(self.run.seed_count),
                        "AUTHKIT_FIRST_USER": str(self.run.first_load_user),
                    },
                    log_path=self.out / "logs" / f"{target.name}-locust.log",
                )
                cell["tool"] = "locust"
                cell["users"] = users
                cell["csv_prefix"] = str(csv_prefix.relative_to(self.out))
                if scenario.pace == "paced":
                    cell["offered_rate"] = options.paced_rate
        except Exception as exc:
            cell["error"] = short(exc)
            self.run.progress.note(f"[yellow]{target.name} {scenario}: {cell['error']}[/yellow]")
            return Cell(**cell)
        cell.update(cell_numbers(window, store_kind(target, options.database)))
        if target.name in options.urls:  # served elsewhere: no CPU or memory readable here
            cell["server"] = {"cpu_seconds": None, "cpu_ms_per_request": None, "rss_mb": None}
        if scenario.measures == "login":
            logins = window.summary.get("by_name", {}).get("POST /login", 0)
            cell["logins_per_second"] = round(logins / max(window.summary["seconds"], 1e-9), 2)
        return Cell(**cell)


def store_kind(target: Target, database: str) -> str | None:
    """The store whose CPU and calls a cell of ``target`` reads."""
    if target.variant.uses_redis:
        return "redis"
    if target.variant.uses_memcached:  # its sessions; the users' SQLite is in server CPU
        return "memcached"
    if target.variant.store == "database":
        return "postgres" if database == "postgres" else "sqlite"
    return None


def cell_numbers(window: loadgen.Window, store_kind: str | None) -> dict[str, Any]:
    """The numbers of one cell from its measured window (the results' cell fields)."""
    summary = window.summary
    requests = int(summary["requests"])
    seconds = float(summary.get("seconds") or window.seconds)
    server_cpu = window.after["server"].cpu_seconds - window.before["server"].cpu_seconds
    numbers: dict[str, Any] = {
        "seconds": round(seconds, 3),
        "requests": requests,
        "failures": int(summary.get("failures", 0)),
        "failures_by_status": summary.get("failures_by_status", {}),
        "statuses": summary.get("statuses", {}),
        "requests_per_second": round(requests / seconds, 2) if seconds else 0.0,
        "latency_ms": {k: round(float(v or 0), 3) for k, v in summary["latency_ms"].items()},
        "server": {
            "cpu_seconds": round(server_cpu, 4),
            "cpu_ms_per_request": round(1000 * server_cpu / requests, 4) if requests else None,
            "rss_mb": round(window.after["server"].rss_bytes / 2**20, 1),
        },
        "store": {"kind": store_kind, "cpu_seconds": None, "cpu_ms_per_request": None},
        "storage_calls_per_request": {},
        "load_generator": {
            "cpu_seconds": round(window.loadgen_cpu_seconds, 3),
            "core_share": round(window.loadgen_cpu_seconds / window.seconds, 3)
            if window.seconds
            else None,
        },
    }
    numbers["load_generator"]["saturated"] = bool(
        numbers["load_generator"]["core_share"]
        and numbers["load_generator"]["core_share"] >= loadgen.SATURATED_SHARE
    )
    if "store" in window.after:
        store_cpu = window.after["store"].cpu_seconds - window.before["store"].cpu_seconds
        numbers["store"]["cpu_seconds"] = round(store_cpu, 4)
        numbers["store"]["cpu_ms_per_request"] = (
            round(1000 * store_cpu / requests, 4) if requests else None
        )
    elif store_kind == "sqlite":
        numbers["store"]["note"] = "SQLite runs inside the server processes: in server CPU"
    if "redis" in window.after:
        numbers["storage_calls_per_request"]["redis"] = per_request(
            delta(window.before["redis"], window.after["redis"]), requests
        )
    if "memcached" in window.after:
        numbers["storage_calls_per_request"]["memcached"] = per_request(
            delta(window.before["memcached"], window.after["memcached"]), requests
        )
    if "postgres" in window.after:
        numbers["storage_calls_per_request"]["postgres_activity"] = per_request(
            delta(window.before["postgres"], window.after["postgres"]), requests
        )
    if "by_name" in summary:
        numbers["requests_by_name"] = summary["by_name"]
    return numbers
