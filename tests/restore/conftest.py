"""Fixtures shared by the engine's tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from restore.io import write_video


def moving_square(num_frames: int, height: int, width: int) -> torch.Tensor:
    """A smooth gradient with a bright square moving 4 pixels a frame: ``(T, 3, H, W)``."""
    y = torch.linspace(0, 1, height).view(1, 1, height, 1)
    x = torch.linspace(0, 1, width).view(1, 1, 1, width)
    frames = (0.25 + 0.5 * x * y).expand(num_frames, 3, height, width).clone()
    for t in range(num_frames):
        left = (4 * t) % (width - 12)
        frames[t, :, 8:20, left : left + 12] = 0.9
    return frames


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A 10-frame 48x32 H.264 clip of ``moving_square`` at 10 fps."""
    return write_video(tmp_path / "in.mp4", moving_square(10, 32, 48), 10.0)
