"""``authkit compare --url NAME=URL``: measuring a variant where it already runs.

This is how the compose ``compare`` service measures two instances behind the load
balancer. A real jwt-stateless server (gunicorn + a private Redis) stands in for "already
running"; compare must load it there, leave out what it cannot read (the server's CPU and
memory are in another process tree, the probes would need a restart) and still render.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from authkit.cli import main
from authkit.compare import render
from authkit.compare.runner import CompareOptions, Comparison
from authkit.launcher import Launcher


def test_a_running_url_is_loaded_there_without_server_numbers(tmp_path: Path) -> None:
    with Launcher() as launcher:
        srv = launcher.target("jwt-stateless", extra_env={"SEED_LOAD_USERS": "430"})
        options = CompareOptions(
            variants=["jwt-stateless"],
            scenarios=["read", "revocation"],
            duration=1.0,
            warmup=0.5,
            users=2,
            rounds=1,
            verify=False,
            cost=False,
            screenshots=False,
            audit=False,
            urls={"jwt-stateless": srv.url},
            out=tmp_path,
        )
        results = Comparison(options).run()
    target = results.targets["jwt-stateless"]
    assert target.status == "ok"
    assert target.url == srv.url
    assert target.probe is None and target.revocation is None  # no restart possible
    (cell,) = [c for c in results.cells if c.target == "jwt-stateless"]
    assert cell.error is None and cell.requests > 0 and cell.failures == 0
    assert cell.server == {"cpu_seconds": None, "cpu_ms_per_request": None, "rss_mb": None}
    # The baseline was started and measured as usual, and the report still renders.
    assert [c.server["cpu_seconds"] > 0 for c in results.cells if c.target == "flask-bare"] == [
        True
    ]
    render.write_report(results, tmp_path)
    assert "jwt-stateless" in (tmp_path / "summary.md").read_text()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--url", "jwt-stateless"], "expected NAME=http://HOST:PORT"),
        (["--url", "jwt-stateless=ftp://x"], "expected NAME=http://HOST:PORT"),
    ],
)
def test_url_must_be_name_equals_http_url(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", *argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_url_for_a_variant_not_measured_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["compare", "--variants", "jwt-stateless", "--url", "flask-sessions=http://127.0.0.1:9"]
    )
    assert code == 2
    assert "--url for variants not measured: flask-sessions" in capsys.readouterr().err
