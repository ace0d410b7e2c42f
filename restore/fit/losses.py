"""Masked reconstruction losses (HNeRV eq. 2).

``L = (1 - M) * Loss(x, p)``, normalised by the number of known pixels, so the hole size does not
change the step size. For the pixel-wise losses (L2, L1) that is an exact masked mean. SSIM and
MS-SSIM are windowed, so hole pixels are replaced by the prediction itself, detached, on both sides
before the windowed comparison: hole pixels then agree exactly, and no gradient reaches the
prediction inside the holes (checked by a test).
"""

from __future__ import annotations

import torch
from pytorch_msssim import ms_ssim, ssim

from restore.errors import InputError

LOSSES = ("l2", "l1", "ssim", "ms-ssim", "l1+ssim")
MS_SSIM_MIN_SIDE = 161  # pytorch_msssim's 5 scales with an 11-px window need sides > 160


def masked_mean(values: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """Mean of ``values`` ``(B, C, H, W)`` over pixels where ``known`` ``(B, 1, H, W)`` is 1."""
    weights = known.expand_as(values)
    return (values * weights).sum() / weights.sum().clamp_min(1.0)


def _fill_holes_with_prediction(
    prediction: torch.Tensor, target: torch.Tensor, known: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    frozen = prediction.detach()
    prediction = known * prediction + (1 - known) * frozen
    target = known * target + (1 - known) * frozen
    return prediction, target


def reconstruction_loss(
    prediction: torch.Tensor,
    target: torch.Tensor,
    known: torch.Tensor | None,
    kind: str = "l2",
) -> torch.Tensor:
    """Loss over known pixels.

    Args:
        prediction: ``(B, 3, H, W)`` network output in [0, 1].
        target: ``(B, 3, H, W)`` corrupted frames (hole values are ignored).
        known: ``(B, 1, H, W)``, 1 where the pixel is known (``1 - M``); ``None`` = all known.
        kind: one of ``LOSSES``. ``ms-ssim`` needs sides > 160 px and falls back to ``ssim``
            below that (``resolve_loss`` says so up front).
    """
    if known is None:
        known = torch.ones_like(prediction[:, :1])
    if kind == "l2":
        return masked_mean((prediction - target) ** 2, known)
    if kind == "l1":
        return masked_mean((prediction - target).abs(), known)
    if kind in ("ssim", "ms-ssim", "l1+ssim"):
        filled_prediction, filled_target = _fill_holes_with_prediction(prediction, target, known)
        if kind == "ms-ssim" and min(prediction.shape[-2:]) >= MS_SSIM_MIN_SIDE:
            return 1 - ms_ssim(filled_prediction, filled_target, data_range=1.0)
        structural = 1 - ssim(filled_prediction, filled_target, data_range=1.0)
        if kind == "l1+ssim":
            # NeRV's loss: alpha * L1 + (1 - alpha) * (1 - SSIM), alpha = 0.7.
            return 0.7 * masked_mean((prediction - target).abs(), known) + 0.3 * structural
        return structural
    raise InputError(f"unknown loss {kind!r}; valid losses: {', '.join(LOSSES)}")


def resolve_loss(kind: str, height: int, width: int) -> tuple[str, str | None]:
    """The loss actually used at this frame size, and a note when it differs from ``kind``."""
    if kind not in LOSSES:
        raise InputError(f"unknown loss {kind!r}; valid losses: {', '.join(LOSSES)}")
    if kind == "ms-ssim" and min(height, width) < MS_SSIM_MIN_SIDE:
        return "ssim", (
            f"MS-SSIM needs frame sides > 160 px (got {height}x{width}); using SSIM instead"
        )
    return kind, None
