"""Scores of one restored clip, computed one way for every method.

`score_restoration` is what a record stores:

- `restore.metrics.summarize` of the composited output against the ground truth: whole-frame PSNR,
  SSIM and MS-SSIM (None when min(H, W) <= 160), and for inpainting the hole-only PSNR/SSIM
  (pixels with mask > 0.5) and the known-pixel PSNR, with per-frame PSNRs;
- for neural methods the same whole-frame PSNR/SSIM of the raw network output before compositing
  (`psnr_raw`, `ssim_raw`: what the official HNeRV code reports);
- per-frame SSIM, and the PSNR of the corrupted input (the "do nothing" reference);
- temporal consistency: `warp_error`, "E_warp (DIS)" of the output (`evaluation.warp_error`), its
  restriction to the holes (`warp_error_holes`) and the same score of the ground truth
  (`warp_error_truth`, what a perfect restoration would get).

`curve_point` is the cheaper check run every few epochs during a fit (PSNR-versus-epoch curves).
All functions are pure; tensors are `(T, 3, H, W)` in [0, 1] and masks `(T, 1, H, W)`, 1 = hole.
"""

from __future__ import annotations

from typing import Any

import torch

from evaluation.records import json_safe
from evaluation.warp_error import WARP_ERROR_LABEL, warp_error_per_pair
from restore.metrics import psnr, psnr_in_holes, ssim_per_frame, summarize


def _mean_or_none(values: list[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return sum(present) / len(present) if present else None


def score_restoration(
    clean: torch.Tensor,
    restored: torch.Tensor,
    *,
    corrupted: torch.Tensor,
    mask: torch.Tensor | None = None,
    raw: torch.Tensor | None = None,
) -> dict[str, Any]:
    """All scores of one restored clip, JSON-ready (see the module docstring for the keys).

    Args:
        clean: Ground truth `(T, 3, H, W)`.
        restored: The method's output `(T, 3, H, W)` (composited for inpainting).
        corrupted: The input the method got `(T, 3, H, W)`.
        mask: `(T, 1, H, W)` holes (1 = hole) for inpainting; None for denoising.
        raw: Neural methods' output before compositing `(T, 3, H, W)`, else None.

    Returns:
        A flat dict of floats (None where undefined) and per-frame lists.

    Raises:
        ValueError: If shapes mismatch (see `restore.metrics`).
    """
    scores: dict[str, Any] = dict(summarize(restored, clean, mask=mask, raw=raw))
    scores["ssim_per_frame"] = ssim_per_frame(restored, clean).tolist()
    scores["psnr_input"] = psnr(corrupted, clean)
    if mask is not None and bool((mask > 0.5).any()):
        scores["psnr_holes_input"] = psnr_in_holes(corrupted, clean, mask)
    scores["warp_error_label"] = WARP_ERROR_LABEL
    if restored.shape[0] >= 2:
        per_pair = warp_error_per_pair(restored)
        scores["warp_error"] = _mean_or_none(per_pair)
        scores["warp_error_per_pair"] = per_pair
        scores["warp_error_truth"] = _mean_or_none(warp_error_per_pair(clean))
        if mask is not None:
            scores["warp_error_holes"] = _mean_or_none(warp_error_per_pair(restored, mask=mask))
    return json_safe(scores)


def curve_point(
    epoch: int, prediction: torch.Tensor, clean: torch.Tensor, mask: torch.Tensor | None
) -> dict[str, Any]:
    """One point of a PSNR-versus-epoch curve.

    Args:
        epoch: Epochs finished.
        prediction: The model's current output `(T, 3, H, W)`, cropped to the clip size.
        clean: Ground truth `(T, 3, H, W)`.
        mask: `(T, 1, H, W)` holes, or None (denoising: no hole PSNR).

    Returns:
        `{"epoch", "psnr" (whole frame, uncomposited), "psnr_holes" (None without holes)}`.
    """
    holes = mask is not None and bool((mask > 0.5).any())
    return json_safe(
        {
            "epoch": epoch,
            "psnr": psnr(prediction, clean),
            "psnr_holes": psnr_in_holes(prediction, clean, mask) if holes else None,
        }
    )
