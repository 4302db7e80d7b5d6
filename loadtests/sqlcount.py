"""A WSGI wrapper that counts the SQL statements each request runs (probe runs only).

Django keeps no per-request query count outside DEBUG, and SQLite has no server-side
statistics, so ``authkit compare`` serves a variant through this wrapper in a separate,
small probe run and reads ``X-Authkit-Sql: select=1,update=1`` from each response. It uses
Django's documented ``connection.execute_wrapper`` hook, so it counts what the ORM and the
session backend send (transaction control via ``atomic`` is not a statement there and is
not counted). The measured load runs never use it: the hook costs time per query.

Set ``AUTHKIT_WRAPPED_WSGI=module:callable`` to the variant's WSGI app. Apps that are not
Django pass through, answering ``X-Authkit-Sql: none``.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

HEADER = "X-Authkit-Sql"

_module, _callable = os.environ["AUTHKIT_WRAPPED_WSGI"].split(":")
wrapped = getattr(importlib.import_module(_module), _callable)


def _uses_django() -> bool:
    try:
        from django.conf import settings

        return bool(settings.configured and settings.DATABASES)
    except ImportError:
        return False


def _statement_kind(sql: str) -> str:
    return (sql.lstrip().split(None, 1) or ["?"])[0].lower()


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if not _uses_django():
        return wrapped(environ, _with_header(start_response, "none"))
    from django.db import connections

    counts: Counter[str] = Counter()

    def count(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        counts[_statement_kind(sql)] += 1
        return execute(sql, params, many, context)

    def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        value = ",".join(f"{k}={v}" for k, v in sorted(counts.items())) or "none"
        return start_response(status, [*headers, (HEADER, value)], exc_info)

    with contextlib.ExitStack() as stack:
        for connection in connections.all():
            stack.enter_context(connection.execute_wrapper(count))
        # Django builds the whole response (session saved) before start_response is called.
        return list(wrapped(environ, start))


def _with_header(start_response: Callable[..., Any], value: str) -> Callable[..., Any]:
    def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        return start_response(status, [*headers, (HEADER, value)], exc_info)

    return start
