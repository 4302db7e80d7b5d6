"""The ways in: docker-compose.yml, the Dockerfile, the Makefile and CI.

No Docker engine runs where the tests run, so the compose file is validated rather than
started: it must parse, serve every registered variant with the shared Redis settings,
publish on loopback only, and the image must contain every package the variants import.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from authkit.variants import VARIANTS

ROOT = Path(__file__).resolve().parent.parent


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_serves_every_variant_on_loopback() -> None:
    services = compose()["services"]
    served = set()
    for name, service in services.items():
        command = service.get("command", [])
        if command[:2] == ["authkit", "serve"]:
            served.add(command[2])
            assert command[2] in VARIANTS, f"{name} serves an unknown variant"
            assert service["healthcheck"]["test"], name
            env = service["environment"]
            assert env["REDIS_URL"].startswith("redis://redis:6379/")
            assert len(env["SECRET_KEY"].split(":-")[-1].rstrip("}")) >= 32
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
    assert served == set(VARIANTS)
    redis_urls = [s["environment"]["REDIS_URL"] for s in services.values()
                  if s.get("command", [])[:3] != ["authkit", "serve", "django-sessions"]
                  and "REDIS_URL" in s.get("environment", {})]  # fmt: skip
    assert len(redis_urls) == len(set(redis_urls)), "each Redis variant gets its own database"


def test_compose_redis_matches_the_private_redis() -> None:
    command = " ".join(compose()["services"]["redis"]["command"])
    assert "--appendonly yes" in command and "--appendfsync everysec" in command


def test_compose_postgres_variant_and_locust() -> None:
    services = compose()["services"]
    pg = services["django-sessions-postgres"]
    assert pg["environment"]["DATABASE_URL"].startswith("postgresql://")
    assert "--database" in pg["command"]
    assert "--master" in services["locust-master"]["command"]
    assert services["locust-worker"]["command"][-1] == "locust-master"
    for name in ("locust-master", "locust-worker"):
        assert (ROOT / services[name]["command"][2]).exists()


def test_compose_volumes_are_declared() -> None:
    document = compose()
    declared = set(document["volumes"])
    for service in document["services"].values():
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in declared


def test_the_image_contains_every_package() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\S+) \./", dockerfile, re.MULTILINE))
    packages = {"authkit", "shared", "loadtests", "tests"}
    packages |= {v.app.split(".")[0] for v in VARIANTS.values()}
    assert packages <= copied


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make compare" in readme
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test:", makefile, re.MULTILINE)
    assert re.search(r"^compare:", makefile, re.MULTILINE)
