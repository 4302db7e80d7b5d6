"""The ways in: docker-compose.yml, the Dockerfile, the Makefile and CI.

These are the fast structural checks (no engine needed): the compose file must parse, serve
every registered variant with only the stores it uses, publish on loopback only, carry no
built-in secret, take its images from pinned variables, and the image must contain every
package the variants import. ``make test-compose`` starts it all for real.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from authkit.variants import VARIANTS

ROOT = Path(__file__).resolve().parent.parent


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def served_variant(service: dict) -> str | None:
    """The registry variant a compose service serves, or None for a store or a tool."""
    command = service.get("command", [])
    return command[2] if command[:2] == ["authkit", "serve"] else None


def test_compose_serves_every_variant_on_loopback() -> None:
    services = compose()["services"]
    served = set()
    for name, service in services.items():
        variant = served_variant(service)
        if variant:
            served.add(variant)
            assert variant in VARIANTS, f"{name} serves an unknown variant"
            assert service["healthcheck"]["test"], name
            # A start period: at start-up a variant migrates and seeds; that is not "unhealthy".
            assert service["healthcheck"]["start_period"], name
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
    assert served == set(VARIANTS)


def test_compose_has_no_built_in_secret() -> None:
    """SECRET_KEY and the database password must come from the user: no fallback value."""
    services = compose()["services"]
    for name, service in services.items():
        env = service.get("environment", {})
        for key in ("SECRET_KEY", "POSTGRES_PASSWORD"):
            if key in env:
                assert env[key].startswith(f"${{{key}:?"), f"{name}: {key} has a default"
        if "DATABASE_URL" in env:
            assert "${POSTGRES_PASSWORD:?" in env["DATABASE_URL"], name
        if served_variant(service):
            assert "SECRET_KEY" in env, name
    assert "POSTGRES_PASSWORD" in services["postgres"]["environment"]


def test_compose_variants_depend_only_on_their_store() -> None:
    services = compose()["services"]
    for name, service in services.items():
        variant = served_variant(service)
        if not variant:
            continue
        uses_redis = VARIANTS[variant].uses_redis
        uses_memcached = VARIANTS[variant].uses_memcached
        postgres = "--database" in service["command"] and "postgres" in service["command"]
        used = {"redis": uses_redis, "postgres": postgres, "memcached": uses_memcached}
        wanted = {store for store, uses in used.items() if uses}
        stores = set(service.get("depends_on", {})) & set(used)
        assert stores == wanted, f"{name} depends on {stores}, uses {wanted or 'none'}"
        env = service["environment"]
        assert ("REDIS_URL" in env) == uses_redis, name
        assert ("DATABASE_URL" in env) == postgres, name
        assert ("MEMCACHED_URL" in env) == uses_memcached, name
        if uses_redis:
            assert env["REDIS_URL"].startswith("redis://redis:6379/")
        if uses_memcached:
            assert env["MEMCACHED_URL"] == "memcached://memcached:11211"
            # Only its profile starts memcached: the default `up` never needs its image.
            assert set(service["profiles"]) <= set(services["memcached"]["profiles"]), name
    # Each Redis variant its own database; a second instance shares its first one's.
    databases: dict[str, str] = {}
    for service in services.values():
        variant = served_variant(service)
        if variant and "REDIS_URL" in service["environment"]:
            url = service["environment"]["REDIS_URL"]
            assert databases.setdefault(variant, url) == url
    assert len(set(databases.values())) == len(databases)


def test_compose_redis_matches_the_private_redis() -> None:
    command = " ".join(compose()["services"]["redis"]["command"])
    assert "--appendonly yes" in command and "--appendfsync always" in command


def test_compose_memcached_matches_the_private_memcached() -> None:
    """UDP off, as :class:`authkit.services.PrivateMemcached` runs it."""
    command = compose()["services"]["memcached"]["command"]
    assert command[0] == "memcached" and "-U 0" in " ".join(command)


def test_images_come_from_pinned_variables() -> None:
    """Every image is ${VAR:-official:pinned}, so a stand-in can take its name; the
    Dockerfile's base image default and the compose file's agree."""
    text = (ROOT / "docker-compose.yml").read_text()
    defaults = dict(re.findall(r"\$\{([A-Z_]+_IMAGE):-([^}]+)\}", text))
    pinned = ("PYTHON_IMAGE", "REDIS_IMAGE", "POSTGRES_IMAGE", "NGINX_IMAGE", "MEMCACHED_IMAGE")
    assert set(pinned) <= set(defaults)
    for var in pinned:
        assert re.search(r":\d+\.\d+", defaults[var]), f"{var} is not pinned: {defaults[var]}"
    for name, service in compose()["services"].items():
        if "image" in service:
            assert re.fullmatch(r"\$\{[A-Z_]+_IMAGE:-[^}]+\}", service["image"]), name
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f"ARG PYTHON_IMAGE={defaults['PYTHON_IMAGE']}" in dockerfile
    assert "FROM ${PYTHON_IMAGE}" in dockerfile


def test_seed_hashes_are_computed_when_the_image_is_built() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^RUN .*\n?.*seed_password_hashes\(\)", dockerfile, re.MULTILINE)
    assert "AUTHKIT_CACHE_DIR=" in dockerfile
    build_args = compose()["x-app"]["build"]["args"]
    assert build_args["SEED_LOAD_USERS"] == "${SEED_LOAD_USERS:-1000}"
    assert "ARG SEED_LOAD_USERS=1000" in dockerfile


def test_dockerignore_covers_caches_and_secrets() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    for entry in (".venv", ".git", ".env", "reports", "**/__pycache__", "**/.pytest_cache",
                  "**/.ruff_cache", "**/.schemathesis", "*.egg-info"):  # fmt: skip
        assert entry in ignored, entry


def test_compose_postgres_variant_and_locust() -> None:
    services = compose()["services"]
    pg = services["django-sessions-postgres"]
    assert pg["environment"]["DATABASE_URL"].startswith("postgresql://")
    assert "--database" in pg["command"]
    master = services["locust-master"]
    assert "--master" in master["command"][-1]
    assert master["depends_on"]["flask-sessions"]["condition"] == "service_healthy"
    assert services["locust-worker"]["command"][-1] == "locust-master"
    assert (ROOT / services["locust-worker"]["command"][2]).exists()


def test_compose_load_balancer_is_round_robin_over_two_instances() -> None:
    services = compose()["services"]
    conf = (ROOT / "compose" / "nginx-lb.conf").read_text()
    assert not re.search(r"^\s*(ip_hash|hash|sticky)\b", conf, re.MULTILINE)
    upstreams = re.findall(r"upstream \w+ \{(.*?)\}", conf, re.DOTALL)
    backends = [re.findall(r"server ([\w-]+):8000;", body) for body in upstreams]
    # The server-side session variants of the default set: two instances sharing the store
    # (the spectrum's file and cookie engines make the opposite point in their own tests).
    session_variants = {
        n
        for n, v in VARIANTS.items()
        if v.style == "session" and v.in_default_compare and v.behaviour.session_state == "server"
    }
    fronted = set()
    for pair in backends:
        assert len(pair) == 2, pair
        variants = {served_variant(services[name]) for name in pair}
        assert len(variants) == 1, pair  # two instances of one variant
        fronted |= variants
        for name in pair:
            assert name in services["lb"]["depends_on"]
    assert fronted == session_variants


def test_compose_tools_write_reports_to_the_host() -> None:
    services = compose()["services"]
    assert services["compare"]["entrypoint"] == ["authkit", "compare"]
    assert "./reports:/app/reports" in services["compare"]["volumes"]
    assert "authkit verify" in services["tests"]["entrypoint"][2]


def test_compose_volumes_are_declared() -> None:
    document = compose()
    declared = set(document["volumes"])
    for service in document["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):  # a bind mount of a file or folder of the project
                assert source == "./reports" or (ROOT / source).exists(), source
            else:
                assert source in declared


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


def test_ci_runs_the_compose_test() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    suite = re.search(r"make test(?![-\w])", ci)
    assert suite and ci.index("make test-compose") > suite.start()
    assert re.search(r"^test-compose:", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert (ROOT / "compose" / "test-compose").stat().st_mode & 0o111
