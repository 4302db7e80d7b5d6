"""The PostgreSQL deadline of django-sessions costs no thread per request.

The frozen-database test in ``tests/contract/test_faults.py`` shows the deadline still
cuts a stuck request; this one shows what it costs the requests that are not stuck, which
``authkit compare`` would otherwise charge to Django sessions.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from authkit.server import project_root

CHILD = """
import json, threading
import django
from django.conf import settings
settings.configure(
    DATABASE_DEADLINE_SECONDS=1.0,
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
)
django.setup()
from django_sessions.deadline import DatabaseDeadlineMiddleware

started = []
original = threading.Thread.start
def counting_start(self):
    started.append(self.name)
    return original(self)
threading.Thread.start = counting_start

middleware = DatabaseDeadlineMiddleware(lambda request: 1)
middleware.enabled = True  # as on PostgreSQL; the fake request never touches the database
answers = [middleware(object()) for _ in range(50)]
print(json.dumps({"answers": sum(answers), "threads_started": len(started)}))
"""


def test_deadline_starts_at_most_one_thread_per_process_not_one_per_request() -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=project_root(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["answers"] == 50
    assert result["threads_started"] <= 1, result


def test_the_password_hash_does_not_count_against_the_deadline(monkeypatch) -> None:
    """argon2 on a busy machine is CPU, not the database: a request whose hash outlasts the
    deadline is not cut; one stuck past the deadline outside the hash is."""
    from django_sessions import deadline

    cut: list[object] = []
    monkeypatch.setattr(deadline, "_shut_down_socket", cut.append)
    watchdog = deadline.Watchdog(0.05)
    monkeypatch.setattr(deadline, "_watchdog", watchdog)
    monkeypatch.setattr(watchdog, "_start", lambda: None)  # checked by hand below
    connection = object()
    watchdog.watch(connection)
    with deadline.outside_the_deadline():
        time.sleep(0.2)  # "hashing", four times the deadline
        watchdog.check()
    watchdog.check()
    assert cut == [], "the hash counted as database time"
    time.sleep(0.1)  # now stuck past the deadline with the clock running
    watchdog.check()
    assert cut == [connection]
