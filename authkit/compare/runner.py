"""The rounds of ``authkit compare``: verify, measure, probe, write ``results.json``.

Fair by construction: one target at a time on the same port, with the same gunicorn
settings and load accounts; each Locust run warms up before it measures; rounds visit the
targets in rotating order so drift (thermal, other tenants) hits every target alike; the
bare baselines run in the same rounds; with two or more usable cores the server and its
store are pinned to core 0 and the load generator to core 1.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from authkit import browser
from authkit.audit.runner import audit_matrix
from authkit.compare import loadgen, probes, restart_loss, spectrum
from authkit.compare import results as results_module
from authkit.compare.measure import (
    LOAD_CORE,
    SERVER_CORE,
    can_pin,
    delta,
    per_request,
    pin,
    postgres_activity,
    read_cpu,
    redis_commandstats,
    tree_pids,
)
from authkit.compare.results import Cell, ResultSet, TargetStatus
from authkit.compare.targets import Target, select_targets
from authkit.compare.verification import NONE, verify
from authkit.cost.runner import run_cost
from authkit.front import default_front, front_settings
from authkit.scenarios import SCENARIOS, Scenario
from authkit.server import (
    DEFAULT_WORKERS,
    Stores,
    VariantServer,
    project_root,
    server_settings,
    serving,
)
from authkit.services import REDIS_PERSISTENCE, free_port
from authkit.variants import Variant, colour_of
from shared.passwords import hash_parameters
from shared.throttle import SUITE_LIMITS_ENV

#: Load users the contract suite may use (tests/targets.py seeds 400).
CONTRACT_USERS = 400


def default_scenarios() -> list[str]:
    """The registry's default set; a wrk scenario without wrk installed gives way to the
    Locust scenario it is preferred over (the ceiling to ``read``)."""
    chosen = []
    for scenario in SCENARIOS.values():
        if not scenario.default:
            continue
        if scenario.tool == "wrk" and not loadgen.wrk_path() and scenario.preferred_over:
            chosen.append(scenario.preferred_over)
        else:
            chosen.append(scenario.name)
    return chosen


def _option(default: Any, help: str, **extra: Any) -> Any:
    """A :class:`CompareOptions` field that is also a command-line option (declared once:
    :mod:`authkit.compare.cli` builds the parser from these fields)."""
    factory = extra.pop("default_factory", None)
    metadata = {"help": help, **extra}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class CompareOptions:
    variants: list[str] | None = _option(
        None,
        "variant names or sets: main (the default: the variants the registry marks "
        "in_default_compare), all, server-side, client-side",
        nargs="+",
        metavar="NAME",
    )
    scenarios: list[str] = _option(
        None, "scenarios to run", nargs="+", metavar="SCENARIO", default_factory=default_scenarios
    )
    duration: float = _option(3.0, "measured seconds per Locust run")
    warmup: float = _option(1.5, "unmeasured seconds before each Locust window")
    login_duration: float = _option(3.0, "measured seconds of the login run")
    ceiling_duration: float = _option(2.5, "seconds of each wrk ceiling run")
    users: int = _option(16, "Locust users")
    login_users: int = _option(8, "users in the login run")
    rounds: int = _option(2, "rounds (targets in rotating order)")
    database: str = _option("sqlite", "database of database-backed variants",
                            choices=["sqlite", "postgres"])  # fmt: skip
    out: Path | None = _option(None, "output directory (default reports/<timestamp>)", type=Path)
    paced_rate: float = _option(100.0, "requests/s offered in the paced run")
    revocation_lifetime: int = _option(5, "credential lifetime (s) in the revocation probe")
    workers: int = _option(DEFAULT_WORKERS, "gunicorn workers")
    verify: bool = _option(True, "skip the contract check (numbers unverified)",
                           flag="--no-verify")  # fmt: skip
    pin: bool = _option(True, "do not pin processes to cores", flag="--no-pin")
    screenshots: bool = _option(
        True, "no screenshots of each variant's page in Chromium", flag="--no-screenshots"
    )
    #: Crash a private Redis under each Redis-backed variant, with and without persistence,
    #: and record what was lost (``authkit.compare.restart_loss``; a few seconds each).
    restart_loss: bool = _option(
        False,
        "also crash a private Redis under each Redis-backed variant, with and without "
        "persistence, and record what is lost (a few seconds per variant)",
    )
    cost: bool = _option(
        True,
        "skip the counted cost (authkit cost: instructions and system calls per request)",
        flag="--no-cost",
    )
    audit: bool = _option(
        True, "skip the security audit (authkit audit) of the variants", flag="--no-audit"
    )
    redis_persistence: str | None = _option(
        None,
        "the private Redis: append-only file (default) or none (a pure cache)",
        choices=REDIS_PERSISTENCE,
    )
    #: ``--url NAME=URL``: variants already running elsewhere (e.g. two instances behind a
    #: load balancer in docker compose), loaded and verified there instead of started here.
    urls: dict[str, str] = _option(
        None,
        "measure variant NAME at a server already running at URL (e.g. behind a load "
        "balancer) instead of starting it: verified and loaded there; no server CPU, no probes",
        flag="--url",
        action="append",
        metavar="NAME=URL",
        type=lambda text: parse_name_url(text),
        default_factory=dict,
    )

    @property
    def login_warmup(self) -> float:
        """The login run needs little warm-up: its users do not log in before they start."""
        return min(self.warmup, 1.0)


def parse_name_url(text: str) -> tuple[str, str]:
    """``NAME=http://HOST:PORT`` from the command line."""
    name, sep, url = text.partition("=")
    if not sep or not url.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"expected NAME=http://HOST:PORT, got {text!r}")
    return name, url


