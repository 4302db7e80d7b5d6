"""A variant's ``GET /me`` overhead over its baseline, split into named parts.

The parts are the variant's declared ones (:mod:`authkit.cost.parts`), each measured alone
in instructions. Parts may contain others (Flask-Session's ``open_session`` contains the
Redis command), so each part's *own* share is its count minus the parts it contains; the
stack is those shares, and what the parts do not cover is shown as a remainder named by the
framework (``Framework.cost_remainder``), never spread over the others.
"""

from __future__ import annotations

from typing import Any

ENDPOINT = "GET /me"
#: The parts may leave this share of the overhead unexplained before the report says so.
TOLERANCE = 0.10


def attribute(document: dict[str, Any]) -> dict[str, Any]:
    """Per variant: overhead, the stacked pieces (label, instructions), remainder, coverage."""
    out: dict[str, Any] = {}
    targets = document["targets"]
    for name, target in targets.items():
        baseline = target.get("baseline")
        parts = target.get("parts")
        if target.get("failed") or not baseline or not parts or baseline not in targets:
            continue
        if any("instructions" not in part for part in parts.values()):
            continue  # parts counted by another meter: nothing to stack on instructions
        mine = target["endpoints"].get(ENDPOINT, {}).get("instructions")
        base = targets[baseline]["endpoints"].get(ENDPOINT, {}).get("instructions")
        if mine is None or base is None:
            continue
        overhead = mine - base
        contained = {child for part in parts.values() for child in part["contains"]}
        pieces = []
        references = {label for label, part in parts.items() if _is_reference(label, part)}
        for label, part in parts.items():
            if label in references:
                continue  # a reference figure, not something the request does
            own = part["instructions"] - sum(
                parts[c]["instructions"] for c in part["contains"] if c in parts
            )
            piece_label = f"{label} (rest)" if part["contains"] else label
            pieces.append({"label": piece_label, "instructions": own})
        explained = sum(
            part["instructions"]
            for label, part in parts.items()
            if label not in contained and label not in references
        )
        remainder = overhead - explained
        out[name] = {
            "endpoint": ENDPOINT,
            "baseline": baseline,
            "overhead_instructions": overhead,
            "pieces": pieces,
            "explained_instructions": explained,
            "remainder_instructions": remainder,
            "remainder_label": target.get("remainder_label") or "unexplained",
            "within_tolerance": abs(remainder) <= TOLERANCE * abs(overhead),
            "references": {label: parts[label]["instructions"] for label in references},
        }
    return out


def _is_reference(label: str, part: dict[str, Any]) -> bool:
    # Documents written before parts carried the flag mark references in their label.
    return bool(part.get("reference")) or "(reference)" in label
