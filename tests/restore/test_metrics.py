"""Tests for evaluation.metrics (PSNR, SSIM, MS-SSIM, summaries) and evaluation.warp_error."""

from __future__ import annotations

import json
import math

import cv2
import numpy as np
import pytest
import pytorch_msssim
import torch

from evaluation.warp_error import warp_error, warp_error_per_pair
from restore.metrics import (
    _ssim_map,
    ms_ssim,
    mse,
    psnr,
    psnr_in_holes,
    psnr_in_holes_per_frame,
    psnr_outside_holes,
    psnr_per_frame,
    ssim,
    ssim_in_holes,
    ssim_per_frame,
    summarize,
)


def random_video(frames: int = 2, height: int = 32, width: int = 48, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(frames, 3, height, width, generator=generator)


def box_mask(frames: int, height: int, width: int, box: tuple[int, int, int, int]) -> torch.Tensor:
    top, left, bottom, right = box
    mask = torch.zeros(frames, 1, height, width)
    mask[:, :, top:bottom, left:right] = 1.0
    return mask


def smooth_texture(height: int, width: int, seed: int) -> torch.Tensor:
    """A blurred-noise RGB image `(3, H, W)` in [0, 1]: textured enough for optical flow."""
    noise = np.random.default_rng(seed).random((height, width, 3)).astype(np.float32)
    blurred = cv2.GaussianBlur(noise, (0, 0), 2.0)
    blurred = (blurred - blurred.min()) / (blurred.max() - blurred.min())
    return torch.from_numpy(blurred).permute(2, 0, 1).contiguous()


# --- PSNR ----------------------------------------------------------------------------------------


def test_identical_videos_give_the_psnr_cap_and_ssim_one():
    video = random_video()
    assert psnr(video, video.clone()) == 100.0
    assert psnr(video, video.clone(), max_psnr=60.0) == 60.0
    assert torch.all(psnr_per_frame(video, video.clone()) == 100.0)
    assert ssim(video, video.clone()) == pytest.approx(1.0, abs=1e-6)
    assert torch.allclose(ssim_per_frame(video, video), torch.ones(2, dtype=torch.float64))
    mask = box_mask(2, 32, 48, (8, 8, 20, 30))
    assert ssim_in_holes(video, video.clone(), mask) == pytest.approx(1.0, abs=1e-6)
    assert psnr_in_holes(video, video.clone(), mask) == 100.0


def test_constant_offset_of_0_1_gives_mse_0_01_and_20_db():
    target = torch.full((3, 3, 16, 24), 0.4)
    prediction = target + 0.1
    assert mse(prediction, target) == pytest.approx(0.01, abs=1e-7)
    assert psnr(prediction, target) == pytest.approx(20.0, abs=1e-4)
    assert torch.allclose(
        psnr_per_frame(prediction, target), torch.full((3,), 20.0, dtype=torch.float64), atol=1e-4
    )


def test_psnr_pools_all_pixels_rather_than_averaging_frame_psnrs():
    target = torch.zeros(2, 3, 8, 8)
    prediction = target.clone()
    prediction[0] += 0.1  # frame 0: MSE 0.01; frame 1: exact.
    assert psnr(prediction, target) == pytest.approx(10 * math.log10(1 / 0.005), abs=1e-4)
    assert psnr_per_frame(prediction, target).tolist() == pytest.approx([20.0, 100.0], abs=1e-4)


def test_psnr_in_holes_ignores_pixels_outside_the_mask():
    target = torch.full((2, 3, 16, 16), 0.5)
    mask = box_mask(2, 16, 16, (4, 4, 8, 12))  # 4x8 holes per frame
    prediction = target.clone()
    prediction[:, :, 4:8, 4:12] += 0.2  # every hole value off by 0.2 -> MSE 0.04
    reference = psnr_in_holes(prediction, target, mask)
    assert reference == pytest.approx(10 * math.log10(1 / 0.04), abs=1e-4)

    outside_changed = prediction.clone()
    outside_changed[:, :, :4] = random_video(2, 4, 16)
    outside_changed[:, :, 8:] = 0.0
    assert psnr_in_holes(outside_changed, target, mask) == reference

    inside_changed = prediction.clone()
    inside_changed[0, :, 4:8, 4:8] = 0.5  # half the holes of frame 0 become exact
    # Squared errors: 3/4 of the hole values at 0.04, 1/4 at 0 -> MSE 0.03.
    assert psnr_in_holes(inside_changed, target, mask) == pytest.approx(
        10 * math.log10(1 / 0.03), abs=1e-4
    )


def test_psnr_outside_holes_ignores_pixels_inside_the_mask():
    target = torch.full((1, 3, 16, 16), 0.5)
    mask = box_mask(1, 16, 16, (4, 4, 8, 12))
    prediction = target + 0.1
    prediction[:, :, 4:8, 4:12] = 1.0
    assert psnr_outside_holes(prediction, target, mask) == pytest.approx(20.0, abs=1e-4)


def test_soft_mask_values_count_as_holes_above_one_half_and_known_only_at_zero():
    target = torch.zeros(1, 3, 4, 4)
    prediction = target.clone()
    prediction[:, :, 0, 0] = 0.1
    mask = torch.zeros(1, 1, 4, 4)
    mask[:, :, 0, 0] = 0.6
    mask[:, :, 0, 1] = 0.3  # neither hole nor known
    prediction[:, :, 0, 1] = 1.0
    assert psnr_in_holes(prediction, target, mask) == pytest.approx(20.0, abs=1e-4)
    assert psnr_outside_holes(prediction, target, mask) == 100.0


def test_psnr_in_holes_per_frame_is_none_for_frames_without_holes():
    target = torch.zeros(2, 3, 8, 8)
    prediction = target + 0.1
    mask = box_mask(2, 8, 8, (2, 2, 4, 4))
    mask[1] = 0.0
    values = psnr_in_holes_per_frame(prediction, target, mask)
    assert values[0] == pytest.approx(20.0, abs=1e-4)
    assert values[1] is None


def test_empty_mask_raises_value_error():
    video = random_video()
    empty = torch.zeros(2, 1, 32, 48)
    with pytest.raises(ValueError, match="mask"):
        psnr_in_holes(video, video, empty)
    with pytest.raises(ValueError, match="mask"):
        ssim_in_holes(video, video, empty)
    with pytest.raises(ValueError, match="mask"):
        psnr_outside_holes(video, video, torch.ones(2, 1, 32, 48))


# --- SSIM ----------------------------------------------------------------------------------------


def test_ssim_uses_data_range_one():
    # Flat frames: SSIM reduces to the luminance term (2*a*b + C1) / (a^2 + b^2 + C1), C1 = 0.01^2.
    # With pytorch_msssim's default data_range 255, C1 would be 6.5 and the score ~0.99.
    target = torch.full((1, 3, 16, 16), 0.5)
    prediction = torch.full((1, 3, 16, 16), 0.2)
    c1 = 0.01**2
    expected = (2 * 0.5 * 0.2 + c1) / (0.5**2 + 0.2**2 + c1)  # 0.690
    # float32 variance cancellation against C2 = 0.03^2 costs ~1e-5.
    assert ssim(prediction, target) == pytest.approx(expected, abs=1e-4)


def test_ssim_is_the_mean_of_frame_ssims():
    target = random_video(3, 24, 24, seed=1)
    prediction = (target + 0.1 * random_video(3, 24, 24, seed=2)).clamp(0, 1)
    per_frame = ssim_per_frame(prediction, target)
    assert per_frame.shape == (3,)
    assert ssim(prediction, target) == pytest.approx(float(per_frame.mean()), abs=1e-9)
    assert float(per_frame[1]) == pytest.approx(
        float(pytorch_msssim.ssim(prediction[1:2], target[1:2], data_range=1.0)), abs=1e-6
    )


def test_ssim_in_holes_matches_pytorch_msssim_away_from_the_border():
    # pytorch_msssim uses 'valid' filtering; our 'same' map agrees on pixels >= 5 from the border.
    target = random_video(2, 32, 40, seed=3)
    prediction = (target + 0.2 * random_video(2, 32, 40, seed=4)).clamp(0, 1)
    interior = box_mask(2, 32, 40, (5, 5, 27, 35))
    expected = float(pytorch_msssim.ssim(prediction, target, data_range=1.0))
    assert ssim_in_holes(prediction, target, interior) == pytest.approx(expected, abs=1e-5)


def test_ssim_in_holes_ignores_pixels_beyond_the_window_radius():
    target = random_video(1, 40, 40, seed=5)
    prediction = (target + 0.2 * random_video(1, 40, 40, seed=6)).clamp(0, 1)
    mask = box_mask(1, 40, 40, (15, 15, 25, 25))
    reference = ssim_in_holes(prediction, target, mask)
    far_changed = prediction.clone()
    far_changed[:, :, :9] = 0.0  # rows 0-8: more than 5 pixels above the hole (starts at row 15)
    assert ssim_in_holes(far_changed, target, mask) == pytest.approx(reference, abs=1e-9)
    inside_changed = prediction.clone()
    inside_changed[:, :, 15:25, 15:25] = target[:, :, 15:25, 15:25]
    assert ssim_in_holes(inside_changed, target, mask) > reference + 0.01


def test_ssim_in_holes_equals_the_full_frame_map_averaged_over_holes():
    # ssim_in_holes filters only each frame's hole bounding box; the result must not change.
    target = random_video(2, 30, 36, seed=11)
    prediction = (target + 0.3 * random_video(2, 30, 36, seed=12)).clamp(0, 1)
    mask = box_mask(2, 30, 36, (0, 2, 6, 9))  # touches the top border
    mask[1] = 0.0
    mask[1, :, 12:15, 30:36] = 1.0  # touches the right border
    mask[1, :, 20, 10] = 1.0
    full_map = _ssim_map(prediction, target)
    holes = (mask > 0.5).expand_as(full_map)
    expected = float(full_map[holes].double().mean())
    assert ssim_in_holes(prediction, target, mask) == pytest.approx(expected, abs=1e-6)


def test_ssim_rejects_frames_smaller_than_the_window():
    video = random_video(1, 8, 32)
    with pytest.raises(ValueError, match="11x11"):
        ssim(video, video)


def test_ms_ssim_needs_frames_larger_than_160():
    small = random_video(1, 120, 216)
    assert ms_ssim(small, small) is None
    target = random_video(1, 240, 432, seed=7)
    prediction = (target + 0.05 * random_video(1, 240, 432, seed=8)).clamp(0, 1)
    value = ms_ssim(prediction, target)
    assert isinstance(value, float)
    assert 0.0 < value < 1.0
    assert ms_ssim(target, target) == pytest.approx(1.0, abs=1e-5)


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "metric", [mse, psnr, psnr_per_frame, ssim, ssim_per_frame, ms_ssim, summarize]
)
def test_shape_mismatch_names_both_shapes(metric):
    with pytest.raises(ValueError) as error:
        metric(random_video(2, 16, 16), random_video(2, 16, 20))
    assert "(2, 3, 16, 16)" in str(error.value)
    assert "(2, 3, 16, 20)" in str(error.value)


