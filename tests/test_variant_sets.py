"""What ``--variants`` names (sets and families, from the registry), and the size chart."""

from __future__ import annotations

from authkit.compare.charts import credential_size_chart
from authkit.compare.targets import select_targets
from authkit.variant_sets import expand_variant_names, families
from authkit.variants import VARIANTS

MAIN = ["flask-sessions", "django-sessions", "jwt-stateless", "jwt-denylist"]


def test_the_default_set_is_the_four_main_variants() -> None:
    assert expand_variant_names(None) == MAIN
    targets, unknown = select_targets(None)
    assert not unknown
    assert [t.name for t in targets if not t.is_baseline] == MAIN


def test_all_means_every_registered_variant_once() -> None:
    assert expand_variant_names(["all"]) == list(VARIANTS)
    assert expand_variant_names(["flask-cookie", "all"])[0] == "flask-cookie"
    assert len(expand_variant_names(["all", "main"])) == len(VARIANTS)


def test_families_follow_the_declarations() -> None:
    grouped = families(VARIANTS.values())
    assert set(grouped["server"]) | set(grouped["client"]) == set(VARIANTS)
    for name in grouped["client"]:
        assert VARIANTS[name].behaviour.session_state == "client"
    assert "flask-cookie" in grouped["client"] and "django-cache" in grouped["server"]
    assert expand_variant_names(["client-side"]) == grouped["client"]


def test_credential_size_chart_draws_every_variant_given() -> None:
    chart = credential_size_chart(
        {"flask-cookie": {0: 204, 1: 217, 24: 288}, "jwt-stateless": {0: 460, 24: 460}}
    )
    assert chart and len(chart) > 1000
    assert credential_size_chart({}) is None
