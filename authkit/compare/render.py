"""Render a compare run: ``summary.md`` (tables), ``report.html`` (one self-contained page
with charts, from the Jinja2 template ``templates/report.html``) and the tables printed at
the end of ``authkit compare``.

All three come from one list of :class:`Section` objects built by :func:`sections`, so a
table added there appears everywhere it should. Every renderer reads only the
:class:`~authkit.compare.results.ResultSet` (through :mod:`.aggregate`), so a report can be
rendered again later, or next to another run with ``--against``.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from rich.console import Console
from rich.table import Table

from authkit.audit.checks import DIFFERS, FINDING, HELD, NA
from authkit.compare import aggregate, charts, restart_loss
from authkit.compare.results import ResultSet
from authkit.scenarios import SCENARIOS, by_measure
from authkit.variants import declaration_fields

ENDPOINT_SHORT = {
    "POST /login": "login",
    "GET /products": "products",
    "GET /me": "/me",
    "POST /cart/items": "add item",
    "GET /cart": "cart",
    "DELETE /cart/items/{id}": "remove item",
    "POST /logout": "logout",
}
#: The behaviour matrix's rows: label and observer come from the registry's fields.
DECLARATIONS = {d.key: d for d in declaration_fields()}
#: The observers of :data:`authkit.variants.Observer` that a compare run can be.
THIS_RUN = {
    "revocation_probe": "this run (revocation probe)",
    "storage_probe": "this run (storage-call probe)",
    "login_answer": "this run (login answer)",
    "contract_over_http": "this run (contract check over HTTP)",
}
#: Where the other observers are.
ELSEWHERE = {
    "browser_tests": "the browser tests (tests/browser, make test), not this run",
    "registry": "declared (registry)",
    "test_suite": "the test suite (make test), not this run",
}


# -- numbers as text --------------------------------------------------------------------
def _num(value: float | None, fmt: str = "{:.2f}") -> str:
    return "-" if value is None else fmt.format(value)


def _x(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}x"


def _with_ratio(value: float | None, ratio: float | None, fmt: str = "{:.3f}") -> str:
    text = _num(value, fmt)
    return f"{text} ({_x(ratio)})" if ratio is not None else text


def _percentiles(row: dict[str, Any] | None) -> str:
    if not row:
        return "-"
    return " / ".join(_num(row[k], "{:.1f}") for k in ("p50_ms", "p95_ms", "p99_ms"))


def _window(row: dict[str, Any] | None) -> str:
    if not row:
        return "-"
    if row.get("inconclusive"):
        return f"not measured: {row['inconclusive']}"
    text = f"{row['window_seconds']:.2f} s ({row['window_fraction_of_lifetime']:.0%} of lifetime)"
    if row.get("still_accepted_at_end"):
        text += ", still accepted when the probe stopped"
    return text


def _change(now: float | None, before: float | None) -> str:
    if now is None or not before:
        return "-"
    return f"{(now - before) / before:+.0%}"


class View:
    """Everything a renderer shows, computed once from a result set."""

    def __init__(self, results: ResultSet) -> None:
        self.results = results
        self.targets = results.targets
        self.summary = aggregate.summarise(results)
        self.ratios = aggregate.ratios(results, self.summary)
        self.warnings = aggregate.warnings(results, self.summary)
        self.scenarios = [
            s for s in aggregate.scenario_order() if any(s in v for v in self.summary.values())
        ]
        # Server-side stores first, then client-side credentials (the seed's two families),
        # each in registry order; the tables and the matrix follow this order.
        self.variants = sorted(results.variants, key=lambda n: self.family(n) == "client")
        self.order = [n for n in results.targets if n not in self.variants] + self.variants

    def family(self, name: str) -> str:
        """``server`` (an opaque ID, state in a store), ``client`` (signed state the client
        holds) or ``baseline``."""
        target = self.targets[name]
        if not target.is_variant:
            return "baseline"
        return (target.declarations or {}).get("session_state", "server")

    def cell(self, target: str, scenario: str | None) -> dict[str, Any] | None:
        return self.summary.get(target, {}).get(scenario) if scenario else None

    def ratio(self, target: str, scenario: str | None, key: str) -> float | None:
        return self.ratios.get(target, {}).get(scenario or "", {}).get(key)

    # -- which scenario fills which column: from the registry, not from names -------------
    def _first(self, candidates: list[str]) -> str | None:
        return next((s for s in candidates if s in self.scenarios), None)

    @property
    def journey_scenario(self) -> str | None:
        return self._first([s.name for s in by_measure("journey") if s.pace == "closed"])

    @property
    def paced_scenario(self) -> str | None:
        return self._first([s.name for s in SCENARIOS.values() if s.pace == "paced"])

    @property
    def read_scenario(self) -> str | None:
        return self._first([s.name for s in aggregate.read_scenarios()])

    @property
    def login_scenario(self) -> str | None:
        return self._first([s.name for s in by_measure("login")])

    def status(self, name: str) -> str:
        """What was established about a target in this run, and no more."""
        target = self.targets[name]
        if not target.ok:
            return target.status
        if not target.is_variant:
            return "baseline"
        verification = target.verification or {}
        if verification.get("passed") is None:
            return f"not verified ({verification.get('method', 'no check')})"
        return "contract check passed (over HTTP; outage tests are make test's)"

    HEADLINE_COLUMNS = [
        "target",
        "family",
        "status",
        "CPU ms/req, journey (x base)",
        "CPU ms/req, GET /me (x base)",
        "store calls per GET /me",
        "GET /me req/s (x base)",
        "journey req/s (x base)",
        "paced p50/p95/p99 ms",
    ]

    def headline_rows(self) -> list[list[str]]:
        """Cost per request first: the numbers the load generator cannot distort."""
        journey, read_key = self.journey_scenario, self.read_scenario
        rows = []
        for name in self.order:
            target = self.targets[name]
            steady, read = self.cell(name, journey), self.cell(name, read_key)
            calls = aggregate.read_calls(target)
            declared = (target.declarations or {}).get("store_calls_per_read")
            measured = None if calls is None else sum(calls.values())
            calls_text = aggregate.describe_calls(calls) if target.is_variant else "-"
            if declared is not None:
                mark = "" if measured is None or abs(measured - declared) < 0.05 else " ≠"
                calls_text += f" (declared {declared}){mark}"
            rows.append(
                [
                    name,
                    self.family(name),
                    self.status(name),
                    _with_ratio(steady and steady["cpu_ms"], self.ratio(name, journey, "cpu")),
                    _with_ratio(read and read["cpu_ms"], self.ratio(name, read_key, "cpu")),
                    calls_text,
                    _with_ratio(
                        read and read["requests_per_second"],
                        self.ratio(name, read_key, "requests_per_second"),
                        "{:.0f}",
                    ),
                    _with_ratio(
                        steady and steady["requests_per_second"],
                        self.ratio(name, journey, "requests_per_second"),
                        "{:.0f}",
                    ),
                    _percentiles(self.cell(name, self.paced_scenario)),
                ]
            )
        return rows

    def findings(self) -> list[str]:
        """Three or four sentences a reader can take away without reading the tables."""
        notes: list[str] = []
        ok = [n for n in self.variants if self.targets[n].ok]
        read_key = self.read_scenario
        costs = {
            n: (self.cell(n, read_key)["cpu_ms"], self.ratio(n, read_key, "cpu"))
            for n in ok
            if self.cell(n, read_key) and self.ratio(n, read_key, "cpu") is not None
        }
        if costs:
            ranked = sorted(costs, key=lambda n: costs[n][0])
            text = ", ".join(f"{n} {costs[n][0]:.2f} ms ({costs[n][1]:.2f}x)" for n in ranked)
            notes.append(f"Server + store CPU per authenticated GET /me, cheapest first: {text}.")
        lingering, immediate = [], []
        for name in ok:
            window = (self.targets[name].revocation or {}).get("logout")
            if not window or window.get("inconclusive"):
                continue
            if window["accepted_replays"]:
                lingering.append(
                    f"{name} kept accepting a logged-out credential for "
                    f"{window['window_seconds']:.1f} s ({window['window_fraction_of_lifetime']:.0%}"
                    " of its lifetime)"
                )
            else:
                immediate.append(name)
        if lingering or immediate:
            text = "; ".join(lingering) or "no variant accepted a logged-out credential"
            if immediate:
                text += f"; refused from the first replay: {', '.join(immediate)}"
            notes.append(f"Revocation (measured): {text}.")
        sizes = {
            n: (self.targets[n].probe or {}).get("credential_bytes", {}).get("sent_per_read")
            for n in ok
        }
        sizes = {n: v for n, v in sizes.items() if v}
        if sizes:
            text = ", ".join(f"{n} {v} B" for n, v in sorted(sizes.items(), key=lambda x: x[1]))
            notes.append(f"Credential bytes on every request: {text}.")
        return notes

    SECURITY_COLUMNS = [
        "variant",
        "family",
        "old credential accepted after logout",
        "after logout-all (other device)",
        "refresh after logout",
        "credential bytes per request",
        "credential bytes issued at login",
        "logins/s",
    ]

    def security_rows(self) -> list[list[str]]:
        params = self.results.settings["hash_parameters"]
        hash_text = "argon2id m={memory_kib} KiB t={time_cost} p={parallelism}".format(**params)
        rows = []
        for name in self.variants:
            target = self.targets[name]
            revocation = target.revocation or {}
            credential = (target.probe or {}).get("credential_bytes") or {}
            issued = credential.get("issued_at_login", {})
            login = self.cell(name, self.login_scenario)
            rows.append(
                [
                    name,
                    self.family(name),
                    _window(revocation.get("logout")),
                    _window(revocation.get("logout_all")),
                    str(
                        (revocation.get("logout") or {}).get("refresh_after_revocation_status", "-")
                    ),
                    _num(credential.get("sent_per_read"), "{:.0f}"),
                    _num(issued.get("credential_bytes"), "{:.0f}"),
                    f"{_num(login['logins_per_second'], '{:.1f}')} ({hash_text})" if login else "-",
                ]
            )
        return rows

    def observed_where(self, key: str) -> str:
        """Where a declaration was observed: in this run, or only by the test suite.

        ``compare`` checks a variant with the contract suite over HTTP (``--target-url``),
        which cannot stop stores or restart servers, so the outage rows are the test
        suite's (``make test``), never this run's.
        """
        targets = [self.targets[n] for n in self.variants]
        in_this_run = {
            "revocation_probe": any(t.revocation for t in targets),
            "storage_probe": any(t.probe for t in targets),
            "login_answer": any(t.probe for t in targets),
            "contract_over_http": any((t.verification or {}).get("passed") for t in targets),
        }
        observer = DECLARATIONS[key].observed_by
        if in_this_run.get(observer):
            return THIS_RUN[observer]
        return ELSEWHERE.get(observer, ELSEWHERE["test_suite"])

    def matrix_rows(self) -> tuple[list[str], list[list[str]]]:
        header = ["declaration", "observed in", *self.variants]
        rows = []
        for key, declaration in DECLARATIONS.items():
            row = [declaration.label, self.observed_where(key)]
            for name in self.variants:
                value = (self.targets[name].declarations or {}).get(key, "-")
                row.append(str(value).replace("_", " ") + self._contradiction(name, key, value))
            rows.append(row)
        why = ["why it costs what it costs", "declared design + this run's numbers"]
        for name in self.variants:
            why.append(aggregate.why(name, self.targets[name], self.ratios.get(name)))
        rows.append(why)
        return header, rows

    def _contradiction(self, name: str, key: str, declared: Any) -> str:
        """`` ≠ measured ...`` where this run saw something other than the declaration."""
        target = self.targets[name]
        if key in ("revocation", "logout_all"):
            window = (target.revocation or {}).get(key)
            if not window:
                return ""
            if window.get("inconclusive"):
                return " (not measured)"
            if (window["accepted_replays"] == 0) != (declared == "immediate"):
                return f" ≠ measured: accepted for {window['window_seconds']:.1f} s"
        if key == "store_calls_per_read" and declared != "-":
            calls = aggregate.read_calls(target)
            if calls is not None and abs(sum(calls.values()) - float(declared)) >= 0.05:
                return f" ≠ measured {sum(calls.values()):g}"
        return ""

    def endpoint_rows(self) -> tuple[list[str], list[list[str]]]:
        endpoints: list[str] = []
        for name in self.variants:
            for endpoint in (self.targets[name].probe or {}).get("storage_calls") or {}:
                if endpoint not in endpoints:
                    endpoints.append(endpoint)
        rows = []
        for endpoint in endpoints:
            row = [endpoint]
            for name in self.variants:
                row.append(
                    aggregate.describe_calls(aggregate.read_calls(self.targets[name], endpoint))
                )
            rows.append(row)
        return ["endpoint", *self.variants], rows

    DETAIL_COLUMNS = [
        "target",
        "scenario",
        "rounds",
        "req/s",
        "p50/p95/p99 ms",
        "server CPU ms/req",
        "store CPU ms/req",
        "server + store CPU ms/req, range over rounds",
        "Redis calls/req",
        "failures",
        "load generator CPU",
        "server RSS MB",
    ]

    def detail_rows(self) -> list[list[str]]:
        rows = []
        for name in self.targets:
            for scenario in self.scenarios:
                row = self.cell(name, scenario)
                if not row:
                    continue
                redis_calls = ", ".join(
                    f"{k} {v:.2f}"
                    for k, v in row["redis_calls_per_request"].items()
                    if v and v >= 0.005
                )
                cpu_range = row["cpu_ms_range"]
                rows.append(
                    [
                        name,
                        scenario,
                        str(row["rounds"]),
                        _num(row["requests_per_second"], "{:.0f}"),
                        _percentiles(row),
                        _num(row["server_cpu_ms"], "{:.3f}"),
                        _num(row["store_cpu_ms"], "{:.3f}"),
                        "-" if not cpu_range else f"{cpu_range[0]:.3f}-{cpu_range[1]:.3f}",
                        redis_calls or "-",
                        f"{row['failures']}"
                        + (f" {row['failures_by_status']}" if row["failures_by_status"] else ""),
                        f"{row['loadgen_core_share']:.0%}"
                        + (" ⚠" if row["loadgen_saturated"] else ""),
                        _num(row["rss_mb"], "{:.0f}"),
                    ]
                )
        return rows

    AGAINST_COLUMNS = ["target", "scenario", "CPU ms/req", "req/s", "p99 ms"]

    def against_rows(self, other: View) -> list[list[str]]:
        rows = []
        for name in self.targets:
            for scenario in self.scenarios:
                now, before = self.cell(name, scenario), other.cell(name, scenario)
                if not now or not before:
                    continue
                rows.append(
                    [
                        name,
                        scenario,
                        f"{_num(before['cpu_ms'], '{:.3f}')} → {_num(now['cpu_ms'], '{:.3f}')}"
                        f" ({_change(now['cpu_ms'], before['cpu_ms'])})",
                        f"{_num(before['requests_per_second'], '{:.0f}')} → "
                        f"{_num(now['requests_per_second'], '{:.0f}')} "
                        f"({_change(now['requests_per_second'], before['requests_per_second'])})",
                        f"{_num(before['p99_ms'], '{:.1f}')} → {_num(now['p99_ms'], '{:.1f}')}",
                    ]
                )
        return rows


# -- the sections every output shares ------------------------------------------------------
@dataclass
class Chart:
    title: str
    png_base64: str
    note: str


@dataclass
class Section:
    """One part of the report. ``kind`` says how it is drawn: a ``table`` (header + rows),
    ``bullets``, ``warnings`` or ``charts``; ``terminal`` whether ``authkit compare`` prints
    it at the end (the terminal gets the headline tables, the page and summary.md all)."""

    title: str
    kind: str = "table"
    note: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    #: Columns aligned right in HTML (numbers).
    numeric: set[int] = field(default_factory=set)
    bullets: list[str] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    terminal: bool = False
    in_summary: bool = True


def _from(index: int, header: list[str]) -> set[int]:
    return set(range(index, len(header)))


def sections(
    results: ResultSet,
    against: ResultSet | None = None,
    with_charts: bool = True,
    directory: Path | None = None,
) -> list[Section]:
    """The report, in order; every renderer draws these and nothing else. ``directory`` is
    the run's, where the screenshots are (the page embeds them)."""
    view = View(results)
    settings = results.settings
    replay_ms = settings["revocation"]["replay_interval_seconds"] * 1000
    parts = [
        Section("In short", kind="bullets", bullets=view.findings()),
        Section("Warnings", kind="warnings", bullets=view.warnings, terminal=True),
        Section(
            "Cost per request",
            note="Server CPU time per request (gunicorn master and workers, plus the store's own "
            "CPU) and store calls per request, each over the same framework's bare baseline (no "
            "auth, no store). Requests/s sits beside them: on a small machine the load generator "
            "limits it as much as the server does.",
            header=view.HEADLINE_COLUMNS,
            rows=view.headline_rows(),
            numeric=_from(3, view.HEADLINE_COLUMNS),
            terminal=True,
        ),
    ]
    parts += _cost_sections(results.cost, directory if with_charts else None)
    parts += _audit_sections(results.audit)
    header, rows = view.matrix_rows()
    parts.append(
        Section(
            "Behaviour matrix and why",
            note="Declared by each variant in authkit/variants.py. The second column says where "
            "each row was observed: in this run (probes, the contract check over HTTP) or only "
            "by the test suite (store outages and restarts need stores this run does not stop). "
            "≠ marks a measurement that contradicts the declaration.",
            header=header,
            rows=rows,
        )
    )
    parts.append(
        Section(
            "Revocation, credentials, login",
            note="Revocation: log out (or log out everywhere from a second device), then replay "
            f"the old credential every {replay_ms:.0f} ms; credential lifetime set to "
            f"{settings['revocation']['credential_lifetime_seconds']} s for this probe "
            "(ACCESS_TTL_SECONDS, SESSION_IDLE/ABSOLUTE_SECONDS). A replay answered with "
            "anything but 200 or 401 makes the window 'not measured'.",
            header=view.SECURITY_COLUMNS,
            rows=view.security_rows(),
            numeric=_from(5, view.SECURITY_COLUMNS),
            terminal=bool(view.variants),
        )
    )
    parts.append(
        Section(
            "What a cache restart loses (observed)",
            note="A private Redis crashed (SIGKILL) right after an acknowledged write, "
            "restarted with its append-only file, then without persistence; a private "
            "memcached crashed and restarted (it has no persistence) "
            "(authkit compare --restart-loss).",
            header=restart_loss.REPORT_COLUMNS,
            rows=restart_loss.report_rows(view.targets),
        )
    )
    if with_charts:
        parts.append(Section("Charts", kind="charts", charts=_charts(view), in_summary=False))
    if with_charts and directory is not None:
        parts.append(
            Section(
                "In a browser",
                kind="charts",
                note="Each variant's page at / in headless Chromium, logged in with three items "
                "in the cart. The page rows of the behaviour matrix are the browser tests'.",
                charts=_screenshots(view, directory),
                in_summary=False,
            )
        )
    header, rows = view.endpoint_rows()
    parts.append(
        Section(
            "Storage calls per endpoint",
            note="One request at a time against a probe server: Redis from INFO commandstats "
            "deltas, SQL from Django's execute_wrapper (loadtests/sqlcount.py).",
            header=header,
            rows=rows,
        )
    )
    parts.append(
        Section(
            "Every scenario (medians over rounds)",
            header=view.DETAIL_COLUMNS,
            rows=view.detail_rows(),
            numeric={2, 3, 4, 5, 6, 7, 9, 10, 11},
        )
    )
    if against is not None:
        parts.append(
            Section(
                f"Against {against.created}",
                header=view.AGAINST_COLUMNS,
                rows=view.against_rows(View(against)),
                numeric=_from(2, view.AGAINST_COLUMNS),
                terminal=True,
            )
        )
    return [p for p in parts if p.rows or p.bullets or p.charts]


