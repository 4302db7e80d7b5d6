"""``authkit cost``'s attribution on every registered variant, each along its own path.

The parts a variant's ``GET /me`` overhead is split into are the variant's declaration
(``Variant.cost_parts``); each part function checks that the app it measures is the design
it was written for. So this runs every variant's declared parts against its real app and
private stores (natively, a few calls each: the CPU meter, no tracer), plus one entry that
declares another engine's parts, which must be reported as failed without losing the
others' figures. One variant is counted under callgrind as well, to see the attribution
stacked on instructions with its framework's remainder and its declared goal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from authkit.cost.attribution import attribute
from authkit.cost.parts import load_part
from authkit.cost.report import compare_section, failed_rows, goal_rows, report_rows
from authkit.cost.runner import Settings, check_tools, run_cost
from authkit.variants import VARIANTS, framework_of, register_variant

pytestmark = pytest.mark.cost

QUICK = Settings(
    n=2,
    warmup=1,
    repeats=1,
    jobs=2,
    modes=("cpu",),
    parts_mode="cpu",
    argon2_at_kit_parameters=False,
)
#: An entry whose declared parts are another engine's: the cache engine measured as if its
#: sessions were rows of the database's session table.
MISDECLARED = "django-cache-misdeclared"


def _require_tools(settings: Settings) -> None:
    missing = check_tools(settings.modes)
    if missing:
        pytest.skip("authkit cost's tools are missing: " + "; ".join(missing))


@pytest.fixture(scope="module")
def every_variant() -> Iterator[dict]:
    _require_tools(QUICK)
    cache = VARIANTS["django-cache"]
    db_parts = VARIANTS["django-sessions"].cost_parts
    assert cache.cost_parts != db_parts  # the precondition of the misdeclared entry
    register_variant(dataclasses.replace(cache, name=MISDECLARED, cost_parts=db_parts))
    try:
        yield run_cost([*VARIANTS], QUICK, log=lambda line: None)
    finally:
        VARIANTS.pop(MISDECLARED, None)


def test_every_variant_declares_parts_that_exist() -> None:
    for name, variant in VARIANTS.items():
        assert variant.cost_parts, name
        for path in variant.cost_parts:
            assert callable(load_part(path)), (name, path)


def test_a_variant_without_cost_parts_is_refused() -> None:
    bare = dataclasses.replace(VARIANTS["flask-cookie"], name="no-parts", cost_parts=())
    with pytest.raises(ValueError, match="declares its cost parts"):
        register_variant(bare)
    assert "no-parts" not in VARIANTS


def test_no_two_variants_share_an_attribution() -> None:
    """Two designs with the same parts would be measured along one path: a copy-paste."""
    seen: dict[tuple[str, ...], str] = {}
    for name, variant in VARIANTS.items():
        assert variant.cost_parts not in seen, f"{name} declares {seen.get(variant.cost_parts)}'s"
        seen[variant.cost_parts] = name


def test_every_variant_is_measured_along_its_own_path(every_variant: dict) -> None:
    document = every_variant
    real = [name for name in VARIANTS if name != MISDECLARED]
    failed = {row["target"]: row["error"] for row in failed_rows(document)}
    assert set(failed) == {MISDECLARED}, failed
    for name in real:
        target = document["targets"][name]
        parts = target.get("parts") or {}
        assert parts, f"{name}: no parts measured"
        declared = list(VARIANTS[name].cost_parts)
        assert target["parts_declared"] == declared, name
        # Every declared function measured something, and nothing else did.
        assert {part["source"] for part in parts.values()} == set(declared), name
        assert all(part["cpu_us"] is not None for part in parts.values()), name
        assert target["remainder_label"] == framework_of(VARIANTS[name]).cost_remainder


def test_each_engine_is_measured_against_its_own_store(every_variant: dict) -> None:
    def labels(name: str) -> set[str]:
        return set(every_variant["targets"][name]["parts"])

    assert "SQL beneath the session load" in labels("django-sessions")
    for name in ("django-cache", "django-cached-db"):
        assert "Redis client: one GET" in labels(name), name
        assert "SQL beneath the session load" not in labels(name), name
    assert "memcached client: one get" in labels("django-memcached")
    assert "Redis client: one GET" not in labels("django-memcached")
    assert "file read: the session's file" in labels("django-file")
    assert any("signature check" in label for label in labels("django-signed-cookies"))
    assert "Flask-Session open_session + save_session" in labels("flask-sessions")
    assert "Flask signed cookie open_session + save_session" in labels("flask-cookie")
    assert "Redis client: one GETEX" not in labels("flask-cookie")
    assert "Redis client: one MGET" in labels("jwt-denylist")
    assert "Redis client: one MGET" not in labels("jwt-stateless")


def test_memcached_calls_are_counted_as_store_calls(every_variant: dict) -> None:
    """The memcached half of django-memcached's declared store calls per read (the other
    is the user SELECT), as the cost runner's store counter sees them."""
    name = "django-memcached"
    store = every_variant["targets"][name]["endpoints"]["GET /me"]["store"]
    assert store["memcached_commands"] == {"get": 1.0}, store
    assert store["redis_commands"] == {}, store
    assert store["total"] == VARIANTS[name].behaviour.store_calls_per_read, store


def test_a_misdeclared_variant_fails_alone(every_variant: dict) -> None:
    document = every_variant
    target = document["targets"][MISDECLARED]
    assert "session engine is django_sessions.engines.cache" in target["failed"], target
    assert not target["endpoints"]
    assert MISDECLARED not in {row["target"] for row in report_rows(document)}
    assert [row["target"] for row in compare_section(document)["failed"]] == [MISDECLARED]
    # Its failure cost no one else their figures: every other target has every endpoint.
    for name, other in document["targets"].items():
        if name != MISDECLARED:
            assert other["endpoints"].get("GET /me", {}).get("cpu_us") is not None, name


def test_the_attribution_stacks_instructions_with_the_declared_goal() -> None:
    settings = Settings(
        n=2, warmup=1, repeats=1, jobs=2, modes=("instructions",), argon2_at_kit_parameters=False
    )
    _require_tools(settings)
    name = "jwt-denylist"
    document = run_cost([name], settings, log=lambda line: None)
    assert not document["failed"], document["failed"]
    stack = attribute(document)[name]
    assert stack["baseline"] == framework_of(VARIANTS[name]).baseline_name
    labels = [piece["label"] for piece in stack["pieces"]]
    assert "Redis client: one MGET" in labels, labels
    assert stack["explained_instructions"] > 0
    assert stack["remainder_label"] == framework_of(VARIANTS[name]).cost_remainder
    assert "HMAC-SHA256 + JSON parse (reference)" in stack["references"]
    goals = {row["target"]: row for row in goal_rows({**document, "attribution": {name: stack}})}
    assert goals[name]["goal_instructions"] == VARIANTS[name].cost_goal["GET /me"]
