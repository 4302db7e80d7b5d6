"""No import cycles inside ``authkit``: each module can be read (and imported) on its own."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "authkit"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Every ``authkit`` module ``path`` imports, at any depth (a deferred import inside a
    function is still a dependency, and hiding a cycle there is what this test is against)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {name for name in names if name in modules}
    return found - {_module_name(path)}


def test_no_import_cycles_in_authkit() -> None:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {_module_name(p) for p in paths}
    graph = {_module_name(p): _imports(p, modules) for p in paths}
    # Importing ``authkit.x.y`` runs ``authkit`` and ``authkit.x`` first: their own
    # imports are not edges of ``y``'s, so packages' __init__ modules are left out as targets.
    packages = {_module_name(p) for p in paths if p.name == "__init__.py"}
    graph = {m: deps - packages for m, deps in graph.items()}
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        for dep in sorted(graph.get(module, ())):
            if dep in path:
                cycles.append([*path[path.index(dep) :], dep])
            elif len(path) < 20:
                visit(dep, [*path, dep])

    for module in graph:
        visit(module, [module])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles[:5])
