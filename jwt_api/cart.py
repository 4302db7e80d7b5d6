"""The cart, in a Redis hash per user: ``authkit:<variant>:cart:<username>``.

A JWT carries no mutable state, so even the "stateless" variant keeps a server-side store
for the cart: stateless describes the *authentication*, not the application. The cart
belongs to the user, not to a login, so it survives logout and is shared by every device.

Adds are atomic (a Lua script reads the line, enforces the 99 cap and writes it), so 20
concurrent adds from two tabs all count; no lock, no lost update.
"""

from __future__ import annotations

import redis

from shared.cart import add_line, remove_line

#: KEYS: the cart hash. ARGV: product id, quantity to add, cap. Returns
#: {1, HGETALL...} on success or {0, current quantity} when the line would exceed the cap.
_ADD_LINE = """
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local wanted = current + tonumber(ARGV[2])
if wanted > tonumber(ARGV[3]) then return {0, current} end
redis.call('HSET', KEYS[1], ARGV[1], wanted)
return {1, redis.call('HGETALL', KEYS[1])}
"""

Lines = dict[str, int]


def _lines(flat: list[bytes]) -> Lines:
    """``HGETALL``'s flat [field, value, ...] reply (from Lua) as product id -> quantity."""
    return _decoded(dict(zip(flat[::2], flat[1::2], strict=True)))


def _decoded(raw: dict[bytes, bytes]) -> Lines:
    """``HGETALL``'s reply as redis-py returns it, as product id -> quantity."""
    return {field.decode(): int(value) for field, value in raw.items()}


class RedisCarts:
    def __init__(self, client: redis.Redis, variant_name: str) -> None:
        self.client = client
        # The variant in the key keeps carts apart when several variants share one Redis
        # (the contract suite, `authkit compare`).
        self.prefix = f"authkit:{variant_name}:cart:"
        self._add = client.register_script(_ADD_LINE)

    def _key(self, username: str) -> str:
        return self.prefix + username

    def get(self, username: str) -> Lines:
        return _decoded(self.client.hgetall(self._key(username)))

    def add(self, username: str, product_id: str, quantity: int, cap: int) -> Lines:
        """Add ``quantity`` atomically; over the cap, the shared rule raises the 422."""
        ok, payload = self._add(keys=[self._key(username)], args=[product_id, quantity, cap])
        if not ok:
            add_line({product_id: int(payload)}, product_id, quantity)  # raises the 422
            raise AssertionError("add_line accepted a line the script refused")
        return _lines(payload)

    def remove(self, username: str, product_id: str) -> Lines:
        """Remove a line (404 through the shared rule when it is not there), one round trip."""
        pipe = self.client.pipeline(transaction=True)
        pipe.hdel(self._key(username), product_id)
        pipe.hgetall(self._key(username))
        removed, remaining = pipe.execute()
        if not removed:
            remove_line({}, product_id)  # raises the 404
        return _decoded(remaining)
