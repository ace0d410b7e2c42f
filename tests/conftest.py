"""Shared fixtures: real DAVIS frames from ../shared/data (never copied into the repository),
and a synthetic clip of a moving textured disc for mask tracking."""

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


def textured_clip(num_frames: int = 12, height: int = 72, width: int = 112, shift: int = 3):
    """A noisy green background and a textured red disc moving ``shift`` px right per frame.

    Returns ``(frames (T,3,H,W), truth (T,1,H,W))``.
    """
    generator = torch.Generator().manual_seed(0)
    rows = torch.arange(height).view(height, 1).float()
    cols = torch.arange(width).view(1, width).float()
    frames = torch.empty(num_frames, 3, height, width)
    truth = torch.empty(num_frames, 1, height, width)
    background = torch.rand(3, height, width + shift * num_frames, generator=generator)
    texture = torch.rand(3, height, width, generator=generator)
    for t in range(num_frames):
        # The camera pans too: the background slides left by one pixel per frame.
        frame = 0.15 * background[:, :, t : t + width] + torch.tensor([0.1, 0.5, 0.2]).view(3, 1, 1)
        inside = ((rows - 36) ** 2 + (cols - (30 + shift * t)) ** 2) < 15**2
        object_colour = 0.2 * texture.roll(shift * t, dims=2) + torch.tensor([0.7, 0.1, 0.1]).view(
            3, 1, 1
        )
        frames[t] = torch.where(inside, object_colour, frame).clamp(0, 1)
        truth[t, 0] = inside.float()
    return frames, truth


@pytest.fixture
def textured_clip_maker():
    """`textured_clip`, the maker of a moving textured disc clip and its true masks."""
    return textured_clip
