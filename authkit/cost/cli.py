"""``authkit cost``: counts per request for every target and endpoint (see the package)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from authkit.cost.report import draw_attribution, print_table
from authkit.cost.runner import MODES, Settings, max_deviation, run_cost


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "cost",
        help="instructions, system calls, store calls and CPU time per request, per endpoint",
        description="Count what each request costs, in process, for every variant and "
        "baseline: instructions (callgrind), system calls (strace), store calls, CPU time.",
    )
    parser.add_argument(
        "--targets", nargs="*",
        help="targets, or all (default: the main variants, the lean Django row, baselines)",
    )  # fmt: skip
    parser.add_argument("-n", type=int, default=Settings.n, help="measured calls per endpoint")
    parser.add_argument("--jobs", type=int, default=Settings.jobs, help="targets run at once")
    parser.add_argument("--modes", nargs="*", choices=MODES, default=list(MODES))
    parser.add_argument("--no-attribution", action="store_true", help="skip the parts")
    parser.add_argument("--json", type=Path, help="write the document here")
    parser.add_argument("--chart", type=Path, help="draw the attribution bars to this PNG")
    parser.add_argument(
        "--against", type=Path, help="a previous --json: print the largest deviation from it"
    )
    parser.set_defaults(handler=cost)


def cost(args: argparse.Namespace) -> int:
    settings = Settings(
        n=args.n,
        jobs=args.jobs,
        modes=tuple(args.modes),
        attribution=not args.no_attribution and "instructions" in args.modes,
    )
    document = run_cost(args.targets, settings)
    if args.against:
        previous = json.loads(args.against.read_text())
        document["deviation_from_previous"] = max_deviation(previous, document)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=1))
    print_table(document)
    if args.chart:
        draw_attribution(document, args.chart)
    if args.against:
        for key, worst in document["deviation_from_previous"].items():
            print(f"largest deviation, {key}: {worst['deviation']:.2%} "
                  f"({worst['target']}, {worst['endpoint']})")  # fmt: skip
    failed = document["failed"]
    print(f"authkit cost: {document['seconds']:.0f} s"
          + (f"; not measured: {', '.join(failed)}" if failed else ""))  # fmt: skip
    # Every measured target is in the table and the JSON; a failed one still fails the run.
    return 1 if failed else 0
