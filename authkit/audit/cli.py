"""``authkit audit``: the security and bad-input matrix against running servers."""

from __future__ import annotations

import argparse
import sys

from authkit.audit import render
from authkit.audit.runner import audit_matrix
from authkit.services import ServiceError
from authkit.variants import VARIANTS


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "audit",
        help="run the security matrix against the variants (or any URL)",
        description="Start the variants (or take --url) and run every check of the security "
        "and bad-input matrix over real HTTP. Exits 1 when a cell contradicts the variant's "
        "declarations (a finding).",
    )
    parser.add_argument("--variants", nargs="+", choices=sorted(VARIANTS), default=None)
    parser.add_argument("--url", help="audit a server that is already running")
    parser.add_argument("--style", choices=["session", "bearer"], help="its auth style")
    parser.add_argument(
        "--variant",
        choices=sorted(VARIANTS),
        help="with --url: the registry variant whose declarations it follows",
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--tls",
        action="store_true",
        help="serve the variants over HTTPS (a CA made for the run; HSTS; Secure __Host- "
        "cookies), so the transport rows apply",
    )
    parser.add_argument("--ca", help="with an https --url: the CA file its certificate chains to")
    parser.add_argument("--format", choices=["table", "json", "markdown"], default="table")
    parser.set_defaults(handler=audit)


def audit(args: argparse.Namespace) -> int:
    if args.url and not args.style:
        print("authkit audit: --url needs --style session|bearer", file=sys.stderr)
        return 2
    if args.url and args.tls:
        print(
            "authkit audit: --tls serves the variants; an https --url takes --ca", file=sys.stderr
        )
        return 2
    try:
        matrix = audit_matrix(
            args.variants,
            args.url,
            args.style,
            args.variant,
            args.database,
            tls=args.tls,
            ca=args.ca,
        )
    except ServiceError as exc:
        print(f"authkit: {exc}", file=sys.stderr)
        return 2
    output = {"table": render.to_table, "json": render.to_json, "markdown": render.to_markdown}[
        args.format
    ](matrix)
    print(output)
    return 1 if matrix.findings else 0
