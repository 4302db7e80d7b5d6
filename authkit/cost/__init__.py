"""``authkit cost``: what each request costs, in counts that two runs agree on."""
