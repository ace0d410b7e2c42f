"""Masked reconstruction losses (HNeRV eq. 2).

``L = (1 - M) * Loss(x, p)``, normalised by the number of known pixels, so the hole size does not
change the step size. For the pixel-wise losses (L2, L1) that is an exact masked mean. SSIM and
MS-SSIM are windowed, so hole pixels are replaced by the prediction itself, detached, on both sides
before the windowed comparison: hole pixels then agree exactly, and no gradient reaches the
prediction inside the holes (checked by a test).

``boost`` is Boosting-NeRV's improved loss (Zhang et al., CVPR 2024, "Loss function"):
``L_d = L1(FFT(x), FFT(p)) + λ α L1(x, p) + λ (1 - α) (1 - MS-SSIM(x, p))``, computed here
divided by λ (Adam does not care about the overall scale): ``L1_fft / λ + α L1 + (1 - α)(1 -
MS-SSIM)`` with α = 0.7 (NeRV's L1/SSIM split) and λ = 10. The FFT is orthonormal (``norm =
"ortho"``), so by Parseval its coefficients are on the pixels' scale and λ = 10 keeps the frequency
term a tenth of the pixel terms. Masking: the FFT mixes every pixel, so, as for SSIM, hole pixels
of both images are replaced by the detached prediction before the transform; the difference is
then zero in the holes, and the frequency L1 is divided by the known fraction of the frame, like
the masked means. MS-SSIM falls back to SSIM below 161 px, as ``ms-ssim`` does.
"""

from __future__ import annotations

import torch
from pytorch_msssim import ms_ssim, ssim

from restore.errors import InputError

LOSSES = ("l2", "l1", "ssim", "ms-ssim", "l1+ssim", "boost")
MS_SSIM_MIN_SIDE = 161  # pytorch_msssim's 5 scales with an 11-px window need sides > 160
BOOST_LAMBDA = 10.0  # λ of the boost loss: weight of the pixel terms against the frequency term
BOOST_ALPHA = 0.7  # α of the boost loss: L1 share of the pixel terms (the rest is 1 - MS-SSIM)


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


def masked_frequency_l1(
    prediction: torch.Tensor, target: torch.Tensor, known: torch.Tensor
) -> torch.Tensor:
    """L1 between the 2-D orthonormal FFTs of both images, holes filled with the prediction.

    Hole pixels of ``prediction`` and ``target`` ``(B, C, H, W)`` are both replaced by the detached
    prediction, so they neither reach the loss nor receive gradient; the mean over coefficients is
    divided by the known fraction so the hole size does not change the step size.
    """
    filled_prediction, filled_target = _fill_holes_with_prediction(prediction, target, known)
    difference = torch.fft.rfft2(filled_prediction - filled_target, norm="ortho")
    known_fraction = known.mean().clamp_min(1.0 / known[0, 0].numel())
    return torch.view_as_real(difference).abs().mean() / known_fraction


def boost_loss(prediction: torch.Tensor, target: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """Boosting-NeRV's ``L1_fft / λ + α L1 + (1 - α)(1 - MS-SSIM)`` over known pixels."""
    filled_prediction, filled_target = _fill_holes_with_prediction(prediction, target, known)
    if min(prediction.shape[-2:]) >= MS_SSIM_MIN_SIDE:
        structural = 1 - ms_ssim(filled_prediction, filled_target, data_range=1.0)
    else:
        structural = 1 - ssim(filled_prediction, filled_target, data_range=1.0)
    pixel = masked_mean((prediction - target).abs(), known)
    frequency = masked_frequency_l1(prediction, target, known)
    return frequency / BOOST_LAMBDA + BOOST_ALPHA * pixel + (1 - BOOST_ALPHA) * structural


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
            below that (``resolve_loss`` says so up front); so does the MS-SSIM term of ``boost``.
    """
    if known is None:
        known = torch.ones_like(prediction[:, :1])
    if kind == "l2":
        return masked_mean((prediction - target) ** 2, known)
    if kind == "l1":
        return masked_mean((prediction - target).abs(), known)
    if kind == "boost":
        return boost_loss(prediction, target, known)
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
    if kind == "boost" and min(height, width) < MS_SSIM_MIN_SIDE:
        return kind, (
            f"MS-SSIM needs frame sides > 160 px (got {height}x{width}); the boost loss uses "
            "SSIM for its structural term"
        )
    return kind, None
