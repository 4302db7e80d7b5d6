"""What every authkit variant has in common: the contract, not the auth design.

Only things that must be identical for a fair comparison live here: settings, the
catalogue, the seed users, the password policy, the error envelope and the rules for
request bodies and cart lines. Each variant keeps its own auth code in its own folder.
"""
