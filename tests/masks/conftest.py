"""Fixtures for the masks tests: the shared DAVIS data, a few real frames at 432x240."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

DAVIS_ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "davis"


def read_davis_frames(
    root: Path, sequence: str, indices: range, size: tuple[int, int] = (240, 432)
) -> torch.Tensor:
    """Reads the JPEG frames `indices` of a sequence as `(T, 3, H, W)` RGB in [0, 1], resized
    with cv2.INTER_AREA to `size` = (H, W)."""
    all_files = sorted((root / "JPEGImages" / "480p" / sequence).glob("*.jpg"))
    files = [all_files[i] for i in indices]
    frames = []
    for file in files:
        image = cv2.cvtColor(cv2.imread(str(file)), cv2.COLOR_BGR2RGB)
        image = cv2.resize(image, (size[1], size[0]), interpolation=cv2.INTER_AREA)
        frames.append(image.astype(np.float32) / 255.0)
    return torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).contiguous()


@pytest.fixture(scope="session")
def davis_root() -> Path:
    """The DAVIS root shared next to the repository; skips when it is not there."""
    if not (DAVIS_ROOT / "Annotations" / "480p").is_dir():
        pytest.skip(f"DAVIS data not found at {DAVIS_ROOT} (expected ../shared/data/davis)")
    return DAVIS_ROOT


@pytest.fixture(scope="session")
def blackswan_frames(davis_root: Path) -> torch.Tensor:
    """Every 5th of the first 50 frames of blackswan, `(10, 3, 240, 432)` RGB in [0, 1].

    Spread over the clip so that measured PSNRs match the 50-frame values documented in
    `masks.noise` within a fraction of a dB.
    """
    return read_davis_frames(davis_root, "blackswan", range(0, 50, 5))
