"""The Flask session designs share one layer (:mod:`shared.flask_session_app`); each variant
folder holds only its session interface, so diffing two folders shows only the difference.

Structural checks, no server: what they guard is where code lives, which the contract suite
(run on every variant) cannot see.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

from authkit.server import project_root
from shared.flask_session_app import SessionDesign

#: Each Flask session design: its folder and its session interface class.
DESIGNS = {
    "flask_sessions": "SlidingRedisSessionInterface",
    "flask_cookie": "SlidingCookieSessionInterface",
}


def _decisions() -> list[str]:
    return [
        name
        for name, member in vars(SessionDesign).items()
        if not name.startswith("_") and inspect.isfunction(member)
    ]


def _reads_environment(source: str) -> bool:
    return any(word in source for word in ("os.environ", "os.getenv", "from os import"))


def test_each_design_folder_holds_the_same_modules() -> None:
    modules = {
        folder: sorted(path.name for path in (project_root() / folder).glob("*.py"))
        for folder in DESIGNS
    }
    assert all(modules.values()), modules
    assert len({tuple(names) for names in modules.values()}) == 1, modules
    assert "views.py" not in modules["flask_sessions"], "the views are the shared layer's"


@pytest.mark.parametrize("folder", DESIGNS)
def test_each_session_interface_makes_every_design_decision(folder: str) -> None:
    decisions = _decisions()
    assert len(decisions) >= 5, decisions  # the protocol was read, not an empty list
    interface = getattr(importlib.import_module(f"{folder}.session_interface"), DESIGNS[folder])
    missing = [name for name in decisions if name not in vars(interface)]
    assert not missing, f"{interface.__name__} does not decide {missing}"


def test_the_flask_layer_reads_settings_not_the_environment() -> None:
    sources: list[Path] = [project_root() / "shared" / "flask_session_app.py"]
    sources.append(project_root() / "shared" / "flask_api.py")
    for folder in DESIGNS:
        sources.extend((project_root() / folder).glob("*.py"))
    assert all(path.is_file() for path in sources) and len(sources) > 2
    assert _reads_environment("limit = os.environ.get('COOKIE_MAX_BYTES')")
    reading = [str(path) for path in sources if _reads_environment(path.read_text())]
    assert not reading, f"read the environment directly (use shared.settings.Settings): {reading}"


def test_the_django_variant_reads_settings_not_the_environment() -> None:
    """Only the settings module (Django's own place for it) and the entry points that name
    it read the environment; views, middleware and engines read ``django.conf.settings``."""
    entry_points = {"settings.py", "manage.py", "wsgi.py", "setup.py"}
    folder = project_root() / "django_sessions"
    sources = [p for p in folder.rglob("*.py") if p.name not in entry_points]
    assert any(p.name == "views.py" for p in sources) and len(sources) > 5, sources
    reading = [str(path) for path in sources if _reads_environment(path.read_text())]
    assert not reading, f"read the environment directly (use settings.ENV): {reading}"
