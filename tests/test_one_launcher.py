"""Servers start one way: through :class:`authkit.launcher.Launcher`.

The kit once started servers in five places, each with its own copy of the isolation and
its own target class; a sixth copy would drift the same way. Only the launcher and the
primitives it stands on may call them, and the tests that exist to test those primitives.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from authkit.server import project_root

#: The primitives a caller would start a server (or the stores) with, bypassing the launcher.
PRIMITIVES = ("serving", "VariantServer", "Stores.start")
#: Where the primitives are defined or wrapped.
ALLOWED = {"authkit/launcher.py", "authkit/server.py", "authkit/services.py"}
#: Tests of the primitives themselves: they would test the launcher instead if they used it.
TESTS_OF_THE_PRIMITIVES = {
    "tests/test_server.py",  # serving(): gunicorn settings, the front, a dead worker
    "tests/test_cleanup.py",  # serving()/Stores.start(): nothing outlives a killed run
    "tests/test_one_launcher.py",  # names the primitives in its own examples
}


def primitive_calls(source: str) -> list[str]:
    """``name:line`` of every call of a primitive in ``source`` (names in strings do not count)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name):
            name = func.id
        elif isinstance(func, ast.Attribute):
            owner = func.value.id if isinstance(func.value, ast.Name) else ""
            name = f"{owner}.{func.attr}" if owner == "Stores" else func.attr
        else:
            continue
        if name in PRIMITIVES:
            found.append(f"{name}:{node.lineno}")
    return found


def test_only_the_launcher_starts_servers() -> None:
    root = project_root()
    offenders = {}
    for path in sorted([*root.glob("authkit/**/*.py"), *root.glob("tests/**/*.py")]):
        relative = path.relative_to(root).as_posix()
        if relative in ALLOWED | TESTS_OF_THE_PRIMITIVES:
            continue
        calls = primitive_calls(path.read_text())
        if calls:
            offenders[relative] = calls
    assert not offenders, f"start servers through authkit.launcher.Launcher: {offenders}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("with serving(variant, stores) as server:\n    pass\n", ["serving:1"]),
        ("from authkit import server\nserver.serving(v, s)\n", ["serving:2"]),
        ("stores = Stores.start(redis=True)\n", ["Stores.start:1"]),
        ("VariantServer(variant, env).start()\n", ["VariantServer:1"]),
        ('"""serving(x) in a docstring"""\nlauncher.target("x")\n', []),
        ("proc.start()\nStores()\n", []),
    ],
)
def test_the_check_sees_a_primitive_call(source: str, expected: list[str]) -> None:
    assert primitive_calls(source) == expected


def test_the_allowed_files_exist() -> None:
    """A renamed file must not leave a stale exception behind."""
    root = project_root()
    missing = [p for p in ALLOWED | TESTS_OF_THE_PRIMITIVES if not (root / p).is_file()]
    assert not missing


def test_an_undeclared_key_skips_saying_why(tmp_path: Path) -> None:
    """The suite's hook turns :class:`~authkit.launcher.Undeclared` into a skip with its reason."""
    (tmp_path / "conftest.py").write_text("from tests.conftest import pytest_runtest_call\n")
    (tmp_path / "test_undeclared.py").write_text(
        "from authkit.launcher import Launcher\n\n\n"
        "def test_declared_nothing():\n"
        '    Launcher.external("http://127.0.0.1:9", "session").declaration("revocation")\n'
    )
    env = {**os.environ, "PYTHONPATH": str(project_root())}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-rs",
         str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout, result.stdout
    assert "declares no 'revocation'" in result.stdout, result.stdout
