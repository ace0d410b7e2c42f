"""Guards the import rule: masks/ uses only torch, numpy, OpenCV, kornia and the stdlib."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ALLOWED = {"torch", "numpy", "cv2", "kornia", "masks"} | set(sys.stdlib_module_names)
PACKAGE = Path(__file__).resolve().parents[2] / "masks"


def test_masks_imports_only_allowed_packages():
    files = sorted(PACKAGE.rglob("*.py"))
    assert files, f"no Python files under {PACKAGE}"
    offenders = []
    for file in files:
        for node in ast.walk(ast.parse(file.read_text(), str(file))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            offenders += [f"{file.name}: {n}" for n in names if n.split(".")[0] not in ALLOWED]
    assert offenders == []
