"""The leaked-key audit as a terminal table (rich, like the audit's) or JSON."""

from __future__ import annotations

import json
from typing import Any

from authkit.audit.leaked_key import PUBLIC_KEY_ROW, ROWS, LeakedKeyResult


def _text(value: Any) -> str:
    if isinstance(value, tuple | list):
        return ", ".join(value) if value else "nothing"
    return str(value)


def to_json(results: list[LeakedKeyResult]) -> str:
    return json.dumps([r.as_dict() for r in results], indent=2)


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
    for step in ("with fallback", "fallback dropped"):
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
