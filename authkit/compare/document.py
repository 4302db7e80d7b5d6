"""The results document of one ``authkit compare`` run: its settings and what it measured.

Everything a reader needs to judge the numbers goes into ``settings``: the durations and
users, the database, the pinning, the login limits, the load generators and the hash
parameters, so two ``results.json`` files can be compared without the command lines that
made them. The schema and its loading are :mod:`.results`'; this module only assembles.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from authkit.compare import loadgen, probes
from authkit.compare import results as results_module
from authkit.compare.measure import LOAD_CORE, SERVER_CORE
from authkit.compare.results import Cell, ResultSet
from authkit.compare.state import RunState
from authkit.compare.targets import Target
from authkit.front import default_front, front_settings
from authkit.variant_sets import families
from shared.passwords import hash_parameters
from shared.throttle import SUITE_LIMITS_ENV


def document(
    run: RunState,
    targets: list[Target],
    unknown: list[str],
    cells: list[Cell],
    timeline: list[list[Any]],
    wall_seconds: float,
    cost: dict[str, Any] | None,
    audit: dict[str, Any] | None,
) -> ResultSet:
    """The :class:`~authkit.compare.results.ResultSet` of a finished run."""
    options = run.options
    settings = {
        "variants_requested": options.variants,
        "families": families(t.variant for t in targets if not t.is_baseline),
        "unknown_variants": unknown,
        "scenarios": options.scenarios,
        "duration_seconds": options.duration,
        "warmup_seconds": options.warmup,
        "login_warmup_seconds": options.login_warmup,
        "login_duration_seconds": options.login_duration,
        "ceiling_duration_seconds": options.ceiling_duration,
        "users": options.users,
        "login_users": options.login_users,
        "rounds": options.rounds,
        "round_order": "rotating: round r starts at target r (mod n)",
        "database": options.database,
        "paced_rate_per_second": options.paced_rate,
        "revocation": {
            "credential_lifetime_seconds": options.revocation_lifetime,
            "replay_interval_seconds": probes.REPLAY_INTERVAL_SECONDS,
            "margin_seconds": 2.0,
            "server_env": {
                "ACCESS_TTL_SECONDS": options.revocation_lifetime,
                "SESSION_IDLE_SECONDS": options.revocation_lifetime,
                "SESSION_ABSOLUTE_SECONDS": options.revocation_lifetime,
            },
        },
        "seed_load_users": run.seed_count,
        "first_load_user": run.first_load_user,
        "server": {"server": "gunicorn", "workers": options.workers, "per_target": True},
        "front": front_settings(default_front(), options.tls),
        "login_limits": dict(SUITE_LIMITS_ENV),
        "port": run.port,
        "pinning": {
            "enabled": run.pinning,
            "server_and_store_core": SERVER_CORE if run.pinning else None,
            "load_generator_core": LOAD_CORE if run.pinning else None,
        },
        "load_generators": {
            "locust": "subprocess, FastHttpUser, --headless, stats reset after warm-up",
            "wrk": loadgen.wrk_path(),
            "wrk_connections": 16,
            "wrk_threads": 1,
        },
        "hash_parameters": {"algorithm": "argon2id", **hash_parameters()},
        "verify": options.verify,
    }
    return ResultSet(
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        wall_seconds=round(wall_seconds, 1),
        machine=results_module.machine_info(),
        versions=results_module.versions(),
        settings=settings,
        targets=run.status,
        cells=cells,
        timeline=timeline,
        cost=cost,
        audit=audit,
    )
