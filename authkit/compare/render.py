"""Render a compare run: ``summary.md`` (tables), ``report.html`` (one self-contained page
with charts) and the table printed at the end of ``authkit compare``.

Every renderer reads only ``results.json`` (through :mod:`.aggregate`), so a report can be
rendered again later, or next to another run with ``--against``.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from authkit.compare import aggregate, charts, spectrum

ENDPOINT_SHORT = {
    "POST /login": "login",
    "GET /products": "products",
    "GET /me": "/me",
    "POST /cart/items": "add item",
    "GET /cart": "cart",
    "DELETE /cart/items/{id}": "remove item",
    "POST /logout": "logout",
}
DECLARATION_LABELS = {
    "style": "credential",
    "store": "store",
    "revocation": "after logout",
    "logout_all": "after logout-all",
    "csrf": "CSRF token",
    "cart_survives_logout": "cart survives logout",
    "survives_store_restart": "survives store restart",
    "me_while_store_down": "GET /me, store down",
    "store_calls_per_read": "store calls per read (declared)",
    "session_state": "session state kept (server / client)",
    "cart_in": "cart kept in",
    "lost_without_persistence": "a Redis restart without persistence loses",
}


# -- numbers as text --------------------------------------------------------------------
def _num(value: float | None, fmt: str = "{:.2f}") -> str:
    return "-" if value is None else fmt.format(value)


def _x(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}x"


def _with_ratio(value: float | None, ratio: float | None, fmt: str = "{:.3f}") -> str:
    text = _num(value, fmt)
    return f"{text} ({_x(ratio)})" if ratio is not None else text


class View:
    """Everything a renderer shows, computed once from ``results.json``."""

    def __init__(self, results: dict[str, Any]) -> None:
        self.results = results
        self.targets: dict[str, dict[str, Any]] = results["targets"]
        self.summary = aggregate.summarise(results)
        self.ratios = aggregate.ratios(results, self.summary)
        self.warnings = aggregate.warnings(results, self.summary)
        self.scenarios = [
            s for s in aggregate.SCENARIO_ORDER if any(s in v for v in self.summary.values())
        ]
        self.variants = [n for n, t in self.targets.items() if t["kind"] == "variant"]

    def cell(self, target: str, scenario: str) -> dict[str, Any] | None:
        return self.summary.get(target, {}).get(scenario)

    def ratio(self, target: str, scenario: str, key: str) -> float | None:
        return self.ratios.get(target, {}).get(scenario, {}).get(key)

    def status(self, name: str) -> str:
        target = self.targets[name]
        if target["status"] == "ok":
            method = (target.get("verification") or {}).get("method", "")
            return "baseline" if target["kind"] == "baseline" else f"ok ({method})"
        return target["status"]

    def headline_rows(self) -> list[list[str]]:
        """Cost per request first: the numbers the load generator cannot distort."""
        rows = []
        for name, target in self.targets.items():
            steady, ceiling = self.cell(name, "steady"), self.cell(name, "ceiling")
            read = ceiling or self.cell(name, "read")
            read_key = "ceiling" if ceiling else "read"
            paced = self.cell(name, "paced")
            calls = aggregate.read_calls(target)
            declared = (target.get("declarations") or {}).get("store_calls_per_read")
            measured = None if calls is None else sum(calls.values())
            calls_text = "-" if target["kind"] == "baseline" else aggregate.describe_calls(calls)
            if declared is not None:
                mark = "" if measured is None or abs(measured - declared) < 0.05 else " ≠"
                calls_text += f" (declared {declared}){mark}"
            rows.append(
                [
                    name,
                    self.status(name),
                    _with_ratio(steady and steady["cpu_ms"], self.ratio(name, "steady", "cpu")),
                    _with_ratio(read and read["cpu_ms"], self.ratio(name, read_key, "cpu")),
                    calls_text,
                    _with_ratio(
                        read and read["requests_per_second"],
                        self.ratio(name, read_key, "requests_per_second"),
                        "{:.0f}",
                    ),
                    _with_ratio(
                        steady and steady["requests_per_second"],
                        self.ratio(name, "steady", "requests_per_second"),
                        "{:.0f}",
                    ),
                    "-"
                    if not paced
                    else f"{_num(paced['p50_ms'], '{:.1f}')} / {_num(paced['p95_ms'], '{:.1f}')}"
                    f" / {_num(paced['p99_ms'], '{:.1f}')}",
                ]
            )
        return rows

    def findings(self) -> list[str]:
        """Three or four sentences a reader can take away without reading the tables."""
        notes: list[str] = []
        ok = [n for n in self.variants if self.targets[n]["status"] == "ok"]
        read_key = "ceiling" if any(self.cell(n, "ceiling") for n in ok) else "read"
        costs = {
            n: (self.cell(n, read_key)["cpu_ms"], self.ratio(n, read_key, "cpu"))
            for n in ok
            if self.cell(n, read_key) and self.ratio(n, read_key, "cpu") is not None
        }
        if costs:
            ranked = sorted(costs, key=lambda n: costs[n][0])
            text = ", ".join(f"{n} {costs[n][0]:.2f} ms ({costs[n][1]:.2f}x)" for n in ranked)
            notes.append(f"Server + store CPU per authenticated GET /me, cheapest first: {text}.")
        lingering = []
        for name in ok:
            window = (self.targets[name].get("revocation") or {}).get("logout")
            if window and window["accepted_replays"]:
                lingering.append(
                    f"{name} kept accepting a logged-out credential for "
                    f"{window['window_seconds']:.1f} s ({window['window_fraction_of_lifetime']:.0%}"
                    " of its lifetime)"
                )
        immediate = [
            n
            for n in ok
            if (w := (self.targets[n].get("revocation") or {}).get("logout"))
            and not w["accepted_replays"]
        ]
        if lingering or immediate:
            text = "; ".join(lingering) or "no variant accepted a logged-out credential"
            if immediate:
                text += f"; refused from the first replay: {', '.join(immediate)}"
            notes.append(f"Revocation: {text}.")
        sizes = {
            n: (self.targets[n].get("probe") or {}).get("credential_bytes", {}).get("sent_per_read")
            for n in ok
        }
        sizes = {n: v for n, v in sizes.items() if v}
        if sizes:
            text = ", ".join(f"{n} {v} B" for n, v in sorted(sizes.items(), key=lambda x: x[1]))
            notes.append(f"Credential bytes on every request: {text}.")
        return notes

    HEADLINE_COLUMNS = [
        "target",
        "status",
        "CPU ms/req, journey (x base)",
        "CPU ms/req, GET /me (x base)",
        "store calls per GET /me",
        "GET /me req/s (x base)",
        "journey req/s (x base)",
        "paced p50/p95/p99 ms",
    ]

    def security_rows(self) -> list[list[str]]:
        params = self.results["settings"]["hash_parameters"]
        hash_text = "argon2id m={memory_kib} KiB t={time_cost} p={parallelism}".format(**params)
        rows = []
        for name in self.variants:
            target = self.targets[name]
            revocation = target.get("revocation") or {}
            credential = (target.get("probe") or {}).get("credential_bytes") or {}
            issued = credential.get("issued_at_login", {})
            login = self.cell(name, "login")
            rows.append(
                [
                    name,
                    _window(revocation.get("logout")),
                    _window(revocation.get("logout_all")),
                    str(
                        (revocation.get("logout") or {}).get("refresh_after_revocation_status", "-")
                    ),
                    _num(credential.get("sent_per_read"), "{:.0f}"),
                    _num(issued.get("credential_bytes"), "{:.0f}"),
                    f"{_num(login and login['logins_per_second'], '{:.1f}')} ({hash_text})"
                    if login
                    else "-",
                ]
            )
        return rows

    SECURITY_COLUMNS = [
        "variant",
        "old credential accepted after logout",
        "after logout-all (other device)",
        "refresh after logout",
        "credential bytes per request",
        "credential bytes issued at login",
        "logins/s",
    ]

    def matrix_rows(self) -> tuple[list[str], list[list[str]]]:
        header = ["declaration", *self.variants]
        rows = []
        for key, label in DECLARATION_LABELS.items():
            row = [label]
            for name in self.variants:
                value = (self.targets[name].get("declarations") or {}).get(key, "-")
                row.append(str(value).replace("_", " "))
            rows.append(row)
        why = ["why it costs what it costs"]
        for name in self.variants:
            why.append(aggregate.why(name, self.targets[name], self.ratios.get(name)))
        rows.append(why)
        return header, rows

    def endpoint_rows(self) -> tuple[list[str], list[list[str]]]:
        endpoints: list[str] = []
        for name in self.variants:
            for endpoint in (self.targets[name].get("probe") or {}).get("storage_calls") or {}:
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
                rows.append(
                    [
                        name,
                        scenario,
                        str(row["rounds"]),
                        _num(row["requests_per_second"], "{:.0f}"),
                        f"{_num(row['p50_ms'], '{:.1f}')} / {_num(row['p95_ms'], '{:.1f}')} / "
                        f"{_num(row['p99_ms'], '{:.1f}')}",
                        _num(row["server_cpu_ms"], "{:.3f}"),
                        _num(row["store_cpu_ms"], "{:.3f}"),
                        "-"
                        if not row["cpu_ms_range"]
                        else f"{row['cpu_ms_range'][0]:.3f}-{row['cpu_ms_range'][1]:.3f}",
                        redis_calls or "-",
                        f"{row['failures']}"
                        + (f" {row['failures_by_status']}" if row["failures_by_status"] else ""),
                        f"{row['loadgen_core_share']:.0%}"
                        + (" ⚠" if row["loadgen_saturated"] else ""),
                        _num(row["rss_mb"], "{:.0f}"),
                    ]
                )
        return rows

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

    AGAINST_COLUMNS = ["target", "scenario", "CPU ms/req", "req/s", "p99 ms"]


def _window(row: dict[str, Any] | None) -> str:
    if not row:
        return "-"
    text = f"{row['window_seconds']:.2f} s ({row['window_fraction_of_lifetime']:.0%} of lifetime)"
    if row.get("still_accepted_at_end"):
        text += ", still accepted when the probe stopped"
    return text


def _change(now: float | None, before: float | None) -> str:
    if now is None or not before:
        return "-"
    return f"{(now - before) / before:+.0%}"


# -- summary.md ---------------------------------------------------------------------------
def _md_table(header: list[str], rows: list[list[str]]) -> str:
    def clean(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(clean(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(clean(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def summary_markdown(results: dict[str, Any], against: dict[str, Any] | None = None) -> str:
    view = View(results)
    settings = results["settings"]
    machine = results["machine"]
    parts = [
        "# authkit compare",
        f"{results['created']} · {machine['cpu_model']} · {machine['usable_cpus']} usable cores · "
        f"{settings['rounds']} round(s) x {settings['duration_seconds']} s · database "
        f"{settings['database']} · gunicorn {settings['server']['worker_class']} "
        f"{settings['server']['workers']} workers x {settings['server']['threads']} threads, "
        f"keep-alive {settings['server']['keep_alive_seconds']} s",
        "",
        "Headline cost = server CPU time per request (gunicorn master + workers, plus the "
        "store's own CPU), over the same framework's bare baseline: requests/s on this machine "
        "is limited by the load generator as much as by the server.",
    ]
    if view.findings():
        parts += ["", "## In short", *[f"- {f}" for f in view.findings()]]
    if view.warnings:
        parts += ["", "## Warnings", *[f"- {w}" for w in view.warnings]]
    parts += ["", "## Cost per request", _md_table(view.HEADLINE_COLUMNS, view.headline_rows())]
    parts += [
        "",
        "## Revocation, credentials, login",
        _md_table(view.SECURITY_COLUMNS, view.security_rows()),
    ]
    if restart_rows := spectrum.restart_loss_rows(view.targets):
        parts += [
            "",
            "## What a Redis restart loses (observed)",
            _md_table(spectrum.RESTART_COLUMNS, restart_rows),
        ]
    header, rows = view.matrix_rows()
    parts += [
        "",
        "## Behaviour matrix (declared, checked by the contract suite)",
        _md_table(header, rows),
    ]
    header, rows = view.endpoint_rows()
    parts += [
        "",
        "## Storage calls per endpoint (probe, one request at a time)",
        _md_table(header, rows),
    ]
    parts += [
        "",
        "## Every scenario (medians over rounds)",
        _md_table(view.DETAIL_COLUMNS, view.detail_rows()),
    ]
    if against is not None:
        parts += [
            "",
            f"## Against {against['created']}",
            _md_table(view.AGAINST_COLUMNS, view.against_rows(View(against))),
        ]
    return "\n".join(parts) + "\n"


# -- report.html --------------------------------------------------------------------------
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;
max-width:1200px;color:#222;padding:0 16px;line-height:1.4}
h1{margin-bottom:4px} h2{margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#555;font-size:14px}
table{border-collapse:collapse;width:100%;font-size:13px;margin:8px 0}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3} tr:nth-child(even) td{background:#fafafa}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.warn{background:#fff4e5;border-left:4px solid #f0a020;padding:8px 12px;margin:8px 0}
.failed{color:#b00020;font-weight:600}
.findings{background:#eef5ff;border-left:4px solid #1f77b4;padding:8px 12px;margin:12px 0}
.findings ul{margin:4px 0 0 0;padding-left:20px}
img{max-width:100%;display:block;margin:8px 0}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:8px 20px}
figure{margin:0}
details{margin:8px 0} pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:12px}
.note{color:#555;font-size:13px}
"""


