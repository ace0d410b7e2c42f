"""Compositing: put the restoration into the holes, keep every known pixel (HNeRV section 3.2).

``output = M * prediction + (1 - M) * input`` with M = 1 on missing pixels. It is computed with a
selection, not arithmetic, so known pixels come back bit-exactly. ``composite`` checks its
arguments (a front end's call); the engine, whose tensors ``restore()`` checked, calls
``composite.unchecked``.
"""

from __future__ import annotations

import torch

from masks.checks import check_composite, checked_by


@checked_by(check_composite)
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
    return torch.where(mask > 0.5, prediction.to(corrupted.dtype), corrupted)
