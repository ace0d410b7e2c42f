"""Imports go one way: masks -> third-party only; restore -> masks; front ends -> both.

The console script (`apps/console.py`) is the one module allowed to import every package. The
module graph of the four packages, lazy imports inside functions included, has no circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("restore", "masks", "apps", "evaluation")
CONSOLE = "apps.console"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` except those under ``if TYPE_CHECKING:`` (type-only imports run
    never, so they cannot close a circle)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if (
                isinstance(child, ast.If)
                and isinstance(child.test, ast.Name)
                and child.test.id == "TYPE_CHECKING"
            ):
                stack.extend(child.orelse)
                continue
            stack.append(child)


def import_graph() -> dict[str, set[str]]:
    """Project module -> the project modules it imports at run time (anywhere in its body,
    ``import_module`` calls with a literal name included)."""
    graph: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            targets: set[str] = set()
            for node in _runtime_nodes(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    targets |= {alias.name for alias in node.names}
                elif (  # importlib.import_module("x.y") with a literal name is an import too
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "import_module"
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    targets.add(node.args[0].value)
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    for alias in node.names:
                        candidate = f"{node.module}.{alias.name}"
                        targets.add(candidate if _is_module(candidate) else node.module)
            graph[_module_name(path)] = {
                target for target in targets if target.split(".")[0] in PACKAGES
            }
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` as a list of modules, or None (depth-first search)."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return stack[stack.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("restore", {"apps", "evaluation"}),
        ("masks", {"restore", "apps", "evaluation"}),
        ("evaluation", {"apps"}),
        ("apps", {"evaluation"}),
    ],
)
def test_no_upward_imports(package: str, forbidden: set[str]) -> None:
    offenders = {
        module: sorted(target for target in targets if target.split(".")[0] in forbidden)
        for module, targets in import_graph().items()
        if module.split(".")[0] == package and module != CONSOLE
    }
    assert not {module: names for module, names in offenders.items() if names}, offenders


def test_the_console_script_mounts_every_front_end() -> None:
    assert {"restore.cli", "evaluation.cli", "apps.cli"} <= import_graph()[CONSOLE]


def test_the_import_graph_has_no_circle() -> None:
    assert find_cycle(import_graph()) is None, " -> ".join(find_cycle(import_graph()) or [])


def test_the_circle_finder_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_apps_hold_no_model_or_fitting_code() -> None:
    for module in import_graph():
        if module.startswith("apps"):
            path = ROOT.joinpath(*module.split("."))
            source = path.with_suffix(".py") if path.with_suffix(".py").exists() else path
            if source.is_dir():
                source = source / "__init__.py"
            assert "torch.optim" not in source.read_text(), module


CHECK_FAMILY = {"check_video", "check_mask", "check_learnable", "check_same_shape"}
"""The input checks of `masks.checks` that belong at a boundary only."""

BOUNDARY_MODULES = ("restore.api", "restore.metrics", "restore.io", "masks", "evaluation", "apps")
"""Where inputs arrive: the engine's `restore()`, the public metrics, the I/O edge, the mask
builders and the front ends. Every other engine module receives checked inputs; its public
functions check through `masks.checks.boundary` / `checked_by` and call each other's
`.unchecked` bodies."""


def check_calls(source: str) -> list[int]:
    """Lines of ``source`` that call a function of `CHECK_FAMILY` (by name or attribute)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            called = node.func
            name = called.id if isinstance(called, ast.Name) else getattr(called, "attr", None)
            if name in CHECK_FAMILY:
                lines.append(node.lineno)
    return lines


def test_inner_engine_modules_never_call_the_check_family() -> None:
    offenders = {}
    for package in ("restore",):
        for path in (ROOT / package).rglob("*.py"):
            module = _module_name(path)
            if module.startswith(BOUNDARY_MODULES):
                continue
            if lines := check_calls(path.read_text()):
                offenders[module] = lines
    assert not offenders, f"checks inside the engine (module: lines): {offenders}"


def test_the_check_finder_finds_a_check() -> None:
    source = "from masks.checks import check_mask\ndef f(v, m):\n    checks.check_video(v)\n"
    assert check_calls(source) == [3]
    assert check_calls("def f(v):\n    return boundary(mask=True)(v)\n") == []
