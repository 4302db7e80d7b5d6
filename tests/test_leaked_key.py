"""``authkit audit --leaked-key``: each measured cell against the variant's declaration.

The audit runs once for every variant (the targets in parallel, as the command runs them),
on real servers the kit started, so it knows their key. Beside the cells: a wrong key
forges nothing anywhere (so the cells measure the key, not something else), the right key
forges what is declared (the forger's format is right), and on Django the one thing between
the key and a forged login is the user's password hash.
"""

from __future__ import annotations

import importlib
import json
import secrets
from collections.abc import Iterator

import jwt
import pytest

from authkit.audit import leaked_key_render
from authkit.audit.forgers import DjangoCookieFormat, forger_for, password_hash
from authkit.audit.hs256_by_hand import hs256_token
from authkit.audit.leaked_key import (
    CELLS,
    PUBLIC_KEY_ROW,
    LeakedKeyResult,
    audit_targets,
    forgeries,
    signing_key,
    started,
)
from authkit.cli import main
from authkit.launcher import Launcher, Target
from authkit.variants import VARIANTS
from jwt_api.keys import hmac_key, key_set_from_env
from shared import anonymous_csrf
from shared.settings import SettingsError, secret_key_fallbacks_from_env

NAMES = list(VARIANTS)
#: Every column: a variant's, and its EdDSA one where it declares one.
COLUMNS = NAMES + [f"{n} (EdDSA)" for n in NAMES if VARIANTS[n].key_leak.eddsa is not None]


@pytest.fixture(scope="module")
def audited() -> Iterator[tuple[dict[str, Target], dict[str, LeakedKeyResult]]]:
    with started(NAMES) as targets:
        results = audit_targets(targets)
        yield {t.name: t for t in targets}, {r.target: r for r in results}


def _declared_forgeries(name: str) -> tuple[str, ...]:
    """What the key forges on a running server, by the declaration."""
    leak = VARIANTS[name].key_leak
    assert leak is not None
    made = []
    if leak.forge_login_any_user == "yes":
        made.append("login")
    if leak.forge_csrf in ("logged_in", "anonymous_only"):
        made.append("csrf")
    if leak.revive_logged_out == "yes":
        made.append("revive")
    return tuple(made)


@pytest.mark.parametrize("name", COLUMNS)
def test_each_cell_is_as_declared(audited, name: str) -> None:
    _, results = audited
    result = results[name]
    assert result.error is None, result.error
    assert set(CELLS) <= set(result.measured)
    assert result.mismatches == [], result.details


def test_the_public_key_alone_forges_nothing_under_eddsa(audited) -> None:
    """Measured on every EdDSA column: HS256 keyed with the public key, under its kid."""
    _, results = audited
    for name in COLUMNS[len(NAMES) :]:
        assert results[name].measured[PUBLIC_KEY_ROW[0]] == ()


@pytest.mark.parametrize("name", NAMES)
def test_the_right_key_forges_what_is_declared_and_a_wrong_key_nothing(audited, name: str) -> None:
    targets, _ = audited
    target = targets[name]
    # The audit left the server on the key its rotation ended with.
    assert forgeries(target, signing_key(target)) == _declared_forgeries(name)
    assert forgeries(target, secrets.token_urlsafe(48)) == ()


@pytest.mark.parametrize("name", COLUMNS)
def test_polling_clients_stay_logged_in_across_both_restarts(audited, name: str) -> None:
    """Clients used throughout (bearer ones refreshing once in between) are never logged
    out by the rotation; the refused requests are the restart's, counted, not judged."""
    _, results = audited
    result = results[name]
    for step, count in result.load.items():
        assert count.requests > 0 and count.ok > 0, (step, count)
        assert count.clients_logged_out == 0, (step, count)


def _forger_class(name: str) -> type:
    leak = VARIANTS[name].key_leak
    assert leak is not None
    module, cls = leak.forger.split(":")
    return getattr(importlib.import_module(module), cls)


