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
    parser.add_argument("--format", choices=["table", "json", "markdown"], default="table")
    parser.add_argument(
        "--leaked-key",
        action="store_true",
        help="instead: what the server's signing key buys an attacker, and what rotating it "
        "(new key with the old as fallback, then the fallback dropped) does; only for servers "
        "the kit starts, which know the key",
    )
    parser.add_argument(
        "--targets",
        nargs="+",
        default=None,
        help="with --leaked-key: the targets (variant names; default all)",
    )
    parser.add_argument("--json", dest="json_path", help="with --leaked-key: also write JSON here")
    parser.set_defaults(handler=audit)


def leaked_key(args: argparse.Namespace) -> int:
    from authkit.audit import leaked_key_render
    from authkit.audit.leaked_key import leaked_key_audit

    if args.url:
        print(
            "authkit audit --leaked-key: refused for --url: the audit forges with the key the "
            "server signs with, which the kit knows only for servers it starts itself",
            file=sys.stderr,
        )
        return 2
    names = args.targets or args.variants
    unknown = [n for n in names or () if n.partition("[")[0] not in VARIANTS]
    if unknown:
        print(f"authkit audit --leaked-key: unknown targets {unknown}", file=sys.stderr)
        return 2
    try:
        results = leaked_key_audit(names)
    except ServiceError as exc:
        print(f"authkit: {exc}", file=sys.stderr)
        return 2
    if args.json_path:
        with open(args.json_path, "w") as handle:
            handle.write(leaked_key_render.to_json(results))
    print(leaked_key_render.to_table(results))
    return 1 if any(r.mismatches for r in results) else 0


def audit(args: argparse.Namespace) -> int:
    if args.leaked_key:
        return leaked_key(args)
    if args.url and not args.style:
        print("authkit audit: --url needs --style session|bearer", file=sys.stderr)
        return 2
    try:
        matrix = audit_matrix(args.variants, args.url, args.style, args.variant, args.database)
    except ServiceError as exc:
        print(f"authkit: {exc}", file=sys.stderr)
        return 2
    output = {"table": render.to_table, "json": render.to_json, "markdown": render.to_markdown}[
        args.format
    ](matrix)
    print(output)
    return 1 if matrix.findings else 0
