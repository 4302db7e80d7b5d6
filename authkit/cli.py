"""The ``authkit`` command: serve a variant, manage private stores, verify, compare.

Each subcommand is a thin layer over a module that does the work, so the same code runs
from the command line, from the tests and from ``authkit compare``.
"""

from __future__ import annotations

import argparse
import sys

from authkit import serve, services_cli, verify
from authkit.audit import cli as audit_cli
from authkit.compare import cli as compare_cli
from authkit.cost import cli as cost_cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="authkit", description="Server-side sessions vs JWT, measured on your machine."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (serve, services_cli, verify, compare_cli, audit_cli, cost_cli):
        module.register(commands)
    args = parser.parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
