"""The contract check a variant must pass before its numbers are taken.

The contract suite (``authkit.verify.run_contract``) is preferred. When it is not there
(the module is still being built, or this is a partial checkout), a smoke check of our own
runs instead and the results say so: a smoke check is not the contract.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from authkit.compare.probes import login
from authkit.server import project_root
from shared.catalog import PRODUCTS
from shared.users import load_user

CONTRACT = "contract-suite"
SMOKE = "smoke-check"
NONE = "none (baseline: no auth to verify)"


def contract_suite_available() -> bool:
    try:
        spec = importlib.util.find_spec("authkit.verify")
    except ModuleNotFoundError:
        return False
    if spec is None or spec.origin is None:
        return False
    return "def run_contract" in Path(spec.origin).read_text()


def verify(
    url: str, style: str, variant: str, log_path: Path, timeout: float = 300
) -> dict[str, Any]:
    """Run the contract suite (in a child, its output to ``log_path``) or the smoke check."""
    started = time.monotonic()
    if contract_suite_available():
        code = (
            "import sys; from authkit.verify import run_contract; "
            f"sys.exit(0 if run_contract({url!r}, {style!r}, {variant!r}) else 1)"
        )
        with open(log_path, "wb") as log:
            try:
                done = subprocess.run(
                    [sys.executable, "-c", code], cwd=project_root(), stdout=log,
                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=timeout,
                    check=False,
                )  # fmt: skip
                passed, detail = done.returncode == 0, f"exit code {done.returncode}"
            except subprocess.TimeoutExpired:
                passed, detail = False, f"timed out after {timeout:.0f}s"
        method = CONTRACT
    else:
        problems = smoke_check(url, style, variant)
        log_path.write_text("\n".join(problems) or "all smoke checks passed\n")
        passed, detail, method = not problems, "; ".join(problems[:3]), SMOKE
    return {
        "method": method,
        "passed": passed,
        "detail": detail,
        "seconds": round(time.monotonic() - started, 2),
        "log": log_path.name,
    }


def smoke_check(url: str, style: str, variant: str) -> list[str]:
    """A few contract rows over HTTP; returns what is wrong (empty when all is well)."""
    problems: list[str] = []

    def expect(condition: bool, what: str) -> None:
        if not condition:
            problems.append(what)

    try:
        health = requests.get(url + "/health", timeout=5)
        expect(health.status_code == 200, f"GET /health answered {health.status_code}")
        expect(health.json().get("variant") == variant, "GET /health names another variant")
        products = requests.get(url + "/products", timeout=5).json().get("products", [])
        expect(len(products) == len(PRODUCTS), "GET /products is not the catalogue")
        anonymous = requests.get(url + "/me", timeout=5)
        expect(anonymous.status_code == 401, f"GET /me without credential: {anonymous.status_code}")
        username, password = load_user(0)
        wrong = requests.post(
            url + "/login", json={"username": username, "password": "wrong"}, timeout=10
        )
        expect(wrong.status_code == 401, f"wrong password answered {wrong.status_code}")
        credential = login(url, style, username, password)
        me = requests.get(url + "/me", headers=credential.headers(), timeout=5)
        expect(
            me.status_code == 200 and me.json().get("username") == username,
            f"GET /me with credential: {me.status_code}",
        )
        added = requests.post(
            url + "/cart/items",
            json={"product_id": "sku-002", "quantity": 2},
            headers=credential.headers(unsafe=True),
            timeout=5,
        )
        expect(added.status_code == 200, f"POST /cart/items answered {added.status_code}")
        if style == "session":
            no_csrf = requests.post(
                url + "/cart/items",
                json={"product_id": "sku-002", "quantity": 1},
                headers=credential.headers(),
                timeout=5,
            )
            expect(no_csrf.status_code == 403, f"write without CSRF token: {no_csrf.status_code}")
        removed = requests.delete(
            url + "/cart/items/sku-002", headers=credential.headers(unsafe=True), timeout=5
        )
        expect(removed.status_code == 200, f"DELETE /cart/items answered {removed.status_code}")
        out = requests.post(url + "/logout", headers=credential.headers(unsafe=True), timeout=5)
        expect(out.status_code == 204, f"POST /logout answered {out.status_code}")
    except (requests.RequestException, ValueError, KeyError) as exc:
        problems.append(f"smoke check stopped: {exc}")
    return problems
