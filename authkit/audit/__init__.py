"""``authkit audit``: the security and bad-input matrix, observed against running servers.

The checks live in :mod:`authkit.audit.checks`; the pytest suite (tests/test_audit.py) and
the command run the same functions, so the audit and the tests cannot drift apart.
"""
