"""Every table and figure in the README comes from a committed run, not from anyone's hands.

Each generated block must equal what :mod:`authkit.compare.readme` makes of the committed
runs, and outside the blocks the README's prose may hold a number only when it is a fixed
fact (a status code, a port, a default, a version, a bound a test asserts), listed below
with its reason. A measured figure typed into the prose fails the scan.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from authkit.audit import leaked_key_render
from authkit.audit.leaked_key import CELLS, PUBLIC_KEY_ROW, LeakedKeyResult
from authkit.cli import main
from authkit.compare import readme
from authkit.compare import results as results_module
from authkit.variants import VARIANTS

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
COMMITTED_RUNS = (readme.SAMPLE_RUN, readme.SPECTRUM_RUN, readme.LEAKED_KEY_RUN)
#: The behaviour row of a cache restart without persistence.
NO_PERSISTENCE = "restart without persistence (Redis; memcached has none): lost"
REGENERATE = f"run: authkit report {readme.SAMPLE_RUN} --readme README.md"

#: Phrases of the README's prose that may hold a number outside the generated blocks, each a
#: fixed fact (a status code, a port, a default, a version, a bound a test asserts) and why.
#: Fenced code (commands, flags, ports), code spans and the configuration table are not
#: scanned; numbering of ordered lists neither.
FIXED_FACTS: dict[str, str] = {
    "Django 5.2 LTS": "the Django series pyproject.toml pins",
    "pass 4 KB is refused with 422": "what a browser keeps per cookie; the contract's status",
    "largest cart (24 lines)": "the catalogue's size bounds a cart",
    "(24 products, ": "the catalogue's size (shared/catalog.py)",
    "Python >= 3.11": "pyproject.toml's requires-python",
    "agree to under 2%": "the bound tests/test_cost.py asserts between two runs",
    "every 100 ms": "the revocation probe's replay interval (probes.REPLAY_INTERVAL_SECONDS)",
    ", 503 when the store is down": "the contract's status",
    "integer 1..99": "the contract's quantity range",
    "| 204 |": "the contract's status",
    "(400 `invalid_json`, 401, 403 `csrf_failed`, 404, 405 + `Allow`, 413 over 16 KiB declared "
    "or\nchunked, 415 for non-JSON bodies, 422 `validation_error`, 429 `rate_limited` + "
    "`Retry-After`,\n503 `store_unavailable` + `Retry-After`), never a 500": "the contract's "
    "statuses",
    "The other site is 127.0.0.2": "the other site's address in the browser tests",
    "default 1000)": "the defaults of SEED_LOAD_USERS and of compose's AUTHKIT_UID",
    "(1,002 at the default": "the seed users: alice, bob and the default 1000 load users",
    "(5/20/50 per minute)": "the login limits' defaults (shared/throttle.py)",
    "Ports (127.0.0.1 only): 8001 flask-sessions, 8002 django-sessions (SQLite), 8003\n"
    "django-sessions (PostgreSQL), 8004 jwt-stateless, 8005 jwt-denylist; with `--profile lb`,\n"
    "8011-8013 are the same three session variants, two instances each behind one nginx; with\n"
    "`--profile spectrum`, 8006 flask-cookie, 8007 django-cache, 8008 django-cached-db, 8009\n"
    "django-file, 8010 django-signed-cookies, 8014 django-memcached (and its memcached); with\n"
    "`--profile tls`, 8015-8019 are the five main variants over HTTPS, in the order of 8001-8005,\n"
    "and 8020-8024 answer plain HTTP with a 308 to the matching HTTPS port.": "docker-"
    "compose.yml's published ports",
    "RFC 8725 / RFC 9700": "the standards the audit cites",
    "exits 1": "authkit audit's exit status on a finding",
    "2 workers x 4\nthreads, keep-alive 5 s": "authkit/server.py's gunicorn settings",
    "(client header/body timeouts 10 s)": "authkit/front.py's nginx settings",
    "bodies over 16 KiB": "the front's body limit",
    "(400, 413, 414, 431, 502/504 as 503)": "the front's own statuses",
    "50 slow connections": "the slow-client probe's size",
    "answers 429": "the contract's status",
    "(1000 per minute per\naccount, 10000 per address: the suite fails logins on purpose from "
    "127.0.0.1)": "the suite's login limits (SUITE_LIMITS_ENV)",
}

#: The configuration table: every default is a fixed fact of ``shared/settings.py``.
CONFIG_TABLE = re.compile(r"^\| `[A-Z_0-9]+`.*\|$", re.MULTILINE)
CODE = re.compile(r"```.*?```|`[^`]+`", re.DOTALL)
LIST_NUMBER = re.compile(r"^\s*\d+\. ", re.MULTILINE)
#: A number, not a digit inside a name (argon2id, Compose v2, DIR2).
NUMBER = re.compile(r"(?<![A-Za-z_])\d")


def _readme() -> str:
    return README.read_text()


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    return readme.generated_blocks(ROOT)


def test_the_committed_runs_are_there() -> None:
    for run in COMMITTED_RUNS:
        assert (ROOT / run / "results.json").is_file(), f"{run}/results.json is not committed"


def test_every_generated_block_has_its_markers(generated: dict[str, str]) -> None:
    present = readme.blocks_in(_readme())
    assert set(present) == set(generated), (
        f"markers without a generator: {sorted(set(present) - set(generated))}; "
        f"generated blocks without markers: {sorted(set(generated) - set(present))}"
    )


@pytest.mark.parametrize(
    "name",
    [
        "sample-report",
        "sample-wall-time",
        "behaviour-server",
        "behaviour-client",
        "which-fits",
        "browser",
        "spectrum-wall-time",
        "audit-matrix",
        "leaked-key",
    ],
)
def test_block_is_generated_from_the_committed_run(name: str, generated: dict[str, str]) -> None:
    assert name in generated, f"the generator makes no {name!r} block"
    present = readme.blocks_in(_readme())
    assert present.get(name) == generated[name], f"README's {name} block is stale: {REGENERATE}"


def test_the_blocks_hold_the_figures_they_promise(generated: dict[str, str]) -> None:
    """Precondition of the scan below: the blocks really carry the measured figures (bytes,
    revocation windows, the audit's counts), so taking them out removes those figures."""
    assert re.search(r"\d+ / \d+ / \d+ / \d+ \|", generated["behaviour-client"])
    assert re.search(r"\d+\.\d\d s of \d+ s", generated["behaviour-server"])
    assert re.search(r"\d+(-\d+)?% of its lifetime", generated["which-fits"])
    assert re.search(r"\d+ checks: \d+ held", generated["audit-matrix"])
    assert re.fullmatch(r"\d+\.\d minutes on \d+ usable cores", generated["sample-wall-time"])
    assert re.search(r"\| \d+ / \d+ / \d+ \|", generated["leaked-key"])
    counted = r"\d+ cells in \d+ columns; contradicting their declaration: \d+\."
    assert re.search(counted, generated["leaked-key"])


def _prose(text: str) -> str:
    """README text a reader takes as statements: no generated blocks, fixed facts, code or
    configuration table (longest phrases first, so none is cut by a shorter one)."""
    text = readme.without_blocks(text)
    for phrase in sorted(FIXED_FACTS, key=len, reverse=True):
        text = text.replace(phrase, "")
    text = CONFIG_TABLE.sub("", text)
    return LIST_NUMBER.sub("", CODE.sub("", text))


def test_no_number_outside_the_generated_blocks_but_fixed_facts() -> None:
    text = _readme()
    stale = [phrase for phrase in FIXED_FACTS if phrase not in readme.without_blocks(text)]
    assert not stale, f"allowed phrases no longer in the README (drop them): {stale}"
    typed = [line.strip() for line in _prose(text).splitlines() if NUMBER.search(line)]
    assert not typed, (
        "numbers in README prose outside generated blocks: generate them "
        f"(authkit/compare/readme.py) or, if a fixed fact, list them in FIXED_FACTS: {typed}"
    )


def test_the_scan_catches_a_typed_figure() -> None:
    """The scan fails on a measured figure typed into the prose, in a sentence or a table."""
    for typed in ("took about 8 minutes", "| 205 / 218 |", "81-98% of its lifetime"):
        assert NUMBER.search(_prose(_readme() + f"\n{typed}\n").splitlines()[-1])


def test_a_contradicted_declaration_shows_in_the_tables() -> None:
    """A behaviour table cannot read as agreeing with the registry when the run did not:
    a late revocation, an extra store call or an unexpected loss is marked ≠."""
    spectrum = results_module.load(ROOT / readme.SPECTRUM_RUN)
    target = spectrum.targets["flask-sessions"]
    assert readme.behaviour_table(spectrum, "server", "run").count("≠") == 0  # precondition
    target.revocation["logout"]["window_seconds"] = 3.0
    target.probe["storage_calls"]["GET /me"]["redis"]["get"] = 1.0
    target.restart_loss["none"]["lost"] = ["sessions"]
    target.restart_loss["append-only"]["lost"] = ["carts"]
    table = readme.behaviour_table(spectrum, "server", "run")
    row = {line.split(" | ")[0].lstrip("| "): line for line in table.splitlines()}
    assert "≠ declared" in row["credential after `POST /logout`"]
    assert "≠ declared 1" in row["store round trips per authenticated read"]
    assert "≠ declared sessions, carts, users" in row[NO_PERSISTENCE]
    assert "≠ declared nothing" in row["Redis crash, append-only file: lost"]


def test_the_report_command_writes_every_block(tmp_path: Path) -> None:
    """``authkit report DIR --readme README`` fills emptied markers with what the test above
    expects, from copies of the committed runs beside the README it is given."""
    for run in COMMITTED_RUNS:
        (tmp_path / run).mkdir(parents=True)
        shutil.copy(ROOT / run / "results.json", tmp_path / run / "results.json")
    emptied = _readme()
    for name in readme.blocks_in(emptied):
        emptied = readme.write_blocks(emptied, {name: ""})
    (tmp_path / "README.md").write_text(emptied)
    assert readme.blocks_in(emptied)["audit-matrix"] == ""  # precondition: nothing left in
    args = ["report", str(tmp_path / readme.SAMPLE_RUN), "--readme", str(tmp_path / "README.md")]
    assert main(args) == 0
    assert (tmp_path / "README.md").read_text() == _readme()


# -- the leaked-key run ---------------------------------------------------------------------
def _leaked_key_run() -> list[LeakedKeyResult]:
    path = ROOT / readme.LEAKED_KEY_RUN / "results.json"
    return leaked_key_render.from_json(path.read_text())


def _registry_declarations() -> dict[str, dict[str, object]]:
    """Every column the leaked-key audit makes, with what the registry declares for it now:
    a variant's ``key_leak``, and its EdDSA column's (with the public-key cell)."""
    columns: dict[str, dict[str, object]] = {}
    for name, variant in VARIANTS.items():
        leak = variant.key_leak
        assert leak is not None, f"{name} declares nothing about a leaked key"
        columns[name] = {key: getattr(leak, key) for key in CELLS}
        if leak.eddsa is not None:
            eddsa = {key: getattr(leak.eddsa, key) for key in CELLS}
            columns[f"{name} (EdDSA)"] = {**eddsa, PUBLIC_KEY_ROW[0]: leak.eddsa.public_key_forges}
    return columns


def test_the_leaked_key_run_measured_what_the_registry_declares() -> None:
    """The committed run has every variant's column, each audited to the end, each measured
    cell equal to the declaration it was run against, and those declarations still the
    registry's: a changed declaration needs the run made again."""
    results = {r.target: r for r in _leaked_key_run()}
    declared = _registry_declarations()
    assert list(results) == list(declared), "the run's columns are not the registry's"
    for name, result in results.items():
        assert result.error is None, (name, result.error)
        assert set(CELLS) <= set(result.measured), name  # precondition: every cell measured
        assert result.mismatches == [], (name, result.mismatches)
        assert result.declared == declared[name], (
            f"{name}: the run was made against other declarations than the registry's: "
            f"run: authkit audit --leaked-key --json {readme.LEAKED_KEY_RUN}/results.json"
        )


def test_a_contradicted_leaked_key_cell_shows_in_the_table() -> None:
    results = _leaked_key_run()
    assert "≠" not in readme.leaked_key_table(results, "run")  # precondition
    target = next(r for r in results if r.target == "flask-sessions")
    target.measured["forge_login_any_user"] = "yes"
    table = readme.leaked_key_table(results, "run")
    row = next(line for line in table.splitlines() if line.startswith("| key alone logs in"))
    assert "**yes ≠ declared no**" in row
    assert "contradicting their declaration: 1." in table
