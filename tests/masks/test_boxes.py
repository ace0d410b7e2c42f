"""Tests for masks.boxes: HNeRV five-box geometry and the Boosting-NeRV central mask."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from masks.boxes import box_masks, box_rectangles, center_mask, default_box_size


def components(frame: torch.Tensor) -> list[tuple[int, int, int, int]]:
    """Connected holes of one `(H, W)` frame as sorted (top, left, height, width)."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(frame.numpy().astype(np.uint8), 4)
    return sorted(
        (int(s[cv2.CC_STAT_TOP]), int(s[cv2.CC_STAT_LEFT]), int(s[cv2.CC_STAT_HEIGHT]),
         int(s[cv2.CC_STAT_WIDTH]))
        for s in stats[1:count]
    )  # fmt: skip


@pytest.mark.parametrize(("height", "expected"), [(960, 50), (480, 25), (240, 12), (1, 1), (10, 1)])
def test_default_box_size_scales_50px_at_960_rows(height, expected):
    assert default_box_size(height) == expected


@pytest.mark.parametrize(
    ("height", "width", "expected"),
    [
        # Centres (480, 960), (240, 480), (240, 1440), (720, 480), (720, 1440); side 50.
        (
            960,
            1920,
            [(215, 455, 50, 50), (215, 1415, 50, 50), (455, 935, 50, 50),
             (695, 455, 50, 50), (695, 1415, 50, 50)],
        ),
        # Centres (240, 427), (120, 214), (120, 640), (360, 214), (360, 640); side 25.
        (
            480,
            854,
            [(108, 202, 25, 25), (108, 628, 25, 25), (228, 415, 25, 25),
             (348, 202, 25, 25), (348, 628, 25, 25)],
        ),
        # Centres (120, 216), (60, 108), (60, 324), (180, 108), (180, 324); side 12.
        (
            240,
            432,
            [(54, 102, 12, 12), (54, 318, 12, 12), (114, 210, 12, 12),
             (174, 102, 12, 12), (174, 318, 12, 12)],
        ),
    ],
)  # fmt: skip
def test_box_masks_exact_positions_and_sizes(height, width, expected):
    mask = box_masks(3, height, width)
    assert mask.shape == (3, 1, height, width)
    assert mask.dtype == torch.float32
    assert set(mask.unique().tolist()) == {0.0, 1.0}
    assert components(mask[0, 0]) == expected
    side = expected[0][2]
    assert mask[0].sum().item() == 5 * side * side
    assert torch.equal(mask[1], mask[0]) and torch.equal(mask[2], mask[0])


def test_box_rectangles_are_centred_with_size_half_offset():
    assert box_rectangles(240, 432) == [
        (114, 210, 126, 222),
        (54, 102, 66, 114),
        (54, 318, 66, 330),
        (174, 102, 186, 114),
        (174, 318, 186, 330),
    ]


def test_box_size_override():
    mask = box_masks(1, 240, 432, box_size=40)
    assert components(mask[0, 0])[2] == (100, 196, 40, 40)  # centre (120, 216) - 20
    assert mask.sum().item() == 5 * 40 * 40


def test_boxes_larger_than_the_frame_are_clipped():
    mask = box_masks(1, 8, 8, box_size=20)
    assert mask.shape == (1, 1, 8, 8)
    assert mask.sum().item() == 64  # every box clipped to the frame, no wrap-around


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((0, 240, 432), "num_frames: expected an integer >= 1, got 0"),
        ((5, -1, 432), "height: expected an integer >= 1, got -1"),
        ((5, 240, 432, 0), "box_size: expected an integer >= 1, got 0"),
    ],
)
def test_box_masks_rejects_bad_sizes(arguments, message):
    with pytest.raises(ValueError, match=message):
        box_masks(*arguments)


@pytest.mark.parametrize(("height", "width"), [(240, 432), (480, 960), (960, 1920)])
def test_center_mask_covers_one_sixteenth(height, width):
    mask = center_mask(2, height, width)
    assert mask.shape == (2, 1, height, width)
    assert mask[0].sum().item() == height * width / 16
    assert torch.equal(mask[1], mask[0])


def test_center_mask_position_at_240x432():
    mask = center_mask(1, 240, 432)
    assert components(mask[0, 0]) == [(90, 162, 60, 108)]
