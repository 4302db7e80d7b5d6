"""What ``authkit cost`` measures: every variant, every baseline, and one extra row.

The extra row, ``django-sessions-lean``, is django-sessions with the per-request work that
Django lets a project switch off through settings switched off (see
:mod:`authkit.cost.django_lean_settings`): the same design, code and database, measured
beside the idiomatic variant so the report can say what that overhead is worth. It is not a
variant of the kit (the contract suite does not run it), only a row of this report.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from authkit.compare.targets import BASELINE_OF_FRAMEWORK, BASELINES
from authkit.variants import VARIANTS, Variant

LEAN_DJANGO = "django-sessions-lean"


def _lean_django() -> Variant:
    base = VARIANTS["django-sessions"]
    return dataclasses.replace(
        base,
        name=LEAN_DJANGO,
        env={**base.env, "DJANGO_SETTINGS_MODULE": "authkit.cost.django_lean_settings"},
    )


@dataclass(frozen=True)
class CostTarget:
    variant: Variant
    #: The baseline this target's overhead is measured against (None for a baseline).
    baseline: str | None
    description: str = ""

    @property
    def name(self) -> str:
        return self.variant.name

    @property
    def is_baseline(self) -> bool:
        return self.baseline is None


def all_targets() -> dict[str, CostTarget]:
    targets = {
        name: CostTarget(variant, None, f"{variant.framework}, no auth, no store")
        for name, variant in BASELINES.items()
    }
    for name, variant in VARIANTS.items():
        targets[name] = CostTarget(
            variant, BASELINE_OF_FRAMEWORK[variant.framework], f"{variant.style}, {variant.store}"
        )
    targets[LEAN_DJANGO] = CostTarget(
        _lean_django(),
        BASELINE_OF_FRAMEWORK["django"],
        "django-sessions with the overhead Django lets settings remove, removed",
    )
    return targets


def cost_targets(names: list[str] | None) -> list[CostTarget]:
    """The targets named (plus the baselines they need), or all of them; baselines first."""
    known = all_targets()
    if not names:
        return list(known.values())
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown target(s) {unknown}; known: {', '.join(known)}")
    wanted = set(names) | {known[n].baseline for n in names if known[n].baseline}
    return [t for name, t in known.items() if name in wanted]
