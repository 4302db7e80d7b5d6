"""The ``results.json`` document: versioned, self-describing, enough to re-render a report.

The schema is documented in ``loadtests/RESULTS_SCHEMA.md``; bump :data:`SCHEMA_VERSION`
when a field changes meaning or disappears (adding a field does not need a bump).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

SCHEMA = "authkit-compare-results"
SCHEMA_VERSION = 1
PACKAGES = [
    "flask", "flask-session", "django", "pyjwt", "argon2-cffi", "redis", "psycopg",
    "gunicorn", "locust", "matplotlib", "rich",
]  # fmt: skip


def machine_info() -> dict[str, Any]:
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu_model = platform.processor()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "hostname": platform.node(),
        "os": platform.platform(),
        "cpu_model": cpu_model,
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable,
        "memory_bytes": psutil.virtual_memory().total,
        "python": sys.version.split()[0],
    }


def _command_version(argv: list[str]) -> str | None:
    if shutil.which(argv[0]) is None and not Path(argv[0]).exists():
        return None
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else None


def versions() -> dict[str, Any]:
    from authkit import __version__
    from authkit.services import find_binary

    packages = {}
    for name in PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    postgres = find_binary("postgres")
    return {
        "authkit": __version__,
        "git_commit": _command_version(
            ["git", "-C", str(Path(__file__).parent), "rev-parse", "HEAD"]
        ),
        "packages": packages,
        "redis_server": _command_version(
            [find_binary("redis-server") or "redis-server", "--version"]
        ),
        "postgres": _command_version([postgres, "--version"]) if postgres else None,
        "wrk": _command_version(["wrk", "--version"]),
    }


def save(results: dict[str, Any], directory: Path) -> Path:
    path = directory / "results.json"
    path.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")
    return path


def load(directory: Path) -> dict[str, Any]:
    path = directory / "results.json" if directory.is_dir() else directory
    results = json.loads(path.read_text())
    if results.get("schema") != SCHEMA:
        raise ValueError(f"{path} is not an authkit compare results file")
    if results.get("schema_version", 0) > SCHEMA_VERSION:
        raise ValueError(
            f"{path} has schema version {results['schema_version']}; this authkit reads "
            f"up to {SCHEMA_VERSION}"
        )
    return results