def _charts(view: View) -> list[Chart]:
    names = [n for n in view.targets if n in view.summary]
    load = [s for s in view.scenarios if SCENARIOS[s].measures != "login"]
    # The paced run's requests/s is what was offered, the same for everyone: not a result.
    throughput = [s for s in load if SCENARIOS[s].pace != "paced"]
    drawn = [
        (
            "CPU per request",
            charts.grouped_bars(
                "Server + store CPU time per request (lower is better)",
                "ms per request",
                load,
                {n: [(view.cell(n, s) or {}).get("cpu_ms") for s in load] for n in names},
                "{:.2f}",
            ),
            "The headline: what each request costs the server side.",
        ),
        (
            "Throughput",
            charts.grouped_bars(
                "Requests per second (higher is better; Locust limits it too)",
                "requests/s",
                throughput,
                {
                    n: [(view.cell(n, s) or {}).get("requests_per_second") for s in throughput]
                    for n in names
                },
                "{:.0f}",
            ),
            "Read beside the load generator's CPU in the detail table.",
        ),
    ]
    latency = view.paced_scenario or (load or [None])[0]
    if latency:
        keys = ["p50_ms", "p95_ms", "p99_ms"]
        drawn.append(
            (
                "Latency",
                charts.grouped_bars(
                    f"Latency percentiles, {latency} scenario",
                    "ms",
                    ["p50", "p95", "p99"],
                    {n: [(view.cell(n, latency) or {}).get(k) for k in keys] for n in names},
                    "{:.1f}",
                ),
                "Paced: a fixed offered rate below saturation, for honest tails.",
            )
        )
    endpoints = [row[0] for row in view.endpoint_rows()[1]]

    def total(name: str, endpoint: str) -> float | None:
        calls = aggregate.read_calls(view.targets[name], endpoint)
        return None if calls is None else sum(calls.values())

    drawn.append(
        (
            "Storage calls",
            charts.grouped_bars(
                "Storage calls per request by endpoint (Redis commands + SQL)",
                "calls",
                [ENDPOINT_SHORT.get(e, e) for e in endpoints],
                {
                    n: [total(n, e) for e in endpoints]
                    for n in view.variants
                    if view.targets[n].probe
                },
                "{:g}",
            ),
            "Counted one request at a time (INFO commandstats; SQL counter).",
        )
    )
    drawn.append(
        (
            "Revocation",
            charts.revocation_chart(
                {n: view.targets[n].revocation for n in view.variants if view.targets[n].revocation}
            ),
            "How long a logged-out credential keeps working.",
        )
    )
    login = view.login_scenario
    drawn.append(
        (
            "Login",
            charts.grouped_bars(
                "Logins per second (login + logout churn, bound by argon2id)",
                "logins/s",
                ["login"],
                {
                    n: [(view.cell(n, login) or {}).get("logins_per_second")]
                    for n in view.variants
                    if view.cell(n, login)
                },
                "{:.1f}",
            ),
            "Every variant hashes with the same argon2id parameters.",
        )
    )
    drawn.append(
        (
            "Credential size",
            charts.credential_size_chart(
                {
                    n: view.targets[n].probe["credential_size_by_cart_lines"]
                    for n in view.variants
                    if (view.targets[n].probe or {}).get("credential_size_by_cart_lines")
                }
            ),
            "Bytes sent with each request as the cart grows.",
        )
    )
    return [Chart(title, png, note) for title, png, note in drawn if png]


