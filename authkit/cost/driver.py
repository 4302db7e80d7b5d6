"""The child process of ``authkit cost``: one target's WSGI app, in process, every endpoint.

Run by :mod:`authkit.cost.runner` as ``python -m authkit.cost.driver SPEC.json``, natively
(CPU time and store calls) or under callgrind or strace. The app is the variant's real WSGI
callable (the one gunicorn serves), driven by werkzeug's test client (which speaks plain
WSGI, so it drives Django's handler too), against the real private Redis and SQLite file
the parent prepared. No socket between client and app: what is counted is the app's work
plus its store client's, not an HTTP server's.

Each endpoint of the journey gets a warm-up, then ``n`` measured calls with the meter on
around each call only; whatever must happen between two measured calls to keep the state
the same (remove the line just added, log in again after a measured logout) happens with
the meter off. So every measured call of an endpoint sees the same state.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from authkit.clients import Auth, auth_for
from authkit.cost.meters import (
    CpuMeter,
    InstructionMeter,
    Meter,
    SyscallMeter,
    calibrate,
    measure_loop,
)

#: The journey's endpoints (loadtests/journey.py), in the order they are measured. Login is
#: last and reported apart: its cost is mostly the password hash.
ENDPOINTS = [
    "GET /products",
    "GET /me",
    "GET /cart",
    "POST /cart/items",
    "DELETE /cart/items/{id}",
    "POST /token/refresh",
    "POST /logout",
    "POST /login",
]
#: The line the measured add/remove calls work on, and the cart every call sees.
PRODUCT = "sku-003"
BASE_CART = {"sku-001": 2, "sku-005": 1}


class BadAnswer(RuntimeError):
    """A measured call did not answer as the contract says: its count would be meaningless."""


@dataclass
class Caller:
    """One logged-in user of the app, holding its style's credential.

    What the style sends and keeps is its auth class's (:mod:`authkit.clients`), the same
    one the kit's HTTP clients and Locust users use; here it rides werkzeug's test client.
    """

    client: Any
    auth: Auth
    username: str
    password: str

    def call(self, method: str, path: str, body: object = None,
             headers: dict[str, str] | None = None, expect: int | None = 200) -> Any:  # fmt: skip
        sent = self.auth.headers(method)
        sent.update(headers or {})
        kwargs: dict[str, Any] = {"headers": sent}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        response = self.client.open(path, method=method, **kwargs)
        data = response.get_data()
        response.close()
        if expect is not None and response.status_code != expect:
            raise BadAnswer(f"{method} {path} answered {response.status_code}: {data[:200]!r}")
        return json.loads(data) if data else None

    def login(self) -> None:
        body = self.call("POST", "/login", {"username": self.username, "password": self.password})
        self.auth.remember(body)

    def refresh(self) -> None:
        self.auth.remember(self.call("POST", "/token/refresh", self.auth.refresh_body()))

    def logout(self) -> None:
        self.call("POST", "/logout", expect=204)
        if self.auth.credential_in_cookie:
            self.client._cookies.clear()  # as a browser does when the cookie is expired
        self.auth.forget()


@dataclass(frozen=True)
class Step:
    """The measured call, what restores the state after it, and what sets it up first."""

    call: Callable[[], object]
    between: Callable[[], object] | None = None
    before: Callable[[], object] | None = None


def endpoint_steps(caller: Caller) -> dict[str, Step]:
    """Each endpoint: the measured call and what restores the state after it (unmeasured)."""

    def add() -> None:
        caller.call("POST", "/cart/items", {"product_id": PRODUCT, "quantity": 1})

    def remove() -> None:
        caller.call("DELETE", f"/cart/items/{PRODUCT}")

    steps: dict[str, Step] = {
        "GET /products": Step(lambda: caller.call("GET", "/products")),
        "GET /me": Step(lambda: caller.call("GET", "/me")),
        "GET /cart": Step(lambda: caller.call("GET", "/cart")),
        "POST /cart/items": Step(add, remove),
        "DELETE /cart/items/{id}": Step(remove, add, before=add),
        "POST /logout": Step(caller.logout, caller.login),
        "POST /login": Step(caller.login, caller.logout, before=caller.logout),
    }
    if caller.auth.refreshes:
        steps["POST /token/refresh"] = Step(caller.refresh)
    return steps


def load(path: str) -> Any:
    """The object a ``module:attribute`` path names (the app, the SQL counter)."""
    module, attribute = path.split(":")
    return getattr(importlib.import_module(module), attribute)


def make_meter(mode: str, spec: dict[str, Any]) -> Meter:
    if mode == "instructions":
        return InstructionMeter(spec["callgrind_out"])
    if mode == "syscalls":
        return SyscallMeter()
    return CpuMeter()


def settle() -> None:
    """Collect, then freeze the heap built so far (start-up, warm-up) out of the collector.

    A full collection walks every object the framework created at start-up, and when one
    falls inside a measured window depends on the whole history of the process: in one run
    it lands in the window, in the next it does not. Frozen, the start-up heap is never
    walked again; the young collections that the requests' own garbage causes stay counted.
    """
    gc.collect()
    gc.freeze()


def run(spec: dict[str, Any]) -> dict[str, Any]:
    mode: str = spec["mode"]
    meter = make_meter(mode, spec)
    app = load(spec["wsgi"])
    from werkzeug.test import Client

    caller = Caller(Client(app), auth_for(spec["style"])(), spec["username"], spec["password"])
    counters = StoreCounters(spec) if mode == "cpu" else None
    meter.begin()
    caller.login()
    caller.call("DELETE", f"/cart/items/{PRODUCT}", expect=None)
    for product, quantity in BASE_CART.items():
        caller.call("POST", "/cart/items", {"product_id": product, "quantity": quantity})
    steps = endpoint_steps(caller)
    n, warmup, repeats = spec["n"], spec["warmup"], spec["repeats"] if mode == "cpu" else 1
    results: dict[str, Any] = {"endpoints": {}, "mode": mode}
    code = 0
    settle()
    results["calibration"] = calibrate(meter, code, n)
    for name in ENDPOINTS:
        if name not in steps:
            continue
        step = steps[name]
        call, between = step.call, step.between
        if step.before is not None:
            step.before()
        for _ in range(warmup):
            call()
            if between is not None:
                between()
        settle()
        entry: dict[str, Any] = {"n": n, "loops": []}
        if counters is not None:
            entry["store"] = counters.count(n, call, between)
        for _ in range(repeats):
            code += 1
            total = measure_loop(meter, code, n, call, between)
            entry["loops"].append({"code": code, "total": total})
        results["endpoints"][name] = entry
    if spec.get("argon2_verify"):
        results["argon2_verify"] = measure_argon2(meter, code + 1, spec)
    if spec.get("argon2_kit_parameters"):
        results["argon2_kit_parameters"] = measure_argon2_kit(meter, code + 1000)
    if spec.get("parts"):
        from authkit.cost.parts import measure_parts

        results["parts"] = measure_parts(
            meter, app, caller, spec["parts"], spec["n"], first_code=code + 2
        )
    return results


def measure_argon2(meter: Meter, code: int, spec: dict[str, Any]) -> dict[str, Any]:
    """A bare argon2id verify with the run's parameters (login minus this = login's rest)."""
    from shared.passwords import hash_parameters, hash_password, password_hasher

    stored = hash_password(spec["password"])
    hasher = password_hasher()
    n = max(1, spec["n"] // 4)
    hasher.verify(stored, spec["password"])
    total = measure_loop(meter, code, n, lambda: hasher.verify(stored, spec["password"]))
    return {"n": n, "code": code, "total": total, "params": hash_parameters()}


def measure_argon2_kit(meter: Meter, code: int) -> dict[str, Any]:
    """One argon2id verify at the kit's own parameters (what every real login pays)."""
    from argon2 import PasswordHasher, Type

    from shared.passwords import hash_parameters

    names = ("ARGON2_MEMORY_KIB", "ARGON2_TIME_COST", "ARGON2_PARALLELISM")
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        params = hash_parameters()  # the defaults, or what the user's environment says
    finally:
        os.environ.update(saved)
    hasher = PasswordHasher(
        time_cost=params["time_cost"],
        memory_cost=params["memory_kib"],
        parallelism=params["parallelism"],
        type=Type.ID,
    )
    stored = hasher.hash("authkit-cost")
    total = measure_loop(meter, code, 1, lambda: hasher.verify(stored, "authkit-cost"))
    return {"n": 1, "code": code, "total": total, "params": params}


