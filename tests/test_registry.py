"""A new variant is one folder plus one registry entry; a new scenario is one entry plus its
Locust task set. These tests do exactly that, from outside the kit, and run the contract
suite and ``authkit compare`` on the result (the README's "Adding a variant" steps).

The entries reach every process the kit starts through ``AUTHKIT_PLUGINS``
(:mod:`authkit.plugins`), so no file of the kit is touched.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from authkit.server import project_root
from authkit.variants import VARIANTS, Behaviour, Variant, register_variant

PLUGIN = """
import dataclasses

from authkit.scenarios import Scenario, register_scenario
from authkit.variants import VARIANTS, register_variant

# Step 2 of "Adding a variant": one registry entry for the copied app.
register_variant(
    dataclasses.replace(
        VARIANTS["flask-sessions"],
        name="throwaway-sessions",
        app="throwaway_sessions.wsgi:app",
        design="a copy of flask-sessions under another name",
        colour=None,
    )
)
# A scenario: one entry plus its task set.
register_scenario(
    Scenario(
        name="catalogue",
        description="only GET /products, logged in",
        tool="locust",
        measures="journey",
        task_set="throwaway_tasks:Catalogue",
    )
)
"""

TASKS = """
from locust import TaskSet, task


class Catalogue(TaskSet):
    @task
    def browse(self):
        self.client.get("/products", headers=self.user.auth_headers(), name="/products")
"""


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Step 1: the app's folder (a copy of flask_sessions under a new package name), and the
    registry entries in a module of its own; the environment every process will get."""
    root = tmp_path_factory.mktemp("outside")
    copy = root / "throwaway_sessions"
    shutil.copytree(
        project_root() / "flask_sessions", copy, ignore=shutil.ignore_patterns("__pycache__")
    )
    for source in copy.glob("*.py"):
        source.write_text(re.sub(r"\bflask_sessions\b", "throwaway_sessions", source.read_text()))
    (root / "throwaway_plugin.py").write_text(textwrap.dedent(PLUGIN))
    (root / "throwaway_tasks.py").write_text(textwrap.dedent(TASKS))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(root), str(project_root())])
    env["AUTHKIT_PLUGINS"] = "throwaway_plugin"
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    return env


def test_contract_suite_runs_on_a_variant_added_only_to_the_registry(
    outside: dict[str, str],
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/contract", "--variant", "throwaway-sessions",
         "-q", "-p", "no:cacheprovider", "-x"],
        cwd=project_root(), env=outside, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    tail = result.stdout[-3000:]
    assert result.returncode == 0, tail
    passed = re.search(r"(\d+) passed", tail)
    assert passed and int(passed.group(1)) >= 40, tail


def test_compare_runs_a_variant_and_a_scenario_added_only_to_the_registry(
    outside: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "report"
    result = subprocess.run(
        [sys.executable, "-m", "authkit.cli", "compare", "--variants", "throwaway-sessions",
         "--scenarios", "catalogue", "revocation", "--rounds", "1", "--duration", "1",
         "--warmup", "0.5", "--users", "2", "--revocation-lifetime", "2", "--no-pin",
         "--no-cost", "--no-screenshots", "--no-audit",
         "--quiet", "--out", str(out)],
        cwd=project_root(), env=outside, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    results = json.loads((out / "results.json").read_text())
    target = results["targets"]["throwaway-sessions"]
    assert target["status"] == "ok" and target["verification"]["passed"] is True
    assert target["baseline"] == "flask-bare"
    cells = {(c["target"], c["scenario"]): c for c in results["cells"]}
    for name in ("throwaway-sessions", "flask-bare"):
        cell = cells[(name, "catalogue")]
        assert cell["error"] is None and cell["requests"] > 0, cell
        measured = {name for name, count in cell["requests_by_name"].items() if count}
        assert measured == {"GET /products"}, cell["requests_by_name"]
    assert target["revocation"]["logout"]["accepted_replays"] == 0
    assert "throwaway-sessions" in (out / "report.html").read_text()


def test_a_variant_on_an_unregistered_framework_is_refused() -> None:
    behaviour = VARIANTS["flask-sessions"].behaviour
    assert isinstance(behaviour, Behaviour)
    with pytest.raises(ValueError, match="unknown framework"):
        register_variant(
            Variant(
                name="nowhere",
                app="nowhere:app",
                framework="no-such-framework",
                style="session",
                store="redis",
                prepare="nowhere:prepare",
                behaviour=behaviour,
            )
        )
    assert "nowhere" not in VARIANTS
