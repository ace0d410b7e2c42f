"""Side-by-side comparison frames (for example corrupted | restored), optionally labelled."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import torch
from torch import Tensor

from masks.checks import check_non_negative_int, check_same_shape, check_video
from restore.errors import InputError


def side_by_side(
    left: Tensor,
    right: Tensor,
    *,
    labels: Sequence[str] | None = None,
    gap: int = 4,
) -> Tensor:
    """Put two videos next to each other with a white gap between them.

    Labels are drawn white with a dark outline in the top-left corner of each half. They are
    blended in float, so the frames themselves are not quantized.

    Args:
        left: ``(T, 3, H, W)`` float RGB in [0, 1].
        right: ``(T, 3, H, W)`` float RGB in [0, 1], same shape as ``left``.
        labels: ``(left_label, right_label)`` or ``None``; an empty string draws nothing.
        gap: width of the white separator in pixels (>= 0).

    Returns:
        ``(T, 3, H, 2 * W + gap)`` float32 on ``left``'s device.

    Raises:
        ValueError: the shapes differ or are not ``(T, 3, H, W)``, ``labels`` is not two strings,
            or ``gap`` is negative.
    """
    check_video(left, "left", values=False)
    check_video(right, "right", values=False)
    check_same_shape(left, right, ("left", "right"))
    check_non_negative_int("gap", gap)
    if labels is not None and (len(labels) != 2 or not all(isinstance(t, str) for t in labels)):
        raise InputError(f"labels: expected two strings (left, right), got {labels!r}")
    frames, height = int(left.shape[0]), int(left.shape[2])
    left = left.to(torch.float32)
    right = right.to(left.device, torch.float32)
    separator = left.new_ones((frames, 3, height, gap))
    halves = []
    for half, label in zip((left, right), labels or ("", ""), strict=True):
        halves.append(_draw_label(half, label) if label else half)
    return torch.cat([halves[0], separator, halves[1]], dim=3)


def _draw_label(frames: Tensor, label: str) -> Tensor:
    """Blend ``label`` into the top-left of every ``(T, 3, H, W)`` frame (same place each frame)."""
    height, width = int(frames.shape[2]), int(frames.shape[3])
    scale = max(0.45, height / 480)
    thickness = max(1, round(scale * 1.5))
    font = cv2.FONT_HERSHEY_SIMPLEX
    (_, text_height), _ = cv2.getTextSize(label, font, scale, thickness)
    origin = (max(2, round(6 * scale)), min(height - 2, text_height + round(8 * scale)))
    outline = np.zeros((height, width), np.uint8)
    text = np.zeros((height, width), np.uint8)
    cv2.putText(outline, label, origin, font, scale, 255, thickness + 2, cv2.LINE_AA)
    cv2.putText(text, label, origin, font, scale, 255, thickness, cv2.LINE_AA)
    outline_alpha = torch.from_numpy(outline).to(frames.device, torch.float32).div_(255.0)
    text_alpha = torch.from_numpy(text).to(frames.device, torch.float32).div_(255.0)
    # Darken under the outline, then paint the text white on top.
    darkened = frames * (1.0 - 0.8 * outline_alpha)
    return darkened * (1.0 - text_alpha) + text_alpha
