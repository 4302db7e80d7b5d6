"""``authkit compare`` and ``authkit report``: argument parsing and the live display.

The work is done in :mod:`authkit.compare.runner` and :mod:`authkit.compare.render`; this
module only turns command-line options into those calls and shows progress with rich.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import (
    Progress as RichProgress,
)

from authkit.compare import readme, render
from authkit.compare import results as results_module
from authkit.compare.plan import Progress, Step
from authkit.compare.runner import CompareOptions, Comparison, default_scenarios
from authkit.scenarios import SCENARIOS
from authkit.services import ServiceError

console = Console(stderr=True)


def table_console() -> Console:
    """Where the final tables go: the terminal's width, or 160 columns when piped to a file
    (rich's default of 80 folds every cell of an eight-column table)."""
    stdout = Console()
    return stdout if stdout.is_terminal else Console(width=160)


def register(subparsers: Any) -> None:
    """Add ``compare`` and ``report`` to the ``authkit`` command."""
    compare = subparsers.add_parser(
        "compare",
        help="load-test every variant side by side and write a report",
        description="Verify, then measure every variant and its bare baseline in rotating "
        "rounds; writes reports/<timestamp>/ (results.json, summary.md, report.html, "
        "Locust CSVs).",
    )
    for option in dataclasses.fields(CompareOptions):
        _add_option(compare, option)
    compare.add_argument("--quiet", action="store_true", help="no progress display")
    compare.set_defaults(handler=run_compare)

    report = subparsers.add_parser(
        "report",
        help="re-render a compare run's report from its results.json",
        description="Write summary.md and report.html again from DIR/results.json; with "
        "--against, also compare with another run.",
    )
    report.add_argument("directory", type=Path, metavar="DIR")
    report.add_argument("--against", type=Path, metavar="DIR2", help="an earlier run to compare")
    report.add_argument(
        "--readme", type=Path, metavar="README",
        help="also write every generated block of README (between its markers) from DIR "
        f"as the sample run and {readme.SPECTRUM_RUN} beside README as the spectrum run",
    )  # fmt: skip
    report.set_defaults(handler=run_report)


class RichProgressDisplay(Progress):
    """Shows the step running now, the steps done, and an estimate of the time left."""

    def __init__(self) -> None:
        self.display = RichProgress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.task = None

    def plan(self, steps: list[Step]) -> None:
        total = sum(step.seconds for step in steps)
        console.print(
            f"authkit compare: {len(steps)} steps, about {total / 60:.1f} min by estimate"
        )
        self.task = self.display.add_task("starting", total=total)
        self.display.start()

    def start(self, step: Step) -> None:
        if self.task is not None:
            self.display.update(self.task, description=step.label)

    def done(self, step: Step) -> None:
        if self.task is not None:
            self.display.advance(self.task, step.seconds)

    def note(self, message: str) -> None:
        self.display.console.print(message)

    def stop(self) -> None:
        self.display.stop()


def _add_option(parser: argparse.ArgumentParser, option: dataclasses.Field) -> None:
    """One ``CompareOptions`` field as a command-line option (``--login-users``...)."""
    meta = dict(option.metadata)
    help_text = meta.pop("help")
    flag = meta.pop("flag", "--" + option.name.replace("_", "-"))
    if option.type in (bool, "bool"):  # a switch: its flag turns the default around
        action = "store_false" if option.default else "store_true"
        parser.add_argument(flag, dest=option.name, action=action, help=help_text)
        return
    if option.name == "scenarios":
        meta["choices"] = list(SCENARIOS)
        help_text += f": any of {', '.join(SCENARIOS)} (default: {' '.join(default_scenarios())})"
        parser.add_argument(flag, dest=option.name, help=help_text, **meta)
        return
    if meta.get("action") == "append":  # repeatable (--url NAME=URL ...), gathered as a list
        parser.add_argument(flag, dest=option.name, default=[], help=help_text, **meta)
        return
    default = option.default
    if default is not None and default is not dataclasses.MISSING:
        meta.setdefault("type", type(default))
        help_text += f" (default {default})"
    parser.add_argument(flag, dest=option.name, default=default, help=help_text, **meta)


def options_from(args: argparse.Namespace) -> CompareOptions:
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(CompareOptions)}
    values["urls"] = dict(values["urls"])  # [(name, url), ...] from the repeated option
    if values["scenarios"] is None:
        del values["scenarios"]  # the registry's default set
    else:
        values["scenarios"] = list(dict.fromkeys(values["scenarios"]))
    return CompareOptions(**values)


def run_compare(args: argparse.Namespace) -> int:
    options = options_from(args)
    if options.redis_persistence:  # read by PrivateRedis when it starts
        os.environ["AUTHKIT_REDIS_PERSISTENCE"] = options.redis_persistence
    display = None if args.quiet else RichProgressDisplay()
    comparison = Comparison(options, display)
    if comparison.unknown:
        console.print(f"[red]unknown variants:[/red] {', '.join(comparison.unknown)}")
        return 2
    measured = {t.name for t in comparison.targets if not t.is_baseline}
    if stray := sorted(set(options.urls) - measured):
        console.print(f"[red]--url for variants not measured:[/red] {', '.join(stray)}")
        return 2
    try:
        results = comparison.run()
    except ServiceError as exc:  # no redis-server / PostgreSQL and no way to install them
        console.print(f"[red]{exc}[/red]")
        return 2
    finally:
        if display is not None:
            display.stop()
    render.write_report(results, comparison.out)
    render.print_table(results, table_console())
    console.print(f"report: {comparison.out / 'report.html'}")
    failed = [n for n, t in results.targets.items() if t.status == "failed"]
    return 1 if failed else 0


def run_report(args: argparse.Namespace) -> int:
    try:
        results = results_module.load(args.directory)
        against = results_module.load(args.against) if args.against else None
    except (OSError, ValueError) as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    directory = args.directory if args.directory.is_dir() else args.directory.parent
    render.write_report(results, directory, against=against)
    render.print_table(results, table_console(), against=against)
    console.print(f"report: {directory / 'report.html'}")
    if args.readme:
        root = args.readme.resolve().parent
        try:
            sample = directory.resolve().relative_to(root).as_posix()
            blocks = readme.generated_blocks(root, sample=sample)
            args.readme.write_text(readme.write_blocks(args.readme.read_text(), blocks))
        except (OSError, ValueError) as exc:
            console.print(f"[red]{exc}[/red]")
            return 2
        console.print(f"{len(blocks)} generated blocks written to {args.readme}")
    return 0
