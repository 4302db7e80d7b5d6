"""``authkit audit --leaked-key``: what the server's signing key buys, and what rotating it does.

Every cell is found by requests against a server the kit started, so the kit knows the key
it signs with (``SECRET_KEY``, handed to the server by the launcher); a server given by URL
is refused, since its key is not the kit's to know. The questions, for an attacker holding
the key and nothing else (the forgers in :mod:`authkit.audit.forgers`):

* log in as a user who never logged in, without touching the store;
* make a CSRF token the server accepts;
* read a captured session's contents;
* bring a logged-out credential back, its contents signed afresh.

Then the rotation, on the same server and stores (:meth:`authkit.launcher.Target.restart`):
step 1 restarts it with a new ``SECRET_KEY`` and the old one in ``SECRET_KEY_FALLBACKS``,
step 2 drops the fallback. After each: which sessions from before are still logged in (ones
idle in between, ones used in between, ones started in between) and what the old key still
forges. A few clients poll ``GET /me`` across each restart (bounded in time and requests),
counting the requests refused while the server restarts and the clients logged out by it
(the restart is a stop and a start of gunicorn behind the same nginx, which answers 502
meanwhile: an operator changing the environment restarts the same way).

A forgery's "no" is only worth something if the forger is right and the key is what it
measures: after step 2 the same forgeries are made with the *new* key and must succeed
wherever they did with the old one, and a key the server never had must forge nothing.

The JWT variants declare a second column (``KeyLeak.eddsa``): the same server restarted on
``JWT_ALGORITHM=EdDSA`` with a fresh Ed25519 key, the leaked key being its private key
(rotated through ``JWT_PRIVATE_KEY`` and ``JWT_PREVIOUS_KEYS``), plus what the public key
alone forges; the server is then put back on ``SECRET_KEY``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import requests

from authkit.audit.checks.base import ITEM, PreconditionFailed, logged_in, require
from authkit.audit.forgers import Forger, forger_class, forger_for
from authkit.audit.runner import AUDIT_ENV
from authkit.clients import ApiClient, auth_for
from authkit.launcher import Launcher, Target
from authkit.variants import VARIANTS, KeyLeak

#: Clients polling ``GET /me`` across each restart, and the bounds of their polling.
LOAD_CLIENTS = 4
LOAD_MAX_REQUESTS = 400  # per client and restart
LOAD_LEAD_SECONDS = 0.3  # polling before the restart begins
LOAD_TAIL_SECONDS = 1.0  # polling after the server answers again
#: Targets audited at once (each restarts its own server twice).
PARALLEL = 3


class NeedsTheKey(ValueError):
    """A target whose signing key the kit does not know (a server given by URL)."""


#: The cells, in table order: the declaration's key and the row's label.
ROWS: list[tuple[str, str]] = [
    ("forge_login_any_user", "key alone logs in as any user"),
    ("forge_csrf", "key forges a CSRF token"),
    ("read_session", "captured session readable"),
    ("revive_logged_out", "key revives a logged-out session"),
    ("kept_with_fallback", "rotate (old key as fallback): sessions kept"),
    ("copy_kept_with_fallback", "rotate (old key as fallback): a copy of the credential kept"),
    ("old_key_forges_with_fallback", "rotate (old key as fallback): old key forges"),
    ("kept_after_drop_idle", "drop the fallback: idle sessions kept"),
    ("kept_after_drop_active", "drop the fallback: sessions used meanwhile kept"),
    ("kept_after_drop_new", "drop the fallback: sessions started meanwhile kept"),
    ("old_key_forges_after_drop", "drop the fallback: old key forges"),
]
CELLS = [key for key, _ in ROWS]
#: The extra cell of a public-key algorithm (the EdDSA columns).
PUBLIC_KEY_ROW = ("public_key_forges", "EdDSA: the public key alone forges")
assert set(CELLS) == {f.name for f in fields(KeyLeak)} - {"forger", "eddsa", PUBLIC_KEY_ROW[0]}


@dataclass
class LoadCount:
    """``GET /me`` answers of the polling clients across one restart."""

    requests: int = 0
    ok: int = 0
    #: Answered 401: the session was not recognised.
    unauthenticated: int = 0
    #: Not answered by the app: connection errors, and the front's 5xx while it restarts.
    refused: int = 0
    #: Polling clients whose last answer was a 401 (logged out by the restart).
    clients_logged_out: int = 0


@dataclass
class LeakedKeyResult:
    """The measured cells of one target, with what its variant declares."""

    target: str
    measured: dict[str, Any] = field(default_factory=dict)
    declared: dict[str, Any] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)
    load: dict[str, LoadCount] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0

    @property
    def mismatches(self) -> list[tuple[str, Any, Any]]:
        """(cell, measured, declared) of every cell that contradicts the declaration."""
        if self.error:
            return [("error", self.error, None)]
        return [
            (key, self.measured.get(key), value)
            for key, value in self.declared.items()
            if self.measured.get(key) != value
        ]

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("measured", "declared"):
            out[key] = {k: list(v) if isinstance(v, tuple) else v for k, v in out[key].items()}
        return out


def declaration(target: Target) -> KeyLeak:
    leak = target.variant.key_leak if target.variant else None
    if leak is None:
        raise NeedsTheKey(f"{target.id} declares nothing about a leaked key")
    return leak


def signing_key(target: Target, leak: KeyLeak | None = None) -> str:
    """The key the kit gave the server it started; refused for anything else."""
    if not target.managed or target.server is None:
        raise NeedsTheKey(
            f"{target.id}: the leaked-key audit needs the server's signing key, which the kit "
            "knows only for servers it started (not for --url)"
        )
    return forger_class(leak or declaration(target)).key_of(target.server.env)


# -- the questions -------------------------------------------------------------------------


def _is_user(client: ApiClient, username: str) -> bool:
    with contextlib.suppress(requests.RequestException, ValueError):
        response = client.get("/me")
        return response.status_code == 200 and response.json().get("username") == username
    return False


def forge_login(target: Target, forger: Forger) -> tuple[bool, str]:
    username = target.fresh_user()[0]
    client = forger.login(username)
    accepted = _is_user(client, username)
    return accepted, f"GET /me as {username}, who never logged in: {'200' if accepted else 'no'}"


def forge_csrf(target: Target, forger: Forger) -> tuple[str, str]:
    if not auth_for(target.style).sends_csrf_token:
        return "not_needed", "the style sends no CSRF token"
    username = target.fresh_user()[0]
    client = forger.login(username)
    if _is_user(client, username):
        status = client.add_item(ITEM["product_id"]).status_code
        if status == 200:
            return "logged_in", "POST /cart/items with the forged session's token: 200"
    anonymous = forger.anonymous_csrf()
    if anonymous is None:
        return "no", "the forger makes no anonymous token"
    visitor, token = anonymous
    sent = visitor.session_cookie()
    response = visitor.get("/csrf")
    adopted = (
        response.status_code == 200
        and response.json().get("csrf_token") == token
        and visitor.session_cookie() == sent
    )
    if adopted:
        return "anonymous_only", "GET /csrf adopted the forged visitor ID and its token"
    return "no", f"GET /csrf: {response.status_code}, forged token not adopted"


def read_session(target: Target, forger: Forger) -> tuple[str, str]:
    victim = logged_in(target)
    if auth_for(target.style).sends_csrf_token:
        require(victim.add_item(ITEM["product_id"]).status_code == 200, "the cart write failed")
    shown = forger.read(victim.credential())
    if shown:
        return "without_key", "shows " + ", ".join(sorted(shown))
    return "opaque", "the credential is an opaque ID"


def revive(target: Target, forger: Forger) -> tuple[bool, str]:
    victim = logged_in(target)
    credential, username = victim.credential(), victim.username or ""
    status = victim.logout().status_code
    require(status in (200, 204), f"logout answered {status}")
    client = forger.revive(credential, username)
    return _is_user(client, username), f"logged out {username}, re-signed: GET /me"


def forgeries(
    target: Target, key: str, leak: KeyLeak | None = None, forger: Forger | None = None
) -> tuple[str, ...]:
    """Which of login, csrf, revive the key (or ``forger``) forges on the target now."""
    forger = forger or forger_for(target, key, leak)
    made = []
    if forge_login(target, forger)[0]:
        made.append("login")
    if forge_csrf(target, forger)[0] in ("logged_in", "anonymous_only"):
        made.append("csrf")
    if revive(target, forger)[0]:
        made.append("revive")
    return tuple(made)


def ask(target: Target, key: str, leak: KeyLeak) -> tuple[dict[str, Any], dict[str, str]]:
    """The four questions, answered with ``key``."""
    forger = forger_for(target, key, leak)
    login_ok, login_detail = forge_login(target, forger)
    csrf, csrf_detail = forge_csrf(target, forger)
    read, read_detail = read_session(target, forger)
    revived, revive_detail = revive(target, forger)
    measured = {
        "forge_login_any_user": "yes" if login_ok else "no",
        "forge_csrf": csrf,
        "read_session": read,
        "revive_logged_out": "yes" if revived else "no",
    }
    details = {
        "forge_login_any_user": login_detail,
        "forge_csrf": csrf_detail,
        "read_session": read_detail,
        "revive_logged_out": revive_detail,
    }
    return measured, details


# -- the rotation --------------------------------------------------------------------------


def _poll(client: ApiClient, stop: threading.Event, count: LoadCount, lock: threading.Lock) -> None:
    last = None
    for _ in range(LOAD_MAX_REQUESTS):
        if stop.is_set():
            break
        try:
            status = client.get("/me", timeout=5).status_code
        except requests.RequestException:
            status = None
        with lock:
            count.requests += 1
            if status == 200:
                count.ok += 1
            elif status == 401:
                count.unauthenticated += 1
            else:
                count.refused += 1
        if status in (200, 401):
            last = status
        time.sleep(0.02)
    if last == 401:
        with lock:
            count.clients_logged_out += 1


def under_load(clients: list[ApiClient], action: Callable[[], None]) -> LoadCount:
    """Run ``action`` (a restart) while ``clients`` poll ``GET /me``; their answers."""
    count, lock, stop = LoadCount(), threading.Lock(), threading.Event()
    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        polls = [pool.submit(_poll, client, stop, count, lock) for client in clients]
        try:
            time.sleep(LOAD_LEAD_SECONDS)
            action()
            time.sleep(LOAD_TAIL_SECONDS)
        finally:
            stop.set()
        for poll in polls:
            poll.result()
    return count


def _still_in(client: ApiClient) -> str:
    return "yes" if _is_user(client, client.username or "") else "no"


def _renew(client: ApiClient) -> None:
    """What an active client of its style does meanwhile: a bearer client refreshes."""
    if auth_for(client.style).refreshes:
        client.refresh()


def rotate(target: Target, old_key: str, before: tuple[str, ...], leak: KeyLeak) -> dict[str, Any]:
    """Steps 1 and 2 on the running target; ``before``: what the old key forged at first."""
    forging = forger_class(leak)
    new_key = forging.new_key()
    idle, active = logged_in(target), logged_in(target)
    copy = active.another_tab()
    load = [logged_in(target) for _ in range(LOAD_CLIENTS)]
    with_fallback: dict[str, str | None] = {
        forging.KEY_ENV: new_key,
        forging.FALLBACKS_ENV: forging.fallback_env(old_key),
    }
    step1 = under_load(load, lambda: target.restart(with_fallback))
    kept = _still_in(active)
    copy_kept = _still_in(copy)  # after the holder's first request on the new key
    for client in [active, *load]:
        _renew(client)
    newcomer = logged_in(target)
    old_with_fallback = forgeries(target, old_key, leak)
    dropped: dict[str, str | None] = {forging.KEY_ENV: new_key, forging.FALLBACKS_ENV: None}
    step2 = under_load(load, lambda: target.restart(dropped))
    measured = {
        "kept_with_fallback": kept,
        "copy_kept_with_fallback": copy_kept,
        "old_key_forges_with_fallback": old_with_fallback,
        "kept_after_drop_idle": _still_in(idle),
        "kept_after_drop_active": _still_in(active),
        "kept_after_drop_new": _still_in(newcomer),
        "old_key_forges_after_drop": forgeries(target, old_key, leak),
    }
    # The forger is right: the new key forges after the drop what the old one did before,
    # and a key the server never had forges nothing (the cells measure the key).
    with_new_key = forgeries(target, new_key, leak)
    wrong = forgeries(target, forging.new_key(), leak)
    require(wrong == (), f"a key the server never had forged {wrong}")
    require(
        with_new_key == before,
        f"the new key forges {with_new_key} after the drop, the old one forged {before}",
    )
    return {"measured": measured, "load": {"with fallback": step1, "fallback dropped": step2}}


# -- running -------------------------------------------------------------------------------


def audit_target(
    target: Target, leak: KeyLeak | None = None, label: str | None = None
) -> LeakedKeyResult:
    """Every cell of one target the kit started (its server ends on the new key)."""
    started = time.perf_counter()
    leak = leak or declaration(target)
    result = LeakedKeyResult(
        target=label or target.name, declared={key: getattr(leak, key) for key in CELLS}
    )
    key = signing_key(target, leak)
    try:
        measured, details = ask(target, key, leak)
        before = forgeries(target, key, leak)
        rotation = rotate(target, key, before, leak)
    except PreconditionFailed as exc:
        result.error = f"precondition failed: {exc}"
    else:
        result.measured = {**measured, **rotation["measured"]}
        result.details = details
        result.load = rotation["load"]
    result.seconds = time.perf_counter() - started
    return result


def audit_eddsa(target: Target, leak: KeyLeak) -> LeakedKeyResult:
    """The same cells with the server restarted on EdDSA (a fresh Ed25519 key), plus what
    its public key alone forges; the server is put back on ``SECRET_KEY`` afterwards."""
    forging, label = forger_class(leak), f"{target.name} (EdDSA)"
    key = forging.new_key()
    target.restart(forging.serving_env(key))
    try:
        if not forging(target, key).signs_like(logged_in(target).credential()):
            return LeakedKeyResult(
                target=label,
                declared={k: getattr(leak, k) for k in CELLS},
                error=f"precondition failed: the server does not sign as {leak.forger}",
            )
        result = audit_target(target, leak, label=label)
        # The public half of the key the server signs with now (the rotation's new key).
        public_only = forger_for(target, signing_key(target, leak), leak).public_key_forger()
        if public_only is not None and result.error is None:
            result.declared[PUBLIC_KEY_ROW[0]] = leak.public_key_forges
            result.measured[PUBLIC_KEY_ROW[0]] = forgeries(target, "", leak, forger=public_only)
    finally:
        target.restart(forging.unserving_env())
    return result


def audit_one(target: Target) -> list[LeakedKeyResult]:
    """The target's column, and its EdDSA column where the variant declares one."""
    leak = declaration(target)
    results = [audit_target(target, leak)]
    if leak.eddsa is not None:
        results.append(audit_eddsa(target, leak.eddsa))
    return results


def audit_targets(targets: Iterable[Target], parallel: int = PARALLEL) -> list[LeakedKeyResult]:
    targets = list(targets)
    for target in targets:
        signing_key(target)  # refuse before anything runs
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        return [result for results in pool.map(audit_one, targets) for result in results]


@contextlib.contextmanager
def started(names: Iterable[str], env: dict[str, str] | None = None) -> Iterator[list[Target]]:
    """The targets (ids or variant names) served on SQLite, as the audit serves them."""
    with Launcher(env={**AUDIT_ENV, **(env or {})}) as launcher:
        yield [launcher.target(name, database="sqlite") for name in names]


def leaked_key_audit(names: Iterable[str] | None = None) -> list[LeakedKeyResult]:
    """Start the targets, audit them, stop them."""
    with started(list(names or VARIANTS)) as targets:
        return audit_targets(targets)
