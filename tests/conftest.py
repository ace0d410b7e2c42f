"""Shared fixtures: real DAVIS frames from ../shared/data (never copied into the repository)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DAVIS_ROOT = SHARED_DATA / "davis"


def load_davis_frames(sequence: str, count: int, width: int, height: int) -> torch.Tensor:
    """First ``count`` frames of a DAVIS sequence as ``(T,3,H,W)`` float32 RGB in [0, 1]."""
    folder = DAVIS_ROOT / "JPEGImages" / "480p" / sequence
    if not folder.is_dir():
        pytest.skip(f"DAVIS data not found at {folder}")
    frames = []
    for path in sorted(folder.glob("*.jpg"))[:count]:
        image = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
        frames.append(torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1))
    return torch.stack(frames).float() / 255


@pytest.fixture
def blackswan_small() -> torch.Tensor:
    """6 frames of blackswan at 128x72."""
    return load_davis_frames("blackswan", 6, 128, 72)
