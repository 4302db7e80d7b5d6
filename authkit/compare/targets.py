"""What ``authkit compare`` measures: the registered variants and their bare baselines.

A baseline is a :class:`~authkit.variants.Variant` too (same gunicorn configuration, same
start-up path), with no auth and no store, so every number a variant gets can be divided
by its framework's baseline number from the same round.
"""

from __future__ import annotations

from dataclasses import dataclass

from authkit.variants import VARIANTS, Behaviour, Variant

#: Placeholder declarations for a baseline: it has no auth, so none of these is checked or
#: shown; the type requires a value.
_NO_AUTH = Behaviour(
    revocation="immediate",
    logout_all="immediate",
    csrf="not_needed",
    cart_survives_logout=True,
    survives_store_restart=True,
    me_while_store_down="ok",
    store_calls_per_read=0,
)

BASELINES: dict[str, Variant] = {
    "flask-bare": Variant(
        name="flask-bare",
        wsgi="loadtests.baselines.flask_bare:app",
        framework="flask",
        style="bearer",
        store="none",
        behaviour=_NO_AUTH,
        prepare="loadtests.baselines:prepare",
    ),
    "django-bare": Variant(
        name="django-bare",
        wsgi="loadtests.baselines.django_bare:application",
        framework="django",
        style="bearer",
        store="none",
        behaviour=_NO_AUTH,
        prepare="loadtests.baselines:prepare",
    ),
}

BASELINE_OF_FRAMEWORK = {"flask": "flask-bare", "django": "django-bare"}


def framework_of(variant: Variant) -> str:
    """The web framework a variant is built on (its baseline is the same framework bare)."""
    return variant.framework


@dataclass(frozen=True)
class Target:
    """One thing measured: a variant, or a baseline."""

    variant: Variant
    kind: str  # "variant" | "baseline"
    framework: str
    baseline: str | None

    @property
    def name(self) -> str:
        return self.variant.name

    @property
    def is_baseline(self) -> bool:
        return self.kind == "baseline"


def baseline_target(name: str) -> Target:
    variant = BASELINES[name]
    framework = "django" if name.startswith("django") else "flask"
    return Target(variant, "baseline", framework, None)


def variant_target(variant: Variant) -> Target:
    framework = framework_of(variant)
    return Target(variant, "variant", framework, BASELINE_OF_FRAMEWORK.get(framework))


def importable(variant: Variant) -> bool:
    """Whether the variant's code exists yet (a registered but unbuilt variant is skipped)."""
    import importlib.util

    module = variant.wsgi.split(":")[0]
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def select_targets(names: list[str] | None) -> tuple[list[Target], list[str]]:
    """The targets for ``--variants`` (default: the four main variants), baselines first.

    Set names (``all``, ``main``, ``server-side``, ``client-side``) expand to their variants
    (:data:`authkit.compare.spectrum.VARIANT_SETS`).

    Returns the targets and the names asked for that are unknown. Only the baselines of the
    selected variants' frameworks run, unless a baseline is named explicitly.
    """
    from authkit.compare.spectrum import expand_variant_names

    wanted = expand_variant_names(names)
    unknown = [n for n in wanted if n not in VARIANTS and n not in BASELINES]
    variants = [variant_target(VARIANTS[n]) for n in wanted if n in VARIANTS]
    baseline_names = {t.baseline for t in variants if t.baseline} | {
        n for n in wanted if n in BASELINES
    }
    baselines = [baseline_target(n) for n in BASELINES if n in baseline_names]
    return baselines + variants, unknown
