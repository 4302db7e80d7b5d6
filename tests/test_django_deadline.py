"""The PostgreSQL deadline of django-sessions costs no thread per request.

The frozen-database test in ``tests/contract/test_faults.py`` shows the deadline still
cuts a stuck request; this one shows what it costs the requests that are not stuck, which
``authkit compare`` would otherwise charge to Django sessions.
"""

from __future__ import annotations

import json
import subprocess
import sys

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

from django.db import connection

def view(request):
    with connection.cursor() as cursor:  # one statement per request, as a real view makes
        cursor.execute("SELECT 1")
        return cursor.fetchone()[0]

middleware = DatabaseDeadlineMiddleware(view)
middleware.enabled = True  # as on PostgreSQL (the watchdog is the same on SQLite's socketless
answers = [middleware(object()) for _ in range(50)]  # connection: it never has to cut it)
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
