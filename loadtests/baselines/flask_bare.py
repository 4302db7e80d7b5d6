"""Flask with the kit's JSON plumbing (:mod:`shared.flask_api`) and no auth: the baseline
for ``flask-sessions`` and the JWT variants."""

from __future__ import annotations

from flask import Flask, Response, jsonify

from loadtests.baselines import FIXED_CART, FIXED_USER, LOGIN_BODY, cart_with, cart_without
from shared import flask_api
from shared.cart import parse_add_item, render_cart
from shared.catalog import PRODUCTS


def create_app() -> Flask:
    app = Flask(__name__)
    flask_api.install(app, store_errors=())

    @app.get("/health")
    def health() -> Response:
        return jsonify(status="ok", variant="flask-bare")

    @app.get("/products")
    def products() -> Response:
        return jsonify(products=PRODUCTS)

    @app.post("/login")
    def login() -> Response:
        flask_api.json_body()
        return jsonify(LOGIN_BODY)

    @app.get("/csrf")
    def csrf() -> Response:
        return jsonify(csrf_token="baseline")

    @app.get("/me")
    def me() -> Response:
        return jsonify(username=FIXED_USER)

    @app.get("/cart")
    def cart() -> Response:
        return jsonify(render_cart(FIXED_CART))

    @app.post("/cart/items")
    def add_item() -> Response:
        return jsonify(cart_with(*parse_add_item(flask_api.json_body())))

    @app.delete("/cart/items/<product_id>")
    def remove_item(product_id: str) -> Response:
        return jsonify(cart_without(product_id))

    @app.post("/token/refresh")
    def refresh() -> Response:
        return jsonify(LOGIN_BODY)

    @app.post("/logout")
    @app.post("/logout-all")
    def logout() -> Response:
        return Response(status=204)

    return app


app = create_app()
