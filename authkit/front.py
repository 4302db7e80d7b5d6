"""A private nginx in front of gunicorn: what gunicorn's own docs say to deploy.

gunicorn's threaded worker gives a thread to a connection as soon as it is accepted, so a
handful of clients that send a request one header line every few seconds (slowloris) hold
every thread and take the server offline. gunicorn's documentation assumes a buffering
proxy in front ("we strongly advise that you use Nginx"). This module starts one the way
:mod:`authkit.services` starts the private Redis: its own configuration in a temporary
directory, a free loopback port, removed on exit; the system nginx (if any) is never
touched.

What the front does, the same for every variant:

* buffers each request completely (headers and body) before gunicorn sees it, with client
  header/body timeouts, so a slow client costs an nginx connection, not a gunicorn thread;
* refuses bodies over 16 KiB (declared or chunked) with the contract's 413 envelope, and
  answers the errors it produces itself (400, 413, 414, 431, 502/504) with JSON envelopes
  instead of HTML pages; its request-line and header limits are below gunicorn's, so
  gunicorn's own HTML 400/414/431 answers are never reached through it;
* sets ``X-Forwarded-For`` to the address it saw (overwriting whatever the client sent),
  which the login throttle trusts from this proxy only;
* with ``tls``, terminates HTTPS (HTTP/1.1 and HTTP/2, HSTS on every answer) with a
  certificate from a CA made for the front (:mod:`authkit.tls`), and answers plain HTTP on a
  second port with a 308 to ``https``.

``AUTHKIT_FRONT=none`` (or ``front="none"``) serves gunicorn directly.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from authkit import tls as _tls
from authkit.services import (
    PrivateServer,
    ServiceError,
    _can_apt_install,
    apt_install,
    bracketed,
    find_binary,
    free_port,
    reachable_host,
    start_owned,
)
from authkit.services import wait_for_port as _wait_for_port
from shared.errors import code_for_status, error_body
from shared.http_policy import API_CSP
from shared.settings import MAX_BODY_BYTES

NGINX_PACKAGE = "nginx-light"
#: The observer listener's log of Cookie headers, in the front's directory.
OBSERVER_LOG = "observer.log"
#: The fronts the kit can run: ``nginx`` (default) or ``none`` (gunicorn faces clients).
FRONTS = ("nginx", "none")

#: Seconds a client may take to send its request headers, and between two body reads.
CLIENT_HEADER_TIMEOUT_SECONDS = 10
CLIENT_BODY_TIMEOUT_SECONDS = 10
#: Request line and each header line at most this long (gunicorn allows 4094 / 8190):
#: a longer request line is a JSON 414 here, a longer header a JSON 431.
HEADER_BUFFER_BYTES = 4096
HEADER_BUFFERS = 4

#: The statuses nginx may produce itself, and what each says (status -> message).
NGINX_ERRORS: dict[int, str] = {
    400: "The request could not be understood.",
    404: "No such resource.",
    413: f"Request bodies are limited to {MAX_BODY_BYTES} bytes.",
    414: f"The request line is limited to {HEADER_BUFFER_BYTES} bytes.",
    431: f"Each request header is limited to {HEADER_BUFFER_BYTES} bytes.",
    503: "The service is unavailable; try again shortly.",
}


def default_front() -> str:
    """``AUTHKIT_FRONT`` (``nginx`` or ``none``); nginx unless told otherwise."""
    front = (os.environ.get("AUTHKIT_FRONT") or "nginx").strip().lower()
    if front not in FRONTS:
        raise SystemExit(f"AUTHKIT_FRONT must be one of {', '.join(FRONTS)}, not {front!r}")
    return front


def ensure_nginx() -> str:
    """The nginx binary: found, or installed with apt-get as root, or a clear error."""
    found = find_binary("nginx")
    if found:
        return found
    if not _can_apt_install():
        raise ServiceError(
            "authkit puts nginx in front of gunicorn and could not find it. Install it "
            f"(Debian/Ubuntu: sudo apt-get install -y {NGINX_PACKAGE}; macOS: brew install "
            "nginx) or run without a front: AUTHKIT_FRONT=none."
        )
    # Debian starts a freshly installed nginx on port 80 unless policy-rc.d says no; the
    # kit only wants the binary, so the package's service is kept from starting.
    apt_install([NGINX_PACKAGE], {"RUNLEVEL": "1"})
    found = find_binary("nginx")
    if not found:
        raise ServiceError(f"{NGINX_PACKAGE} was installed but no nginx binary was found")
    return found


def _json_literal(status: int) -> str:
    """An error envelope as an nginx string literal (single-quoted, escaped)."""
    body = json.dumps(error_body(code_for_status(status), NGINX_ERRORS[status]))
    return "'" + body.replace("\\", "\\\\").replace("'", "\\'") + "\\n'"


def _error_locations(extra_headers: str = "") -> str:
    """The internal locations that answer nginx's own errors as the contract's envelopes."""
    locations = []
    for status in NGINX_ERRORS:
        retry = "add_header Retry-After 1 always;" if status == 503 else ""
        locations.append(
            f"""
        location = /.authkit-error-{status} {{
            internal;
            default_type application/json;
            add_header Content-Security-Policy "{API_CSP}" always;
            add_header X-Content-Type-Options nosniff always;
            add_header Cache-Control no-store always;
            {retry}
            {extra_headers}
            return {status} {_json_literal(status)};
        }}"""
        )
    return "".join(locations)


#: nginx's own errors, as the contract's envelopes (494: a header line too long; 497: plain
#: HTTP sent to the TLS port). URIs, not named locations: a request whose line could not be
#: parsed has no URI to carry into a named location.
ERROR_PAGES = """
        error_page 400 411 501 505 =400 /.authkit-error-400;
        error_page 497 =400 /.authkit-error-400;
        error_page 404 /.authkit-error-404;
        error_page 413 /.authkit-error-413;
        error_page 414 /.authkit-error-414;
        error_page 494 =431 /.authkit-error-431;
        error_page 500 502 504 =503 /.authkit-error-503;"""


def _proxy_location(extra: str = "") -> str:
    """``location /``: the request, buffered whole, to gunicorn."""
    return f"""
        location / {{
            proxy_pass http://gunicorn;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            # The address nginx saw, replacing any X-Forwarded-For the client sent.
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_request_buffering on;
            proxy_buffering on;
            proxy_connect_timeout 2s;
            proxy_read_timeout 30s;
            proxy_send_timeout 30s;
            {extra}
        }}"""


@dataclass(frozen=True)
class Listeners:
    """Where a front listens: its main ``host:port`` (TLS when ``certificate`` is given),
    the plain-HTTP port that redirects to it, and an optional observer port."""

    main: str
    host: str
    port: int
    certificate: _tls.RunCertificate | None = None
    plain_port: int | None = None
    observer_port: int | None = None


def nginx_config(workdir: Path, listeners: Listeners, upstream_port: int) -> str:
    """The whole nginx.conf of a private front."""
    temp = {name: workdir / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    return f"""# written by authkit.front; removed with its directory