@pytest.mark.parametrize("metric", [psnr_in_holes, psnr_outside_holes, ssim_in_holes])
def test_mask_shape_mismatch_names_both_counts(metric):
    video = random_video(2, 16, 16)
    with pytest.raises(ValueError) as error:
        metric(video, video, torch.ones(3, 1, 16, 16))
    assert "mask: expected 2 frames (the video's), got 3" in str(error.value)


def test_non_video_inputs_raise_value_error():
    with pytest.raises(ValueError, match=r"\(T, 3, H, W\)"):
        psnr(torch.rand(3, 16, 16), torch.rand(3, 16, 16))
    with pytest.raises(ValueError, match="floating-point"):
        psnr(torch.zeros(1, 3, 4, 4, dtype=torch.uint8), torch.zeros(1, 3, 4, 4, dtype=torch.uint8))


# --- warping error -------------------------------------------------------------------------------


def test_warp_error_is_tiny_for_a_static_video():
    video = smooth_texture(48, 64, seed=0).unsqueeze(0).repeat(4, 1, 1, 1)
    assert warp_error(video) < 1e-8


def test_warp_error_follows_translation_that_frame_differences_do_not():
    height, width, frames, step = 48, 64, 4, 3
    canvas = smooth_texture(height + 20, width + 20, seed=1)
    video = torch.stack(
        [canvas[:, 10 : 10 + height, 15 - step * i : 15 - step * i + width] for i in range(frames)]
    )
    error = warp_error(video)
    frame_difference = mse(video[1:], video[:-1])
    assert error < 1e-4
    assert frame_difference > 100 * error


