"""The audit matrix as a terminal table, JSON or Markdown (for the README and reports)."""

from __future__ import annotations

import json

from authkit.audit.checks import DIFFERS, FINDING, HELD, NA
from authkit.audit.runner import AuditMatrix

SYMBOL = {HELD: "held", DIFFERS: "declared ≠", FINDING: "FINDING", NA: "-"}


def to_json(matrix: AuditMatrix) -> str:
    return json.dumps(matrix.as_dict(), indent=2)


def to_markdown(matrix: AuditMatrix, details: bool = False) -> str:
    head = "| check | reference | " + " | ".join(matrix.targets) + " |"
    lines = [head, "|" + "---|" * (2 + len(matrix.targets))]
    for row in matrix.rows:
        cells = []
        for name in matrix.targets:
            cell = row["cells"].get(name, {"outcome": NA, "detail": ""})
            text = SYMBOL[cell["outcome"]]
            if cell["outcome"] == FINDING:
                text = f"**{text}**"
            if details and cell["detail"] and cell["outcome"] != NA:
                text += f" ({cell['detail']})"
            cells.append(text)
        lines.append(f"| {row['title']} | {row['reference']} | " + " | ".join(cells) + " |")
    counts = matrix.counts()
    lines.append("")
    lines.append(
        f"{len(matrix.rows)} checks: {counts[HELD]} held, {counts[DIFFERS]} declared "
        f"differences, {counts[FINDING]} findings, {counts[NA]} not applicable "
        f"({matrix.seconds:.0f} s)."
    )
    return "\n".join(lines)


def to_table(matrix: AuditMatrix) -> str:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="authkit audit", show_lines=False)
    table.add_column("check")
    table.add_column("reference", style="dim")
    for name in matrix.targets:
        table.add_column(name)
    style = {HELD: "green", DIFFERS: "yellow", FINDING: "bold red", NA: "dim"}
    for row in matrix.rows:
        cells = []
        for name in matrix.targets:
            cell = row["cells"].get(name, {"outcome": NA, "detail": ""})
            cells.append(f"[{style[cell['outcome']]}]{SYMBOL[cell['outcome']]}[/]")
        table.add_row(row["title"], row["reference"], *cells)
    console = Console(width=200, record=True)
    with console.capture() as capture:
        console.print(table)
        for check_id, target, detail in matrix.findings:
            console.print(f"[bold red]FINDING[/] {check_id} on {target}: {detail}")
        counts = matrix.counts()
        console.print(
            f"{len(matrix.rows)} checks: {counts[HELD]} held, {counts[DIFFERS]} declared "
            f"differences, {counts[FINDING]} findings ({matrix.seconds:.0f} s)"
        )
    return capture.get()
