"""The parts of a variant's ``GET /me`` overhead, each measured alone with the same meter.

Runs inside the target's instruction job (same process, same app, same stores, logged in),
after the endpoints. Which parts a variant has is its own declaration
(:attr:`authkit.variants.Variant.cost_parts`): ``module:function`` names, each called as
``function(recorder, app, caller)`` and measuring, through the :class:`PartRecorder`, calls
that variant's request makes anyway, repeated ``n`` times with the meter on around the call
only, so each count is comparable with the endpoint counts. A part function first checks
that the app is the design it measures (its session interface, its session engine) and
fails loudly otherwise, so a variant cannot be measured along another's path.

Parts can contain each other (Flask-Session's ``open_session`` contains the Redis command);
each part says which it contains, and :mod:`authkit.cost.attribution` stacks only disjoint
pieces. The modules: :mod:`.harness` (the test client's own share), :mod:`.tokens` (JWT),
:mod:`.flask_session` (Flask-Session in Redis), :mod:`.signed_cookie` (Flask's signed
cookie), :mod:`.django_engines` (each Django session engine, and the user load).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from authkit.cost.meters import Meter, measure_loop


class WrongDesign(RuntimeError):
    """A declared part does not match the app it was asked to measure."""


class PartRecorder:
    """Measures parts and keeps them by label, with which declared function measured each."""

    def __init__(self, meter: Meter, n: int, first_code: int) -> None:
        self.meter = meter
        self.n = n
        self.code = first_code
        self.parts: dict[str, dict[str, Any]] = {}
        #: The ``module:function`` currently measuring (recorded with each part).
        self.source = ""

    def measure_difference(self, name: str, call: Callable[[], object],
                           reference: Callable[[], object], note: str = "",
                           contains: tuple[str, ...] = ()) -> None:  # fmt: skip
        """A part that is the extra cost of ``call`` over ``reference`` (both measured)."""
        call()
        reference()
        self.code += 1
        total = measure_loop(self.meter, self.code, self.n, call)
        self.code += 1
        base = measure_loop(self.meter, self.code, self.n, reference)
        self.parts[name] = {
            "total": (total or 0.0) - (base or 0.0),
            "n": self.n,
            "contains": list(contains),
            "note": note,
            "difference": True,
            "source": self.source,
        }

    def measure(self, name: str, call: Callable[[], object], contains: tuple[str, ...] = (),
                between: Callable[[], object] | None = None, note: str = "",
                reference: bool = False) -> None:  # fmt: skip
        """A part: ``n`` calls of ``call``. A ``reference`` part is a figure to compare with
        (what the same work costs done another way), not something the request does."""
        call()  # warm
        if between is not None:
            between()
        self.code += 1
        total = measure_loop(self.meter, self.code, self.n, call, between)
        self.parts[name] = {
            "total": total,
            "n": self.n,
            "contains": list(contains),
            "note": note,
            "reference": reference,
            "source": self.source,
        }


def load_part(path: str) -> Callable[[PartRecorder, Any, Any], None]:
    module, _, function = path.partition(":")
    return getattr(importlib.import_module(module), function)


def measure_parts(
    meter: Meter, app: Any, caller: Any, declared: list[str], n: int, first_code: int
) -> dict[str, Any]:
    """Run each declared part function against the logged-in ``caller`` of ``app``."""
    caller.login()
    recorder = PartRecorder(meter, n, first_code)
    for path in declared:
        recorder.source = path
        load_part(path)(recorder, app, caller)
    return recorder.parts


def require(condition: bool, message: str) -> None:
    """Refuse to measure a design the part was not written for."""
    if not condition:
        raise WrongDesign(message)
