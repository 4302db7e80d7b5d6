"""What ``authkit compare`` measures: the registered variants and their bare baselines.

A baseline is a :class:`~authkit.variants.Variant` too (same server configuration, same
start-up path), registered with its framework, with no auth and no store, so every number
a variant gets can be divided by its framework's baseline number from the same round.
"""

from __future__ import annotations

from dataclasses import dataclass

from authkit.variants import BASELINES, VARIANTS, Variant, baseline_of


@dataclass(frozen=True)
class Target:
    """One thing measured: a variant, or a baseline."""

    variant: Variant

    @property
    def name(self) -> str:
        return self.variant.name

    @property
    def is_baseline(self) -> bool:
        return self.variant.is_baseline

    @property
    def kind(self) -> str:
        return "baseline" if self.is_baseline else "variant"

    @property
    def framework(self) -> str:
        return self.variant.framework

    @property
    def baseline(self) -> str | None:
        return None if self.is_baseline else baseline_of(self.variant).name


def select_targets(names: list[str] | None) -> tuple[list[Target], list[str]]:
    """The targets for ``--variants`` (default: the four main variants), baselines first.

    Set names (``all``, ``main``, ``server-side``, ``client-side``) expand to their variants
    (:func:`authkit.variant_sets.variant_sets`).

    Returns the targets and the names asked for that are unknown. Only the baselines of the
    selected variants' frameworks run, unless a baseline is named explicitly.
    """
    from authkit.variant_sets import expand_variant_names

    wanted = expand_variant_names(names)
    unknown = [n for n in wanted if n not in VARIANTS and n not in BASELINES]
    variants = [Target(VARIANTS[n]) for n in wanted if n in VARIANTS]
    baseline_names = {t.baseline for t in variants} | {n for n in wanted if n in BASELINES}
    baselines = [Target(BASELINES[n]) for n in BASELINES if n in baseline_names]
    return baselines + variants, unknown