#: The endpoints of the counted-cost table (the rest are in results.json).
COST_ENDPOINTS = ("GET /me", "POST /cart/items", "POST /login")
COST_COLUMNS = [
    "target",
    "endpoint",
    "instructions/req (over base)",
    "system calls/req",
    "store calls/req",
    "Redis server µs/req",
    "CPU µs/req, median (min-max)",
]


def _cost_sections(cost: dict[str, Any] | None, directory: Path | None) -> list[Section]:
    """The counts two runs agree on (``authkit cost``), the attribution bars, the goals."""
    if not cost:
        return []
    if "error" in cost:
        return [Section("Counted cost", kind="warnings", bullets=[f"not counted: {cost['error']}"])]
    from authkit.cost.report import HEADLINE, LEGEND, draw_attribution, goal_rows, report_rows

    rows = []
    for row in report_rows(cost):
        if row["endpoint"] not in COST_ENDPOINTS:
            continue
        instructions = _num(row["instructions"], "{:,.0f}")
        if row["instructions_over_baseline"] is not None:
            instructions += f" ({row['instructions_over_baseline']:+,.0f})"
        if row.get("outside_argon2_instructions") is not None:
            instructions += f"; outside argon2 {row['outside_argon2_instructions']:,.0f}"
        rows.append(
            [
                row["target"],
                row["endpoint"],
                instructions,
                _num(row["syscalls"], "{:.1f}"),
                _num(row["store_calls"], "{:g}"),
                _num(row["redis_server_us"], "{:.1f}"),
                f"{_num(row['cpu_us'], '{:.0f}')} ({_num(row['cpu_us_min'], '{:.0f}')}-"
                f"{_num(row['cpu_us_max'], '{:.0f}')})",
            ]
        )
    legend = " ".join(f"{name}: {text}" for name, text in LEGEND.items())
    parts = [
        Section(
            "Counted cost per request (repeatable)",
            note=f"Headline: {HEADLINE}. {legend}",
            header=COST_COLUMNS,
            rows=rows,
            numeric={2, 3, 4, 5, 6},
        )
    ]
    goals = [
        f"{g['target']}: GET /me overhead {g['overhead_instructions']:,.0f} instructions, goal "
        f"{g['goal_instructions']:,.0f}: {'met' if g['met'] else 'not met'}"
        for g in goal_rows(cost)
    ]
    attribution = []
    for name, stack in cost.get("attribution", {}).items():
        pieces = ", ".join(
            f"{piece['label']} {piece['instructions']:,.0f}" for piece in stack.get("pieces", [])
        )
        remainder = stack.get("remainder_instructions")
        attribution.append(
            f"{name}: {stack['overhead_instructions']:,.0f} over {stack['baseline']} = {pieces}"
            + (
                f"; {stack.get('remainder_label') or 'unexplained'} {remainder:,.0f}"
                if remainder
                else ""
            )
        )
    failed = [f"{name}: not counted ({error})" for name, error in cost.get("failed", {}).items()]
    parts.append(Section("Where each variant's GET /me overhead goes", kind="bullets",
                         bullets=attribution + goals + failed))  # fmt: skip
    if directory is not None:
        png = draw_attribution(cost, directory / "cost-attribution.png")
        if png is not None and Path(png).is_file():
            chart = Chart(
                "GET /me overhead, in parts",
                base64.b64encode(Path(png).read_bytes()).decode(),
                "User-space instructions per request over the baseline, each part measured "
                "alone with the same counter.",
            )
            parts.append(Section("Attribution", kind="charts", charts=[chart], in_summary=False))
    return parts


