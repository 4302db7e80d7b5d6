"""The seed users every variant is loaded with.

``alice`` and ``bob`` are for people trying the API by hand; ``user0000``... are for load
tests (password ``pw-`` + the same four digits), ``SEED_LOAD_USERS`` of them (default 1000).

Hashing 1000 passwords with argon2id takes tens of seconds, so the hashes are computed once
per parameter set and kept in a cache file. They are hashes of public demo passwords, so
caching them discloses nothing.
"""

from __future__ import annotations

import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from shared.passwords import hash_parameters, hash_password

DEMO_USERS: dict[str, str] = {"alice": "alice-pass-123", "bob": "bob-pass-123"}


def load_user_count() -> int:
    return int(os.environ.get("SEED_LOAD_USERS", "1000"))


def load_user(index: int) -> tuple[str, str]:
    """The username and password of load user number ``index``."""
    return f"user{index:04d}", f"pw-{index:04d}"


def seed_users(count: int | None = None) -> dict[str, str]:
    """Every seed user's plain password, by username."""
    count = load_user_count() if count is None else count
    users = dict(DEMO_USERS)
    users.update(load_user(i) for i in range(count))
    return users


def _cache_file() -> Path:
    base = os.environ.get("AUTHKIT_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "authkit"
    )
    params = hash_parameters()
    name = "seed-hashes-m{memory_kib}-t{time_cost}-p{parallelism}.json".format(**params)
    return Path(base) / name


def seed_password_hashes(count: int | None = None) -> dict[str, str]:
    """An argon2id hash (shared parameters) for every seed user, from the cache when possible."""
    users = seed_users(count)
    path = _cache_file()
    try:
        cached: dict[str, str] = json.loads(path.read_text())
    except (OSError, ValueError):
        cached = {}
    missing = [name for name in users if name not in cached]
    if missing:
        print(
            f"authkit: hashing {len(missing)} seed passwords with argon2id "
            f"(once; cached in {path})",
            file=sys.stderr,
        )
        workers = max(1, min(len(missing) // 50, os.cpu_count() or 1))
        if workers == 1:
            hashes = [hash_password(users[name]) for name in missing]
        else:
            with ProcessPoolExecutor(workers) as pool:
                hashes = list(pool.map(hash_password, [users[n] for n in missing], chunksize=50))
        cached.update(zip(missing, hashes, strict=True))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(cached))
            tmp.replace(path)
        except OSError:
            pass  # a read-only home only costs the next run the same hashing time
    return {name: cached[name] for name in users}
