"""What a browser does with each variant's credential, shown in Chromium (not claimed).

Each test asserts one declared row of the behaviour matrix (``authkit/variants.py``):

- ``xss_reads_credential``: a script injected into the page reads what it can. The page's CSP
  refuses injected ``<script>`` tags, so the injection is simulated with Playwright's
  ``evaluate``, which runs in the page like a script that got past the policy would.
- ``cross_site_write``: a page on 127.0.0.2 posts a form and two fetches to the cart.
- ``other_tab_after_logout``: a tab that shares the credential, after logout in another.
- ``back_after_logout``: Back after logout loads the page afresh.
"""

from __future__ import annotations

import json
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import requests

from authkit import browser as ui
from authkit.launcher import Target
from tests.browser.conftest import ATTACKER_HOST
from tests.targets import Fleet, bearer_style, only_targets

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Request

#: What an injected script finds by looking everywhere script can look, but the module scope
#: of the page's own script (which a second script cannot name).
LOOK_EVERYWHERE = """() => {
  const found = {cookie: document.cookie, localStorage: {}, sessionStorage: {}, window: []};
  for (const [name, store] of [["localStorage", localStorage], ["sessionStorage", sessionStorage]])
    for (let i = 0; i < store.length; i++) found[name][store.key(i)] = store.getItem(store.key(i));
  for (const key of Object.keys(window)) {
    let value;
    try { value = JSON.stringify(window[key]); } catch { continue; }
    if (typeof value === "string" && value.includes("eyJ")) found.window.push(key);
  }
  return found;
}"""

#: The injected script acting as the user through the session cookie the browser attaches.
ACT_WITH_SESSION = """async () => {
  const csrf = (await (await fetch("/csrf")).json()).csrf_token;
  const response = await fetch("/cart/items", {
    method: "POST",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
    body: JSON.stringify({product_id: "sku-009", quantity: 3}),
  });
  return response.status;
}"""

#: An injected script wrapping fetch: it sees the Authorization header of the page's next call.
HOOK_FETCH = """() => {
  window.__stolen = [];
  const original = window.fetch;
  window.fetch = (input, init = {}) => {
    const auth = init.headers && init.headers.Authorization;
    if (auth) window.__stolen.push(auth.replace("Bearer ", ""));
    return original(input, init);
  };
}"""


def _open_logged_in(page: Page, target: Target, user: tuple[str, str], storage: str) -> None:
    ui.open_page(page, target.url, storage=storage)  # type: ignore[arg-type]
    ui.log_in(page, *user)


