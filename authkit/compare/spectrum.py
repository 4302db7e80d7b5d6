"""The whole spectrum of storage designs: variant sets, families, and credential size.

New in issue 10, kept apart from the report code (which is being rewritten) so the report
can pick these up: which variants a named set means (``authkit compare --variants all``),
how variants group into server-side stores and client-side credentials (from their
declarations, never their names), and the credential-size probe and chart (bytes a client
sends per request, against the number of cart lines).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from authkit.clients import client_for
from authkit.compare.charts import _encode, colour, plt
from authkit.compare.probes import header_bytes
from authkit.compare.results import TargetStatus
from authkit.variants import VARIANTS, Variant


def variant_sets() -> dict[str, tuple[str, ...]]:
    """Named sets for ``--variants``, from the registry (anything else is a variant name):
    ``main`` is what ``make compare`` measures by default (``Variant.in_default_compare``)."""
    return {
        "main": tuple(n for n, v in VARIANTS.items() if v.in_default_compare),
        "all": tuple(VARIANTS),
        "server-side": tuple(
            n for n, v in VARIANTS.items() if v.behaviour.session_state == "server"
        ),
        "client-side": tuple(
            n for n, v in VARIANTS.items() if v.behaviour.session_state == "client"
        ),
    }


#: Cart sizes the credential-size probe measures (the catalogue has 24 products).
CART_LINES = (0, 1, 10, 24)


def expand_variant_names(names: Iterable[str] | None) -> list[str]:
    """Variant names for ``--variants``: set names (``all``, ``main``...) expanded, order kept,
    duplicates dropped; ``None`` means the default set, ``main``."""
    expanded: list[str] = []
    sets = variant_sets()
    for name in names or ["main"]:
        for item in sets.get(name, (name,)):
            if item not in expanded:
                expanded.append(item)
    return expanded


def families(variants: Iterable[Variant]) -> dict[str, list[str]]:
    """``{"server": [...], "client": [...]}``: where each variant keeps its session state."""
    grouped: dict[str, list[str]] = {"server": [], "client": []}
    for variant in variants:
        grouped[variant.behaviour.session_state].append(variant.name)
    return grouped


def credential_sizes(
    url: str,
    style: str,
    username: str,
    password: str,
    lines: Sequence[int] = CART_LINES,
) -> dict[str, int | str]:
    """Credential bytes sent per request after filling the cart to each of ``lines`` lines.

    A value is a string (the error code) when the API refused to grow the cart, as a cookie
    that would pass 4 KB is refused with ``cookie_too_large``.
    """
    client = client_for(style, url)
    client.login(username, password).raise_for_status()
    sizes: dict[str, int | str] = {}
    filled = 0
    for target in sorted(lines):
        error = ""
        while filled < target and not error:
            filled += 1
            added = client.add_item(f"sku-{filled:03d}")
            if added.status_code != 200:
                error = added.json()["error"]["code"]
        client.get("/me").raise_for_status()
        # String keys: the document goes through JSON, whose keys are strings.
        sizes[str(target)] = error or header_bytes(client.credential_headers("GET"))
    client.logout()
    return sizes


def credential_size_chart(sizes: dict[str, dict[int, int | str]]) -> str | None:
    """Bytes per request against cart lines, one line per variant (base64 PNG)."""
    if not sizes:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for i, (name, by_lines) in enumerate(sizes.items()):
        points = sorted((int(k), v) for k, v in by_lines.items() if isinstance(v, int))
        if points:
            ax.plot(*zip(*points, strict=True), marker="o", label=name, color=colour(name, i))
    ax.axhline(4096, color="#888", linestyle="--", linewidth=1)
    ax.annotate("4 KB: what browsers keep per cookie", (0, 4096), fontsize=7, va="bottom")
    ax.set_xlabel("cart lines")
    ax.set_ylabel("credential bytes sent per request")
    ax.set_title("Credential size against cart size")
    ax.legend(fontsize=7)
    return _encode(fig)


RESTART_COLUMNS = [
    "variant",
    "family",
    "Redis crash, append-only file: lost",
    "last acknowledged write kept",
    "Redis restart without persistence: lost",
]


def restart_loss_rows(targets: dict[str, TargetStatus]) -> list[list[str]]:
    """The observed restart rows (``authkit compare --restart-loss``), for the report."""
    rows = []
    for name, target in targets.items():
        observed = target.restart_loss
        if not observed:
            continue
        family = (target.declarations or {}).get("session_state", "-")
        append_only, none = observed.get("append-only", {}), observed.get("none", {})
        rows.append(
            [
                name,
                family,
                ", ".join(append_only.get("lost", [])) or "nothing",
                "yes" if append_only.get("last_write_kept") else "no",
                ", ".join(none.get("lost", [])) or "nothing",
            ]
        )
    return rows
