"""A. sessions: what an attacker can do with a session cookie or a bearer credential.

Whether the server's credential can be guessed, planted, read by script, sent further than
its origin, taken from a URL, tampered with or used after logout: the rows that hold for
either auth style (or say n/a), kept apart from the JWT-only forgeries in :mod:`.tokens`.
"""

from __future__ import annotations

from http.cookies import CookieError, Morsel

import requests

from authkit.audit.checks.base import (
    DIFFERS,
    FINDING,
    HELD,
    ITEM,
    NA,
    TIMEOUT,
    Observation,
    PreconditionFailed,
    check,
    held_if,
    is_envelope,
    logged_in,
    me_with,
    parse_set_cookie,
    require,
    require_login,
    require_me_ok,
    session_only,
    set_cookie_headers,
    status_codes,
)
from authkit.clients import BearerClient, SessionClient
from authkit.launcher import Target


@check(
    "session-id-entropy",
    "A. sessions",
    "Session IDs: random, >= 128 bits, never repeated",
    "ASVS 4.0.3 3.2.2; ASVS 5.0 7.2.3",
)
def session_id_entropy(target: Target) -> Observation:
    if not_here := session_only(target):
        return not_here
    if target.declared.get("session_state") == "client":
        return Observation(
            NA,
            "signed session cookie (declared session_state=client): the cookie carries the "
            "session's data, it is not a random ID",
        )
    # One user, five logins: an ID derived from the username (or anything else about the
    # account) repeats, where five different users would hide it.
    username, password = target.fresh_user()
    values = [_login_cookie(target, username, password)[1].coded_value for _ in range(5)]
    # Random IDs share no prefix of 4 characters (odds of 1 in 36**4 for one pair already).
    shared = next(
        (i for i, chars in enumerate(zip(*values, strict=False)) if len(set(chars)) > 1),
        min(map(len, values)),
    )
    ok = len(set(values)) == 5 and all(len(v) >= 22 for v in values) and shared < 4
    return held_if(
        ok,
        f"{len(set(values))} distinct IDs of {min(map(len, values))}+ chars for one user"
        + (f", all begin {values[0][:shared]!r}" if shared >= 4 else ""),
    )


def _login_cookie(
    target: Target, username: str | None = None, password: str | None = None
) -> tuple[str, Morsel]:
    """The cookie a successful login sets first (it must set one): its name and attributes."""
    if username is None or password is None:
        username, password = target.fresh_user()
    response = target.client().login(username, password)
    require_login(response)
    headers = set_cookie_headers(response)
    require(bool(headers), "the login set no cookie")
    try:
        return parse_set_cookie(headers[0])
    except (CookieError, ValueError) as exc:
        raise PreconditionFailed(
            f"the login's Set-Cookie does not parse: {headers[0][:60]!r}"
        ) from exc


@check(
    "fixation",
    "A. sessions",
    "Session fixation: the ID changes at login, the old one is dead",
    "ASVS 4.0.3 3.2.1; ASVS 5.0 7.2.4; OWASP SMCS",
)
def fixation(target: Target) -> Observation:
    if not_here := session_only(target):
        return not_here
    client: SessionClient = target.client()  # type: ignore[assignment]
    csrf = client.fetch_csrf()
    planted = client.credential()
    require(csrf.status_code == 200, f"GET /csrf answered {csrf.status_code}")
    require(bool(planted["cookies"]), "GET /csrf set no cookie: nothing to fixate")
    require_login(client.login(*target.fresh_user()))
    require_me_ok(client, "of the login")
    attacker = client.replay(planted)
    me = attacker.get("/me")
    write = attacker.post("/cart/items", json=ITEM)
    ok = (
        client.credential()["cookies"] != planted["cookies"]
        and is_envelope(me, 401)
        and write.status_code in (401, 403)
    )
    return held_if(ok, f"pre-login ID after login: {me.status_code}")


@check(
    "unissued-id",
    "A. sessions",
    "A session ID the server never issued is not adopted",
    "OWASP SMCS (session ID generation); ASVS 5.0 7.2.4",
)
def unissued_id(target: Target) -> Observation:
    if not_here := session_only(target):
        return not_here
    name, _ = _login_cookie(target)
    planted = "attackerchosen" + "a" * 30
    fresh = target.client()
    fresh.http.cookies.set(name, planted)
    login = fresh.login(*target.fresh_user())
    require_login(login)
    me = requests.get(
        target.url + "/me", cookies={name: planted}, timeout=TIMEOUT, verify=target.verify
    )
    ok = login.cookies.get(name) not in (None, planted) and is_envelope(me, 401)
    return held_if(ok, f"planted ID after login: {me.status_code}")


@check(
    "cookie-httponly",
    "A. sessions",
    "Session cookie is HttpOnly",
    "ASVS 4.0.3 3.4.2; ASVS 5.0 3.3.4",
)
def cookie_httponly(target: Target) -> Observation:
    if not_here := session_only(target):
        return not_here
    _, cookie = _login_cookie(target)
    return held_if(bool(cookie["httponly"]), "HttpOnly" if cookie["httponly"] else "no HttpOnly")