@dataclass
class RunningServer:
    """A server this run did not start (``--url``). Its processes are not ours to read, so
    its cells carry no server CPU or memory, and the probes (which restart the server with
    short lifetimes and a counting wrapper) are skipped."""

    url: str

    def worker_pids(self) -> list[int]:
        return []


@dataclass
class Step:
    """One unit of work shown in the progress display, with its time estimate."""

    label: str
    seconds: float


class Progress:
    """What runs now and how long is left; a no-op by default (tests, quiet runs)."""

    def plan(self, steps: list[Step]) -> None: ...

    def start(self, step: Step) -> None: ...

    def done(self, step: Step) -> None: ...

    def note(self, message: str) -> None: ...


def _scenarios_for(target: Target, options: CompareOptions) -> list[Scenario]:
    """The load scenarios (not the probes) this target takes part in."""
    wanted = [SCENARIOS[s] for s in options.scenarios if SCENARIOS[s].tool != "probe"]
    if target.is_baseline:
        wanted = [s for s in wanted if s.on_baselines]
    return wanted


def _revocation_estimate(target: Target, options: CompareOptions) -> float:
    behaviour = target.variant.behaviour
    slow = behaviour is not None and behaviour.revocation == "at_expiry"
    slow_all = behaviour is not None and behaviour.logout_all == "at_expiry"
    per_window = options.revocation_lifetime + 2.5
    return 3 + (per_window if slow else 0.5) + (per_window if slow_all else 0.5)


