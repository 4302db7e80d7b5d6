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

from authkit.variants import BASELINES, VARIANTS, Variant, baseline_of

LEAN_DJANGO = "django-sessions-lean"
#: The variant the lean row is derived from.
LEAN_BASE = "django-sessions"


def _lean_django() -> Variant:
    base = VARIANTS[LEAN_BASE]
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
            variant, baseline_of(variant).name, f"{variant.style}, {variant.store}"
        )
    lean = _lean_django()
    targets[LEAN_DJANGO] = CostTarget(
        lean,
        baseline_of(lean).name,
        "django-sessions with the overhead Django lets settings remove, removed",
    )
    return targets


def cost_targets(names: list[str] | None) -> list[CostTarget]:
    """The targets named (plus the baselines they need; ``all`` for every one), or by
    default the variants ``authkit compare`` measures by default, the lean Django row and
    their baselines; baselines first."""
    known = all_targets()
    if names == ["all"]:
        return list(known.values())
    if not names:
        names = [n for n, v in VARIANTS.items() if v.in_default_compare] + [LEAN_DJANGO]
    if LEAN_BASE in names and LEAN_DJANGO not in names:  # the lean row goes with its base
        names = [*names, LEAN_DJANGO]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown target(s) {unknown}; known: {', '.join(known)}")
    wanted = set(names) | {known[n].baseline for n in names if known[n].baseline}
    return [t for name, t in known.items() if name in wanted]