def _audit_sections(audit: dict[str, Any] | None) -> list[Section]:
    """The security matrix observed against this run's variants (``authkit audit``)."""
    if not audit:
        return []
    if "error" in audit:
        return [Section("Security audit", kind="warnings", bullets=[f"not run: {audit['error']}"])]
    symbol = {HELD: "held", DIFFERS: "declared ≠", FINDING: "FINDING", NA: "-"}
    rows = []
    for row in audit["rows"]:
        cells = [row["cells"].get(name, {"outcome": NA})["outcome"] for name in audit["targets"]]
        rows.append([row["title"], row["reference"], *(symbol.get(c, c) for c in cells)])
    counts = audit.get("counts", {})
    return [
        Section(
            "Security audit (observed in this run)",
            note=f"authkit audit against the variants of this run ({len(rows)} checks: "
            f"{counts.get(HELD, 0)} held, {counts.get(DIFFERS, 0)} declared differences, "
            f"{counts.get(FINDING, 0)} findings). A finding contradicts a declaration.",
            header=["check", "reference", *audit["targets"]],
            rows=rows,
        )
    ]


def _screenshots(view: View, directory: Path) -> list[Chart]:
    shots = []
    for name in view.variants:
        target = view.targets[name]
        path = directory / target.screenshot if target.screenshot else None
        if path is not None and path.is_file():
            png = base64.b64encode(path.read_bytes()).decode()
            shots.append(Chart(name, png, target.design))
    return shots


