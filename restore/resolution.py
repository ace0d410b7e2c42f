"""Working resolution: fit a neural representation at a lower resolution, keep the user's pixels.

A 1280x720 clip costs a neural method four times the steps of 640x360 for holes that rarely need
that detail. With a working size the method runs on the downscaled clip; its output is upscaled
(bicubic) and composited into the *full-resolution* holes, so every known pixel keeps the user's
resolution bit-exactly and only the hole pixels come from the lower resolution.

Downscaling uses area averaging (OpenCV ``INTER_AREA``); a working-resolution pixel is a hole if
any full-resolution pixel under it is (so no hole value leaks into what the method trusts).
``"auto"`` fits neural methods at about ``AUTO_PIXELS`` when the clip is larger; ``"full"`` never
downscales. Frames ``(T, 3, H, W)`` float32 in [0, 1], masks ``(T, 1, H, W)``, 1 = missing.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import torch
from torch.nn import functional as F

AUTO_PIXELS = 640 * 360
""""auto" fits neural methods at about this many pixels per frame when the clip has more."""


def resolve_work_size(
    work_size: tuple[int, int] | str | None, height: int, width: int
) -> tuple[int, int] | None:
    """``(W, H)`` to fit at, or None to fit at the clip's own size.

    Args:
        work_size: ``(W, H)``, ``"auto"`` or ``"full"`` (``RestoreConfig.work_size``).
        height, width: the clip's size.
    """
    if work_size in (None, "full"):
        return None
    if work_size == "auto":
        if height * width <= AUTO_PIXELS:
            return None
        scale = math.sqrt(AUTO_PIXELS / (height * width))
        work_size = (2 * round(width * scale / 2), 2 * round(height * scale / 2))
    size = (int(work_size[0]), int(work_size[1]))
    return None if size == (width, height) else size


def method_work_size(
    work_size: tuple[int, int] | str | None, height: int, width: int, *, neural: bool
) -> tuple[int, int] | None:
    """``(W, H)`` a method runs at, or None for the clip's own size: ``auto`` scales neural
    methods only (the fit's cost grows with the pixels; a classical method keeps every pixel),
    an explicit ``(W, H)`` applies to every method."""
    if work_size == "auto" and not neural:
        return None
    return resolve_work_size(work_size, height, width)


def downscale_video(frames: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """``(T, 3, H, W)`` -> ``(T, 3, h, w)`` for ``size = (w, h)``, area-averaged per frame."""
    images = frames.permute(0, 2, 3, 1).numpy()
    interpolation = (
        cv2.INTER_AREA
        if size[0] * size[1] < frames.shape[2] * frames.shape[3]
        else (cv2.INTER_CUBIC)
    )
    small = np.stack([cv2.resize(image, size, interpolation=interpolation) for image in images])
    return torch.from_numpy(np.clip(small, 0.0, 1.0)).permute(0, 3, 1, 2).contiguous()


def downscale_mask(mask: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """``(T, 1, H, W)`` -> ``(T, 1, h, w)``: a pixel is a hole if any pixel under it is one."""
    images = mask[:, 0].numpy().astype(np.float32)
    small = np.stack([cv2.resize(image, size, interpolation=cv2.INTER_AREA) for image in images])
    return torch.from_numpy((small > 1e-6).astype(np.float32))[:, None].contiguous()


def upscale_video(frames: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """``(T, 3, h, w)`` -> ``(T, 3, height, width)`` bicubic, clipped to [0, 1]."""
    chunks = [
        F.interpolate(frames[i : i + 8], size=(height, width), mode="bicubic", align_corners=False)
        for i in range(0, frames.shape[0], 8)
    ]
    return torch.cat(chunks).clamp_(0.0, 1.0)
