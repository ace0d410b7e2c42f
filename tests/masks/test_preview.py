"""Tests for masks.preview: overlays, masked fraction, holes that never uncover."""

from __future__ import annotations

import pytest
import torch

from masks.boxes import box_masks, center_mask
from masks.preview import check_propagation, masked_fraction, never_visible_fraction, overlay


def moving_dot(frames: int = 4) -> torch.Tensor:
    mask = torch.zeros(frames, 1, 8, 8)
    for t in range(frames):
        mask[t, 0, 2, t] = 1.0
    return mask


def test_overlay_tints_holes_and_keeps_known_pixels():
    frames = torch.rand(3, 3, 8, 8)
    mask = moving_dot(3)
    tinted = overlay(frames, mask)
    assert tinted.shape == frames.shape
    known = mask.expand_as(frames) == 0
    assert torch.equal(tinted[known], frames[known])
    color = torch.tensor([1.0, 0.2, 0.2])
    assert torch.allclose(tinted[1, :, 2, 1], 0.5 * frames[1, :, 2, 1] + 0.5 * color)


def test_overlay_alpha_one_paints_the_color():
    frames = torch.rand(2, 3, 8, 8)
    tinted = overlay(frames, moving_dot(2), color=(0.0, 1.0, 0.0), alpha=1.0)
    assert torch.equal(tinted[0, :, 2, 0], torch.tensor([0.0, 1.0, 0.0]))


def test_overlay_single_frame_and_broadcast_mask():
    frame = torch.rand(3, 8, 8)
    single = overlay(frame, moving_dot(1)[0])
    assert single.shape == (3, 8, 8)
    assert not torch.equal(single[:, 2, 0], frame[:, 2, 0])
    video = torch.rand(5, 3, 8, 8)
    tinted = overlay(video, moving_dot(1))  # one mask frame for all five
    assert all(not torch.equal(tinted[t, :, 2, 0], video[t, :, 2, 0]) for t in range(5))


def test_overlay_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"mask has shape \(2, 1, 8, 8\), expected \(3 or 1"):
        overlay(torch.rand(3, 3, 8, 8), moving_dot(2))
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\], got 2"):
        overlay(torch.rand(3, 3, 8, 8), moving_dot(3), alpha=2)


def test_masked_fraction():
    assert masked_fraction(center_mask(3, 240, 432)) == pytest.approx(1 / 16)
    assert masked_fraction(box_masks(3, 240, 432)) == pytest.approx(5 * 144 / (240 * 432))
    assert masked_fraction(moving_dot(4)) == pytest.approx(1 / 64)


def test_never_visible_fraction():
    assert never_visible_fraction(moving_dot(4)) == 0.0
    assert never_visible_fraction(center_mask(3, 240, 432)) == pytest.approx(1 / 16)
    mask = moving_dot(4)
    mask[:, 0, 7, 7] = 1.0  # one pixel masked in every frame
    assert never_visible_fraction(mask) == pytest.approx(1 / 64)


def test_check_propagation_warns_on_fixed_holes():
    assert check_propagation(moving_dot(4)) is None
    assert check_propagation(torch.zeros(3, 1, 8, 8)) is None
    message = check_propagation(box_masks(10, 240, 432))
    assert message.startswith(
        "0.69% of the frame (100% of the hole area) is masked at the same place in every frame"
    )
    assert "unless the camera or the scene moves" in message
    assert "only spatial inpainting can fill it" in message
    partial = moving_dot(4)
    partial[:, 0, 7, 7] = 1.0
    assert check_propagation(partial).startswith("1.56% of the frame (20% of the hole area)")
