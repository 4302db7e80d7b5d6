"""``authkit verify --url URL --style session|bearer``: the contract suite against any server.

The same suite that checks the kit's own variants checks a server somebody else wrote, the
way one shared test collection checks every backend of a multi-implementation spec. Tests
that need servers or stores the suite starts itself are skipped with the reason printed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from typing import IO

from authkit.server import project_root


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("verify", help="run the contract suite against a running server")
    parser.add_argument("--url", required=True, help="e.g. http://127.0.0.1:9000")
    parser.add_argument(
        "--style",
        choices=["session", "bearer"],
        help="its auth style (cookie + CSRF token, or bearer + refresh); "
        "not needed when --variant names a registered variant",
    )
    parser.add_argument("--variant", help="the registry variant whose declarations it follows")
    parser.add_argument(
        "--ca",
        help="with an https --url: the CA file its certificate chains to (authkit "
        "serve --tls prints it)",
    )
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    parser.set_defaults(handler=_verify)


def _verify(args: argparse.Namespace) -> int:
    passed = run_contract(args.url, args.style, args.variant, args.pytest_args, ca=args.ca)
    return 0 if passed else 1


def run_contract(
    url: str,
    style: str | None,
    variant_name: str | None = None,
    extra_args: list[str] | None = None,
    output: IO[bytes] | None = None,
    timeout: float | None = None,
    ca: str | None = None,
) -> bool:
    """Run ``tests/contract`` against ``url``; True when every test passed.

    Pytest's report goes to ``output`` when given (``authkit compare`` keeps it as a log),
    else to this terminal. A run that outlives ``timeout`` seconds counts as failed. ``ca``:
    the CA file an ``https`` URL's certificate chains to.
    """
    argv = [sys.executable, "-m", "pytest", "tests/contract", "--target-url", url, "-q", "-rs"]
    if style:
        argv += ["--target-style", style]
    if variant_name:
        argv += ["--target-variant", variant_name]
    if ca:
        argv += ["--target-ca", ca]
    argv += extra_args or []
    try:
        result = subprocess.run(
            argv,
            cwd=project_root(),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT if output else None,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0