daemon off;
master_process on;
worker_processes 1;
pid {workdir / "nginx.pid"};
error_log {workdir / "error.log"} warn;

events {{
    worker_connections 4096;
}}

http {{
    access_log off;
    server_tokens off;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    # What an eavesdropper on the observer's plain HTTP reads (observer listener only).
    log_format observer '$request_method $uri cookie=$http_cookie';

    # Slow clients: nginx waits for them, gunicorn never does.
    client_header_timeout {CLIENT_HEADER_TIMEOUT_SECONDS}s;
    client_body_timeout {CLIENT_BODY_TIMEOUT_SECONDS}s;
    send_timeout 10s;
    keepalive_timeout 5s;
    reset_timedout_connection on;
    client_header_buffer_size 1k;
    large_client_header_buffers {HEADER_BUFFERS} {HEADER_BUFFER_BYTES};
    client_max_body_size {MAX_BODY_BYTES};
    client_body_buffer_size {MAX_BODY_BYTES};

    upstream gunicorn {{
        server 127.0.0.1:{upstream_port};
        keepalive 32;
    }}
{_main_server(listeners)}{_plain_servers(listeners)}{_observer_server(workdir, listeners)}
}}
"""


def _main_server(listeners: Listeners) -> str:
    certificate = listeners.certificate
    if certificate is None:
        return f"""
    server {{
        listen {listeners.main} default_server;
{ERROR_PAGES}
{_proxy_location()}
{_error_locations()}
    }}
"""
    # HSTS on every answer over TLS, the front's own errors included; ``always`` and
    # repeated per location, since a location with add_header of its own inherits none.
    hsts = f'add_header Strict-Transport-Security "max-age={_tls.HSTS_MAX_AGE_SECONDS}" always;'
    return f"""
    server {{
        listen {listeners.main} ssl http2 default_server;
        ssl_certificate {certificate.chain_path};
        ssl_certificate_key {certificate.key_path};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:authkit:1m;
{ERROR_PAGES}
{_proxy_location(hsts)}
{_error_locations(hsts)}
    }}
"""


def _plain_servers(listeners: Listeners) -> str:
    """Plain HTTP beside TLS: a 308 to ``https`` for the certificate's names; any other Host
    gets the front's JSON 400, as the app would answer it."""
    if listeners.certificate is None or listeners.plain_port is None:
        return ""
    listen = f"{bracketed(listeners.host)}:{listeners.plain_port}"
    names = " ".join(bracketed(name) for name in _tls.SERVER_NAMES)
    return f"""
    server {{
        listen {listen} default_server;
{ERROR_PAGES}
        location / {{
            return 400;
        }}
{_error_locations()}
    }}

    server {{
        listen {listen};
        server_name {names};
        location / {{
            return 308 https://$host:{listeners.port}$request_uri;
        }}
    }}
"""


