"""django-sessions' settings with the per-request overhead Django lets settings remove.

Measured by ``authkit cost`` only (row ``django-sessions-lean``); filled in from what the
attribution showed. Same design: database sessions, the user loaded through the ORM, the
same views and middleware that carry the contract.
"""

from django_sessions.settings import *  # noqa: F403
