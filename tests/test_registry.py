"""A new variant is one folder plus one registry entry, a new framework one entry naming its
bare app; a new scenario is one entry plus its Locust task set. These tests do exactly that,
from outside the kit, and run the contract suite and ``authkit compare`` on the result (the
README's "Adding a variant" steps).

The entries reach every process the kit starts through ``AUTHKIT_PLUGINS``
(:mod:`authkit.plugins`), so no file of the kit is touched.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pytest

from authkit.server import project_root
from authkit.variants import VARIANTS, Behaviour, Variant, register_variant

PLUGIN = """
import dataclasses

from authkit.scenarios import Scenario, register_scenario
from authkit.variants import VARIANTS, Framework, register_framework, register_variant

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
# A framework: one entry naming its bare app (a plain WSGI callable, served by the same
# gunicorn settings), and a variant on it whose numbers are divided by that app's.
register_framework(Framework("throwaway-wsgi", baseline_app="throwaway_bare:app"))
register_variant(
    dataclasses.replace(
        VARIANTS["throwaway-sessions"],
        name="throwaway-framework",
        framework="throwaway-wsgi",
        design="flask-sessions' app, measured against a framework entry of its own",
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


BARE = """
import json

from loadtests.baselines import LOGIN_BODY
from shared.catalog import PRODUCTS

ANSWERS = {
    ("GET", "/health"): {"status": "ok", "variant": "throwaway-wsgi-bare"},
    ("GET", "/products"): {"products": PRODUCTS},
    ("POST", "/login"): LOGIN_BODY,
}


def app(environ, start_response):
    answer = ANSWERS.get((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
    status = "200 OK" if answer is not None else "404 Not Found"
    body = json.dumps(answer or {"error": {"code": "not_found", "message": "no such URL"}})
    start_response(status, [("Content-Type", "application/json")])
    return [body.encode()]
"""


def run_tree(
    argv: list[str], timeout: float, **popen_kwargs: object
) -> subprocess.CompletedProcess:
    """Run ``argv`` in a process group of its own; past ``timeout`` kill it *and* every
    server it started (each in a session of its own, out of reach of its group), then fail.

    ``subprocess.run(timeout=...)`` kills only the child, and its gunicorn, Redis, nginx and
    PostgreSQL would run on with their temporary directories.
    """
    child = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True, **popen_kwargs,  # type: ignore[call-overload]
    )  # fmt: skip
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        tree = [psutil.Process(child.pid), *psutil.Process(child.pid).children(recursive=True)]
        for proc in tree:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        psutil.wait_procs(tree, timeout=15)
        out, err = child.communicate()
        pytest.fail(f"{argv[2:5]} ran longer than {timeout} s; killed with its servers\n"
                    f"{out[-2000:]}\n{err[-2000:]}")  # fmt: skip
    return subprocess.CompletedProcess(argv, child.returncode, out, err)


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
    (root / "throwaway_bare.py").write_text(textwrap.dedent(BARE))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(root), str(project_root())])
    env["AUTHKIT_PLUGINS"] = "throwaway_plugin"
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    return env


@pytest.mark.timeout(900 + 60)  # its subprocess's own bound, plus this test's set-up
def test_contract_suite_runs_on_a_variant_added_only_to_the_registry(
    outside: dict[str, str],
) -> None:
    result = run_tree(
        [sys.executable, "-m", "pytest", "tests/contract", "--variant", "throwaway-sessions",
         "-q", "-p", "no:cacheprovider", "-x"],
        timeout=900, cwd=project_root(), env=outside,
    )  # fmt: skip
    tail = result.stdout[-3000:]
    assert result.returncode == 0, tail
    passed = re.search(r"(\d+) passed", tail)
    assert passed and int(passed.group(1)) >= 40, tail


@pytest.mark.timeout(600 + 60)  # its subprocess's own bound, plus this test's set-up
def test_compare_runs_a_variant_and_a_scenario_added_only_to_the_registry(
    outside: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "report"
    result = run_tree(
        [sys.executable, "-m", "authkit.cli", "compare",
         "--variants", "throwaway-sessions", "throwaway-framework",
         "--scenarios", "catalogue", "revocation", "--rounds", "1", "--duration", "1",
         "--warmup", "0.5", "--users", "2", "--revocation-lifetime", "2", "--no-pin",
         "--no-cost", "--no-screenshots", "--no-audit",
         "--quiet", "--out", str(out)],
        timeout=600, cwd=project_root(), env=outside,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    results = json.loads((out / "results.json").read_text())
    targets = results["targets"]
    # The variant on the new framework entry passed the contract (compare verifies it over
    # HTTP) and is divided by that framework's bare app, not by Flask's.
    expected_baselines = {
        "throwaway-sessions": "flask-bare",
        "throwaway-framework": "throwaway-wsgi-bare",
    }
    cells = {(c["target"], c["scenario"]): c for c in results["cells"]}
    report = (out / "report.html").read_text()
    for name, baseline in expected_baselines.items():
        target = targets[name]
        assert target["status"] == "ok" and target["verification"]["passed"] is True, target
        assert target["baseline"] == baseline
        assert targets[baseline]["kind"] == "baseline" and targets[baseline]["status"] == "ok"
        assert target["revocation"]["logout"]["accepted_replays"] == 0
        assert name in report and baseline in report
        for measured_name in (name, baseline):
            cell = cells[(measured_name, "catalogue")]
            assert cell["error"] is None and cell["requests"] > 0, cell
            measured = {n for n, count in cell["requests_by_name"].items() if count}
            assert measured == {"GET /products"}, cell["requests_by_name"]


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


def test_only_a_cart_in_the_credential_goes_without_a_lock() -> None:
    """``cart_lock`` and ``cart_in`` agree: a cart in a store is written under a lock (the
    contract's concurrent adds then all count); only a cart in the cookie has none."""
    for name, variant in VARIANTS.items():
        behaviour = variant.behaviour
        assert (behaviour.cart_lock == "none") == (behaviour.cart_in == "credential"), name
