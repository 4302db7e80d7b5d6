"""authkit's Locust entry point: ``locust -f loadtests/locustfile.py --host URL``.

Choose the auth style and scenario with Locust custom arguments (also in the web UI) or
the environment::

    locust -f loadtests/locustfile.py --host http://127.0.0.1:8000 --auth-style bearer
    AUTHKIT_STYLE=session AUTHKIT_SCENARIO=paced locust -f loadtests/locustfile.py ...

Scenarios come from :mod:`authkit.scenarios` (``steady``: the journey, closed loop;
``paced``: the journey at a fixed total rate, ``--paced-rate`` requests/s; ``read``: only
``GET /me``; ``login``: login/logout churn; and any registered with a task set).

``authkit compare`` also sets ``AUTHKIT_MEASURE=warmup,duration``: the statistics are reset
after the warm-up (so the users' first logins are not measured) and one JSON line with the
measured window is printed at its end, after which Locust stops by itself.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import gevent
from locust import constant, constant_throughput, events

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from authkit.compare.markers import MEASURE_END, MEASURE_START
from authkit.scenarios import SCENARIOS
from loadtests.journey import BearerTokenUser, CookieSessionUser

#: The scenarios Locust runs: the registry's entries that name a task set.
LOCUST_SCENARIOS = sorted(name for name, s in SCENARIOS.items() if s.task_set)


def task_set(scenario: str) -> type:
    """The scenario's task set, imported from its registry path (``module:Class``)."""
    module, _, name = SCENARIOS[scenario].task_set.partition(":")
    return getattr(importlib.import_module(module), name)


class SessionUser(CookieSessionUser):
    """A shopper of a session variant (flask-sessions, django-sessions)."""

    wait_time = constant(0)


class BearerUser(BearerTokenUser):
    """A shopper of a JWT variant (jwt-stateless, jwt-denylist)."""

    wait_time = constant(0)


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    parser.add_argument(
        "--auth-style",
        choices=["session", "bearer"],
        default=os.environ.get("AUTHKIT_STYLE", "session"),
        help="session: cookie + X-CSRF-Token; bearer: Authorization header + refresh",
    )
    parser.add_argument(
        "--scenario",
        choices=LOCUST_SCENARIOS,
        default=os.environ.get("AUTHKIT_SCENARIO", "steady"),
        help="what each user does (see the locustfile's docstring)",
    )
    parser.add_argument(
        "--paced-rate",
        type=float,
        default=float(os.environ.get("AUTHKIT_PACED_RATE", "100")),
        help="paced scenario: total requests/s offered by all users together",
    )


@events.init.add_listener
def _on_init(environment: Any, **_kwargs: Any) -> None:
    if environment.parsed_options is None:  # used as a library: leave the classes alone
        return
    _configure(environment)
    if os.environ.get("AUTHKIT_MEASURE"):
        _MeasuredWindow(environment).install()


@events.test_start.add_listener
def _on_test_start(environment: Any, **_kwargs: Any) -> None:
    # Again at the start of each test: the web UI may have changed the custom parameters.
    if environment.parsed_options is not None:
        _configure(environment)


def _configure(environment: Any) -> None:
    """Keep the user class of the chosen style and give it the scenario's tasks and pace."""
    options = environment.parsed_options
    chosen = SessionUser if options.auth_style == "session" else BearerUser
    chosen.tasks = [task_set(options.scenario)]
    if SCENARIOS[options.scenario].pace == "paced":
        users = max(1, int(options.num_users or 1))
        chosen.wait_time = constant_throughput(options.paced_rate / users)
    else:
        chosen.wait_time = constant(0)  # closed loop: the next request as soon as one returns
    environment.user_classes = [chosen]


class _MeasuredWindow:
    """Reset the statistics after the warm-up and report the measured window on stdout.

    The runner takes its CPU readings when it sees the two marker lines, so the numbers
    Locust counts and the CPU the server spent cover the same seconds.
    """

    def __init__(self, environment: Any) -> None:
        warmup, duration = (float(x) for x in os.environ["AUTHKIT_MEASURE"].split(","))
        self.environment = environment
        self.warmup = warmup
        self.duration = duration
        self.measuring = False
        self.statuses: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()

    def install(self) -> None:
        self.environment.events.test_start.add_listener(self._start)
        self.environment.events.request.add_listener(self._count)

    def _count(self, response: Any = None, exception: Any = None, **_kwargs: Any) -> None:
        if not self.measuring:
            return
        status = str(getattr(response, "status_code", 0) or 0)
        self.statuses[status] += 1
        if exception is not None:
            self.failures[status] += 1

    def _start(self, **_kwargs: Any) -> None:
        gevent.spawn(self._run)

    def _run(self) -> None:
        gevent.sleep(self.warmup)
        stats = self.environment.stats
        stats.reset_all()
        self.measuring = True
        started = time.monotonic()
        print(MEASURE_START, flush=True)
        gevent.sleep(self.duration)
        self.measuring = False
        elapsed = time.monotonic() - started
        total = stats.total
        summary = {
            "seconds": elapsed,
            "requests": total.num_requests,
            "failures": total.num_failures,
            "statuses": dict(self.statuses),
            "failures_by_status": dict(self.failures),
            "latency_ms": {
                "p50": total.get_response_time_percentile(0.5),
                "p95": total.get_response_time_percentile(0.95),
                "p99": total.get_response_time_percentile(0.99),
                "avg": total.avg_response_time,
                "max": total.max_response_time,
            },
            "by_name": {
                f"{entry.method} {entry.name}": entry.num_requests
                for entry in stats.entries.values()
            },
            "users": self.environment.runner.user_count,
        }
        print(f"{MEASURE_END} {json.dumps(summary)}", flush=True)
        self.environment.runner.quit()
