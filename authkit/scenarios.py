"""Every scenario ``authkit compare`` can run, and what each one declares: in one place.

The runner, the aggregation, the charts, the locustfile and the command line read this
registry, so a new scenario is one :func:`register_scenario` call plus its Locust task set
(a ``module:Class`` path, imported only by the Locust process).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: What a scenario's cells measure, which decides where the report shows them.
Measures = Literal["journey", "read", "login", "revocation"]


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    #: ``locust`` (a task set), ``wrk`` (one URL, closed loop) or ``probe`` (timed by hand).
    tool: Literal["locust", "wrk", "probe"]
    measures: Measures
    #: ``module:Class`` of the Locust task set (``tool="locust"`` only).
    task_set: str | None = None
    #: The :class:`~authkit.compare.runner.CompareOptions` fields giving its users, measured
    #: seconds and unmeasured warm-up (so the command line sets them once for every
    #: scenario that shares them).
    users_option: str = "users"
    duration_option: str = "duration"
    warmup_option: str = "warmup"
    #: ``closed``: the next request as soon as one returns; ``paced``: a fixed total rate.
    pace: Literal["closed", "paced"] = "closed"
    #: Whether each Locust user logs in before the measured window starts.
    logs_in_first: bool = True
    #: Whether the bare baselines run it too (they have no login or revocation to time).
    on_baselines: bool = True
    #: In the default set of ``authkit compare``.
    default: bool = False
    #: Chosen over this scenario when both ran (e.g. wrk's ceiling over Locust's ``read``).
    preferred_over: str | None = None
    #: Seconds of set-up and tear-down beyond warm-up + duration, for the time estimate.
    overhead_seconds: float = 1.4

    def estimate(self, options: object) -> float:
        """Seconds one cell of this scenario takes with ``options``."""
        if self.tool == "probe":
            return 0.0  # counted with the probe step
        warmup = getattr(options, self.warmup_option) if self.tool == "locust" else 0.0
        return warmup + getattr(options, self.duration_option) + self.overhead_seconds


SCENARIOS: dict[str, Scenario] = {}


def register_scenario(scenario: Scenario) -> Scenario:
    SCENARIOS[scenario.name] = scenario
    return scenario


def load_scenarios() -> list[Scenario]:
    """The scenarios measured under load (not the probes), in registry order."""
    return [s for s in SCENARIOS.values() if s.tool != "probe"]


def by_measure(measures: str) -> list[Scenario]:
    return [s for s in SCENARIOS.values() if s.measures == measures]


register_scenario(
    Scenario(
        name="steady",
        description="the shopper's journey, closed loop: throughput and CPU per request",
        tool="locust",
        measures="journey",
        task_set="loadtests.journey:Journey",
        default=True,
    )
)
register_scenario(
    Scenario(
        name="paced",
        description="the journey at a fixed total rate below saturation: honest tail latency",
        tool="locust",
        measures="journey",
        task_set="loadtests.journey:Journey",
        pace="paced",
        default=True,
        preferred_over=None,
    )
)
register_scenario(
    Scenario(
        name="read",
        description="only GET /me through Locust: the smallest authenticated request",
        tool="locust",
        measures="read",
        task_set="loadtests.journey:AuthenticatedRead",
    )
)
register_scenario(
    Scenario(
        name="login",
        description="log in, log out, again: the rate the password hash allows",
        tool="locust",
        measures="login",
        task_set="loadtests.journey:LoginChurn",
        users_option="login_users",
        duration_option="login_duration",
        warmup_option="login_warmup",
        logs_in_first=False,
        on_baselines=False,
        default=True,
    )
)
register_scenario(
    Scenario(
        name="ceiling",
        description="GET /me with wrk (no Locust in the way): the server's ceiling",
        tool="wrk",
        measures="read",
        duration_option="ceiling_duration",
        preferred_over="read",
        overhead_seconds=0.2,
        default=True,
    )
)
register_scenario(
    Scenario(
        name="revocation",
        description="log out, replay the old credential every 100 ms: how long it still works",
        tool="probe",
        measures="revocation",
        on_baselines=False,
        default=True,
    )
)

from authkit import plugins  # noqa: E402  (after the built-in entries: plugins may replace them)

plugins.load()
