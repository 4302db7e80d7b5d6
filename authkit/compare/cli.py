"""``authkit compare`` and ``authkit report``: argument parsing and the live display.

The work is done in :mod:`authkit.compare.runner` and :mod:`authkit.compare.render`; this
module only turns command-line options into those calls and shows progress with rich.
"""

from __future__ import annotations

import argparse
import sys
import time
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

from authkit.compare import render
from authkit.compare import results as results_module
from authkit.compare.runner import ALL_SCENARIOS, CompareOptions, Comparison, Progress, Step
from authkit.services import ServiceError

console = Console(stderr=True)


def table_console() -> Console:
    """Where the final tables go: the terminal's width, or 160 columns when piped to a file
    (rich's default of 80 folds every cell of an eight-column table)."""
    stdout = Console()
    return stdout if stdout.is_terminal else Console(width=160)


def register(subparsers: Any) -> None:
    """Add ``compare`` and ``report`` to the ``authkit`` command."""
    defaults = CompareOptions()
    compare = subparsers.add_parser(
        "compare",
        help="load-test every variant side by side and write a report",
        description="Verify, then measure every variant and its bare baseline in rotating "
        "rounds; writes reports/<timestamp>/ (results.json, summary.md, report.html, "
        "Locust CSVs).",
    )
    compare.add_argument("--variants", nargs="+", metavar="NAME", help="default: all registered")
    compare.add_argument(
        "--scenarios", nargs="+", choices=ALL_SCENARIOS, metavar="SCENARIO",
        help=f"any of {', '.join(ALL_SCENARIOS)} (default: {' '.join(defaults.scenarios)})",
    )  # fmt: skip
    compare.add_argument(
        "--duration", type=float, default=defaults.duration,
        help="measured seconds per Locust run (default %(default)s)",
    )  # fmt: skip
    compare.add_argument(
        "--warmup", type=float, default=defaults.warmup,
        help="unmeasured seconds before each Locust window (default %(default)s)",
    )  # fmt: skip
    compare.add_argument(
        "--login-duration", type=float, default=defaults.login_duration,
        help="measured seconds of the login run (default %(default)s)",
    )  # fmt: skip
    compare.add_argument(
        "--ceiling-duration", type=float, default=defaults.ceiling_duration,
        help="seconds of each wrk ceiling run (default %(default)s)",
    )  # fmt: skip
    compare.add_argument("--users", type=int, default=defaults.users, help="Locust users")
    compare.add_argument(
        "--login-users", type=int, default=defaults.login_users, help="users in the login run"
    )
    compare.add_argument("--rounds", type=int, default=defaults.rounds)
    compare.add_argument("--database", choices=["sqlite", "postgres"], default=defaults.database)
    compare.add_argument(
        "--paced-rate", type=float, default=defaults.paced_rate,
        help="requests/s offered in the paced run (default %(default)s)",
    )  # fmt: skip
    compare.add_argument(
        "--revocation-lifetime", type=int, default=defaults.revocation_lifetime,
        help="credential lifetime (s) in the revocation probe (default %(default)s)",
    )  # fmt: skip
    compare.add_argument("--workers", type=int, default=defaults.workers)
    compare.add_argument("--out", type=Path, help="output directory (default reports/<timestamp>)")
    compare.add_argument(
        "--no-verify", action="store_true", help="skip the contract check (numbers unverified)"
    )
    compare.add_argument("--no-pin", action="store_true", help="do not pin processes to cores")
    compare.add_argument(
        "--url", action="append", default=[], metavar="NAME=URL", type=_name_url,
        help="measure variant NAME at a server already running at URL (e.g. behind a load "
        "balancer) instead of starting it: verified and loaded there; no server CPU, no probes",
    )  # fmt: skip
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
        self.step_started = time.monotonic()

    def done(self, step: Step) -> None:
        if self.task is not None:
            self.display.advance(self.task, step.seconds)

    def note(self, message: str) -> None:
        self.display.console.print(message)

    def stop(self) -> None:
        self.display.stop()


def _name_url(text: str) -> tuple[str, str]:
    name, sep, url = text.partition("=")
    if not sep or not url.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"expected NAME=http://HOST:PORT, got {text!r}")
    return name, url


def options_from(args: argparse.Namespace) -> CompareOptions:
    options = CompareOptions(
        variants=args.variants,
        duration=args.duration,
        warmup=args.warmup,
        login_duration=args.login_duration,
        ceiling_duration=args.ceiling_duration,
        users=args.users,
        login_users=args.login_users,
        rounds=args.rounds,
        database=args.database,
        out=args.out,
        paced_rate=args.paced_rate,
        revocation_lifetime=args.revocation_lifetime,
        workers=args.workers,
        verify=not args.no_verify,
        pin=not args.no_pin,
        urls=dict(args.url),
    )
    if args.scenarios:
        options.scenarios = list(dict.fromkeys(args.scenarios))
    return options


def run_compare(args: argparse.Namespace) -> int:
    options = options_from(args)
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
    failed = [n for n, t in results["targets"].items() if t["status"] == "failed"]
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
    return 0


if __name__ == "__main__":
    from authkit.cli import main

    sys.exit(main())
