"""The ways in: docker-compose.yml, the Dockerfile, the Makefile and CI.

These are the fast structural checks (no engine needed): the compose file must parse, serve
every registered variant with only the stores it uses, publish on loopback only, carry no
built-in secret, take its images from pinned variables, and the image must contain every
package the variants import. ``make test-compose`` starts it all for real.
"""

from __future__ import annotations

import re
import ssl
from pathlib import Path

import yaml
from cryptography import x509

from authkit import tls
from authkit.variants import VARIANTS
from shared.settings import MAX_BODY_BYTES

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


def _tls_conf() -> tuple[str, str]:
    return (
        (ROOT / "compose" / "nginx-tls.conf").read_text(),
        (ROOT / "compose" / "nginx-tls-server.conf").read_text(),
    )


def test_compose_tls_profile_is_its_own() -> None:
    """The default ``docker compose up`` is unchanged: every service of the HTTPS front is in
    the ``tls`` profile only, and its nginx is the pinned image the balancer uses."""
    services = compose()["services"]
    profile = {name for name, svc in services.items() if "tls" in svc.get("profiles", [])}
    assert {"tls-certificate", "tls"} <= profile
    for name in profile:
        assert services[name]["profiles"] == ["tls"], name
    assert services["tls"]["image"] == services["lb"]["image"]
    assert re.fullmatch(r"\$\{NGINX_IMAGE:-nginx:\d+\.\d+\.\d+[^}]*\}", services["tls"]["image"])


def test_compose_tls_ports_are_loopback_and_listened_on() -> None:
    """Published on 127.0.0.1 only, on ports no other service takes; each HTTPS port speaks
    TLS with HTTP/2 and each plain one redirects to an HTTPS port."""
    services = compose()["services"]
    conf, _ = _tls_conf()
    published = services["tls"]["ports"]
    assert all(port.startswith("127.0.0.1:") for port in published)
    host_ports = {int(port.split(":")[1]) for port in published}
    others = {
        int(port.split(":")[1])
        for name, service in services.items()
        if name != "tls"
        for port in service.get("ports", [])
    }
    assert not host_ports & others
    container_ports = {int(port.split(":")[2]) for port in published}
    https = {int(p) for p in re.findall(r"^\s*listen (\d+) ssl http2;", conf, re.MULTILINE)}
    plain_listen = r"^\s*listen (\d+)(?: default_server)?;"
    plain = {int(p) for p in re.findall(plain_listen, conf, re.MULTILINE)}
    assert https and plain and container_ports == https | plain
    redirects = {int(p) for p in re.findall(r"return 308 https://\$host:(\d+)\$request_uri;", conf)}
    assert redirects == https


def test_compose_tls_certificate_comes_from_the_one_shot_service() -> None:
    """trustme's CA and server certificate, made by ``python -m authkit.tls`` into a named
    volume nginx mounts read-only; nginx waits for it to finish; no key in the repository."""
    document = compose()
    services = document["services"]
    maker = services["tls-certificate"]
    assert maker["command"][:3] == ["python", "-m", "authkit.tls"]
    assert "restart" not in maker  # one shot
    volume, directory = maker["volumes"][0].split(":")[:2]
    assert maker["command"][3] == directory and volume in document["volumes"]
    front = services["tls"]
    mounts = {v.split(":")[0]: v.split(":")[1:] for v in front["volumes"]}
    assert mounts[volume][1] == "ro"
    certs = mounts[volume][0]
    conf, _ = _tls_conf()
    assert f"ssl_certificate {certs}/server-chain.pem;" in conf
    assert f"ssl_certificate_key {certs}/server-key.pem;" in conf
    condition = front["depends_on"]["tls-certificate"]["condition"]
    assert condition == "service_completed_successfully"
    for path in (ROOT / "compose").rglob("*"):
        if path.is_file():
            assert "PRIVATE KEY" not in path.read_text(errors="replace"), path


