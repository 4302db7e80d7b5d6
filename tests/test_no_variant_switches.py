"""No code outside the registry and the clients switches on what a variant is called.

What a variant is (its style, framework, store, parts, goals) is declared once in
:mod:`authkit.variants`, and what a style sends and keeps lives in :mod:`authkit.clients`.
Code elsewhere that compares a variant's ``name``, ``style`` or ``framework`` with a value
puts that knowledge in a second place, where a new variant silently takes another's path.
This walks the syntax tree of every module of ``authkit/`` and fails on such a comparison.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from authkit.variants import BASELINES, FRAMEWORKS, STYLE_DEFAULTS, VARIANTS

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "authkit"
#: The two modules whose job is exactly this knowledge.
OWNERS = {"authkit/variants.py", "authkit/clients.py"}
#: Attributes that name what a variant is.
IDENTITY = {"name", "style", "framework"}
#: Every value those attributes can take, from the registry itself.
KNOWN = {*VARIANTS, *BASELINES, *FRAMEWORKS, *STYLE_DEFAULTS}
COMPARISONS = (ast.Eq, ast.NotEq, ast.In, ast.NotIn, ast.Is, ast.IsNot)


def _strings(node: ast.AST) -> set[str]:
    """The string literals ``node`` is, or holds (a tuple, list or set of them)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return set().union(*(_strings(element) for element in node.elts))
    return set()


def _identity(node: ast.AST) -> str | None:
    """``x.name`` / ``x.style`` / ``x["style"]`` / ``x.get("style")``: which one, if any."""
    if isinstance(node, ast.Attribute) and node.attr in IDENTITY:
        return node.attr
    if isinstance(node, ast.Subscript) and _strings(node.slice) & IDENTITY:
        return next(iter(_strings(node.slice) & IDENTITY))
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and node.args
        and _strings(node.args[0]) & IDENTITY
    ):
        return next(iter(_strings(node.args[0]) & IDENTITY))
    return None


def _is_switch(a: ast.AST, b: ast.AST) -> bool:
    literals = _strings(b)
    if literals & KNOWN:
        return True  # a registered name, style or framework spelled out in a comparison
    attribute = _identity(a)
    # ``.style`` and ``.framework`` only ever hold registry values; ``.name`` is also the
    # name of many other things (an option, a check), so it counts with a known value only.
    return bool(literals) and attribute in ("style", "framework")


def switches(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for op, left, right in zip(node.ops, operands[:-1], operands[1:], strict=True):
                if isinstance(op, COMPARISONS) and (
                    _is_switch(left, right) or _is_switch(right, left)
                ):
                    yield node.lineno, ast.unparse(node)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("startswith", "endswith")
            and _identity(node.func.value)
        ):
            yield node.lineno, ast.unparse(node)
        elif isinstance(node, ast.Match):
            values = {
                case.pattern.value.value
                for case in node.cases
                if isinstance(case.pattern, ast.MatchValue)
                and isinstance(case.pattern.value, ast.Constant)
            }
            if _identity(node.subject) or values & KNOWN:
                yield node.lineno, f"match {ast.unparse(node.subject)}"


def modules() -> list[Path]:
    return sorted(
        path for path in PACKAGE.rglob("*.py") if path.relative_to(ROOT).as_posix() not in OWNERS
    )


def test_nothing_outside_the_registry_and_the_clients_switches_on_a_variant() -> None:
    found = []
    for path in modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        found += [f"{path.relative_to(ROOT)}:{line}: {code}" for line, code in switches(tree)]
    assert not found, "ask the registry or the style's client instead:\n" + "\n".join(found)


def test_the_walk_finds_each_kind_of_switch() -> None:
    """The detector itself: each spelling of a switch is found, and look-alikes are not."""
    caught = [
        'if variant.style == "bearer": pass',
        'if spec["framework"] != "django": pass',
        'if target.get("style") in ("session",): pass',
        'if name == "flask-bare": pass',
        'if "django" in variant.framework: pass',
        'if variant.name.startswith("jwt"): pass',
        'match variant.style:\n    case "session": pass',
    ]
    for source in caught:
        assert list(switches(ast.parse(source))), source
    left_alone = [
        'if option.name == "scenarios": pass',
        "if target is first: pass",
        'if variant.store == "database": pass',
        "if auth_for(variant.style).refreshes: pass",
    ]
    for source in left_alone:
        assert not list(switches(ast.parse(source))), source


def test_the_allowlist_names_only_modules_that_exist() -> None:
    for relative in OWNERS:
        assert (ROOT / relative).is_file(), relative