def _observer_server(workdir: Path, listeners: Listeners) -> str:
    """A second, plain-HTTP listener of the same app that logs each request's Cookie header:
    the eavesdropper on an unencrypted hop, made visible."""
    if listeners.observer_port is None:
        return ""
    return f"""
    server {{
        listen {bracketed(listeners.host)}:{listeners.observer_port};
        access_log {workdir / OBSERVER_LOG} observer;
{ERROR_PAGES}
{_proxy_location()}
{_error_locations()}
    }}
"""


class PrivateNginx(PrivateServer):
    """An nginx of our own in front of one gunicorn, on a free loopback port.

    ``tls``: the main port speaks HTTPS (HTTP/1.1 and HTTP/2, HSTS) with a certificate from
    a CA made for this front (:mod:`authkit.tls`), and a second port answers plain HTTP
    with a 308 to it. ``observer``: one more plain-HTTP port serving the same app, which
    logs every request's Cookie header (:meth:`observed`).
    """

    prefix = "authkit-nginx-"
    stop_signal = signal.SIGQUIT  # graceful: finish the requests in flight
    kill_signal = signal.SIGKILL

    def __init__(
        self,
        upstream_port: int,
        workdir: Path | None = None,
        port: int | None = None,
        host: str = "127.0.0.1",
        tls: bool = False,
        observer: bool = False,
    ) -> None:
        super().__init__(workdir, port)
        self.upstream_port = upstream_port
        self.host = host
        self.tls = tls
        self.certificate: _tls.RunCertificate | None = None
        self.plain_port: int | None = free_port() if tls else None
        self.observer_port: int | None = free_port() if observer else None

    def _url(self, scheme: str, port: int | None) -> str:
        return f"{scheme}://{bracketed(reachable_host(self.host))}:{port}"

    @property
    def url(self) -> str:
        return self._url("https" if self.tls else "http", self.port)

    @property
    def plain_url(self) -> str | None:
        """Plain HTTP beside TLS (it redirects); None without TLS, where ``url`` is plain."""
        return self._url("http", self.plain_port) if self.plain_port else None

    @property
    def observer_url(self) -> str | None:
        return self._url("http", self.observer_port) if self.observer_port else None

    def observed(self) -> list[str]:
        """What the observer saw, a line per request: ``METHOD /path cookie=...``."""
        log = self.workdir / OBSERVER_LOG
        return log.read_text(errors="replace").splitlines() if log.exists() else []

    def start(self) -> PrivateNginx:
        binary = ensure_nginx()
        self.workdir.mkdir(parents=True, exist_ok=True)
        # As root, nginx's workers run as an unprivileged user that must reach the
        # temporary directories nginx creates in here.
        os.chmod(self.workdir, 0o755)  # noqa: S103 - holds no secret, only nginx.conf
        if self.tls and self.certificate is None:
            self.certificate = _tls.issue(self.workdir / "tls")
        conf = self.workdir / "nginx.conf"
        listeners = Listeners(
            main=f"{bracketed(self.host)}:{self.port}",
            host=self.host,
            port=self.port,
            certificate=self.certificate,
            plain_port=self.plain_port,
            observer_port=self.observer_port,
        )
        conf.write_text(nginx_config(self.workdir, listeners, self.upstream_port))
        error_log = self.workdir / "error.log"
        self.proc = start_owned(
            [binary, "-p", str(self.workdir), "-c", str(conf), "-e", str(error_log)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for port in (self.port, self.plain_port, self.observer_port):
                if port:
                    _wait_for_port(port, proc=self.proc, host=reachable_host(self.host))
        except ServiceError as exc:
            tail = error_log.read_text(errors="replace")[-2000:] if error_log.exists() else ""
            raise ServiceError(f"nginx did not start: {exc}\n{tail}") from None
        return self


def front_settings(front: str, tls: bool = False) -> dict[str, object]:
    """What the front is, for reports (``authkit compare`` records it with its results)."""
    if front == "none":
        return {"front": "none"}
    return {
        "front": "nginx",
        "tls": tls,
        "request_buffering": True,
        "client_header_timeout_s": CLIENT_HEADER_TIMEOUT_SECONDS,
        "client_body_timeout_s": CLIENT_BODY_TIMEOUT_SECONDS,
        "max_body_bytes": MAX_BODY_BYTES,
        "header_buffer_bytes": HEADER_BUFFER_BYTES,
    }
