"""Prepare the database before the server starts: apply migrations, seed the users.

``authkit`` calls :func:`prepare` in a child process with the server's environment, once
per server start. It is idempotent and fast on a re-run: migrations already applied are
skipped and only missing users are inserted.
"""

from __future__ import annotations

import os

import django
from django.core.management import call_command


def prepare() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_sessions.settings")
    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    seed_users()


def seed_users() -> int:
    """Insert every seed user that is missing; returns how many were inserted.

    The hashes come from ``shared.users.seed_password_hashes()`` (argon2id with the shared
    parameters, cached on disk), prefixed into Django's format, so seeding hashes nothing.
    """
    from django.contrib.auth import get_user_model

    from django_sessions.hashers import django_encoded
    from shared.users import seed_password_hashes

    user_model = get_user_model()
    hashes = seed_password_hashes()
    existing = set(user_model.objects.values_list("username", flat=True))
    missing = [
        user_model(username=name, password=django_encoded(argon2_hash))
        for name, argon2_hash in hashes.items()
        if name not in existing
    ]
    # ignore_conflicts: two servers preparing one database at once must both succeed.
    user_model.objects.bulk_create(missing, batch_size=500, ignore_conflicts=True)
    return len(missing)