def test_compose_tls_front_mirrors_the_kit_front() -> None:
    """HSTS for authkit.tls's lifetime on every answer (each location with headers of its own
    repeats it: nginx inherits none into those), TLS 1.2/1.3, the front's body limit."""
    conf, server = _tls_conf()
    hsts = f'add_header Strict-Transport-Security "max-age={tls.HSTS_MAX_AGE_SECONDS}" always;'
    locations = len(re.findall(r"^location ", server, re.MULTILINE))
    assert locations and server.count(hsts) == locations + 1  # the server's own, and each
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in server
    assert "error_page 497 =400" in server  # plain HTTP on an HTTPS port: the JSON 400
    servers = conf.count("ssl http2;")
    assert conf.count("include /etc/nginx/authkit-tls-server.conf;") == servers
    assert f"client_max_body_size {MAX_BODY_BYTES};" in conf
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf


def test_compose_tls_session_variants_set_secure_host_cookies() -> None:
    """Each session variant of the default set has a TLS instance on its main instance's
    store, with COOKIE_SECURE=1 and gunicorn on the TLS nginx's loopback (its network
    namespace), trusting forwarded headers from 127.0.0.1 only, as ``authkit serve --tls``
    runs it; the JWT variants are served by their main instances."""
    services = compose()["services"]
    conf, _ = _tls_conf()
    upstreams = dict(re.findall(r"upstream (\w+) \{\s*server ([\w.:-]+);", conf))
    loopback = {addr.split(":")[1] for addr in upstreams.values() if addr.startswith("127.")}
    fronted = set()
    for name, service in services.items():
        variant = served_variant(service)
        if not variant or service.get("profiles") != ["tls"]:
            continue
        fronted.add(variant)
        assert VARIANTS[variant].style == "session", name
        assert service["network_mode"] == "service:tls", name
        env = service["environment"]
        assert env["COOKIE_SECURE"] == "1" and env["AUTHKIT_FRONT"] == "none", name
        assert env["TRUSTED_PROXIES"] == "127.0.0.1", name
        command = service["command"]
        assert command[command.index("--host") + 1] == "127.0.0.1", name
        port = command[command.index("--port") + 1]
        assert port in loopback, name
        assert f"127.0.0.1:{port}/health" in service["healthcheck"]["test"][-1], name
        main = services[name.removesuffix("-tls")]
        for key in ("REDIS_URL", "DATABASE_URL", "SQLITE_PATH"):
            assert env.get(key) == main["environment"].get(key), name
    session_variants = {
        n for n, v in VARIANTS.items() if v.style == "session" and v.in_default_compare
    }
    assert fronted == session_variants & {
        served_variant(s) for s in services.values() if not s.get("profiles")
    }
    named = {addr.split(":")[0] for addr in upstreams.values() if not addr.startswith("127.")}
    for service_name in named:
        assert VARIANTS[served_variant(services[service_name])].style == "bearer"
        assert services["tls"]["depends_on"][service_name]["condition"] == "service_healthy"


def test_tls_entry_point_issues_once(tmp_path: Path) -> None:
    """The certificate service's entry point: a CA and a server certificate for the names
    asked, chaining to that CA; a second run keeps them (clients trust the CA by file)."""
    assert tls.main([str(tmp_path), "--name", "tls"]) == 0
    ca = (tmp_path / "ca.pem").read_bytes()
    chain = (tmp_path / "server-chain.pem").read_bytes()
    assert b"PRIVATE KEY" in (tmp_path / "server-key.pem").read_bytes()
    # The key is the certificate's, and the certificate is the CA's.
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "server-chain.pem", tmp_path / "server-key.pem")
    leaf = x509.load_pem_x509_certificate(chain)
    leaf.verify_directly_issued_by(x509.load_pem_x509_certificate(ca))
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "tls" in names.get_values_for_type(x509.DNSName)
    assert tls.main([str(tmp_path)]) == 0
    assert (tmp_path / "ca.pem").read_bytes() == ca
