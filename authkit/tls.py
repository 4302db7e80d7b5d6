"""HTTPS for a private front: a certificate authority made for the run, and its server cert.

Each front that serves TLS gets a CA of its own from ``trustme`` (a throwaway CA meant for
exactly this: real X.509, nothing hand-rolled), and one server certificate for every name
the kit's clients use: the loopback addresses, ``localhost``, and :data:`BROWSER_HOST`, a
real-looking name the browser tests map to loopback (Chromium treats ``localhost`` and
``127.0.0.1`` as secure origins even over plain HTTP, so a ``Secure`` cookie or HSTS is
only observable under a name that is not loopback by itself). The files live in the front's
own temporary directory and go with it.

Clients trust the CA by path (``verify=<ca.pem>`` on each request); Chromium trusts the leaf
by its public key (:func:`spki_sha256`, for ``--ignore-certificate-errors-spki-list``),
which keeps the certificate valid in the browser's eyes, so HSTS is honoured.
"""

from __future__ import annotations

import base64
import hashlib
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization

#: The name the browser tests serve the page under (mapped to 127.0.0.1 in Chromium).
BROWSER_HOST = "shop.authkit.test"
#: Every name the server certificate is valid for.
SERVER_NAMES = ("127.0.0.1", "::1", "localhost", BROWSER_HOST)
#: HSTS lifetime the front announces over TLS: one year, the floor of browsers' preload lists.
HSTS_MAX_AGE_SECONDS = 31_536_000


@dataclass(frozen=True)
class RunCertificate:
    """The files of one front's TLS: the CA clients trust, the chain and key nginx serves."""

    ca_path: Path
    chain_path: Path
    key_path: Path

    def spki_sha256(self) -> str:
        """Base64 SHA-256 of the leaf's SubjectPublicKeyInfo (what Chromium pins by)."""
        return spki_sha256(self.chain_path.read_bytes())


def issue(directory: Path, names: tuple[str, ...] = SERVER_NAMES) -> RunCertificate:
    """A fresh CA and a server certificate for ``names``, written to ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="authkit run CA")
    leaf = ca.issue_cert(*names)
    certificate = RunCertificate(
        ca_path=directory / "ca.pem",
        chain_path=directory / "server-chain.pem",
        key_path=directory / "server-key.pem",
    )
    ca.cert_pem.write_to_path(str(certificate.ca_path))
    chain = b"".join(blob.bytes() for blob in leaf.cert_chain_pems)
    certificate.chain_path.write_bytes(chain)
    leaf.private_key_pem.write_to_path(str(certificate.key_path))
    # nginx's workers (an unprivileged user when run as root) read the key after the
    # master has; the directory holds nothing but this run's throwaway certificate.
    certificate.key_path.chmod(0o644)
    return certificate


def spki_sha256(pem_chain: bytes) -> str:
    """Base64 SHA-256 of the first certificate's public key, DER SubjectPublicKeyInfo."""
    leaf = x509.load_pem_x509_certificate(pem_chain)
    der = leaf.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def client_context(verify: str | bool) -> ssl.SSLContext:
    """A client TLS context as ``requests`` would build it from ``verify`` (a CA path, or
    True for the system's trust store); ``False`` checks nothing."""
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if isinstance(verify, str):
        return ssl.create_default_context(cafile=verify)
    return ssl.create_default_context()


def connect(url: str, verify: str | bool = True, timeout: float = 10) -> socket.socket:
    """A raw connection to ``url``'s host and port, TLS-wrapped (HTTP/1.1) for ``https``:
    for checks that write bytes no HTTP client would send."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    sock = socket.create_connection((parts.hostname, port), timeout=timeout)
    if not https:
        return sock
    context = client_context(verify)
    context.set_alpn_protocols(["http/1.1"])
    try:
        return context.wrap_socket(sock, server_hostname=parts.hostname)
    except BaseException:
        sock.close()
        raise


def issue_once(directory: Path, names: tuple[str, ...]) -> tuple[RunCertificate, bool]:
    """The certificate in ``directory``, issued there first if any of its files is missing.

    Kept when present: clients trust its CA by file, and a restart that made a new CA would
    leave them trusting the old one. Returns the certificate and whether it was issued now.
    """
    certificate = RunCertificate(
        ca_path=directory / "ca.pem",
        chain_path=directory / "server-chain.pem",
        key_path=directory / "server-key.pem",
    )
    paths = (certificate.ca_path, certificate.chain_path, certificate.key_path)
    if all(path.is_file() and path.stat().st_size for path in paths):
        return certificate, False
    certificate = issue(directory, names)
    # Only nginx's master (root) reads the key here, so none but its owner needs to.
    certificate.key_path.chmod(0o600)
    return certificate, True


def main(argv: list[str] | None = None) -> int:
    """``python -m authkit.tls DIR [--name NAME ...]``: the compose ``tls`` profile's one-shot
    certificate service, writing ``ca.pem``, ``server-chain.pem`` and ``server-key.pem``."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m authkit.tls",
        description="Make a CA and a server certificate for this run (trustme) in DIR, "
        "unless DIR holds one already.",
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument(
        "--name",
        action="append",
        default=[],
        help="one more name the server certificate is valid for (repeatable)",
    )
    args = parser.parse_args(argv)
    names = tuple(dict.fromkeys([*SERVER_NAMES, *args.name]))
    certificate, issued = issue_once(args.directory, names)
    verb = "issued" if issued else "kept"
    print(f"authkit.tls: {verb} a certificate for {', '.join(names)}; CA: {certificate.ca_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
