"""Rows, a terminal table and a stacked-bar chart from an ``authkit cost`` document.

:func:`report_rows` is what another report (``authkit compare``) embeds: one row per target
and endpoint, every figure beside the others, with the headline named. The headline is
**user-space instructions per request**: a count, the same to well under 2% from run to run
on a busy machine, but blind to the kernel. Beside it: system calls per request (the
kernel's share, as a count), store calls per request, and CPU microseconds per request
(user + system, what a bill is made of, but it moves with whatever else runs: shown with
its min-max over repeats).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

HEADLINE = "instructions"

#: What each figure covers and leaves out (printed under the table and in the JSON).
LEGEND = {
    "instructions": "user-space instructions per request (callgrind), app + libraries + "
    "store client in the serving process; leaves out the kernel and the store server. "
    "Headline: repeatable to <2% between runs.",
    "syscalls": "system calls per request (strace), made by the serving process; the "
    "kernel's work (socket I/O to Redis, file locks and writes for SQLite) as a count.",
    "store_calls": "Redis commands (as INFO commandstats counts them, commands run inside "
    "a Lua script included) plus SQL statements per request.",
    "cpu_us": "CPU time per request (time.process_time: user + system of the serving "
    "process), median of repeats with min-max; moves with the machine's load.",
    "redis_server_us": "Redis's own time executing the commands (INFO commandstats usec) "
    "per request; excludes its network I/O and event loop.",
}


def report_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per target and endpoint, with ratios to the target's baseline."""
    rows = []
    targets = document["targets"]
    for name, target in targets.items():
        if target.get("failed"):
            continue
        base = targets.get(target.get("baseline") or "", {}).get("endpoints", {})
        for endpoint, cell in target["endpoints"].items():
            base_cell = base.get(endpoint, {})
            row: dict[str, Any] = {
                "target": name,
                "kind": target["kind"],
                "endpoint": endpoint,
                "instructions": cell.get("instructions"),
                "instructions_over_baseline": _minus(
                    cell.get("instructions"), base_cell.get("instructions")
                ),
                "instructions_ratio": _ratio(
                    cell.get("instructions"), base_cell.get("instructions")
                ),
                "syscalls": cell.get("syscalls"),
                "store_calls": cell.get("store_calls"),
                "redis_server_us": cell.get("store", {}).get("redis_server_usec"),
                "cpu_us": cell.get("cpu_us"),
                "cpu_us_min": cell.get("cpu_us_min"),
                "cpu_us_max": cell.get("cpu_us_max"),
                "cpu_ratio": _ratio(cell.get("cpu_us"), base_cell.get("cpu_us")),
            }
            if endpoint == "POST /login" and "outside_argon2_instructions" in cell:
                row["outside_argon2_instructions"] = cell["outside_argon2_instructions"]
                row["argon2_instructions"] = cell["argon2_instructions"]
                # The baseline's login checks nothing (no hash), so this is the variant's
                # login work outside argon2 less what any JSON login costs the framework.
                row["outside_argon2_over_baseline"] = _minus(
                    cell["outside_argon2_instructions"], base_cell.get("instructions")
                )
            rows.append(row)
    return rows


def goal_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Each variant's declared goal for its attributed endpoint, and where it stands."""
    out = []
    targets = document.get("targets", {})
    for name, attribution in document.get("attribution", {}).items():
        goal = _goals(name, targets.get(name, {})).get(attribution.get("endpoint", "GET /me"))
        if goal is None:
            continue
        overhead = attribution["overhead_instructions"]
        out.append(
            {
                "target": name,
                "overhead_instructions": overhead,
                "goal_instructions": goal,
                "met": overhead <= goal,
            }
        )
    return out


def _goals(name: str, target: dict[str, Any]) -> dict[str, float]:
    """The goals the document recorded; for a document written before goals were
    recorded, the registry's current ones."""
    if "cost_goal" in target:
        return target["cost_goal"]
    from authkit.cost.targets import all_targets

    known = all_targets().get(name)
    return dict(known.variant.cost_goal) if known else {}


def failed_rows(document: dict[str, Any]) -> list[dict[str, str]]:
    """The targets that could not be measured, and why (the others are still reported)."""
    return [{"target": name, "error": error} for name, error in document.get("failed", {}).items()]


