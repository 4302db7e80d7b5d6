"""The leaked-key audit as a terminal table (rich, like the audit's), JSON, or Markdown (the
README's table, drawn from a committed JSON by :func:`from_json`)."""

from __future__ import annotations

import json
from typing import Any

from authkit.audit.leaked_key import PUBLIC_KEY_ROW, ROWS, LeakedKeyResult, LoadCount

#: The restarts whose polling clients the tables count, in order.
LOAD_STEPS = ("with fallback", "fallback dropped")


def _text(value: Any) -> str:
    if isinstance(value, tuple | list):
        return ", ".join(value) if value else "nothing"
    return str(value)


def to_json(results: list[LeakedKeyResult]) -> str:
    return json.dumps([r.as_dict() for r in results], indent=2)


def from_json(text: str) -> list[LeakedKeyResult]:
    """The results :func:`to_json` wrote (lists back to the tuples the audit measures)."""

    def cells(values: dict[str, Any]) -> dict[str, Any]:
        return {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}

    return [
        LeakedKeyResult(
            target=row["target"],
            measured=cells(row.get("measured", {})),
            declared=cells(row.get("declared", {})),
            details=row.get("details", {}),
            load={step: LoadCount(**count) for step, count in row.get("load", {}).items()},
            error=row.get("error"),
            seconds=row.get("seconds", 0.0),
        )
        for row in json.loads(text)
    ]


def load_text(result: LeakedKeyResult, step: str) -> str:
    count = result.load.get(step)
    if count is None:
        return "-"
    return f"{count.requests} / {count.refused} / {count.clients_logged_out}"


def to_table(results: list[LeakedKeyResult]) -> str:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="authkit audit --leaked-key", show_lines=False)
    table.add_column("with the leaked signing key")
    for result in results:
        table.add_column(result.target)
    for key, label in [*ROWS, PUBLIC_KEY_ROW]:
        cells = []
        for result in results:
            if key not in result.declared:
                cells.append("[dim]-[/]")
                continue
            if result.error:
                cells.append("[bold red]error[/]")
                continue
            measured, declared = result.measured.get(key), result.declared[key]
            if measured == declared:
                cells.append(f"[green]{_text(measured)}[/]")
            else:
                cells.append(f"[bold red]{_text(measured)} (declared {_text(declared)})[/]")
        table.add_row(label, *cells)
    for step in LOAD_STEPS:
        table.add_row(
            f"restart {step}, under load: GET /me requests / refused / clients logged out",
            *[f"[dim]{load_text(r, step)}[/]" for r in results],
        )
    # Wide enough for every column's header on one line (a terminal narrower wraps).
    console = Console(width=60 + 26 * len(results), record=True)
    with console.capture() as capture:
        console.print(table)
        for result in results:
            for cell, measured, declared in result.mismatches:
                console.print(
                    f"[bold red]MISMATCH[/] {result.target} {cell}: measured "
                    f"{_text(measured)}, declared {_text(declared)}"
                )
        seconds = max((r.seconds for r in results), default=0.0)
        console.print(f"{len(results)} targets, {len(ROWS)} cells each (slowest {seconds:.0f} s)")
    return capture.get()


def _md_cell(result: LeakedKeyResult, key: str) -> str:
    if key not in result.declared:
        return "-"
    if result.error:
        return "**error**"
    measured, declared = result.measured.get(key), result.declared[key]
    text = _text(measured).replace("_", " ")
    return text if measured == declared else f"**{text} ≠ declared {_text(declared)}**"


def to_markdown(results: list[LeakedKeyResult]) -> str:
    """One row per cell, one column per target; a cell that contradicts its declaration is
    marked ≠, an audit that failed its precondition says error (its reason below)."""
    header = ["with the leaked signing key", *(r.target for r in results)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for key, label in [*ROWS, PUBLIC_KEY_ROW]:
        lines.append("| " + " | ".join([label, *(_md_cell(r, key) for r in results)]) + " |")
    for step in LOAD_STEPS:
        label = f"restart {step}, polling `GET /me`: requests / refused / clients logged out"
        lines.append("| " + " | ".join([label, *(load_text(r, step) for r in results)]) + " |")
    mismatched = [r for r in results if r.mismatches]
    cells = sum(len(r.declared) for r in results)
    lines += [
        "",
        f"{cells} cells in {len(results)} columns; contradicting their declaration: "
        f"{sum(len(r.mismatches) for r in mismatched)}.",
    ]
    for result in results:
        if result.error:
            lines.append(f"- `{result.target}`: {result.error}")
    return "\n".join(lines)
