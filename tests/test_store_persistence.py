"""What a cache restart loses, observed for every variant that keeps something in Redis or
memcached.

The seed's warning ("if your cache server restarts, all sessions will be lost") as a tested
row: each variant declares ``lost_without_persistence`` in the registry, and this test
crashes a private store under it (``authkit.compare.restart_loss``, the probe the compare
report uses). Redis: with the append-only file nothing may be lost, not even the write
acknowledged just before the crash; without persistence exactly the declared items are.
memcached has no persistence: its one restart loses exactly the declared items, and the
variant declares that a store restart does not leave it working.
"""

from __future__ import annotations

import pytest

from authkit.compare.restart_loss import observe_restart_loss, observes
from tests.targets import only_targets, parse_target_id


def _cache_backed(target_id: str) -> bool:
    return observes(parse_target_id(target_id)[0])


@pytest.mark.fault
@only_targets(_cache_backed)
def test_what_a_cache_restart_loses(target_id: str) -> None:
    variant, _database = parse_target_id(target_id)
    observed = observe_restart_loss(variant)
    print(f"{variant.name}: {observed}")
    none = observed["none"]
    assert none["lost"] == list(variant.behaviour.lost_without_persistence), none
    if variant.uses_redis:
        append_only = observed["append-only"]
        assert variant.behaviour.survives_store_restart
        assert append_only["lost"] == [], append_only
        assert append_only["last_write_kept"], "a process crash loses no acknowledged write"
    else:  # memcached: nothing to persist with
        assert set(observed) == {"none"}, observed
        assert not variant.behaviour.survives_store_restart
        assert "sessions" in none["lost"], "precondition: the restart really emptied memcached"
        assert none["kept"]["users"], "the users are in the database, not in memcached"
