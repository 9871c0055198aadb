"""The package's layers: which module may import which, no import cycle, and typer and rich kept to the
command line and terminal rendering (README, "Development: the layers")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cspay"

# Lowest first; a module may import modules of a lower layer and of its own subpackage, nothing else.
LAYERS = (
    (
        "cspay",
        "cspay.errors",
        "cspay.i18n",
        "cspay.periods",
        "cspay.cells",
        "cspay.encodings",
        "cspay.currencies",
        "cspay.lockfiles",
    ),
    ("cspay.policy",),
    ("cspay.engine",),
    ("cspay.inputs", "cspay.ledger"),
    ("cspay.run",),
    ("cspay.outputs",),
    ("cspay.rollout",),
    ("cspay.cli",),
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported(name: str) -> set[str]:
    """Every module of the package that `name` imports, at the top or inside a function."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        found.update(target for target in targets if target in MODULES and target != name)
    return found


GRAPH = {name: imported(name) for name in MODULES}


def layer_of(name: str) -> tuple[int, str]:
    """The layer's index and the unit (subpackage or base module) a module belongs to."""
    if name == "cspay.__main__":
        return len(LAYERS) - 1, "cspay.cli"  # `python -m cspay` is the command line
    if name in LAYERS[0]:
        return 0, "base"  # the base modules are one unit: they may import each other
    best = (-1, "")
    for index, units in enumerate(LAYERS):
        for unit in units:
            if (name == unit or name.startswith(unit + ".")) and len(unit) > len(best[1]):
                best = (index, unit)
    return best


def test_every_module_has_a_layer():
    """A new module lands in one of the layers (a base module is named in LAYERS one by one)."""
    homeless = [name for name in MODULES if layer_of(name)[1] == "cspay"]
    assert [] == homeless


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_go_down_the_layers(name):
    """A module imports only lower layers and its own subpackage."""
    layer, unit = layer_of(name)
    wrong = []
    for target in sorted(GRAPH[name]):
        target_layer, target_unit = layer_of(target)
        if target_unit != unit and target_layer >= layer:
            wrong.append(f"{target} ({LAYERS[target_layer][0]} layer)")
    assert [] == wrong


def test_no_import_cycle():
    """No module reaches itself through its imports."""
    cycles = set()

    def visit(name: str, trail: list[str]) -> None:
        for target in GRAPH[name]:
            if target in trail:
                cycles.add(" -> ".join([*trail[trail.index(target) :], target]))
            elif target not in done:
                visit(target, [*trail, target])
        done.add(name)

    done: set[str] = set()
    for name in MODULES:
        if name not in done:
            visit(name, [name])
    assert set() == cycles


def third_party(name: str) -> set[str]:
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("library", ["typer", "click"])
def test_typer_is_only_in_the_command_line(library):
    """The library never raises Typer's errors or prints through it: only cspay.cli does."""
    assert [] == [name for name in MODULES if library in third_party(name) and not name.startswith("cspay.cli")]


def test_rich_is_only_in_the_command_line_and_terminal_rendering():
    """rich draws for people at a terminal: the command line and the modules named terminal*."""
    allowed = [
        name for name in MODULES if name.startswith("cspay.cli") or name.rpartition(".")[2].startswith("terminal")
    ]
    assert [] == [name for name in MODULES if "rich" in third_party(name) and name not in allowed]
