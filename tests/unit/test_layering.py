"""The package's layering, checked from the source: no upward import, no import cycle, and no
driver (cassandra, kazoo, pika, sqlite3) outside the stores. docs/design/architecture.md says why."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "tfdata"

# A unit may import only units of a lower rank (and itself).
RANKS = {
    "__init__": 0, "errors": 0,
    "model": 1, "schema": 1, "output": 1, "outfile": 1,
    "config": 2, "filters": 2,
    "tls": 3,
    "stores": 4,
    "gen": 5, "ops": 5, "audit": 5,
    "sync": 6,
    "commands": 7,
    "cli": 8, "__main__": 8,
}
DRIVERS = ("cassandra", "kazoo", "pika", "sqlite3", "sqlite_utils")
# SQLite as private scratch space, not as a store of TF data: the audit's fact tables and the
# generator's spill file.
SCRATCH_SQLITE = {"tfdata.audit.facts", "tfdata.gen.spill"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, bool]]:
    """(imported module, at module level) for every import statement, relative ones resolved;
    ``from pkg import name`` depends on pkg.name when that is a module, else on pkg."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text())
    top_level = {id(node) for node in tree.body}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                out.append((candidate if candidate in modules else target, id(node) in top_level))
        elif isinstance(node, ast.Import):
            out += [(alias.name, id(node) in top_level) for alias in node.names]
    return out


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_unit_has_a_rank():
    assert {_unit(m) for m in _modules()} <= RANKS.keys()


def test_no_upward_import():
    modules = _modules()
    upward = []
    for name, path in modules.items():
        for target, _ in _imports(name, path, modules):
            if target.startswith("tfdata.") or target == "tfdata":
                a, b = _unit(name), _unit(target)
                if a != b and RANKS[b] >= RANKS[a]:
                    upward.append(f"{name} -> {target}")
    assert not upward, upward


def test_no_import_cycle_between_modules():
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name] = {t for t, top in _imports(name, path, modules) if top and t in modules and t != name}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            assert cycle is None, " -> ".join(cycle)


def test_only_stores_import_drivers():
    offenders = []
    modules = _modules()
    for name, path in modules.items():
        if _unit(name) == "stores" or name in SCRATCH_SQLITE:
            continue
        for target, _ in _imports(name, path, modules):
            if target.split(".")[0] in DRIVERS:
                offenders.append(f"{name} imports {target}")
    assert not offenders, offenders
