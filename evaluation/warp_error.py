"""Temporal consistency of an output video: the flow warping error, labelled "E_warp (DIS)".

For each pair of consecutive frames (t, t+1), following Lai et al. 2018 ("Learning Blind Video
Temporal Consistency", eq. 9):

1. backward flow t+1 -> t and forward flow t -> t+1 from OpenCV DIS (preset MEDIUM) on grayscale
   uint8 frames;
2. frame t warped onto frame t+1 with the backward flow (`cv2.remap`, bilinear);
3. an occlusion mask on frame t+1's grid from the forward-backward consistency check of Ruder et al.
   2016 / Lai et al. 2018: with `w = f_bw(x)` and `w_hat = f_fw(x + w)` (sampled bilinearly), x is
   non-occluded when `|w + w_hat|^2 < 0.01 (|w|^2 + |w_hat|^2) + 0.5` and `x + w` lies inside
   the frame (Lai et al.'s extra motion-boundary test is not applied);
4. the mean squared error between frame t+1 and the warped frame t over the non-occluded pixels
   (all 3 channels), on [0, 1] values, optionally restricted to `mask[t+1] > 0.5` (the holes).

The score is the mean over pairs. Because the flow comes from DIS rather than FlowNet2, the numbers
are NOT comparable with the E_warp published in FlowNet2-based papers (Lai et al. 2018 and
follow-ups); compare methods only with each other under this implementation.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from masks.checks import check_mask, check_video
from restore.errors import InputError

WARP_ERROR_LABEL = "E_warp (DIS)"

# Forward-backward consistency thresholds (Ruder et al. 2016, Lai et al. 2018).
_CONSISTENCY_RELATIVE = 0.01
_CONSISTENCY_ABSOLUTE = 0.5


def _to_numpy_frames(video: torch.Tensor) -> np.ndarray:
    """`(T, 3, H, W)` tensor -> float32 `(T, H, W, 3)` RGB array in [0, 1]."""
    return video.detach().float().permute(0, 2, 3, 1).cpu().numpy()


def _to_gray_uint8(frame: np.ndarray) -> np.ndarray:
    """float32 `(H, W, 3)` RGB in [0, 1] -> uint8 `(H, W)` grayscale, DIS's input."""
    rgb = np.rint(np.clip(frame, 0.0, 1.0) * 255.0).astype(np.uint8)
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def _sampling_grid(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Absolute sampling coordinates `x + flow(x)`: two float32 `(H, W)` maps for `cv2.remap`."""
    height, width = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return xs + flow[..., 0], ys + flow[..., 1]


def _warp(image: np.ndarray, map_x: np.ndarray, map_y: np.ndarray) -> np.ndarray:
    """Samples `image` `(H, W, C)` at `(map_x, map_y)` bilinearly (border replicated)."""
    return cv2.remap(
        image, map_x, map_y, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def _non_occluded(
    backward_flow: np.ndarray, forward_flow: np.ndarray, map_x: np.ndarray, map_y: np.ndarray
) -> np.ndarray:
    """Forward-backward consistency mask on frame t+1's grid, bool `(H, W)`.

    Args:
        backward_flow: Flow t+1 -> t, float32 `(H, W, 2)`.
        forward_flow: Flow t -> t+1, float32 `(H, W, 2)`.
        map_x: `x + backward_flow_x`, float32 `(H, W)`.
        map_y: `y + backward_flow_y`, float32 `(H, W)`.

    Returns:
        True where the two flows cancel out (within the tolerance) and `x + f_bw(x)` is inside.
    """
    height, width = backward_flow.shape[:2]
    forward_at_target = _warp(forward_flow, map_x, map_y)
    round_trip = np.square(backward_flow + forward_at_target).sum(axis=-1)
    magnitudes = np.square(backward_flow).sum(axis=-1) + np.square(forward_at_target).sum(axis=-1)
    consistent = round_trip < _CONSISTENCY_RELATIVE * magnitudes + _CONSISTENCY_ABSOLUTE
    inside = (map_x >= 0) & (map_x <= width - 1) & (map_y >= 0) & (map_y <= height - 1)
    return consistent & inside


def _pair_warp_error(
    previous: np.ndarray,
    current: np.ndarray,
    flow_estimator: cv2.DISOpticalFlow,
    region: np.ndarray | None,
) -> float | None:
    """Warping error of one pair: MSE between `current` and `previous` warped onto it.

    Args:
        previous: Frame t, float32 `(H, W, 3)` in [0, 1].
        current: Frame t+1, float32 `(H, W, 3)` in [0, 1].
        flow_estimator: A DIS instance.
        region: Optional bool `(H, W)` on frame t+1 to restrict the error to.

    Returns:
        The MSE over non-occluded (and in-region) pixels, or None if there is none.
    """
    gray_previous, gray_current = _to_gray_uint8(previous), _to_gray_uint8(current)
    backward_flow = flow_estimator.calc(gray_current, gray_previous, None)
    forward_flow = flow_estimator.calc(gray_previous, gray_current, None)
    map_x, map_y = _sampling_grid(backward_flow)
    warped_previous = _warp(previous, map_x, map_y)
    valid = _non_occluded(backward_flow, forward_flow, map_x, map_y)
    if region is not None:
        valid &= region
    if not valid.any():
        return None
    squared = np.square(current.astype(np.float64) - warped_previous.astype(np.float64))
    return float(squared[valid].mean())


def warp_error_per_pair(
    video: torch.Tensor, *, mask: torch.Tensor | None = None
) -> list[float | None]:
    """Flow warping error of each consecutive pair (t, t+1), "E_warp (DIS)" (see module doc).

    Args:
        video: Output video `(T, 3, H, W)` in [0, 1], T >= 2.
        mask: Optional `(T, 1, H, W)`, 1 = hole; when given, pair (t, t+1) is scored only on
            pixels with `mask[t+1] > 0.5`.

    Returns:
        `T - 1` mean squared errors on [0, 1] values; None for a pair with no non-occluded pixel
        (inside the mask, when given), for example a frame without holes.

    Raises:
        ValueError: If `video` is not a float `(T, 3, H, W)` tensor with T >= 2, or `mask` does
            not match it.
    """
    video = check_video(video, values=False)
    if video.shape[0] < 2:
        raise InputError(f"video must have at least 2 frames for E_warp, got {video.shape[0]}")
    regions = None
    if mask is not None:
        regions = (check_mask(mask, video, values=False)[:, 0] > 0.5).cpu().numpy()
    frames = _to_numpy_frames(video)
    flow_estimator = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return [
        _pair_warp_error(
            frames[t], frames[t + 1], flow_estimator, None if regions is None else regions[t + 1]
        )
        for t in range(len(frames) - 1)
    ]


def warp_error(video: torch.Tensor, *, mask: torch.Tensor | None = None) -> float:
    """Mean flow warping error over consecutive pairs, "E_warp (DIS)"; lower is more consistent.

    Not comparable with FlowNet2-based E_warp numbers from papers (see module doc).

    Args:
        video: Output video `(T, 3, H, W)` in [0, 1], T >= 2.
        mask: Optional `(T, 1, H, W)`, 1 = hole; restricts each pair to the holes of frame t+1.

    Returns:
        The mean of `warp_error_per_pair` over pairs that have a value (MSE on [0, 1] values).

    Raises:
        ValueError: As `warp_error_per_pair`, or if no pair has any pixel to score.
    """
    values = [v for v in warp_error_per_pair(video, mask=mask) if v is not None]
    if not values:
        raise InputError(
            "video must have at least one non-occluded pixel (inside mask[1:], when given) to "
            "score E_warp, got none in any of its pairs"
        )
    return float(np.mean(values))