def _minus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def _k(value: float | None) -> str:
    return "-" if value is None else f"{value / 1000:,.0f}k"


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def print_table(document: dict[str, Any]) -> None:
    """The rows on the terminal (rich), login apart, then the attribution and the goals."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=160)
    rows = report_rows(document)
    login_title = "login (argon2id at the cost run's minimal parameters)"
    for title, keep in (
        ("per request, every endpoint but login", lambda r: r["endpoint"] != "POST /login"),
        (login_title, lambda r: r["endpoint"] == "POST /login"),
    ):
        table = Table(title=f"authkit cost: {title}", title_justify="left")
        for column in ("target", "endpoint", "instructions", "over base", "x base", "syscalls",
                       "store calls", "redis µs", "CPU µs (min-max)", "CPU x base"):  # fmt: skip
            table.add_column(
                column, justify="left" if column in ("target", "endpoint") else "right"
            )
        for row in filter(keep, rows):
            table.add_row(
                row["target"],
                row["endpoint"],
                _k(row["instructions"]),
                _k(row["instructions_over_baseline"]),
                _num(row["instructions_ratio"], 2),
                _num(row["syscalls"]),
                _num(row["store_calls"]),
                _num(row["redis_server_us"]),
                f"{_num(row['cpu_us'], 0)} ({_num(row['cpu_us_min'], 0)}-"
                f"{_num(row['cpu_us_max'], 0)})",
                _num(row["cpu_ratio"], 2),
            )
        console.print(table)
    login = Table(title="login outside argon2 (instructions)", title_justify="left")
    for column in ("target", "login", "argon2id verify", "outside argon2", "... over base"):
        login.add_column(column, justify="left" if column == "target" else "right")
    for row in rows:
        if "outside_argon2_instructions" in row:
            login.add_row(row["target"], _k(row["instructions"]), _k(row["argon2_instructions"]),
                          _k(row["outside_argon2_instructions"]),
                          _k(row["outside_argon2_over_baseline"]))  # fmt: skip
    console.print(login)
    for name, attribution in document.get("attribution", {}).items():
        table = Table(
            title=f"{name}: GET /me overhead over {attribution['baseline']} = "
            f"{_k(attribution['overhead_instructions'])} instructions",
            title_justify="left",
        )
        table.add_column("part")
        table.add_column("instructions", justify="right")
        table.add_column("share", justify="right")
        overhead = attribution["overhead_instructions"] or 1
        for piece in [*attribution["pieces"], _remainder(attribution)]:
            table.add_row(piece["label"], _k(piece["instructions"]),
                          f"{piece['instructions'] / overhead:.0%}")  # fmt: skip
        for label, value in attribution.get("references", {}).items():
            table.add_row(f"[dim]{label}[/dim]", _k(value), "")
        console.print(table)
    goals = Table(title="goals: GET /me overhead over the baseline", title_justify="left")
    for column in ("target", "overhead", "goal", "met"):
        goals.add_column(column)
    for goal in goal_rows(document):
        goals.add_row(goal["target"], _k(goal["overhead_instructions"]),
                      _k(goal["goal_instructions"]), "yes" if goal["met"] else "no")  # fmt: skip
    console.print(goals)
    for key, text in LEGEND.items():
        console.print(f"[bold]{key}[/bold]: {text}")
    for row in failed_rows(document):
        console.print(f"[bold red]{row['target']}: not measured[/bold red] ({row['error']})")


def _remainder(attribution: dict[str, Any]) -> dict[str, Any]:
    return {
        "label": attribution["remainder_label"],
        "instructions": attribution["remainder_instructions"],
    }


def draw_attribution(document: dict[str, Any], path: Path) -> Path | None:
    """One stacked bar per variant: its ``GET /me`` overhead split into parts (PNG)."""
    attributions = document.get("attribution", {})
    if not attributions:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(attributions)
    labels: list[str] = []
    for attribution in attributions.values():
        for piece in attribution["pieces"]:
            if piece["label"] not in labels:
                labels.append(piece["label"])
    remainder_labels = {a["remainder_label"] for a in attributions.values()}
    labels += sorted(remainder_labels - set(labels))  # the unexplained rest always last
    figure, axes = plt.subplots(figsize=(11, 1.2 + 0.8 * len(names)))
    colours = plt.get_cmap("tab20").colors
    left = [0.0] * len(names)
    negative_shown = False
    for index, label in enumerate(labels):
        widths = []
        for attribution in attributions.values():
            pieces = {p["label"]: p["instructions"] for p in attribution["pieces"]}
            pieces[attribution["remainder_label"]] = attribution["remainder_instructions"]
            widths.append(pieces.get(label, 0.0) / 1e6)
        axes.barh(names, widths, left=left, label=label, color=colours[index % len(colours)])
        # A negative piece (parts that add up to more than the measured overhead) is drawn
        # back from the stack's end, hatched in red: hidden, it would make the parts look
        # like they explain the overhead exactly.
        for name, start, width in zip(names, left, widths, strict=True):
            if width < 0:
                axes.barh([name], [width], left=[start], fill=False, hatch="//",
                          edgecolor="red", label=None if negative_shown else
                          "negative: the parts exceed the measured overhead")  # fmt: skip
                axes.annotate(f"{width:+.2f} M ({label})", (start + width, name),
                              color="red", fontsize=7, va="center", ha="right")  # fmt: skip
                negative_shown = True
        left = [a + b for a, b in zip(left, widths, strict=True)]
    goals = {row["target"]: row["goal_instructions"] / 1e6 for row in goal_rows(document)}
    marked = [(name, goals[name]) for name in names if name in goals]
    if marked:
        axes.scatter([g for _, g in marked], [n for n, _ in marked], marker="|", s=400,
                     color="black", label="goal", zorder=3)  # fmt: skip
    axes.set_xlabel("GET /me: instructions over the baseline (millions per request)")
    axes.invert_yaxis()
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def compare_section(document: dict[str, Any], chart: Path | None = None) -> dict[str, Any]:
    """Everything ``authkit compare``'s report needs from a cost document, in one dict.

    ``headline`` names the figure to lead with; ``legend`` says what each covers and leaves
    out; ``rows`` are :func:`report_rows`; ``attribution`` has one stack per variant (draw it
    with :func:`draw_attribution`, here to ``chart`` when given); ``goals`` is each variant's
    declared goal and where it stands; ``failed`` the targets that could not be measured.
    """
    return {
        "headline": HEADLINE,
        "legend": LEGEND,
        "rows": report_rows(document),
        "attribution": document.get("attribution", {}),
        "goals": goal_rows(document),
        "failed": failed_rows(document),
        "chart": str(draw_attribution(document, chart)) if chart else None,
        "settings": document.get("settings", {}),
        "seconds": document.get("seconds"),
    }
