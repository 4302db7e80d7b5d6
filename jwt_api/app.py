"""The app factory: settings, services for the mode, the shared Flask layer and the routes."""

from __future__ import annotations

from flask import Flask, Response, request

from jwt_api import views
from jwt_api.config import JwtConfig
from jwt_api.services import EXTENSION, build_services
from shared import flask_api
from shared.passwords import warm_up
from shared.redis_store import STORE_ERRORS


def create_app(config: JwtConfig | None = None) -> Flask:
    """A ready app; settings from the environment unless given (bad ones stop start-up)."""
    config = config or JwtConfig.from_env()
    app = Flask(__name__)
    app.config["DEBUG"] = False
    app.extensions[EXTENSION] = build_services(config)
    flask_api.install(
        app, store_errors=STORE_ERRORS, allowed_hosts=list(config.shared.allowed_hosts)
    )
    client = app.extensions[EXTENSION].redis
    flask_api.install_login_throttle(app, client)
    # Both modes need Redis for logins and carts, so both report it (503 when it is down).
    flask_api.install_public_routes(app, config.shared, f"jwt-{config.mode}", client.ping)
    views.register(app)

    @app.after_request
    def _bearer_challenge(response: Response) -> Response:
        # RFC 6750 §3: a 401 on a protected resource names the scheme it wants.
        if response.status_code == 401 and request.endpoint != "login":
            response.headers["WWW-Authenticate"] = 'Bearer realm="authkit"'
        return response

    warm_up()  # the first unknown-user login must not be slower than the others
    return app
