"""A variant's ``GET /me`` overhead over its baseline, split into named parts.

The parts come from :mod:`authkit.cost.parts`, each measured alone in instructions. Parts
may contain others (Flask-Session's ``open_session`` contains the Redis command), so each
part's *own* share is its count minus the parts it contains; the stack is those shares, and
what the parts do not cover is shown as a named remainder ("unexplained"), never spread
over the others.
"""

from __future__ import annotations

from typing import Any

ENDPOINT = "GET /me"
#: The parts may leave this share of the overhead unexplained before the report says so.
TOLERANCE = 0.10
#: What the parts leave out, by framework: named, not measured part by part.
REMAINDER_LABELS = {
    "flask": "unexplained: Flask glue (request hooks, the extra header, response headers)",
    "django": "unexplained: the middleware stack (Django's CSRF/auth/session and the kit's)",
}


def attribute(document: dict[str, Any]) -> dict[str, Any]:
    """Per variant: overhead, the stacked pieces (label, instructions), remainder, coverage."""
    out: dict[str, Any] = {}
    targets = document["targets"]
    for name, target in targets.items():
        baseline = target.get("baseline")
        parts = target.get("parts")
        if not baseline or not parts or baseline not in targets:
            continue
        mine = target["endpoints"].get(ENDPOINT, {}).get("instructions")
        base = targets[baseline]["endpoints"].get(ENDPOINT, {}).get("instructions")
        if mine is None or base is None:
            continue
        overhead = mine - base
        contained = {child for part in parts.values() for child in part["contains"]}
        pieces = []
        for label, part in parts.items():
            if part["note"].startswith("what checking") or "(reference)" in label:
                continue  # a reference figure, not something the request does
            own = part["instructions"] - sum(
                parts[c]["instructions"] for c in part["contains"] if c in parts
            )
            piece_label = f"{label} (rest)" if part["contains"] else label
            pieces.append({"label": piece_label, "instructions": own})
        explained = sum(
            part["instructions"]
            for label, part in parts.items()
            if label not in contained and "(reference)" not in label
        )
        remainder = overhead - explained
        out[name] = {
            "endpoint": ENDPOINT,
            "baseline": baseline,
            "overhead_instructions": overhead,
            "pieces": pieces,
            "explained_instructions": explained,
            "remainder_instructions": remainder,
            "remainder_label": REMAINDER_LABELS.get(target.get("framework", ""), "unexplained"),
            "within_tolerance": abs(remainder) <= TOLERANCE * abs(overhead),
            "references": {
                label: part["instructions"]
                for label, part in parts.items()
                if "(reference)" in label
            },
        }
    return out