class StoreCounters(Meter):
    """Store calls per call: Redis ``INFO commandstats`` deltas, memcached ``stats`` deltas
    (its commands named like Redis's: ``get``, ``set``, ...) and Django's SQL statements.

    A meter like the others (on around the measured call only), used in a separate pass
    that is not timed: the snapshot and the SQL hook cost time.
    """

    name = "store"

    def __init__(self, spec: dict[str, Any]) -> None:
        self.redis = None
        if spec.get("redis_url"):
            import redis

            self.redis = redis.Redis.from_url(spec["redis_url"])
        #: memcached's URL, read with ``stats`` around the call (no client kept open).
        self.memcached_url = spec.get("memcached_url") or None
        #: ``module:function`` of the framework's SQL statement counter, for a database.
        self.sql_counter = spec.get("sql_counter")
        self.active = False
        self.before: dict[str, tuple[int, int]] = {}
        self.redis_calls: dict[str, int] = {}
        self.redis_usec = 0
        self.sql: dict[str, int] = {}

    def _commandstats(self) -> dict[str, tuple[int, int]]:
        if self.redis is None:
            return {}
        stats = self.redis.info("commandstats")
        return {
            name.removeprefix("cmdstat_"): (int(v["calls"]), int(v["usec"]))
            for name, v in stats.items()
            if name != "cmdstat_info"
        }

    def _memcached_commands(self) -> dict[str, tuple[int, int]]:
        if self.memcached_url is None:
            return {}
        from authkit.compare.measure import memcached_commandstats

        # memcached times nothing per command: no server microseconds to add.
        calls = memcached_commandstats(self.memcached_url)
        return {f"memcached {name}": (count, 0) for name, count in calls.items()}

    def _readings(self) -> dict[str, tuple[int, int]]:
        return {**self._commandstats(), **self._memcached_commands()}

    def on(self) -> None:
        self.before = self._readings()
        self.active = True

    def off(self) -> None:
        self.active = False
        for name, (calls, usec) in self._readings().items():
            calls_before, usec_before = self.before.get(name, (0, 0))
            if calls != calls_before:
                self.redis_calls[name] = self.redis_calls.get(name, 0) + calls - calls_before
            self.redis_usec += usec - usec_before

    def _on_statement(self, statement: str) -> None:
        if self.active:
            kind = (statement.lstrip().split(None, 1) or ["?"])[0].upper()
            self.sql[kind] = self.sql.get(kind, 0) + 1

    def count(self, n: int, call: Callable[[], object], between: Callable[[], object] | None
              ) -> dict[str, Any]:  # fmt: skip
        import contextlib

        self.redis_calls, self.redis_usec, self.sql = {}, 0, {}
        with contextlib.ExitStack() as stack:
            if self.sql_counter:
                stack.enter_context(load(self.sql_counter)(self._on_statement))
            measure_loop(self, -1, n, call, between)
        per_call = {name: calls / n for name, calls in sorted(self.redis_calls.items())}
        redis_calls = {k: v for k, v in per_call.items() if not k.startswith("memcached ")}
        memcached_calls = {
            k.removeprefix("memcached "): v for k, v in per_call.items() if k not in redis_calls
        }
        sql = {kind: count / n for kind, count in sorted(self.sql.items())}
        return {
            "redis_commands": redis_calls,
            "memcached_commands": memcached_calls,
            "redis_server_usec": self.redis_usec / n,
            "sql_statements": sql,
            "total": sum(per_call.values()) + sum(sql.values()),
        }

    def close_loop(self, code: int) -> None:
        return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    spec = json.loads(Path(argv[0]).read_text())
    started = time.monotonic()
    results = run(spec)
    results["seconds"] = time.monotonic() - started
    Path(spec["result_path"]).write_text(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
