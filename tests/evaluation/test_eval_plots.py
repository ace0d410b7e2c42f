"""Tests for evaluation.plots' zoom window and evaluation's import direction."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np

import evaluation
from evaluation.plots import zoom_window


def test_zoom_window_centres_on_the_hole_nearest_the_middle():
    mask = np.zeros((240, 432), dtype=bool)
    mask[10:22, 10:22] = True  # a corner hole
    mask[114:126, 210:222] = True  # the central hole
    top, left, bottom, right = zoom_window(mask, 240, 432)
    assert bottom - top == right - left == 80  # max(3 * 12, 240 // 3)
    assert top <= 114 and bottom >= 126 and left <= 210 and right >= 222


def test_zoom_window_stays_inside_the_frame():
    mask = np.zeros((64, 96), dtype=bool)
    mask[0:30, 90:96] = True
    top, left, bottom, right = zoom_window(mask, 64, 96)
    assert 0 <= top < bottom <= 64 and 0 <= left < right <= 96
    assert zoom_window(None, 64, 96) == (16, 32, 48, 64)


def test_evaluation_never_imports_apps():
    folder = Path(evaluation.__file__).parent
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(name.split(".")[0] == "apps" for name in names), path
