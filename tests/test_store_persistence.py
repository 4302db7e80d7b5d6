"""What a Redis restart loses, observed for every variant that keeps something in Redis.

The seed's warning ("if your cache server restarts, all sessions will be lost") as a tested
row: each variant declares ``lost_without_persistence`` in the registry, and this test
crashes a private Redis under it (``authkit.compare.restart_loss``, the probe the compare
report uses): with the append-only file nothing may be lost, not even the write
acknowledged just before the crash; without persistence exactly the declared items are.
"""

from __future__ import annotations

import pytest

from authkit.compare.restart_loss import observe_restart_loss
from tests.targets import only_targets, parse_target_id


def _redis_backed(target_id: str) -> bool:
    return parse_target_id(target_id)[0].uses_redis


@pytest.mark.fault
@only_targets(_redis_backed)
def test_what_a_redis_restart_loses(target_id: str) -> None:
    variant, _database = parse_target_id(target_id)
    observed = observe_restart_loss(variant)
    print(f"{variant.name}: {observed}")
    append_only, none = observed["append-only"], observed["none"]
    assert variant.behaviour.survives_store_restart
    assert append_only["lost"] == [], append_only
    assert append_only["last_write_kept"], "a process crash loses no acknowledged write"
    assert none["lost"] == list(variant.behaviour.lost_without_persistence), none
