"""Every check of ``authkit audit``: one function per row, each returning an observation.

A check takes a :class:`~authkit.launcher.Target` (a URL, an auth style, the variant's
declarations and, for servers the audit started, the JWT signing key) and does what an
outside attacker would do over real HTTP. It returns an :class:`Observation`:

* ``held``: the server did what the reference requires;
* ``declared difference``: it did not, and the variant declares exactly that (e.g.
  ``jwt-stateless`` accepts a token after logout until it expires: ``revocation=at_expiry``);
* ``finding``: it did not, and nothing declares it (``authkit audit`` then exits 1);
* ``n/a``: the row does not apply to this auth style, or needs what the audit lacks.

A check first proves what it stands on (the login worked, the refresh worked, the audit's
key signs a token the server accepts, the cookie was set, the cart can be read): a step
that did not work raises :class:`PreconditionFailed`, which :func:`run_check` reports as a
``finding`` ("precondition failed: ..."), never as ``held``: a server that refuses
everything must not read as a server that refuses the attack.

One module per concern; :data:`CONCERNS` orders the report's rows (by concern, then as each
module defines them). ``tests/test_audit.py`` parametrizes over :data:`CHECKS` and the
variants, so the pytest suite and ``authkit audit`` run these very functions.
"""

from authkit.audit.checks import (
    csrf,
    headers,
    input,
    login,
    sessions,
    tokens,
    transport,
    unstorable,
)
from authkit.audit.checks.base import (
    CHECKS,
    DIFFERS,
    FINDING,
    HELD,
    NA,
    Check,
    Observation,
    PreconditionFailed,
    logged_in,
    run_check,
)

#: The report's concerns, in the order of its rows; each module registers its rows on import.
CONCERNS = (sessions, tokens, csrf, login, input, headers, unstorable, transport)
CHECKS.sort(key=lambda c: [m.__name__ for m in CONCERNS].index(c.run.__module__))

__all__ = [
    "CHECKS",
    "DIFFERS",
    "FINDING",
    "HELD",
    "NA",
    "Check",
    "Observation",
    "PreconditionFailed",
    "logged_in",
    "run_check",
]
