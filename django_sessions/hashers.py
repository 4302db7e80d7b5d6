"""Django's argon2 hasher with the kit's shared argon2id parameters.

Django's ``Argon2PasswordHasher`` defaults (t=2, m=100 MiB, p=8) differ from the kit's shared
policy (OWASP: m=19 MiB, t=2, p=1), and a login's cost is mostly the hash: with the defaults
this variant would measure hash settings, not session design. Only the parameters change; the
stored format stays Django's (``"argon2" + argon2-cffi's encoded hash``), so the shared seed
hashes can be stored as they are, with the prefix, and ``must_update()`` never re-hashes them.
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher

from django_sessions.deadline import outside_the_deadline
from shared.passwords import hash_parameters

_PARAMS = hash_parameters()


class SharedArgon2PasswordHasher(Argon2PasswordHasher):
    """argon2id with ``shared.passwords.hash_parameters()``.

    Django's ``ModelBackend`` hashes the submitted password with this same hasher when the
    username is unknown, so an unknown user costs what a wrong password costs.
    """

    time_cost = _PARAMS["time_cost"]
    memory_cost = _PARAMS["memory_kib"]
    parallelism = _PARAMS["parallelism"]

    # The hash is CPU, not the database: on a busy machine it must not use up the request's
    # database deadline (django_sessions/deadline.py), or a slow hash would read as an outage.
    def verify(self, password: str, encoded: str) -> bool:
        with outside_the_deadline():
            return super().verify(password, encoded)

    def encode(self, password: str, salt: str) -> str:
        with outside_the_deadline():
            return super().encode(password, salt)


def django_encoded(argon2_hash: str) -> str:
    """The form Django stores an argon2-cffi hash in (``argon2$argon2id$v=19$...``)."""
    return SharedArgon2PasswordHasher.algorithm + argon2_hash
