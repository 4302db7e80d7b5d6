"""The ``results.json`` document: versioned, self-describing, enough to re-render a report.

Read and written here only, as typed objects: :class:`ResultSet` holds the run's settings,
one :class:`TargetStatus` per target and one :class:`Cell` per measured (target, scenario,
round). The measurements inside a cell (CPU, latency, store calls) stay plain mappings: they
are what the load generators report, and the renderer only reads them.

The schema is documented in ``loadtests/RESULTS_SCHEMA.md``; bump :data:`SCHEMA_VERSION`
when a field changes meaning or disappears (adding a field does not need a bump). Files of
every earlier version are read (:func:`_upgrade`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

SCHEMA = "authkit-compare-results"
#: 2: targets name their app (``app``, was ``wsgi``), design, colour and server settings;
#: ``verification.passed`` is ``null`` when nothing was checked (was ``true``).
SCHEMA_VERSION = 2
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


@dataclass
class Cell:
    """One measured window: a target under one scenario in one round."""

    target: str
    scenario: str
    round: int
    position: int
    error: str | None = None
    tool: str | None = None
    users: int | None = None
    seconds: float | None = None
    requests: int = 0
    failures: int = 0
    failures_by_status: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    requests_per_second: float = 0.0
    latency_ms: dict[str, float] = field(default_factory=dict)
    server: dict[str, Any] = field(default_factory=dict)
    store: dict[str, Any] = field(default_factory=dict)
    storage_calls_per_request: dict[str, Any] = field(default_factory=dict)
    load_generator: dict[str, Any] = field(default_factory=dict)
    requests_by_name: dict[str, int] = field(default_factory=dict)
    logins_per_second: float | None = None
    offered_rate: float | None = None
    csv_prefix: str | None = None

    @property
    def measured(self) -> bool:
        return self.error is None and self.requests > 0


@dataclass
class TargetStatus:
    """What a run established about one target, besides its cells."""

    kind: str  # "variant" | "baseline"
    framework: str
    baseline: str | None
    style: str
    store: str
    status: str = "pending"  # "ok" | "failed" | "skipped" once the run ends
    failure: str | None = None
    app: str | None = None
    design: str = ""
    colour: str | None = None
    server: dict[str, Any] | None = None
    declarations: dict[str, Any] | None = None
    #: ``{"method", "passed", ...}``; ``passed`` is ``None`` when nothing was checked.
    verification: dict[str, Any] | None = None
    probe: dict[str, Any] | None = None
    revocation: dict[str, Any] | None = None
    probe_error: str | None = None
    probe_traceback: str | None = None
    #: The variant's page in Chromium (a PNG path relative to the run's directory), or why not.
    screenshot: str | None = None
    screenshot_error: str | None = None
    #: Where it was measured when it ran elsewhere (``--url``), else None (started here).
    url: str | None = None
    #: What a Redis crash lost, with and without persistence (``--restart-loss``).
    restart_loss: dict[str, Any] | None = None

    @property
    def is_variant(self) -> bool:
        return self.kind == "variant"

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class ResultSet:
    created: str
    machine: dict[str, Any]
    versions: dict[str, Any]
    settings: dict[str, Any]
    targets: dict[str, TargetStatus]
    cells: list[Cell]
    wall_seconds: float | None = None
    timeline: list[list[Any]] = field(default_factory=list)
    #: The ``authkit cost`` document of this run (counts per request), or ``{"error"}``.
    cost: dict[str, Any] | None = None
    #: The ``authkit audit`` matrix of this run's variants, or ``{"error"}``.
    audit: dict[str, Any] | None = None
    schema: str = SCHEMA
    schema_version: int = SCHEMA_VERSION

    @property
    def variants(self) -> list[str]:
        return [name for name, target in self.targets.items() if target.is_variant]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> ResultSet:
        document = _upgrade(document)
        return cls(
            created=document["created"],
            machine=document.get("machine", {}),
            versions=document.get("versions", {}),
            settings=document.get("settings", {}),
            targets={
                name: _build(TargetStatus, target)
                for name, target in document.get("targets", {}).items()
            },
            cells=[_build(Cell, cell) for cell in document.get("cells", [])],
            wall_seconds=document.get("wall_seconds"),
            timeline=document.get("timeline", []),
            cost=document.get("cost"),
            audit=document.get("audit"),
            schema=document["schema"],
            schema_version=SCHEMA_VERSION,
        )


def _build(kind: type, data: dict[str, Any]) -> Any:
    """A dataclass from a mapping, ignoring keys a newer writer added (forward-readable)."""
    known = {f.name for f in dataclasses.fields(kind)}
    return kind(**{k: v for k, v in data.items() if k in known})


def _upgrade(document: dict[str, Any]) -> dict[str, Any]:
    """Bring a file of an earlier schema version to the current field names."""
    version = document.get("schema_version", 1)
    if version < 2:
        document = json.loads(json.dumps(document))  # a copy: the caller's stays as it was
        for target in document.get("targets", {}).values():
            if "wsgi" in target:
                target["app"] = target.pop("wsgi")
            target.setdefault("server", document.get("settings", {}).get("server"))
    return document


def save(results: ResultSet, directory: Path) -> Path:
    path = directory / "results.json"
    path.write_text(json.dumps(results.to_dict(), indent=2, sort_keys=False) + "\n")
    return path


def load(directory: Path) -> ResultSet:
    path = directory / "results.json" if directory.is_dir() else directory
    try:
        document = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise ValueError(f"{path} is not an authkit compare results file")
    if document.get("schema_version", 0) > SCHEMA_VERSION:
        raise ValueError(
            f"{path} has schema version {document['schema_version']}; this authkit reads "
            f"up to {SCHEMA_VERSION}"
        )
    return ResultSet.from_dict(document)
