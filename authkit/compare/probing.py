"""The probe of each verified variant, after the rounds: one server restarted to count.

The server is started again with a counting wrapper (:mod:`loadtests.sqlcount`) and short
credential lifetimes, and the sequential measurements of :mod:`.probes` run against it:
storage calls per endpoint, credential bytes and how they grow with the cart, revocation
windows; then a screenshot of its page and, when asked, what a cache restart loses
(:mod:`.restart_loss`). Apart from :mod:`.probes` because this part starts servers and
browsers and writes the targets' status, while :mod:`.probes` only sends requests.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import traceback
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from authkit import browser
from authkit.compare import probes, restart_loss
from authkit.compare.plan import probe_label
from authkit.compare.state import RunState, account, short
from authkit.compare.targets import Target
from authkit.server import Stores, project_root

#: How a probe serves its variant: :meth:`authkit.compare.rounds.Rounds.serve`.
Serve = Callable[..., AbstractContextManager[Any]]


class Probing:
    """Probes the targets of one run, serving each through ``serve``."""

    def __init__(self, run: RunState, serve: Serve) -> None:
        self.run = run
        self.serve = serve

    def probe(self, target: Target, stores: Stores) -> None:
        """Serve ``target`` again, counting, with short lifetimes, and probe it; a failure
        is noted on the target, its load numbers stand."""
        with self.run.timer.step(probe_label(target.name)):
            lifetime = self.run.options.revocation_lifetime
            counting = dataclasses.replace(
                target.variant,
                app="loadtests.sqlcount:application",
                env={**target.variant.env, "AUTHKIT_WRAPPED_WSGI": target.variant.app},
            )
            lifetimes = {
                "ACCESS_TTL_SECONDS": str(lifetime),
                "SESSION_IDLE_SECONDS": str(lifetime),
                "SESSION_ABSOLUTE_SECONDS": str(lifetime),
            }
            redis_url = stores.redis_url if target.variant.uses_redis else None
            memcached_url = stores.memcached_url if target.variant.uses_memcached else None
            try:
                with self.serve(
                    target, stores, variant=counting, extra=lifetimes, tag="probe"
                ) as srv:
                    style = target.variant.style
                    calls = probes.storage_calls_per_endpoint(
                        srv.url,
                        style,
                        redis_url,
                        account=self.run.seed_count - 1,
                        memcached_url=memcached_url,
                    )
                    credential = probes.login(srv.url, style, *account(self.run.seed_count - 1))
                    probe = {
                        "storage_calls": calls,
                        "credential_bytes": probes.credential_bytes(credential),
                        # Bytes sent per request against cart lines (the size chart).
                        "credential_size_by_cart_lines": probes.credential_sizes(
                            srv.url, style, *account(self.run.seed_count - 4)
                        ),
                        "sql_counter": "loadtests.sqlcount (Django execute_wrapper)"
                        if target.variant.store == "database"
                        else None,
                        "redis_counter": "INFO commandstats deltas" if redis_url else None,
                        "memcached_counter": "stats deltas" if memcached_url else None,
                    }
                    self.run.status[target.name].probe = probe
                    if "revocation" in self.run.options.scenarios:
                        self.run.status[target.name].revocation = probes.revocation_windows(
                            srv.url,
                            style,
                            lifetime,
                            accounts=(self.run.seed_count - 2, self.run.seed_count - 3),
                        )
                    if self.run.options.screenshots:
                        self.screenshot(target, srv.url)
                if self.run.options.restart_loss and restart_loss.observes(target.variant):
                    self.run.status[target.name].restart_loss = restart_loss.observe_restart_loss(
                        target.variant
                    )
            except Exception as exc:
                self.run.progress.note(
                    f"[yellow]probe of {target.name} failed: {short(exc)}[/yellow]"
                )
                self.run.status[target.name].probe_error = short(exc)
                self.run.status[target.name].probe_traceback = traceback.format_exc(limit=5)

    def screenshot(self, target: Target, url: str) -> None:
        """The variant's page in Chromium, logged in with a cart (for the report).

        In a child process: Playwright's sync API refuses to run in a thread that already
        has an event loop (a caller's own Playwright, e.g. the browser tests in one pytest
        session), and a browser that hangs is then bounded by a timeout.
        """
        reason = browser.unavailable_reason()
        if reason:
            self.run.status[target.name].screenshot_error = reason
            return
        out = self.run.out / "screenshots" / f"{target.name}.png"
        try:
            subprocess.run(
                [sys.executable, "-m", "authkit.browser", url, target.variant.style, str(out)],
                cwd=project_root(), capture_output=True, text=True, timeout=90, check=True,
            )  # fmt: skip
        except subprocess.CalledProcessError as exc:  # an extra: noted, not fatal
            lines = (exc.stderr or exc.stdout or "").strip().splitlines()
            self.run.status[target.name].screenshot_error = lines[-1] if lines else str(exc)
            return
        except subprocess.TimeoutExpired:
            self.run.status[target.name].screenshot_error = "Chromium took over 90 s"
            return
        self.run.status[target.name].screenshot = str(out.relative_to(self.run.out))
