"""Pad frames at the bottom/right to sizes a model's strides divide, and crop them back.

HNeRV-style decoders upsample by fixed strides, so the fitted size must be a multiple of their
product. Padding only the bottom and right edges keeps pixel ``(y, x)`` at ``(y, x)``, so cropping
``[:H, :W]`` undoes it exactly. The padded area is not real content: callers should exclude it
from losses and metrics (for example by cropping before scoring).
"""

from __future__ import annotations

import torch.nn.functional as functional
from torch import Tensor

PAD_MODES = ("replicate", "reflect", "constant")


def pad_to_multiple(
    frames: Tensor, multiple_h: int, multiple_w: int, mode: str = "replicate"
) -> tuple[Tensor, tuple[int, int]]:
    """Pad the bottom and right edges so height and width become multiples.

    Args:
        frames: ``(T, C, H, W)`` float tensor, any ``C`` (frames, masks, features).
        multiple_h: the padded height is the smallest multiple of this that is ``>= H``.
        multiple_w: the padded width is the smallest multiple of this that is ``>= W``.
        mode: ``"replicate"`` (repeat the edge pixels), ``"reflect"`` (mirror without repeating
            the edge; needs the padding to be smaller than the size) or ``"constant"`` (zeros).

    Returns:
        ``(padded, (pad_bottom, pad_right))``: ``padded`` is ``(T, C, H + pad_bottom,
        W + pad_right)``; it is ``frames`` itself when no padding is needed.

    Raises:
        ValueError: ``frames`` is not 4-D, a multiple is below 1, ``mode`` is unknown, or reflect
            padding is not smaller than the size it mirrors.
    """
    if frames.ndim != 4:
        raise ValueError(f"frames: expected shape (T, C, H, W), got {tuple(frames.shape)}")
    for name, multiple in (("multiple_h", multiple_h), ("multiple_w", multiple_w)):
        if isinstance(multiple, bool) or not isinstance(multiple, int) or multiple < 1:
            raise ValueError(f"{name}: expected an integer >= 1, got {multiple!r}")
    if mode not in PAD_MODES:
        raise ValueError(f"mode: expected one of {', '.join(PAD_MODES)}, got {mode!r}")
    height, width = int(frames.shape[2]), int(frames.shape[3])
    pad_bottom, pad_right = -height % multiple_h, -width % multiple_w
    if pad_bottom == 0 and pad_right == 0:
        return frames, (0, 0)
    if mode == "reflect" and (pad_bottom >= height or pad_right >= width):
        raise ValueError(
            f"mode: 'reflect' needs padding smaller than the frame, got {pad_bottom} rows and "
            f"{pad_right} columns for {height}x{width} (HxW) frames; use 'replicate'"
        )
    padded = functional.pad(frames, (0, pad_right, 0, pad_bottom), mode=mode)
    return padded, (pad_bottom, pad_right)


def crop_to(frames: Tensor, height: int, width: int) -> Tensor:
    """Keep the top-left ``height`` x ``width`` pixels: undoes `pad_to_multiple`.

    Args:
        frames: ``(..., H, W)`` tensor with ``H >= height`` and ``W >= width``.
        height: rows to keep.
        width: columns to keep.

    Returns:
        ``(..., height, width)``, a view of ``frames`` (no copy).

    Raises:
        ValueError: the requested size is below 1 or larger than the frames.
    """
    if frames.ndim < 2:
        raise ValueError(f"frames: expected shape (..., H, W), got {tuple(frames.shape)}")
    actual_height, actual_width = int(frames.shape[-2]), int(frames.shape[-1])
    if not (1 <= height <= actual_height and 1 <= width <= actual_width):
        raise ValueError(
            f"crop size: expected 1..{actual_height} x 1..{actual_width} (HxW), "
            f"got {height}x{width}"
        )
    return frames[..., :height, :width]