@check(
    "cookie-samesite",
    "A. sessions",
    "Session cookie has SameSite=Lax or Strict",
    "ASVS 4.0.3 3.4.3; ASVS 5.0 3.3.2",
)
def cookie_samesite(target: Target) -> Observation:
    if not_here := session_only(target):
        return not_here
    value = _login_cookie(target)[1]["samesite"]
    return held_if(value.lower() in {"lax", "strict"}, f"SameSite={value or 'absent'}")


@check(
    "cookie-scope",
    "A. sessions",
    "Session cookie: Path=/, host-only (no Domain)",
    "ASVS 4.0.3 3.4.4-3.4.5; ASVS 5.0 3.3.1 (__Host- prefix)",
)
def cookie_scope(target: Target) -> Observation:
    if not_here := session_only(target):
        return not_here
    _, cookie = _login_cookie(target)
    ok = cookie["path"] == "/" and not cookie["domain"]
    return held_if(ok, f"Path={cookie['path'] or None}, Domain={cookie['domain'] or 'none'}")


@check(
    "credential-in-url",
    "A. sessions",
    "A credential in the URL is ignored (401)",
    "ASVS 4.0.3 3.1.1; ASVS 5.0 14.2.1",
)
def credential_in_url(target: Target) -> Observation:
    client = logged_in(target)
    require_me_ok(client, "in its usual place")
    # Under the names a server might look for it, the credential's own name included.
    names = ["access_token", "token", "jwt", "session", "sessionid"]
    if isinstance(client, BearerClient):
        value = client.access_token or ""
    else:
        name, value = client.session_cookie() or ("session", "")
        names.append(name)
    responses = [
        requests.get(
            f"{target.url}/me", params={name: value}, timeout=TIMEOUT, verify=target.verify
        )
        for name in dict.fromkeys(names)
    ]
    seen = ", ".join(sorted({str(r.status_code) for r in responses}))
    return held_if(all(is_envelope(r, 401) for r in responses), f"GET /me?credential: {seen}")


@check(
    "tampered-credential",
    "A. sessions",
    "A tampered or garbage credential is 401",
    "ASVS 5.0 7.2.1, 9.1.1; RFC 8725 3.3",
)
def tampered_credential(target: Target) -> Observation:
    client = logged_in(target)
    require_me_ok(client, "untampered")
    responses = []
    if isinstance(client, BearerClient):
        token = client.access_token or ""
        head, body, sig = token.split(".")
        for bad in (f"{head}.{body}.{sig[::-1]}", f"{head}.{body}.", "garbage", "a.b.c", ""):
            responses.append(me_with(target, bad))
    else:
        name, value = client.session_cookie() or ("session", "")
        # A middle character: a signed cookie's last base64 character has spare bits, so
        # changing it may decode to the same bytes (not a tampering at all).
        mid = len(value) // 2
        flipped = value[:mid] + ("A" if value[mid : mid + 1] != "A" else "B") + value[mid + 1 :]
        bad_values = [flipped, value[::-1], value + "x", "", "x" * 64]
        if target.declared.get("session_state") == "server":
            # An opaque ID has no spare bits: its last character counts like any other.
            bad_values.append(value[:-1] + ("A" if value[-1:] != "A" else "B"))
        for bad in bad_values:
            responses.append(
                requests.get(
                    target.url + "/me", cookies={name: bad}, timeout=TIMEOUT, verify=target.verify
                )
            )
    return held_if(all(is_envelope(r, 401) for r in responses), status_codes(*responses))


@check(
    "logout-replay",
    "A. sessions",
    "The credential is dead right after logout",
    "ASVS 4.0.3 3.3.1; ASVS 5.0 7.4.1; OWASP JWTCS (denylist)",
)
def logout_replay(target: Target) -> Observation:
    client = logged_in(target)
    stolen = client.replay(client.credential())
    require_me_ok(stolen, "copied before logout")
    logout = client.logout()
    require(200 <= logout.status_code < 300, f"POST /logout answered {logout.status_code}")
    me = stolen.get("/me")
    status = me.status_code
    if status == 401:
        # Dead everywhere, not only on the endpoint that was asked first.
        cart = stolen.get("/cart")
        ok = is_envelope(me, 401) and is_envelope(cart, 401)
        return held_if(ok, "401 after logout" if ok else f"/me 401, /cart {cart.status_code}")
    if status == 200 and target.declared.get("revocation") == "at_expiry":
        return Observation(DIFFERS, "200 until exp (declared revocation=at_expiry)")
    return Observation(FINDING, f"{status} after logout")


@check(
    "logout-all-replay",
    "A. sessions",
    "Other devices are logged out by logout-all",
    "ASVS 4.0.3 3.3.3; ASVS 5.0 7.4.3",
)
def logout_all_replay(target: Target) -> Observation:
    username, password = target.fresh_user()
    laptop, phone = target.client(), target.client()
    require_login(laptop.login(username, password))
    require_login(phone.login(username, password))
    require_me_ok(phone, "of the other device")
    logout = laptop.logout_all()
    require(200 <= logout.status_code < 300, f"POST /logout-all answered {logout.status_code}")
    status = phone.get("/me").status_code
    if status == 401:
        return Observation(HELD, "other device 401")
    if status == 200 and target.declared.get("logout_all") == "at_expiry":
        return Observation(DIFFERS, "200 until exp (declared logout_all=at_expiry)")
    return Observation(FINDING, f"other device {status}")