def _me_with_bearer(target: Target, token: str) -> requests.Response:
    """Another client, anywhere: plain requests with nothing but the token."""
    return requests.get(
        target.url + "/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


# -- XSS -----------------------------------------------------------------------------------


def test_injected_script_reads_what_the_declaration_says(
    target: Target, context: BrowserContext, user: tuple[str, str]
) -> None:
    declared = target.declaration("xss_reads_credential")
    page = context.new_page()
    if declared == "nothing":
        _open_logged_in(page, target, user, "memory")
        cookies = {c["name"]: c for c in context.cookies(target.url)}
        assert cookies, "the browser holds the session cookie"
        assert all(c["httpOnly"] for c in cookies.values())
        found = page.evaluate(LOOK_EVERYWHERE)
        for name, cookie in cookies.items():
            assert name not in found["cookie"] and cookie["value"] not in json.dumps(found)
        # What it still can do: act as the user while the page is open (the browser attaches
        # the cookie to same-origin calls; the CSRF token is readable by design).
        assert page.evaluate(ACT_WITH_SESSION) == 200
        page.click("#cart-refresh")
        page.wait_for_selector("#cart-lines tr[data-product='sku-009']")
        return

    assert declared == "tokens_in_local_storage"
    # localStorage mode: the token is there to read, and it works from another client.
    _open_logged_in(page, target, user, "local")
    stored = page.evaluate(LOOK_EVERYWHERE)["localStorage"]["authkit.tokens"]
    stolen = json.loads(stored)
    assert _me_with_bearer(target, stolen["access"]).json() == {"username": user[0]}
    page.evaluate("localStorage.clear()")  # the memory mode below starts from a clean origin
    page.close()

    # Memory mode (the default): nothing anywhere script can look ...
    page = context.new_page()
    _open_logged_in(page, target, user, "memory")
    found = page.evaluate(LOOK_EVERYWHERE)
    assert found == {"cookie": "", "localStorage": {}, "sessionStorage": {}, "window": []}
    # ... but a script running while the page is open can still act as the user, and by
    # wrapping fetch it sees the token of the page's next call, usable from anywhere.
    page.evaluate(HOOK_FETCH)
    page.click("#cart-refresh")
    page.wait_for_function("window.__stolen.length > 0")
    token = page.evaluate("window.__stolen[0]")
    assert _me_with_bearer(target, token).status_code == 200
    # After a reload a second injected script finds nothing: the tokens died with the page.
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert page.evaluate(LOOK_EVERYWHERE) == found
    assert page.is_visible("#login")


# -- CSRF from another site ------------------------------------------------------------------

ATTACK_PAGE = """<!doctype html><title>win a prize</title>
<iframe name="sink" id="sink"></iframe>
<form id="form" method="POST" action="{target}/cart/items" target="sink" enctype="text/plain">
  <input name='{{"product_id": "sku-007", "quantity": 5, "x": "' value='"}}'>
</form>
<script>
(async () => {{
  const body = JSON.stringify({{product_id: "sku-007", quantity: 5}});
  const results = {{}};
  try {{  // a "simple" request: no preflight, the response is opaque to this page
    await fetch("{target}/cart/items", {{method: "POST", mode: "no-cors", credentials: "include",
      headers: {{"Content-Type": "text/plain"}}, body}});
    results.no_cors = "sent";
  }} catch (e) {{ results.no_cors = "failed: " + e; }}
  try {{  // JSON needs a CORS preflight, which the API never grants
    const r = await fetch("{target}/cart/items", {{method: "POST", credentials: "include",
      headers: {{"Content-Type": "application/json"}}, body}});
    results.cors = "status " + r.status;
  }} catch (e) {{ results.cors = "blocked"; }}
  document.getElementById("sink").addEventListener("load", () => {{
    results.form = "submitted";
    document.body.dataset.results = JSON.stringify(results);
  }});
  document.getElementById("form").submit();
}})();
</script>"""


def test_another_site_cannot_write_to_the_cart(
    target: Target,
    context: BrowserContext,
    user: tuple[str, str],
    attacker_server: ThreadingHTTPServer,
) -> None:
    declared = target.declaration("cross_site_write")
    victim = context.new_page()
    _open_logged_in(victim, target, user, "memory")
    ui.empty_cart(victim)
    ui.add_to_cart(victim, "sku-001")

    attacker_server.html = ATTACK_PAGE.format(target=target.url)  # type: ignore[attr-defined]
    attacker_url = f"http://{ATTACKER_HOST}:{attacker_server.server_address[1]}/"
    sent: list[Request] = []
    context.on("request", lambda r: sent.append(r) if r.url.endswith("/cart/items") else None)
    evil = context.new_page()  # the same browser, while the victim's page is open
    evil.goto(attacker_url)
    evil.wait_for_selector("body[data-results]")
    results = json.loads(evil.get_attribute("body", "data-results") or "{}")
    assert results["cors"] == "blocked", results  # preflight refused: never sent

    writes = [r for r in sent if r.method == "POST" and r.frame.page == evil]
    form = [r for r in writes if r.resource_type == "document"]
    fetches = [r for r in writes if r.resource_type == "fetch"]
    assert len(form) == 1 and len(fetches) == 2, [(r.resource_type, r.url) for r in writes]
    # The form's navigation shows what the browser sent (Playwright has its raw headers).
    headers: dict[str, Any] = form[0].all_headers()
    assert headers["sec-fetch-site"] == "cross-site"
    assert headers["origin"] == attacker_url.rstrip("/")
    assert "cookie" not in headers, "SameSite=Lax keeps the session cookie off"
    assert "authorization" not in headers, "nothing attaches a bearer token"
    # The JSON fetch needs a CORS preflight, which the API never grants: it is not sent.
    json_fetch = [r for r in fetches if r.headers.get("content-type") == "application/json"]
    assert len(json_fetch) == 1 and json_fetch[0].response() is None, json_fetch
    answered = [form[0], *(r for r in fetches if r not in json_fetch)]
    statuses = [r.response().status for r in answered]  # type: ignore[union-attr]
    if declared == "refused":
        # 403 where Fetch Metadata refuses first, 401 where authentication (no cookie) does.
        assert all(status in (401, 403) for status in statuses), statuses
    else:
        assert declared == "no_credential"
        assert statuses == [401, 401]

    victim.evaluate("document.getElementById('cart-lines').replaceChildren()")
    victim.click("#cart-refresh")  # the cart as the server has it now
    victim.wait_for_selector("#cart-lines tr[data-product='sku-001']")
    assert ui.cart_quantity(victim, "sku-001") == 1
    assert ui.cart_quantity(victim, "sku-007") == 0


# -- logout in another tab -------------------------------------------------------------------


def test_other_tab_after_logout(
    target: Target, context: BrowserContext, user: tuple[str, str]
) -> None:
    """Tab B shares tab A's credential: the cookie jar, or (bearer) the localStorage token
    it loaded at start. After A logs out, B's next request shows what the server does."""
    declared = target.declaration("other_tab_after_logout")
    storage = "local" if target.style == "bearer" else "memory"
    tab_a = context.new_page()
    _open_logged_in(tab_a, target, user, storage)
    tab_b = context.new_page()
    ui.open_page(tab_b, target.url, storage=storage)  # type: ignore[arg-type]
    assert tab_b.text_content("#whoami") == user[0], "tab B starts logged in"

    tab_a.click("#logout")
    tab_a.wait_for_url("**/?*logged_out=1*")
    with tab_b.expect_response(lambda r: r.url.endswith("/cart")) as first:
        tab_b.click("#cart-refresh")
    status = first.value.status
    assert {200: "accepted", 401: "refused"}.get(status) == declared, status
    if declared == "refused":
        tab_b.wait_for_selector("#login:not([hidden])")


@only_targets(bearer_style)
def test_tabs_with_tokens_in_memory_log_in_and_out_on_their_own(
    target_id: str, fleet: Fleet, context: BrowserContext
) -> None:
    """In memory mode nothing is shared between tabs: each logs in (a token family of its
    own), and a logout in one leaves the other logged in, in both JWT modes."""
    target = fleet.get(target_id)
    user = ("bob", "bob-pass-123")  # no other browser test logs in as bob
    tab_a = context.new_page()
    _open_logged_in(tab_a, target, user, "memory")
    tab_b = context.new_page()
    ui.open_page(tab_b, target.url)
    assert tab_b.is_visible("#login"), "a new tab has no token: it must log in itself"
    ui.log_in(tab_b, *user)
    tab_a.click("#logout")
    tab_a.wait_for_url("**/?*logged_out=1*")
    with tab_b.expect_response(lambda r: r.url.endswith("/cart")) as first:
        tab_b.click("#cart-refresh")
    assert first.value.status == 200


# -- Back after logout -----------------------------------------------------------------------


def test_back_after_logout_shows_no_authenticated_page(
    target: Target, context: BrowserContext, user: tuple[str, str]
) -> None:
    assert target.declaration("back_after_logout") == "login_form"
    page = context.new_page()
    _open_logged_in(page, target, user, "memory")
    ui.add_to_cart(page, "sku-003")
    page.evaluate("window.__loggedInDocument = true")  # marks this very document

    page.click("#logout")
    page.wait_for_url("**/?*logged_out=1*")
    page.wait_for_selector("body[data-ready='1']")
    page.go_back()
    assert page.url.rstrip("/") == target.url
    page.wait_for_selector("body[data-ready='1']")
    # A new document (not the logged-in one from the back/forward cache) ...
    assert page.evaluate("window.__loggedInDocument") is None
    assert page.evaluate("performance.getEntriesByType('navigation')[0].type") == "back_forward"
    # ... that asked the server and shows the login form, no name, no cart.
    assert page.is_visible("#login")
    assert not page.is_visible("#account")
    assert not page.is_visible("#cart-section")
    assert page.text_content("#whoami") == ""
    assert page.query_selector_all("#cart-lines tr") == []