def test_warp_error_is_larger_for_independent_frames():
    moving = smooth_texture(48, 64, seed=2).unsqueeze(0).repeat(4, 1, 1, 1)
    independent = torch.stack([smooth_texture(48, 64, seed=10 + i) for i in range(4)])
    assert warp_error(independent) > 1e-3
    assert warp_error(independent) > 1000 * max(warp_error(moving), 1e-9)


def test_warp_error_per_pair_respects_the_mask():
    video = torch.stack([smooth_texture(48, 64, seed=20 + i) for i in range(3)])
    mask = box_mask(3, 48, 64, (10, 10, 30, 40))
    mask[1] = 0.0  # pair (0, 1) has no hole in frame 1
    values = warp_error_per_pair(video, mask=mask)
    assert len(values) == 2
    assert values[0] is None
    assert isinstance(values[1], float)
    assert warp_error(video, mask=mask) == pytest.approx(values[1])


def test_warp_error_validates_its_input():
    with pytest.raises(ValueError, match="at least 2 frames"):
        warp_error(random_video(1))
    with pytest.raises(ValueError, match=r"mask: expected 2 frames \(the video.s\), got 1"):
        warp_error(random_video(2), mask=torch.ones(1, 1, 32, 48))


# --- summary -------------------------------------------------------------------------------------