def _html_table(
    header: list[str], rows: list[list[str]], numeric: set[int] | int | None = None
) -> str:
    """A table; columns in ``numeric`` (a set, or every column from an index on) align right."""
    if isinstance(numeric, int):
        numeric = set(range(numeric, len(header)))
    numeric = numeric or set()
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            cls = ' class="num"' if i in numeric else ""
            text = html.escape(str(value))
            if str(value).startswith("failed") or str(value) == "skipped":
                text = f'<span class="failed">{text}</span>'
            cells.append(f"<td{cls}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _chart_set(view: View) -> list[tuple[str, str | None, str]]:
    names = [n for n in view.targets if n in view.summary]
    scenarios = [s for s in view.scenarios if s != "login"]
    # The paced run's requests/s is what was offered, the same for everyone: not a result.
    throughput_scenarios = [s for s in scenarios if s != "paced"]
    cpu = charts.grouped_bars(
        "Server + store CPU time per request (lower is better)",
        "ms per request",
        scenarios,
        {n: [(view.cell(n, s) or {}).get("cpu_ms") for s in scenarios] for n in names},
        "{:.2f}",
    )
    rps = charts.grouped_bars(
        "Requests per second (higher is better; Locust limits it too)",
        "requests/s",
        throughput_scenarios,
        {
            n: [(view.cell(n, s) or {}).get("requests_per_second") for s in throughput_scenarios]
            for n in names
        },
        "{:.0f}",
    )
    latency_scenario = "paced" if "paced" in view.scenarios else (scenarios or [None])[0]
    latency = None
    if latency_scenario:
        percentiles = ["p50_ms", "p95_ms", "p99_ms"]
        latency = charts.grouped_bars(
            f"Latency percentiles, {latency_scenario} scenario",
            "ms",
            ["p50", "p95", "p99"],
            {
                n: [(view.cell(n, latency_scenario) or {}).get(p) for p in percentiles]
                for n in names
            },
            "{:.1f}",
        )
    endpoints = [row[0] for row in view.endpoint_rows()[1]]
    calls = charts.grouped_bars(
        "Storage calls per request by endpoint (Redis commands + SQL)",
        "calls",
        [ENDPOINT_SHORT.get(e, e) for e in endpoints],
        {
            n: [
                (lambda c: None if c is None else sum(c.values()))(
                    aggregate.read_calls(view.targets[n], e)
                )
                for e in endpoints
            ]
            for n in view.variants
            if view.targets[n].get("probe")
        },
        "{:g}",
    )
    windows = charts.revocation_chart(
        {
            n: view.targets[n]["revocation"]
            for n in view.variants
            if view.targets[n].get("revocation")
        }
    )
    logins = charts.grouped_bars(
        "Logins per second (login + logout churn, bound by argon2id)",
        "logins/s",
        ["login"],
        {
            n: [(view.cell(n, "login") or {}).get("logins_per_second")]
            for n in view.variants
            if view.cell(n, "login")
        },
        "{:.1f}",
    )
    sizes = spectrum.credential_size_chart(
        {
            n: view.targets[n]["probe"]["credential_size_by_cart_lines"]
            for n in view.variants
            if (view.targets[n].get("probe") or {}).get("credential_size_by_cart_lines")
        }
    )
    return [
        ("CPU per request", cpu, "The headline: what each request costs the server side."),
        ("Throughput", rps, "Read beside the load generator's CPU in the detail table."),
        ("Latency", latency, "Paced: a fixed offered rate below saturation, for honest tails."),
        ("Storage calls", calls, "Counted one request at a time (INFO commandstats; SQL counter)."),
        ("Revocation", windows, "How long a logged-out credential keeps working."),
        ("Login", logins, "Every variant hashes with the same argon2id parameters."),
        ("Credential size", sizes, "Bytes sent with each request as the cart grows."),
    ]


def report_html(results: dict[str, Any], against: dict[str, Any] | None = None) -> str:
    view = View(results)
    settings = results["settings"]
    machine = results["machine"]
    server = settings["server"]
    replay_ms = settings["revocation"]["replay_interval_seconds"] * 1000
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>authkit compare {html.escape(results['created'])}</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>authkit compare: server-side sessions vs JWT</h1>",
        f"<p class='meta'>{html.escape(results['created'])} · "
        f"{html.escape(machine['cpu_model'])} · "
        f"{machine['usable_cpus']} usable cores · {settings['rounds']} round(s), "
        f"{settings['duration_seconds']} s per Locust window after {settings['warmup_seconds']} s "
        f"warm-up · database {html.escape(settings['database'])} · gunicorn "
        f"{server['worker_class']} {server['workers']} workers x {server['threads']} threads, "
        f"keep-alive {server['keep_alive_seconds']} s · server + store pinned to core "
        f"{settings['pinning']['server_and_store_core']}, load generator to core "
        f"{settings['pinning']['load_generator_core']}</p>",
        "<p>The headline cost is <b>server CPU time per request</b> (gunicorn master and workers, "
        "plus the store's own CPU) and <b>storage calls per request</b>, each over the same "
        "framework's bare baseline (no auth, no store). Requests/s sits beside them: on a small "
        "machine the load generator limits it as much as the server does.</p>",
    ]
    findings = view.findings()
    if findings:
        out.append(
            "<div class='findings'><b>In short</b><ul>"
            + "".join(f"<li>{html.escape(f)}</li>" for f in findings)
            + "</ul></div>"
        )
    for warning in view.warnings:
        out.append(f"<div class='warn'>{html.escape(warning)}</div>")
    out += [
        "<h2>Cost per request</h2>",
        _html_table(view.HEADLINE_COLUMNS, view.headline_rows(), 2),
    ]
    out += [
        "<h2>Behaviour matrix and why</h2>",
        "<p class='note'>Declared by each variant in authkit/variants.py and asserted by the "
        "contract suite; the last row explains the measured cost.</p>",
        _html_table(*view.matrix_rows()),
    ]
    out += [
        "<h2>Revocation, credentials, login</h2>",
        "<p class='note'>Revocation: log out (or log out everywhere from a second device), then "
        f"replay the old credential every {replay_ms:.0f} ms; "
        f"credential lifetime set to {settings['revocation']['credential_lifetime_seconds']} s "
        "for this probe (ACCESS_TTL_SECONDS, SESSION_IDLE/ABSOLUTE_SECONDS).</p>",
        _html_table(view.SECURITY_COLUMNS, view.security_rows(), 4),
    ]
    if restart_rows := spectrum.restart_loss_rows(view.targets):
        out += [
            "<h2>What a Redis restart loses (observed)</h2>",
            "<p class='note'>A private Redis crashed (SIGKILL) right after an acknowledged "
            "write, restarted with its append-only file, then without persistence.</p>",
            _html_table(spectrum.RESTART_COLUMNS, restart_rows),
        ]
    out.append("<h2>Charts</h2><div class='charts'>")
    for title, image, note in _chart_set(view):
        if image:
            out.append(
                f"<figure><img alt='{html.escape(title)}' src='data:image/png;base64,{image}'>"
                f"<figcaption class='note'>{html.escape(note)}</figcaption></figure>"
            )
    out.append("</div>")
    out += [
        "<h2>Storage calls per endpoint</h2>",
        "<p class='note'>One request at a time against a probe server: Redis from INFO "
        "commandstats deltas, SQL from Django's execute_wrapper (loadtests/sqlcount.py).</p>",
        _html_table(*view.endpoint_rows()),
        "<h2>Every scenario (medians over rounds)</h2>",
        _html_table(view.DETAIL_COLUMNS, view.detail_rows(), {2, 3, 4, 5, 6, 7, 9, 10, 11}),
    ]
    if against is not None:
        out += [
            f"<h2>Against the run of {html.escape(against['created'])}</h2>",
            _html_table(view.AGAINST_COLUMNS, view.against_rows(View(against)), 2),
        ]
    out += [
        "<h2>Settings, machine, versions</h2>",
        "<details><summary>settings</summary><pre>"
        + html.escape(json.dumps(settings, indent=2))
        + "</pre></details>",
        "<details><summary>machine and versions</summary><pre>"
        + html.escape(json.dumps({"machine": machine, "versions": results["versions"]}, indent=2))
        + "</pre></details>",
        "</body></html>",
    ]
    return "\n".join(out)


def write_report(
    results: dict[str, Any], directory: Path, against: dict[str, Any] | None = None
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "summary.md").write_text(summary_markdown(results, against))
    (directory / "report.html").write_text(report_html(results, against))


def print_table(
    results: dict[str, Any], console: Console, against: dict[str, Any] | None = None
) -> None:
    view = View(results)
    table = Table(title="authkit compare: cost per request (x = over the bare baseline)")
    for column in view.HEADLINE_COLUMNS:
        table.add_column(column, overflow="fold")
    for row in view.headline_rows():
        style = "red" if row[1].startswith(("failed", "skipped")) else None
        table.add_row(*row, style=style)
    console.print(table)
    security = Table(title="revocation, credentials, login")
    for column in view.SECURITY_COLUMNS:
        security.add_column(column, overflow="fold")
    for row in view.security_rows():
        security.add_row(*row)
    if view.variants:
        console.print(security)
    for warning in view.warnings:
        console.print(f"[yellow]! {warning}[/yellow]")
    if against is not None:
        other = Table(title=f"against {against['created']}")
        for column in view.AGAINST_COLUMNS:
            other.add_column(column)
        for row in view.against_rows(View(against)):
            other.add_row(*row)
        console.print(other)
