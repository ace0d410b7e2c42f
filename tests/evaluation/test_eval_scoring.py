"""Tests for evaluation.scoring (what a record stores) and the job's timing adjustment."""

from __future__ import annotations

import math

import torch

from evaluation.job import _timings
from evaluation.scoring import curve_point, score_restoration


def clip(seed: int = 0) -> torch.Tensor:
    return torch.rand(3, 3, 32, 48, generator=torch.Generator().manual_seed(seed))


def holes() -> torch.Tensor:
    mask = torch.zeros(3, 1, 32, 48)
    mask[:, :, 8:16, 8:24] = 1
    return mask


def test_perfect_restoration_scores_the_cap_and_the_truths_warp_error():
    clean, mask = clip(), holes()
    scores = score_restoration(clean, clean.clone(), corrupted=clean * (1 - mask), mask=mask)
    assert scores["psnr"] == scores["psnr_holes"] == 100.0
    assert math.isclose(scores["ssim"], 1.0, abs_tol=1e-6)
    assert scores["warp_error"] == scores["warp_error_truth"]
    assert scores["warp_error_label"] == "E_warp (DIS)"
    assert len(scores["warp_error_per_pair"]) == 2
    assert scores["psnr_holes_input"] < 20
    assert "psnr_raw" not in scores


def test_hole_scores_ignore_the_known_pixels():
    clean, mask = clip(), holes()
    restored = clean.clone()
    restored[:, :, 20:, :] = 0.0  # damage outside the holes only
    scores = score_restoration(clean, restored, corrupted=clean, mask=mask, raw=restored)
    assert scores["psnr_holes"] == 100.0
    assert scores["psnr"] < 30
    assert scores["psnr_raw"] == scores["psnr"]


def test_denoising_scores_have_no_hole_entries():
    clean = clip()
    noisy = (clean + 0.05).clamp(0, 1)
    scores = score_restoration(clean, noisy, corrupted=noisy)
    assert "psnr_holes" not in scores and "warp_error_holes" not in scores
    assert scores["psnr"] == scores["psnr_input"]


def test_curve_point():
    clean, mask = clip(), holes()
    point = curve_point(7, clean, clean, mask)
    assert point == {"epoch": 7, "psnr": 100.0, "psnr_holes": 100.0}
    assert curve_point(1, clean, clean, None)["psnr_holes"] is None


def test_curve_time_is_taken_out_of_the_fit_timings():
    measured = {"fit_seconds": 12.0, "seconds_per_frame_epoch": 0.1, "decode_fps": 5.0}
    timings = _timings(measured, curve_seconds=2.0, frames_seen=100)
    assert timings["fit_seconds"] == 10.0
    assert timings["fit_seconds_with_curve"] == 12.0
    assert timings["seconds_per_frame_epoch"] == 0.1
    assert timings["fit_frames_per_second"] == 10.0
    assert timings["decode_fps"] == 5.0
    assert _timings({"fit_seconds": 1.0}, 0.0, 0) == {"fit_seconds": 1.0, "curve_seconds": 0.0}
