"""One password policy for every variant: argon2id with the same parameters.

A login's cost is dominated by the hash, so every variant must hash identically or the
login numbers would compare hash settings instead of auth designs. Defaults follow the
OWASP Password Storage Cheat Sheet's first argon2id option (m=19 MiB, t=2, p=1) and can be
changed with ``ARGON2_MEMORY_KIB``, ``ARGON2_TIME_COST`` and ``ARGON2_PARALLELISM``.
"""

from __future__ import annotations

import functools
import os

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


def hash_parameters() -> dict[str, int]:
    """The argon2id parameters in force, read from the environment."""
    return {
        "memory_kib": int(os.environ.get("ARGON2_MEMORY_KIB", "19456")),
        "time_cost": int(os.environ.get("ARGON2_TIME_COST", "2")),
        "parallelism": int(os.environ.get("ARGON2_PARALLELISM", "1")),
    }


@functools.cache
def password_hasher() -> PasswordHasher:
    """The shared argon2-cffi hasher (cached: building it per request would be waste)."""
    params = hash_parameters()
    return PasswordHasher(
        time_cost=params["time_cost"],
        memory_cost=params["memory_kib"],
        parallelism=params["parallelism"],
        type=Type.ID,
    )


def hash_password(password: str) -> str:
    return password_hasher().hash(password)


@functools.cache
def _dummy_hash() -> str:
    return hash_password("authkit-dummy-password-for-unknown-users")


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check a password against a stored argon2 hash, in constant work.

    With ``stored_hash=None`` (unknown user) a dummy hash is verified anyway, so an
    unknown user and a wrong password cost the same time (OWASP Authentication Cheat
    Sheet: no user enumeration through timing).
    """
    try:
        return password_hasher().verify(stored_hash or _dummy_hash(), password) and bool(
            stored_hash
        )
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def warm_up() -> None:
    """Compute the dummy hash now, so the first unknown-user login is not slower."""
    _dummy_hash()
