"""The harness's share of a cookie-carrying request: not server work, shown apart."""

from __future__ import annotations

from typing import Any

from authkit.cost.parts import PartRecorder, require


def cookie_jar(recorder: PartRecorder, app: Any, caller: Any) -> None:
    """Werkzeug's test client putting the session cookie on a request.

    Measured calls include the test client's own work. For a cookie-carrying request that
    work is larger than for the baseline's (whose jar is empty), and that difference is no
    cost of the server's: it is shown as its own part so it is not blamed on the design.
    """
    from werkzeug.test import Client, EnvironBuilder

    require(bool(caller.client._cookies), "the logged-in client holds no cookie")
    empty = Client(app)
    environ = EnvironBuilder("/me").get_environ()
    recorder.measure_difference(
        "harness: test client's cookie jar (not server work)",
        lambda: caller.client._add_cookies_to_wsgi(dict(environ)),
        lambda: empty._add_cookies_to_wsgi(dict(environ)),
        note="werkzeug Client._add_cookies_to_wsgi with the session cookie minus an empty jar",
    )
