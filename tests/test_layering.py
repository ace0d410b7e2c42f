"""Imports go one way: masks -> third-party only; restore -> masks; front ends -> both."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _imported_packages(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("restore", {"apps", "evaluation"}),
        ("masks", {"restore", "apps", "evaluation"}),
        ("evaluation", {"apps"}),
    ],
)
def test_no_upward_imports(package: str, forbidden: set[str]) -> None:
    offenders = {
        path: sorted(names & forbidden)
        for path, names in _imported_packages(package).items()
        if names & forbidden
    }
    assert not offenders, offenders


def test_apps_hold_no_model_or_fitting_code() -> None:
    for path in _imported_packages("apps"):
        assert "torch.optim" not in (ROOT / path).read_text(), path
