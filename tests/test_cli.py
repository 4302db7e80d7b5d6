"""The ``authkit`` command as a user runs it: serve, services, verify."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from authkit.services import free_port
from authkit.services_cli import process_alive
from tests.targets import Fleet

ROOT = Path(__file__).resolve().parent.parent


def authkit(*args: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "authkit.cli", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=kwargs.pop("timeout", 120),
        **kwargs,
    )


def _wait_for(url: str, seconds: float = 60) -> requests.Response:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            return requests.get(url, timeout=2)
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError(f"nothing answered at {url}")


def test_serve_starts_private_stores_and_removes_them(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "SEED_LOAD_USERS": "5", "TMPDIR": str(tmp_path)}
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "authkit.cli", "serve", "jwt-denylist", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        health = _wait_for(f"http://127.0.0.1:{port}/health")
        assert health.json() == {"status": "ok", "variant": "jwt-denylist"}
        assert any(p.name.startswith("authkit-redis-") for p in tmp_path.iterdir())
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert "private Redis at redis://127.0.0.1:" in output
    assert ":6379" not in output, "never the system Redis"
    assert not any(p.name.startswith("authkit-redis-") for p in tmp_path.iterdir())


@pytest.mark.timeout(300 + 120)  # one verify run, bounded at 300 s
def test_serve_tls_and_verify_with_its_ca(tmp_path: Path) -> None:
    """``serve --tls`` prints the run's CA; ``verify --ca`` runs the contract over HTTPS."""
    port = free_port()
    env = {**os.environ, "SEED_LOAD_USERS": "5", "TMPDIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    env.pop("REDIS_URL", None)
    argv = ["serve", "jwt-denylist", "--port", str(port), "--tls"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "authkit.cli", *argv],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = []
        while not any("CA made for this run" in line for line in lines):
            line = proc.stdout.readline()
            assert line, "serve exited: " + "".join(lines)
            lines.append(line)
        ca = lines[-1].rsplit(": ", 1)[1].strip()
        health = requests.get(f"https://127.0.0.1:{port}/health", verify=ca, timeout=10)
        assert health.json() == {"status": "ok", "variant": "jwt-denylist"}
        assert health.headers["Strict-Transport-Security"]
        result = authkit(
            "verify", "--url", f"https://127.0.0.1:{port}", "--variant", "jwt-denylist",
            "--ca", ca, "--", "-k", "public or login", timeout=300,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout[-3000:]
        print(result.stdout[-600:])
        assert " passed" in result.stdout
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert not any(p.name.startswith("authkit-nginx-") for p in tmp_path.iterdir())


def test_services_up_status_down(tmp_path: Path) -> None:
    env = {"AUTHKIT_SERVICES_DIR": str(tmp_path / "services")}
    up = authkit("services", "up", "--no-postgres", env=env)
    assert up.returncode == 0, up.stdout + up.stderr
    (line,) = up.stdout.splitlines()
    assert line.startswith("export REDIS_URL=redis://127.0.0.1:")
    assert ":6379/" not in line
    status = authkit("services", "status", env=env)
    assert status.returncode == 0 and "redis: running" in status.stdout
    assert authkit("services", "up", "--no-postgres", env=env).stdout == up.stdout, "idempotent"
    assert authkit("services", "down", env=env).returncode == 0
    assert authkit("services", "status", env=env).returncode == 1


@pytest.mark.timeout(2 * 300 + 60)  # two verify runs, each bounded at 300 s
def test_verify_runs_the_contract_suite_against_a_url(fleet: Fleet) -> None:
    target = fleet.get("flask-sessions")
    result = authkit(
        "verify", "--url", target.url, "--style", "session", "--", "-k", "public or login",
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout
    broken = authkit(
        "verify", "--url", target.url, "--style", "bearer", "--", "-k", "login", timeout=300
    )
    assert broken.returncode != 0, "a session server is not a bearer server"


def test_serve_refuses_unknown_variants() -> None:
    result = authkit("serve", "no-such-variant")
    assert result.returncode != 0
    assert "invalid choice" in result.stderr


def test_services_down_removes_postgres_and_up_leaves_no_orphan(tmp_path: Path) -> None:
    """``down`` removes the PostgreSQL cluster with the rest; an ``up`` that finds one
    server dead stops the survivor before starting afresh, instead of orphaning it."""
    base = tmp_path / "services"
    env = {"AUTHKIT_SERVICES_DIR": str(base)}
    first = authkit("services", "up", env=env, timeout=180)
    assert first.returncode == 0, first.stdout + first.stderr
    state = json.loads((base / "state.json").read_text())
    for info in state.values():
        assert Path(info["dir"]).is_dir(), info
    os.kill(state["redis"]["pid"], signal.SIGKILL)  # one server dies
    again = authkit("services", "up", env=env, timeout=180)
    assert again.returncode == 0, again.stdout + again.stderr
    assert not process_alive(state["postgres"]["pid"]), "the old PostgreSQL was left running"
    newer = json.loads((base / "state.json").read_text())
    assert authkit("services", "down", env=env, timeout=60).returncode == 0
    assert not any(process_alive(info["pid"]) for info in newer.values())
    assert not base.exists()
    for info in (*state.values(), *newer.values()):
        assert not Path(info["dir"]).exists(), f"left behind: {info['dir']}"
