"""``DJANGO_SESSION_ENGINE=file``: one file per session in ``SESSION_FILE_PATH``.

The Django docs' caveat holds and is tested: two instances that do not share the directory
do not share sessions (a login on one is unknown to the other).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from django.contrib.sessions.backends.file import SessionStore as FileSessionStore
from django.core.files import locks

from django_sessions.engines.base import ContractSession, SessionVanished


class SessionStore(ContractSession, FileSessionStore):
    def read(self) -> dict[str, Any]:
        return FileSessionStore.load(self)  # the idle expiry is the file's mtime + idle age

    def discard_expired(self) -> None:
        self.delete()
        super().discard_expired()

    @contextlib.contextmanager
    def locked(self) -> Iterator[SessionStore]:
        """Re-read the session holding an exclusive lock on a lock file next to it.

        Django's file backend writes atomically (temporary file + rename) but does not lock,
        so two concurrent read-modify-writes lose one; ``django.core.files.locks`` (flock)
        serialises them across threads and processes.
        """
        if self.session_key is None:
            raise SessionVanished
        with open(self._key_to_file() + ".lock", "a") as lock_file:
            locks.lock(lock_file, locks.LOCK_EX)
            try:
                data = self.load()
                if not data or self.session_key is None:
                    raise SessionVanished
                self._session_cache = data
                self.accessed = True
                yield self
                self.save()
                self.modified = False
            finally:
                locks.unlock(lock_file)

    def delete(self, session_key: str | None = None) -> None:
        key = session_key or self.session_key
        super().delete(session_key)
        if key:  # and its lock file, so a directory does not fill with them
            with contextlib.suppress(OSError):
                os.unlink(self._key_to_file(key) + ".lock")
