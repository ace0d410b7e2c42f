"""Compositing: put the restoration into the holes, keep every known pixel (HNeRV section 3.2).

``output = M * prediction + (1 - M) * input`` with M = 1 on missing pixels. It is computed with a
selection, not arithmetic, so known pixels come back bit-exactly.
"""

from __future__ import annotations

import torch


def composite(
    prediction: torch.Tensor, corrupted: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """Fill the holes of ``corrupted`` with ``prediction``.

    Args:
        prediction: ``(T, 3, H, W)`` restoration in [0, 1].
        corrupted: ``(T, 3, H, W)`` input video.
        mask: ``(T, 1, H, W)``, 1 = missing (take the prediction), 0 = known (keep the input).

    Returns:
        ``(T, 3, H, W)``; equal to ``corrupted`` wherever ``mask`` is 0.
    """
    if prediction.shape != corrupted.shape:
        raise ValueError(
            f"prediction has shape {tuple(prediction.shape)}, input has {tuple(corrupted.shape)}"
        )
    expected = (corrupted.shape[0], 1, *corrupted.shape[2:])
    if tuple(mask.shape) != expected:
        raise ValueError(f"mask has shape {tuple(mask.shape)}, expected {expected}")
    return torch.where(mask > 0.5, prediction.to(corrupted.dtype), corrupted)
