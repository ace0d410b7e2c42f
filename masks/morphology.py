"""Mask dilation: grow holes by N pixels so that object edges do not leak into the known region.

Object masks (DAVIS annotations, masks exported from segmentation tools) are usually tight: the
blurred, anti-aliased or shadowed rim of an object lies just outside them. Training on that rim as
"known" teaches the representation the object's colours, so holes are grown before fitting.
"""

from __future__ import annotations

import kornia.morphology
import torch

from masks.checks import check_mask, check_non_negative_int


def dilate_mask(mask: torch.Tensor, pixels: int) -> torch.Tensor:
    """Grows the holes of a mask by `pixels` in every direction (square structuring element).

    Uses `kornia.morphology.dilation` with a flat `(2p + 1) x (2p + 1)` square of ones, applied
    as a `(2p + 1) x 1` then a `1 x (2p + 1)` pass (equal for a square, and O(p) instead of
    O(p^2) per pixel). A square grows a hole to every pixel within Chebyshev distance `p`, so a
    1-px dot becomes a `(2p + 1) x (2p + 1)` square; a disk would round the corners, but a square
    is the conservative choice: it covers the disk of radius `p`. Pixels outside the frame are
    ignored (kornia's "geodesic" border), so holes do not grow in from the edges. Each frame is
    dilated on its own.

    Args:
        mask: Float mask `(T, 1, H, W)`, 1 = missing, values in [0, 1].
        pixels: Dilation radius p >= 0; 0 returns `mask` itself.

    Returns:
        Dilated mask `(T, 1, H, W)`, same dtype and device (per pixel, the maximum over the square).

    Raises:
        ValueError: If `mask` is not a `(T, 1, H, W)` float tensor in [0, 1] or `pixels` is not an
            integer >= 0.
    """
    check_mask(mask)
    check_non_negative_int("pixels", pixels)
    if pixels == 0 or mask.numel() == 0:
        return mask
    side = 2 * pixels + 1
    with torch.no_grad():
        vertical = torch.ones(side, 1, dtype=mask.dtype, device=mask.device)
        horizontal = torch.ones(1, side, dtype=mask.dtype, device=mask.device)
        grown = kornia.morphology.dilation(mask, vertical)
        return kornia.morphology.dilation(grown, horizontal)