def test_summarize_returns_json_serialisable_documented_keys():
    target = random_video(3, 24, 32, seed=9)
    prediction = (target + 0.05 * random_video(3, 24, 32, seed=10)).clamp(0, 1)
    mask = box_mask(3, 24, 32, (6, 6, 18, 20))
    mask[2] = 0.0
    raw = target.clone()  # identical: PSNR at the cap, never inf
    summary = summarize(prediction, target, mask=mask, raw=raw)
    json.dumps(summary, allow_nan=False)
    assert set(summary) == {
        "psnr",
        "ssim",
        "ms_ssim",
        "psnr_per_frame",
        "psnr_holes",
        "ssim_holes",
        "psnr_known",
        "psnr_holes_per_frame",
        "psnr_raw",
        "ssim_raw",
    }
    assert summary["ms_ssim"] is None
    assert summary["psnr"] == pytest.approx(psnr(prediction, target))
    assert summary["psnr_raw"] == 100.0
    assert summary["ssim_raw"] == pytest.approx(1.0, abs=1e-6)
    assert len(summary["psnr_per_frame"]) == 3
    assert summary["psnr_holes_per_frame"][2] is None
    assert all(
        type(v) is float for k, v in summary.items() if k not in {"ms_ssim"} and "per" not in k
    )


def test_summarize_without_mask_or_raw_has_only_the_base_keys():
    video = random_video(2, 16, 16)
    summary = summarize(video, video)
    json.dumps(summary, allow_nan=False)
    assert set(summary) == {"psnr", "ssim", "ms_ssim", "psnr_per_frame"}
    assert summary["psnr_per_frame"] == [100.0, 100.0]


def test_summarize_gives_none_for_hole_scores_when_the_mask_is_empty():
    video = random_video(2, 16, 16)
    summary = summarize(video, video, mask=torch.zeros(2, 1, 16, 16))
    assert summary["psnr_holes"] is None and summary["ssim_holes"] is None
    assert summary["psnr_known"] == 100.0
