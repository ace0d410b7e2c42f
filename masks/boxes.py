"""Benchmark box masks: the HNeRV five-box protocol and the Boosting-NeRV central mask.

`box_masks` follows the inpainting protocol of HNeRV (Sec. 4.4, Table 8): five fixed square boxes
centred at (1/2, 1/2), (1/4, 1/4), (1/4, 3/4), (3/4, 1/4) and (3/4, 3/4) of (H, W), the same in
every frame. The paper uses 50-pixel boxes on 960-row frames; the side scales with the frame height.

`center_mask` is the "Mask-C" (central mask) scenario of Boosting-NeRV (Table 6): one centred box
of H/4 x W/4 in every frame.

Masks are float32 tensors `(T, 1, H, W)` with 1 = missing, 0 = known (HNeRV eq. 2).
"""

from __future__ import annotations

import math

import torch

from masks.checks import check_positive_int, check_video_size

BOX_CENTERS: tuple[tuple[float, float], ...] = (
    (0.5, 0.5),
    (0.25, 0.25),
    (0.25, 0.75),
    (0.75, 0.25),
    (0.75, 0.75),
)
"""Box centres as (fraction of H, fraction of W), in the order HNeRV lists them."""

REFERENCE_HEIGHT = 960
"""Frame height (rows) at which the HNeRV protocol uses `REFERENCE_BOX_SIZE`."""

REFERENCE_BOX_SIZE = 50
"""Box side in pixels at `REFERENCE_HEIGHT` rows."""


def default_box_size(height: int) -> int:
    """Returns the HNeRV box side for a frame height: 50 px at 960 rows, scaled linearly.

    `max(1, floor(50 * height / 960))`: 50 at 960, 25 at 480, 12 at 240.

    Args:
        height: Frame height H in pixels.

    Returns:
        Box side in pixels, at least 1.

    Raises:
        ValueError: If `height` is not a positive integer.
    """
    check_positive_int("height", height)
    return max(1, math.floor(REFERENCE_BOX_SIZE * height / REFERENCE_HEIGHT))


def box_rectangles(
    height: int, width: int, box_size: int | None = None
) -> list[tuple[int, int, int, int]]:
    """Returns the five benchmark boxes as pixel rectangles.

    Box k is centred at `(round(fy * H), round(fx * W))` for `(fy, fx)` in `BOX_CENTERS` (Python's
    `round`, half to even); its top-left corner is `centre - box_size // 2`. Rectangles are clipped
    to the frame, so a box larger than the frame never wraps around.

    Args:
        height: Frame height H in pixels.
        width: Frame width W in pixels.
        box_size: Box side in pixels; `None` uses `default_box_size(height)`.

    Returns:
        Five `(top, left, bottom, right)` tuples, end-exclusive, in `BOX_CENTERS` order.

    Raises:
        ValueError: If a size is not a positive integer.
    """
    check_positive_int("height", height)
    check_positive_int("width", width)
    if box_size is None:
        size = default_box_size(height)
    else:
        size = check_positive_int("box_size", box_size)
    rectangles = []
    for fraction_y, fraction_x in BOX_CENTERS:
        top = round(fraction_y * height) - size // 2
        left = round(fraction_x * width) - size // 2
        rectangles.append(
            (max(0, top), max(0, left), min(height, top + size), min(width, left + size))
        )
    return rectangles


def box_masks(
    num_frames: int, height: int, width: int, box_size: int | None = None
) -> torch.Tensor:
    """Builds the HNeRV five-box inpainting mask, identical in every frame.

    Args:
        num_frames: Number of frames T.
        height: Frame height H in pixels.
        width: Frame width W in pixels.
        box_size: Box side in pixels (the CLI's `--box-size`); `None` uses
            `default_box_size(height)` (50 px at 960 rows, 25 at 480, 12 at 240).

    Returns:
        Float32 mask `(T, 1, H, W)`, 1 inside the boxes (missing), 0 elsewhere.

    Raises:
        ValueError: If a size is not a positive integer.
    """
    check_video_size(num_frames, height, width)
    frame = torch.zeros(1, 1, height, width)
    for top, left, bottom, right in box_rectangles(height, width, box_size):
        frame[..., top:bottom, left:right] = 1.0
    return frame.expand(num_frames, 1, height, width).contiguous()


def center_rectangle(height: int, width: int) -> tuple[int, int, int, int]:
    """Returns the Boosting-NeRV "Mask-C" box: `H // 4` x `W // 4`, centred.

    Args:
        height: Frame height H in pixels.
        width: Frame width W in pixels.

    Returns:
        `(top, left, bottom, right)`, end-exclusive, with `top = (H - H // 4) // 2` and
        `left = (W - W // 4) // 2`.

    Raises:
        ValueError: If a size is not a positive integer.
    """
    check_positive_int("height", height)
    check_positive_int("width", width)
    box_height, box_width = height // 4, width // 4
    top, left = (height - box_height) // 2, (width - box_width) // 2
    return top, left, top + box_height, left + box_width


def center_mask(num_frames: int, height: int, width: int) -> torch.Tensor:
    """Builds the Boosting-NeRV central mask ("Mask-C"), identical in every frame.

    The hole is `H // 4` rows by `W // 4` columns, so it covers 1/16 of the frame when H and W are
    multiples of 4 (slightly less otherwise).

    Args:
        num_frames: Number of frames T.
        height: Frame height H in pixels.
        width: Frame width W in pixels.

    Returns:
        Float32 mask `(T, 1, H, W)`, 1 inside the central box, 0 elsewhere.

    Raises:
        ValueError: If a size is not a positive integer.
    """
    check_video_size(num_frames, height, width)
    top, left, bottom, right = center_rectangle(height, width)
    frame = torch.zeros(1, 1, height, width)
    frame[..., top:bottom, left:right] = 1.0
    return frame.expand(num_frames, 1, height, width).contiguous()