@pytest.mark.parametrize(
    "name", [n for n in NAMES if issubclass(_forger_class(n), DjangoCookieFormat)]
)
def test_on_django_only_the_password_hash_stands_between_the_key_and_a_login(
    audited, name: str
) -> None:
    """The forged session carries the auth hash the key makes of the stored password hash:
    with the real hash (read here from the database, which the attacker lacks) it is
    accepted wherever the session is the cookie, and still refused by the engines whose
    cookie is a random session key."""
    targets, results = audited
    target = targets[name]
    forger = forger_for(target, signing_key(target))
    assert isinstance(forger, DjangoCookieFormat)
    username = target.fresh_user()[0]
    refused = forger.login(username).get("/me")
    assert refused.status_code == 401, refused.text
    with_hash = forger.login(username, password_hash(target, username)).get("/me")
    in_cookie = VARIANTS[name].behaviour.session_state == "client"
    assert with_hash.status_code == (200 if in_cookie else 401), with_hash.text
    assert results[name].measured["forge_login_any_user"] == "no"


def test_the_leaked_key_audit_refuses_a_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--leaked-key", "--url", "http://127.0.0.1:9"]) == 2
    assert "refused for --url" in capsys.readouterr().err


def test_a_server_given_by_url_has_no_key() -> None:
    target = Launcher.external("http://127.0.0.1:9", style="session")
    with pytest.raises(ValueError, match="servers it started"):
        audit_targets([target])


def test_the_table_and_json_carry_every_cell(audited) -> None:
    _, results = audited
    ordered = [results[n] for n in COLUMNS]
    table = leaked_key_render.to_table(ordered)
    assert "MISMATCH" not in table and all(n in table for n in NAMES)
    rows = json.loads(leaked_key_render.to_json(ordered))
    assert [r["target"] for r in rows] == COLUMNS
    assert all(set(CELLS) <= set(r["measured"]) for r in rows)
    # The README's table is drawn from such a JSON: read back, it is the same results.
    assert leaked_key_render.from_json(leaked_key_render.to_json(ordered)) == ordered
    markdown = leaked_key_render.to_markdown(ordered)
    assert "≠" not in markdown and "contradicting their declaration: 0." in markdown


# -- the settings the rotation stands on ----------------------------------------------------


def test_secret_key_fallbacks_parse_as_json_or_a_comma_list(monkeypatch) -> None:
    a, b = "a" * 32, "b" * 40
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", json.dumps([a, b]))
    assert secret_key_fallbacks_from_env() == (a, b)
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", f"{a}, {b}")
    assert secret_key_fallbacks_from_env() == (a, b)
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", json.dumps([a, "short"]))
    with pytest.raises(SettingsError, match="entry 2 is 5 bytes"):
        secret_key_fallbacks_from_env()
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", "[not json")
    with pytest.raises(SettingsError, match="JSON"):
        secret_key_fallbacks_from_env()


def test_hs256_fallbacks_verify_and_never_sign() -> None:
    current, old = "c" * 48, "o" * 48
    keys = key_set_from_env(current, env={}, fallbacks=[old])
    assert keys.current.kid == hmac_key(current).kid
    assert set(keys.by_kid) == {hmac_key(current).kid, hmac_key(old).kid}
    eddsa_free = key_set_from_env(current, env={"JWT_ALGORITHM": "HS256"}, fallbacks=())
    assert set(eddsa_free.by_kid) == {hmac_key(current).kid}


def test_the_hand_made_hs256_signature_is_one_pyjwt_accepts() -> None:
    """The public-key forger and the key-confusion check sign by hand: a signature PyJWT
    would reject anyway would make "the public key alone forges nothing" vacuous."""
    key = secrets.token_bytes(32)
    token = hs256_token({"typ": "JWT", "alg": "none", "kid": "k1"}, {"sub": "alice"}, key)
    assert jwt.get_unverified_header(token) == {"typ": "JWT", "alg": "HS256", "kid": "k1"}
    assert jwt.decode(token, key, algorithms=["HS256"]) == {"sub": "alice"}
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, secrets.token_bytes(32), algorithms=["HS256"])


def test_an_anonymous_id_signed_with_a_fallback_keeps_its_nonce_under_the_new_key() -> None:
    old, new = "o" * 48, "n" * 48
    issued = anonymous_csrf.anonymous_id(old, None)
    assert not anonymous_csrf.is_anonymous_id(new, issued)
    assert anonymous_csrf.is_anonymous_id(new, issued, fallbacks=[old])
    renewed = anonymous_csrf.anonymous_id(new, issued, fallbacks=[old])
    assert renewed != issued and renewed[:-16] == issued[:-16]
    assert anonymous_csrf.is_anonymous_id(new, renewed)
    # Without the fallback, the old ID is a stranger's: replaced by a new one.
    assert anonymous_csrf.anonymous_id(new, issued)[:-16] != issued[:-16]
