"""The in-memory video (`Video`) and the float <-> uint8 conversions of the I/O edge.

Everywhere outside `restore/io`, frames are ``torch.float32`` tensors ``(T, 3, H, W)``, RGB, in
[0, 1] (see ARCHITECTURE.md). Only the functions here turn them into ``uint8`` arrays
``(T, H, W, 3)`` for OpenCV and FFmpeg, and back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from masks.checks import check_video
from restore.errors import InputError


@dataclass
class Video:
    """Decoded frames plus the facts needed to write them back out.

    Attributes:
        frames: ``(T, 3, H, W)`` float32 RGB in [0, 1], on the CPU.
        fps: frames per second (> 0).
        source: where the frames came from (a file or folder path, or a short description).
    """

    frames: Tensor
    fps: float
    source: str

    def __post_init__(self) -> None:
        check_video(self.frames, "frames", values=False)
        if self.frames.dtype != torch.float32:
            raise InputError(f"frames: expected dtype float32, got {self.frames.dtype}")
        check_fps(self.fps)

    @property
    def num_frames(self) -> int:
        """Number of frames ``T``."""
        return int(self.frames.shape[0])

    @property
    def height(self) -> int:
        """Frame height ``H`` in pixels."""
        return int(self.frames.shape[2])

    @property
    def width(self) -> int:
        """Frame width ``W`` in pixels."""
        return int(self.frames.shape[3])


def check_fps(fps: object) -> float:
    """Return ``fps`` as a float, or raise ``ValueError`` unless it is a finite number > 0."""
    if isinstance(fps, bool) or not isinstance(fps, (int, float)):
        raise InputError(f"fps: expected a number > 0, got {fps!r}")
    if not math.isfinite(fps) or fps <= 0:
        raise InputError(f"fps: expected a finite number > 0, got {fps}")
    return float(fps)


def frames_to_uint8(frames: Tensor) -> np.ndarray:
    """Convert float frames to the uint8 layout OpenCV and FFmpeg take.

    Values are clipped to [0, 1] and rounded, so small overshoots of a model are harmless.

    Args:
        frames: ``(T, 3, H, W)`` float, RGB, nominally in [0, 1]; any device.

    Returns:
        ``(T, H, W, 3)`` uint8 RGB, C-contiguous.
    """
    scaled = frames.detach().to("cpu", torch.float32).clamp(0.0, 1.0).mul(255.0).round()
    return np.ascontiguousarray(scaled.to(torch.uint8).permute(0, 2, 3, 1).numpy())


def uint8_to_frames(images: np.ndarray) -> Tensor:
    """Convert uint8 RGB images to the project's frame layout.

    Args:
        images: ``(T, H, W, 3)`` uint8 RGB.

    Returns:
        ``(T, 3, H, W)`` float32 RGB in [0, 1].
    """
    channels_last = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2)
    # One float allocation: copy_ converts dtype and layout together.
    frames = torch.empty(channels_last.shape, dtype=torch.float32)
    return frames.copy_(channels_last).div_(255.0)
