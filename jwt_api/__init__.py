"""The JWT variants of authkit: ``jwt-stateless`` and ``jwt-denylist``, one Flask app.

Both modes issue the same tokens (PyJWT, HS256 or EdDSA, a ``kid`` per key) and keep the
cart in Redis; they differ only in what happens after a token is issued:

* ``stateless``: an authenticated request checks the signature and the claims, nothing
  else. Logout cannot reach a token that is already out there; it dies at ``exp``.
* ``denylist``: an authenticated request also asks Redis (one command) whether the token,
  its family or every token of the user has been revoked; logout is immediate.

Modules, one job each: :mod:`.config` (settings), :mod:`.keys` (key set, rotation),
:mod:`.tokens` (issuing and verifying), :mod:`.revocation` (denylist, families,
generations), :mod:`.cart` (the Redis cart),
:mod:`.users` (seed users, password check), :mod:`.views` (the HTTP API), :mod:`.app`
(the factory) and :mod:`.wsgi` (what gunicorn loads).
"""