def server_line(results: ResultSet) -> str:
    """How the targets were served: one line per distinct configuration (frameworks may
    differ, e.g. an ASGI worker), from each target's record (or the run's, in old files)."""
    lines = []
    for target in results.targets.values():
        config = target.server
        if not config:
            continue
        threads = f" x {config['threads']} threads" if config.get("threads") else ""
        line = (
            f"gunicorn {config['worker_class']} {config['workers']} workers{threads}, "
            f"keep-alive {config['keep_alive_seconds']} s"
        )
        if line not in lines:
            lines.append(line)
    return "; ".join(lines) or "server settings not recorded"


def meta_line(results: ResultSet) -> str:
    settings, machine = results.settings, results.machine
    pinning = settings["pinning"]
    pinned = (
        f"server + store pinned to core {pinning['server_and_store_core']}, load generator to "
        f"core {pinning['load_generator_core']}"
        if pinning.get("enabled")
        else "not pinned to cores"
    )
    front = (settings.get("front") or {}).get("front", "not recorded")
    limits = settings.get("login_limits") or "the defaults"
    return (
        f"{results.created} · {machine.get('cpu_model', '?')} · "
        f"{machine.get('usable_cpus', '?')} usable cores · {settings['rounds']} round(s), "
        f"{settings['duration_seconds']} s per Locust window · database {settings['database']} · "
        f"front {front} · {server_line(results)} · login limits {limits} · {pinned}"
    )


