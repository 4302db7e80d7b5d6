#!/usr/bin/env python
"""Django's command-line utility (``python django_sessions/manage.py clearsessions``, ...)."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> None:
    # Run from anywhere: put the project root (holding django_sessions/ and shared/) first on
    # the path, in place of this script's folder, whose module names are not top-level ones.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_sessions.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
