"""Strict mode (``AUTHKIT_STRICT=1``, set by ``.ci/run``): a skip fails, saying why.

Each case runs a throwaway test file in a pytest of its own with the plugin loaded, once
with strict mode off (the skip stays a skip: the precondition that the file really skips)
and once with it on.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from authkit.server import project_root

SKIPPING = {
    "in the test": "import pytest\n\ndef test_x():\n    pytest.skip('no chromium here')\n",
    "in a fixture": (
        "import pytest\n\n@pytest.fixture\ndef tool():\n    pytest.skip('no chromium here')\n\n"
        "def test_x(tool):\n    pass\n"
    ),
    "by a marker": (
        "import pytest\n\n@pytest.mark.skipif(True, reason='no chromium here')\n"
        "def test_x():\n    pass\n"
    ),
    "at import": "import pytest\n\npytest.skip('no chromium here', allow_module_level=True)\n",
}


def _run(path: Path, strict: bool) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(project_root())}
    env.pop("AUTHKIT_STRICT", None)
    if strict:
        env["AUTHKIT_STRICT"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.strict", "-p", "no:cacheprovider",
         "-q", "-rs", "--rootdir", str(path.parent), str(path)],
        cwd=path.parent, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("where", list(SKIPPING))
def test_a_skip_fails_in_strict_mode_and_says_why(where: str, tmp_path: Path) -> None:
    path = tmp_path / "test_skipping.py"
    path.write_text(SKIPPING[where])
    relaxed = _run(path, strict=False)
    # 5: a run whose only module skipped at import has no test left to run.
    assert relaxed.returncode in (0, 5) and "1 skipped" in relaxed.stdout, relaxed.stdout
    strict = _run(path, strict=True)
    assert strict.returncode in (1, 2), strict.stdout  # 2: a module failed at collection
    assert "skipped" not in strict.stdout.splitlines()[-1], strict.stdout
    assert "strict mode" in strict.stdout and "no chromium here" in strict.stdout, strict.stdout


def test_an_expected_failure_is_not_a_skip(tmp_path: Path) -> None:
    path = tmp_path / "test_xfail.py"
    path.write_text("import pytest\n\n@pytest.mark.xfail(strict=True)\ndef test_x():\n    1 / 0\n")
    strict = _run(path, strict=True)
    assert strict.returncode == 0 and "1 xfailed" in strict.stdout, strict.stdout