# -- summary.md ---------------------------------------------------------------------------
def _md_table(header: list[str], rows: list[list[str]]) -> str:
    def clean(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(clean(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(clean(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def summary_markdown(results: ResultSet, against: ResultSet | None = None) -> str:
    parts = ["# authkit compare", meta_line(results)]
    for section in sections(results, against, with_charts=False):
        if not section.in_summary:
            continue
        parts += ["", f"## {section.title}"]
        if section.note:
            parts += [section.note, ""]
        if section.kind == "table":
            parts.append(_md_table(section.header, section.rows))
        else:
            parts += [f"- {b}" for b in section.bullets]
    return "\n".join(parts) + "\n"


# -- report.html --------------------------------------------------------------------------
_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("authkit.compare", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def report_html(
    results: ResultSet, against: ResultSet | None = None, directory: Path | None = None
) -> str:
    return _TEMPLATES.get_template("report.html").render(
        created=results.created,
        meta=meta_line(results),
        sections=sections(results, against, directory=directory),
        settings_json=json.dumps(results.settings, indent=2),
        machine_json=json.dumps(
            {"machine": results.machine, "versions": results.versions}, indent=2
        ),
    )


def write_report(results: ResultSet, directory: Path, against: ResultSet | None = None) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "summary.md").write_text(summary_markdown(results, against))
    (directory / "report.html").write_text(report_html(results, against, directory))


# -- the terminal ---------------------------------------------------------------------------
def print_table(results: ResultSet, console: Console, against: ResultSet | None = None) -> None:
    for section in sections(results, against, with_charts=False):
        if not section.terminal:
            continue
        if section.kind == "table":
            table = Table(title=section.title)
            for column in section.header:
                table.add_column(column, overflow="fold")
            for row in section.rows:
                failed = any(str(cell).startswith(("failed", "skipped")) for cell in row[1:3])
                table.add_row(*row, style="red" if failed else None)
            console.print(table)
        else:
            for bullet in section.bullets:
                console.print(f"[yellow]! {bullet}[/yellow]")
