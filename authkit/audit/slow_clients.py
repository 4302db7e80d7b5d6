"""The slow-client (slowloris) probe: do slow connections delay everybody else?

Opens ``connections`` sockets that each send a partial request and then one more header
line every ``drip_seconds``, never finishing, and meanwhile times ordinary ``GET
/products`` requests from other connections. Against gunicorn's threaded workers alone,
eight such connections hold every thread and the probes time out; behind a buffering proxy
they cost the proxy a connection each and the probes are answered as usual.

The verdict is a ratio measured in the same run, never an absolute time: the probes' median
latency while the slow clients are connected over the same probe's median without them
(half measured before they connect, half after they are closed, so a machine that gets
busier or quieter during the run moves both). On a shared machine an absolute bound either
fails for the neighbours' load or passes a server that slows down tenfold.

Bounded in time and count, loopback only (the URL is the caller's; the tests and the audit
pass the private server's): ``probes`` requests, ``probe_timeout`` seconds at most each,
then every slow socket is closed.
"""

from __future__ import annotations

import contextlib
import socket
import statistics
import threading
import time
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

import requests

from authkit import tls

#: The slow clients may make the median probe at most this many times slower. A server that
#: gives each slow client a thread stops answering (every probe waits until its timeout:
#: 441x its baseline, none of 6 probes answered, measured without the front); a buffering
#: front answers as usual. Measured behind nginx: 0.5-1.4x on an idle machine, up to 7.4x
#: with four test workers on two cores; the bound sits between the two by an order of
#: magnitude on each side.
DELAY_RATIO_BOUND = 20.0


@dataclass
class SlowClientResult:
    connections: int
    #: Slow connections still open (not yet dropped by the server) when probing ended.
    still_open: int
    probes: int
    answered: int
    #: Seconds per probe request (a probe that timed out counts as ``probe_timeout``).
    latencies: list[float]
    #: The same probe without slow clients: before they connect and after they are closed.
    baseline_latencies: list[float]

    @property
    def baseline_median(self) -> float:
        return statistics.median(self.baseline_latencies) if self.baseline_latencies else 0.0

    @property
    def delay_ratio(self) -> float:
        """How many times slower the median probe was with the slow clients connected."""
        return self.median_latency / self.baseline_median if self.baseline_median else 0.0

    @property
    def max_latency(self) -> float:
        return max(self.latencies) if self.latencies else 0.0

    @property
    def median_latency(self) -> float:
        return statistics.median(self.latencies) if self.latencies else 0.0

    @property
    def held(self) -> bool:
        """Every probe answered, and the median no more than the bound slower."""
        return self.answered == self.probes and self.delay_ratio <= DELAY_RATIO_BOUND

    def as_dict(self) -> dict[str, object]:
        return {
            **asdict(self),
            "max_latency": round(self.max_latency, 4),
            "median_latency": round(self.median_latency, 4),
            "baseline_median": round(self.baseline_median, 4),
            "delay_ratio": round(self.delay_ratio, 2),
        }


def _probe(url: str, timeout: float, verify: str | bool) -> tuple[bool, float]:
    started = time.perf_counter()
    try:
        # A new connection per probe, as a new client would open.
        response = requests.get(
            url + "/products", timeout=timeout, headers={"Connection": "close"}, verify=verify
        )
        ok = response.status_code == 200
    except requests.RequestException:
        ok = False
    elapsed = time.perf_counter() - started
    return ok, min(elapsed, timeout) if ok else timeout


def slow_client_probe(
    url: str,
    verify: str | bool = True,
    connections: int = 50,
    probes: int = 8,
    drip_seconds: float = 2.0,
    probe_interval: float = 0.4,
    probe_timeout: float = 3.0,
) -> SlowClientResult:
    """Run the probe against ``url`` and return what it measured (see the module doc);
    ``verify``: the CA an ``https`` URL's certificate chains to (each slow client does the
    TLS handshake, then drips its headers)."""
    parts = urlsplit(url)
    host, port = (
        parts.hostname or "127.0.0.1",
        parts.port or (443 if parts.scheme == "https" else 80),
    )
    baseline = [_probe(url, probe_timeout, verify)[1] for _ in range(max(1, probes // 2))]
    sockets: list[socket.socket] = []
    stop = threading.Event()

    def drip() -> None:
        line = 0
        while not stop.wait(drip_seconds):
            line += 1
            for sock in list(sockets):
                try:
                    sock.sendall(f"X-Slow-{line}: {'a' * 8}\r\n".encode())
                except OSError:
                    with contextlib.suppress(ValueError):
                        sockets.remove(sock)

    try:
        for _ in range(connections):
            sock = tls.connect(url, verify, timeout=2)
            sock.sendall(f"GET /products HTTP/1.1\r\nHost: {host}:{port}\r\n".encode())
            sockets.append(sock)
        dripper = threading.Thread(target=drip, daemon=True)
        dripper.start()
        time.sleep(min(drip_seconds, 1.0))  # let the server take them in
        results = []
        for _ in range(probes):
            results.append(_probe(url, probe_timeout, verify))
            time.sleep(probe_interval)
        still_open = len(sockets)
    finally:
        stop.set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()
    time.sleep(probe_interval)  # let the server notice the closed connections
    baseline += [_probe(url, probe_timeout, verify)[1] for _ in range(max(1, probes - probes // 2))]
    return SlowClientResult(
        connections=connections,
        still_open=still_open,
        probes=probes,
        answered=sum(ok for ok, _ in results),
        latencies=[round(seconds, 4) for _, seconds in results],
        baseline_latencies=[round(seconds, 4) for seconds in baseline],
    )