class Comparison:
    """One ``authkit compare`` run."""

    def __init__(self, options: CompareOptions, progress: Progress | None = None) -> None:
        self.options = options
        self.progress = progress or Progress()
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        self.out = Path(options.out or Path("reports") / stamp).resolve()
        self.targets, self.unknown = select_targets(options.variants)
        self.status: dict[str, TargetStatus] = {}
        self.cells: list[Cell] = []
        self.pinning = options.pin and can_pin()
        self.port = free_port()
        # The contract suite logs in as user0000..user0399 (and leaves carts behind);
        # the load users come after them, the probe's accounts last.
        self.first_load_user = CONTRACT_USERS
        self.seed_count = CONTRACT_USERS + max(options.users, options.login_users) + 4
        self.started = time.monotonic()
        self.timeline: list[list[Any]] = []
        self.cost: dict[str, Any] | None = None
        self.audit: dict[str, Any] | None = None

    # -- bookkeeping ---------------------------------------------------------------
    def _record_target(self, target: Target) -> None:
        variant = target.variant
        self.status[target.name] = TargetStatus(
            kind=target.kind,
            framework=target.framework,
            baseline=target.baseline,
            style=variant.style,
            store=variant.store,
            app=variant.app,
            design=variant.design,
            colour=colour_of(variant),
            server=server_settings(variant, self.options.workers),
            declarations=None if target.is_baseline else variant.declarations(),
            url=self.options.urls.get(target.name),
        )

    def _fail(self, target: Target, reason: str) -> None:
        self.status[target.name].status = "failed"
        self.status[target.name].failure = reason
        self.progress.note(f"[red]{target.name} failed:[/red] {reason}")

    def _active(self, target: Target) -> bool:
        return self.status[target.name].status in {"pending", "ok"}

    # -- the run -------------------------------------------------------------------
    def run(self) -> ResultSet:
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "logs").mkdir(exist_ok=True)
        for target in self.targets:
            self._record_target(target)
            if (
                target.variant.store == "database"
                and target.variant.databases
                and self.options.database not in target.variant.databases
            ):
                self.status[target.name].status = "skipped"
                self.status[target.name].failure = f"does not run on {self.options.database}"
        if self.pinning:
            os.sched_setaffinity(0, {LOAD_CORE})  # children inherit; servers are moved to 0
        self.progress.plan(self._plan())
        needs_redis = any(t.variant.uses_redis for t in self.targets if self._active(t))
        needs_pg = self.options.database == "postgres" and any(
            t.variant.store == "database" for t in self.targets if self._active(t)
        )
        stores = Stores.start(redis=needs_redis, postgres=needs_pg)
        try:
            if self.pinning:
                for server in (stores.redis, stores.postgres):
                    if server is not None and server.proc is not None:
                        pin(tree_pids(server.proc.pid), SERVER_CORE)
            for round_index in range(self.options.rounds):
                self._round(round_index, stores)
            # Probes after the rounds: only verified variants get numbers.
            for target in self.targets:
                if self._probed(target):
                    self._probe(target, stores)
            if self.options.cost:
                self._cost()
            if self.options.audit:
                self._audit()
        finally:
            stores.close()
            if self.pinning:
                with contextlib.suppress(OSError):
                    os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
        for info in self.status.values():
            if info.status == "pending":
                info.status = "ok"
        document = self._document()
        results_module.save(document, self.out)
        return document

    def _plan(self) -> list[Step]:
        steps: list[Step] = []
        active = [t for t in self.targets if self._active(t)]
        for round_index in range(self.options.rounds):
            for target in self._order(active, round_index):
                steps.append(Step(f"round {round_index + 1}: start {target.name}", 2.5))
                if round_index == 0 and self.options.verify and not target.is_baseline:
                    steps.append(Step(f"verify {target.name}", 8))
                for scenario in _scenarios_for(target, self.options):
                    label = f"round {round_index + 1}: {target.name} {scenario.name}"
                    steps.append(Step(label, scenario.estimate(self.options)))
        for target in active:
            if self._probed(target):
                seconds = 4.0
                if "revocation" in self.options.scenarios:
                    seconds = _revocation_estimate(target, self.options)
                if self.options.screenshots:
                    seconds += 6.0  # Chromium's start, a login and three cart adds
                steps.append(Step(f"probe {target.name}", seconds))
        if self.options.audit:
            steps.append(Step("security audit", 15.0 * len(active) + 10))
        if self.options.cost:
            # callgrind and strace of every target, two at a time (about 25 s per target).
            steps.append(Step("counted cost", 25.0 * len(active) + 10))
        self._steps = {s.label: s for s in steps}
        return steps

    @contextlib.contextmanager
    def _step(self, label: str) -> Iterator[None]:
        step = self._steps.get(label) or Step(label, 1)
        self.progress.start(step)
        started = time.monotonic()
        try:
            yield
        finally:
            self.timeline.append([label, round(time.monotonic() - started, 2)])
            self.progress.done(step)

    def _probed(self, target: Target) -> bool:
        return (
            not target.is_baseline and self._active(target) and target.name not in self.options.urls
        )

    @staticmethod
    def _order(targets: list[Target], round_index: int) -> list[Target]:
        if not targets:
            return []
        shift = round_index % len(targets)
        return targets[shift:] + targets[:shift]

    def _server_env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        # The contract suite verifies each server first and fails logins on purpose from
        # one address: generous login limits (recorded in the results' settings). The load
        # scenarios' logins all succeed, and only failures count, so the limiter never
        # answers them; each login still pays the limiter's check (3 reads of the store).
        return {"SEED_LOAD_USERS": str(self.seed_count), **SUITE_LIMITS_ENV, **(extra or {})}

    @contextlib.contextmanager
    def _serve(
        self,
        target: Target,
        stores: Stores,
        variant: Variant | None = None,
        extra: dict[str, str] | None = None,
        tag: str = "load",
    ) -> Iterator[VariantServer | RunningServer]:
        """Serve a target on the run's port, pinned to the server core when pinning."""
        url = self.options.urls.get(target.name)
        if url and variant is None:
            yield RunningServer(url.rstrip("/"))
            return
        log = self.out / "logs" / f"{target.name}-{tag}.log"
        with serving(
            variant or target.variant,
            stores,
            database=self.options.database,
            extra_env=self._server_env(extra),
            workers=self.options.workers,
            port=self.port,
            log_path=log,
        ) as server:
            if self.pinning:
                pin(server.worker_pids(), SERVER_CORE)
            yield server

    def _round(self, round_index: int, stores: Stores) -> None:
        active = [t for t in self.targets if self._active(t)]
        for position, target in enumerate(self._order(active, round_index)):
            if not self._active(target):
                continue
            with contextlib.ExitStack() as stack:
                try:
                    with self._step(f"round {round_index + 1}: start {target.name}"):
                        server = stack.enter_context(self._serve(target, stores))
                except Exception as exc:  # a variant that cannot start is a result, not a crash
                    self._fail(target, f"did not start: {_short(exc)}")
                    continue
                if round_index == 0 and not target.is_baseline:
                    with self._step(f"verify {target.name}"):
                        if not self._verify(target, server):
                            continue
                elif target.is_baseline and self.status[target.name].verification is None:
                    self.status[target.name].verification = {"method": NONE, "passed": None}
                for scenario in _scenarios_for(target, self.options):
                    with self._step(f"round {round_index + 1}: {target.name} {scenario.name}"):
                        self.cells.append(
                            self._cell(target, scenario, round_index, position, server, stores)
                        )

    def _verify(self, target: Target, server: VariantServer) -> bool:
        if not self.options.verify:
            # Not checked is not passed: the report says "not verified", never "ok".
            self.status[target.name].verification = {
                "method": "skipped (--no-verify)",
                "passed": None,
            }
            return True
        log = self.out / "logs" / f"{target.name}-verify.log"
        outcome = verify(server.url, target.variant.style, target.name, log)
        self.status[target.name].verification = outcome
        if not outcome["passed"]:
            self._fail(target, f"failed verification ({outcome['method']}: {outcome['detail']})")
            return False
        return True

    # -- one measured cell ---------------------------------------------------------
    def _reader(self, target: Target, server: VariantServer, stores: Stores) -> Callable[[], dict]:
        store_kind = _store_kind(target, self.options.database)
        server_pids = server.worker_pids()

        def read() -> dict[str, Any]:
            reading: dict[str, Any] = {"server": read_cpu(server_pids)}
            if store_kind == "redis" and stores.redis and stores.redis.proc:
                reading["store"] = read_cpu([stores.redis.proc.pid])
            elif store_kind == "postgres" and stores.postgres and stores.postgres.proc:
                reading["store"] = read_cpu(
                    tree_pids(stores.postgres.proc.pid), include_reaped_children=True
                )
            if stores.redis_url and store_kind == "redis":
                reading["redis"] = redis_commandstats(stores.redis_url)
            if store_kind == "postgres":
                reading["postgres"] = postgres_activity(stores.database_url)
            return reading

        return read

    def _cell(
        self,
        target: Target,
        scenario: Scenario,
        round_index: int,
        position: int,
        server: VariantServer,
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
                    server.url, target.variant.style, *_account(self.seed_count - 4)
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
                        "SEED_LOAD_USERS": str(self.seed_count),
                        "AUTHKIT_FIRST_USER": str(self.first_load_user),
                    },
                    log_path=self.out / "logs" / f"{target.name}-locust.log",
                )
                cell["tool"] = "locust"
                cell["users"] = users
                cell["csv_prefix"] = str(csv_prefix.relative_to(self.out))
                if scenario.pace == "paced":
                    cell["offered_rate"] = options.paced_rate
        except Exception as exc:
            cell["error"] = _short(exc)
            self.progress.note(f"[yellow]{target.name} {scenario}: {cell['error']}[/yellow]")
            return Cell(**cell)
        cell.update(_cell_numbers(window, _store_kind(target, options.database)))
        if target.name in options.urls:  # served elsewhere: no CPU or memory readable here
            cell["server"] = {"cpu_seconds": None, "cpu_ms_per_request": None, "rss_mb": None}
        if scenario.measures == "login":
            logins = window.summary.get("by_name", {}).get("POST /login", 0)
            cell["logins_per_second"] = round(logins / max(window.summary["seconds"], 1e-9), 2)
        return Cell(**cell)

    # -- probes: storage calls, credential bytes, revocation -----------------------
    def _probe(self, target: Target, stores: Stores) -> None:
        with self._step(f"probe {target.name}"):
            lifetime = self.options.revocation_lifetime
            counting = dataclasses.replace(
                target.variant,
                app="loadtests.sqlcount:application",
                env={**target.variant.env, "AUTHKIT_WRAPPED_WSGI": target.variant.app},
            )
            short = {
                "ACCESS_TTL_SECONDS": str(lifetime),
                "SESSION_IDLE_SECONDS": str(lifetime),
                "SESSION_ABSOLUTE_SECONDS": str(lifetime),
            }
            redis_url = stores.redis_url if target.variant.uses_redis else None
            try:
                with self._serve(target, stores, variant=counting, extra=short, tag="probe") as srv:
                    style = target.variant.style
                    calls = probes.storage_calls_per_endpoint(
                        srv.url, style, redis_url, account=self.seed_count - 1
                    )
                    credential = probes.login(srv.url, style, *_account(self.seed_count - 1))
                    probe = {
                        "storage_calls": calls,
                        "credential_bytes": probes.credential_bytes(credential),
                        # Bytes sent per request against cart lines (spectrum chart).
                        "credential_size_by_cart_lines": spectrum.credential_sizes(
                            srv.url, style, *_account(self.seed_count - 4)
                        ),
                        "sql_counter": "loadtests.sqlcount (Django execute_wrapper)"
                        if target.variant.store == "database"
                        else None,
                        "redis_counter": "INFO commandstats deltas" if redis_url else None,
                    }
                    self.status[target.name].probe = probe
                    if "revocation" in self.options.scenarios:
                        self.status[target.name].revocation = probes.revocation_windows(
                            srv.url,
                            style,
                            lifetime,
                            accounts=(self.seed_count - 2, self.seed_count - 3),
                        )
                    if self.options.screenshots:
                        self._screenshot(target, srv.url)
                if self.options.restart_loss and target.variant.uses_redis:
                    self.status[target.name].restart_loss = restart_loss.observe_restart_loss(
                        target.variant
                    )
            except Exception as exc:
                self.progress.note(f"[yellow]probe of {target.name} failed: {_short(exc)}[/yellow]")
                self.status[target.name].probe_error = _short(exc)
                self.status[target.name].probe_traceback = traceback.format_exc(limit=5)

    def _cost(self) -> None:
        """The counts that do not move between runs (:mod:`authkit.cost`), in-process and
        apart from the load rounds; a failure is noted, the load numbers stand."""
        names = [t.name for t in self.targets if not t.is_baseline and self._active(t)]
        with self._step("counted cost"):
            try:
                self.cost = run_cost(names, log=lambda line: None)
            except Exception as exc:
                self.cost = {"error": _short(exc)}
                self.progress.note(f"[yellow]counted cost failed: {_short(exc)}[/yellow]")

    def _audit(self) -> None:
        """The security matrix (:mod:`authkit.audit`) of the variants measured here."""
        names = [
            t.name
            for t in self.targets
            if not t.is_baseline and self._active(t) and t.name not in self.options.urls
        ]
        with self._step("security audit"):
            try:
                self.audit = audit_matrix(names, database=self.options.database).as_dict()
            except Exception as exc:
                self.audit = {"error": _short(exc)}
                self.progress.note(f"[yellow]security audit failed: {_short(exc)}[/yellow]")

    def _screenshot(self, target: Target, url: str) -> None:
        """The variant's page in Chromium, logged in with a cart (for the report).

        In a child process: Playwright's sync API refuses to run in a thread that already
        has an event loop (a caller's own Playwright, e.g. the browser tests in one pytest
        session), and a browser that hangs is then bounded by a timeout.
        """
        reason = browser.unavailable_reason()
        if reason:
            self.status[target.name].screenshot_error = reason
            return
        out = self.out / "screenshots" / f"{target.name}.png"
        try:
            subprocess.run(
                [sys.executable, "-m", "authkit.browser", url, target.variant.style, str(out)],
                cwd=project_root(), capture_output=True, text=True, timeout=90, check=True,
            )  # fmt: skip
        except subprocess.CalledProcessError as exc:  # an extra: noted, not fatal
            lines = (exc.stderr or exc.stdout or "").strip().splitlines()
            self.status[target.name].screenshot_error = lines[-1] if lines else str(exc)
            return
        except subprocess.TimeoutExpired:
            self.status[target.name].screenshot_error = "Chromium took over 90 s"
            return
        self.status[target.name].screenshot = str(out.relative_to(self.out))

    # -- the document --------------------------------------------------------------
    def _document(self) -> ResultSet:
        options = self.options
        settings = {
            "variants_requested": options.variants,
            "families": spectrum.families(t.variant for t in self.targets if not t.is_baseline),
            "unknown_variants": self.unknown,
            "scenarios": options.scenarios,
            "duration_seconds": options.duration,
            "warmup_seconds": options.warmup,
            "login_warmup_seconds": options.login_warmup,
            "login_duration_seconds": options.login_duration,
            "ceiling_duration_seconds": options.ceiling_duration,
            "users": options.users,
            "login_users": options.login_users,
            "rounds": options.rounds,
            "round_order": "rotating: round r starts at target r (mod n)",
            "database": options.database,
            "paced_rate_per_second": options.paced_rate,
            "revocation": {
                "credential_lifetime_seconds": options.revocation_lifetime,
                "replay_interval_seconds": probes.REPLAY_INTERVAL_SECONDS,
                "margin_seconds": 2.0,
                "server_env": {
                    "ACCESS_TTL_SECONDS": options.revocation_lifetime,
                    "SESSION_IDLE_SECONDS": options.revocation_lifetime,
                    "SESSION_ABSOLUTE_SECONDS": options.revocation_lifetime,
                },
            },
            "seed_load_users": self.seed_count,
            "first_load_user": self.first_load_user,
            "server": {"server": "gunicorn", "workers": options.workers, "per_target": True},
            "front": front_settings(default_front()),
            "login_limits": dict(SUITE_LIMITS_ENV),
            "port": self.port,
            "pinning": {
                "enabled": self.pinning,
                "server_and_store_core": SERVER_CORE if self.pinning else None,
                "load_generator_core": LOAD_CORE if self.pinning else None,
            },
            "load_generators": {
                "locust": "subprocess, FastHttpUser, --headless, stats reset after warm-up",
                "wrk": loadgen.wrk_path(),
                "wrk_connections": 16,
                "wrk_threads": 1,
            },
            "hash_parameters": {"algorithm": "argon2id", **hash_parameters()},
            "verify": options.verify,
        }
        return ResultSet(
            created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            wall_seconds=round(time.monotonic() - self.started, 1),
            machine=results_module.machine_info(),
            versions=results_module.versions(),
            settings=settings,
            targets=self.status,
            cells=self.cells,
            timeline=self.timeline,
            cost=self.cost,
            audit=self.audit,
        )


def _account(index: int) -> tuple[str, str]:
    from shared.users import load_user

    return load_user(index)


def _store_kind(target: Target, database: str) -> str | None:
    if target.variant.uses_redis:
        return "redis"
    if target.variant.store == "database":
        return "postgres" if database == "postgres" else "sqlite"
    return None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200] if text else ''}".rstrip(": ")


def _cell_numbers(window: loadgen.Window, store_kind: str | None) -> dict[str, Any]:
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
    if "postgres" in window.after:
        numbers["storage_calls_per_request"]["postgres_activity"] = per_request(
            delta(window.before["postgres"], window.after["postgres"]), requests
        )
    if "by_name" in summary:
        numbers["requests_by_name"] = summary["by_name"]
    return numbers
