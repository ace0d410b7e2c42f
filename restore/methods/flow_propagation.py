"""Flow-guided propagation: the classical core of flow-based video inpainting.

Follows the pipeline of FGVC (C. Gao, A. Saraf, J.-B. Huang, J. Kopf, "Flow-edge Guided Video
Completion", ECCV 2020, sec. 3) and the propagation stage of ProPainter (S. Zhou, C. Li, K. C. K.
Chan, C. C. Loy, "ProPainter: Improving Propagation and Transformer for Video Inpainting",
ICCV 2023), without their learned parts:

1. Optical flow between consecutive frames, forward (t -> t+1) and backward (t -> t-1), with
   OpenCV's DIS (T. Kroeger, R. Timofte, D. Dai, L. Van Gool, "Fast Optical Flow using Dense
   Inverse Search", ECCV 2016) on grayscale frames whose holes are first Telea-filled (hard
   hole edges otherwise drag the flow around them: 5 to 6 dB lower hole PSNR on DAVIS boxes).
2. Flow completion: the flow inside the holes, grown by ``FLOW_BORDER_DILATION`` pixels because
   flow near a hole border is unreliable, is replaced by the harmonic (Laplace) interpolation of
   the flow around it (a sparse linear solve per field; FGVC completes flow from the boundary too,
   guided by edges).
3. Propagation: each hole pixel follows the completed flow chain frame by frame, forward and
   backward, until it lands where the next frame knows the content (the bilinearly sampled mask
   is 0); the two candidates are blended with weights inversely proportional to their temporal
   distances (0.4 to 1 dB better than taking the nearer one on DAVIS boxes).
4. What no frame shows is inpainted spatially (Telea by default), then known pixels are
   composited back bit-exactly.

Layout: video ``(T, 3, H, W)`` float32 RGB in [0, 1]; mask ``(T, 1, H, W)`` float32, 1 = missing,
0 = known (values above 0.5 count as missing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import torch
from scipy import sparse
from scipy.sparse.linalg import splu

from masks.checks import boundary
from restore.errors import InputError
from restore.methods.classical_inpaint import (
    composite_holes,
    mask_to_numpy,
    opencv_inpaint_frames,
    video_to_numpy,
    video_to_uint8,
)

# Pixels by which holes are grown before the flow inside them is discarded and completed: flow
# right at a hole border mixes hole and scene. Measured on DAVIS at 432x240 with Telea-prefilled
# frames: 1-2 px helps 36-px holes (+0.1 to +0.3 dB over 0 px), 8 px costs up to 0.8 dB.
FLOW_BORDER_DILATION = 2

# A landed position counts as known when the bilinearly sampled hole mask is below this, i.e.
# every pixel contributing to the bilinear sample is known.
KNOWN_THRESHOLD = 1e-6

# Smallest frame side given to DIS (OpenCV refuses frames below about 12 pixels).
DIS_MIN_SIDE = 16

# Confidence scales (see ``chain_confidence``, ``propagation_confidence``). Round values chosen
# from the spread of the errors on DAVIS blackswan, breakdance and bmx-trees (boxes and centre
# box, 432x240), not tuned per clip: DIS flows that track a surface come back to within a few
# tenths of a pixel per step; occlusions and flow completed across a moving object miss by pixels.
FB_ERROR_SCALE = 2.0  # pixels of summed forward-backward error for a factor 1/e
DISTANCE_SCALE = 30.0  # frames of chain length (beyond the first) for a factor 1/e
COLOUR_DISAGREEMENT_SCALE = 0.1  # mean |RGB| difference between the two candidates for 1/e

FALLBACKS = {"telea": cv2.INPAINT_TELEA, "navier_stokes": cv2.INPAINT_NS}


def compute_flows(gray: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Computes DIS optical flow between consecutive frames in both directions.

    Args:
        gray: ``(T, H, W)`` uint8 grayscale frames.

    Returns:
        ``(forward, backward)``, lists of ``T - 1`` float32 ``(H, W, 2)`` fields in pixels (x, y):
        ``forward[t]`` maps frame t to t + 1 and ``backward[t]`` maps frame t + 1 to t.
    """
    height, width = gray.shape[1:]
    # DIS rejects tiny frames; replicate borders up to a workable size and crop the flow back.
    pad_rows, pad_cols = max(0, DIS_MIN_SIDE - height), max(0, DIS_MIN_SIDE - width)
    if pad_rows or pad_cols:
        gray = np.stack(
            [
                cv2.copyMakeBorder(frame, 0, pad_rows, 0, pad_cols, cv2.BORDER_REPLICATE)
                for frame in gray
            ]
        )
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    forward, backward = [], []
    for index in range(gray.shape[0] - 1):
        forward.append(dis.calc(gray[index], gray[index + 1], None)[:height, :width])
        backward.append(dis.calc(gray[index + 1], gray[index], None)[:height, :width])
    return forward, backward


def laplace_fill(field: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """Replaces ``field`` inside ``unknown`` by the harmonic interpolation of its surroundings.

    Solves the discrete Laplace equation (4-neighbour stencil, Neumann at the image border) with
    the known pixels as Dirichlet boundary values.

    Args:
        field: ``(H, W, C)`` float array.
        unknown: ``(H, W)`` bool, True where ``field`` must be replaced.

    Returns:
        ``(H, W, C)`` float32 array; zeros everywhere if no pixel is known.
    """
    filled = field.astype(np.float32, copy=True)
    if not unknown.any():
        return filled
    if unknown.all():
        return np.zeros_like(filled)
    height, width = unknown.shape
    rows, cols = np.nonzero(unknown)
    count = rows.size
    index = np.full(unknown.shape, -1, dtype=np.int64)
    index[rows, cols] = np.arange(count)
    diagonal = np.zeros(count, dtype=np.float64)
    rhs = np.zeros((count, field.shape[2]), dtype=np.float64)
    off_rows, off_cols = [], []
    for d_row, d_col in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        n_rows, n_cols = rows + d_row, cols + d_col
        inside = (n_rows >= 0) & (n_rows < height) & (n_cols >= 0) & (n_cols < width)
        diagonal += inside
        own = np.nonzero(inside)[0]
        neighbour = index[n_rows[own], n_cols[own]]
        is_unknown = neighbour >= 0
        off_rows.append(own[is_unknown])
        off_cols.append(neighbour[is_unknown])
        known = own[~is_unknown]
        rhs[known] += field[n_rows[known], n_cols[known]]
    off_rows_all = np.concatenate(off_rows)
    matrix = sparse.csc_matrix(
        (
            np.concatenate([diagonal, -np.ones(off_rows_all.size)]),
            (
                np.concatenate([np.arange(count), off_rows_all]),
                np.concatenate([np.arange(count), np.concatenate(off_cols)]),
            ),
        ),
        shape=(count, count),
    )
    filled[rows, cols] = splu(matrix).solve(rhs)
    return filled


def _bilinear(image: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Samples ``(H, W, C)`` ``image`` at float positions inside the image; returns ``(N, C)``."""
    height, width = image.shape[:2]
    x0 = np.clip(np.floor(x).astype(np.int64), 0, width - 1)
    y0 = np.clip(np.floor(y).astype(np.int64), 0, height - 1)
    x1 = np.minimum(x0 + 1, width - 1)
    y1 = np.minimum(y0 + 1, height - 1)
    wx = (x - x0)[:, None]
    wy = (y - y0)[:, None]
    top = image[y0, x0] * (1 - wx) + image[y0, x1] * wx
    bottom = image[y1, x0] * (1 - wx) + image[y1, x1] * wx
    return top * (1 - wy) + bottom * wy


def _propagate(
    frames: np.ndarray,
    hole_levels: np.ndarray,
    flows: list[np.ndarray],
    start: int,
    step: int,
    max_distance: int,
    reverse_flows: list[np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Follows the flow chain from every hole pixel of frame ``start`` in direction ``step``.

    Args:
        frames: ``(T, H, W, 3)`` float32 frames.
        hole_levels: ``(T, H, W, 1)`` float32, 1 = missing, 0 = known.
        flows: Completed fields; ``flows[t]`` maps frame t to t + step, ``(H, W, 2)``.
        start: Frame whose hole pixels are propagated.
        step: +1 (forward in time) or -1 (backward).
        max_distance: Most frames a chain may travel.
        reverse_flows: Completed fields the other way (``reverse_flows[t]`` maps frame t to
            t - step); when given, the forward-backward inconsistency
            ``|flows[t](p) + reverse_flows[t + step](p + flows[t](p))|`` (pixels) is summed over
            each chain's steps. It does not change ``values`` or ``distances``.

    Returns:
        ``(values, distances, inconsistency)``: ``(N, 3)`` float32 colours, ``(N,)`` int64 frame
        distances (0 = not found) and ``(N,)`` float32 summed forward-backward inconsistency
        (zeros without ``reverse_flows``) for the ``N`` hole pixels of frame ``start`` in
        ``np.nonzero`` order.
    """
    count, height, width = hole_levels.shape[:3]
    rows, cols = np.nonzero(hole_levels[start, :, :, 0])
    values = np.zeros((rows.size, 3), dtype=np.float32)
    distances = np.zeros(rows.size, dtype=np.int64)
    inconsistency = np.zeros(rows.size, dtype=np.float32)
    chain_error = np.zeros(rows.size, dtype=np.float32)
    active = np.arange(rows.size)
    x, y = cols.astype(np.float32), rows.astype(np.float32)
    current = start
    for distance in range(1, max_distance + 1):
        target = current + step
        if target < 0 or target >= count or active.size == 0:
            break
        motion = _bilinear(flows[current], x, y)
        x, y = x + motion[:, 0], y + motion[:, 1]
        inside = (x >= 0) & (x <= width - 1) & (y >= 0) & (y <= height - 1)
        active, x, y = active[inside], x[inside], y[inside]
        if reverse_flows is not None:
            back = _bilinear(reverse_flows[target], x, y)
            chain_error = chain_error[inside] + np.hypot(
                motion[inside, 0] + back[:, 0], motion[inside, 1] + back[:, 1]
            )
        hole_level = _bilinear(hole_levels[target], x, y)[:, 0]
        landed = hole_level < KNOWN_THRESHOLD
        values[active[landed]] = _bilinear(frames[target], x[landed], y[landed])
        distances[active[landed]] = distance
        if reverse_flows is not None:
            inconsistency[active[landed]] = chain_error[landed]
            chain_error = chain_error[~landed]
        active, x, y = active[~landed], x[~landed], y[~landed]
        current = target
    return values, distances, inconsistency


def _resolve_options(max_distance: int | None, fallback: str, frames: int) -> int:
    """Validates the options; returns ``max_distance`` with None resolved to ``frames - 1``."""
    if fallback not in FALLBACKS:
        raise InputError(f"fallback must be one of {sorted(FALLBACKS)}, got {fallback!r}")
    if max_distance is None:
        return max(frames - 1, 0)
    if isinstance(max_distance, bool) or not isinstance(max_distance, int) or max_distance < 1:
        raise InputError(
            f"max_distance must be a positive integer (frames) or None, got {max_distance!r}"
        )
    return max_distance


@dataclass
class PropagationMaps:
    """How propagation filled each hole pixel; ``(T, 1, H, W)`` float32, zero outside holes.

    ``reached``: 1 where a flow chain found the pixel in another frame (0 = spatial fallback).
    ``distance``: frames from the pixel to its nearer source frame (0 where not reached).
    ``confidence``: in [0, 1], see ``propagation_confidence`` (0 where not reached).
    """

    reached: torch.Tensor
    distance: torch.Tensor
    confidence: torch.Tensor


def chain_confidence(inconsistency: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """Confidence of single flow chains from their forward-backward error and length.

    ``exp(-inconsistency / FB_ERROR_SCALE) * exp(-(distance - 1) / DISTANCE_SCALE)``: a chain
    whose flow does not come back to where it started (occlusion, a wrong completed flow) and a
    long chain are trusted less (forward-backward check as in FGVC, sec. 3.2).

    Args:
        inconsistency: ``(N,)`` summed forward-backward error along each chain, pixels.
        distance: ``(N,)`` chain length in frames (>= 1).

    Returns:
        ``(N,)`` float32 in (0, 1].
    """
    return (
        np.exp(-inconsistency / FB_ERROR_SCALE) * np.exp(-(distance - 1.0) / DISTANCE_SCALE)
    ).astype(np.float32)


def propagation_confidence(
    ahead: np.ndarray,
    ahead_distance: np.ndarray,
    ahead_inconsistency: np.ndarray,
    behind: np.ndarray,
    behind_distance: np.ndarray,
    behind_inconsistency: np.ndarray,
) -> np.ndarray:
    """Per-pixel confidence of the blended propagation, in [0, 1] (0 where nothing was found).

    Each candidate's ``chain_confidence`` is averaged with the blend's own weights (inverse
    distance); where both candidates exist their agreement multiplies it:
    ``exp(-mean |ahead - behind| / COLOUR_DISAGREEMENT_SCALE)`` (RGB in [0, 1]). Two chains
    from opposite directions that land on different colours cannot both be right.

    Args:
        ahead, behind: ``(N, 3)`` candidate colours of the forward and backward chains.
        ahead_distance, behind_distance: ``(N,)`` int chain lengths, 0 = not found.
        ahead_inconsistency, behind_inconsistency: ``(N,)`` summed forward-backward errors.

    Returns:
        ``(N,)`` float32.
    """
    ahead_found, behind_found = ahead_distance > 0, behind_distance > 0
    ahead_weight = np.where(ahead_found, 1.0 / np.maximum(ahead_distance, 1), 0.0)
    behind_weight = np.where(behind_found, 1.0 / np.maximum(behind_distance, 1), 0.0)
    total = ahead_weight + behind_weight
    ahead_confidence = chain_confidence(ahead_inconsistency, np.maximum(ahead_distance, 1))
    behind_confidence = chain_confidence(behind_inconsistency, np.maximum(behind_distance, 1))
    mean = (ahead_weight * ahead_confidence + behind_weight * behind_confidence) / np.maximum(
        total, 1e-12
    )
    disagreement = np.abs(ahead - behind).mean(axis=1)
    agreement = np.where(
        ahead_found & behind_found, np.exp(-disagreement / COLOUR_DISAGREEMENT_SCALE), 1.0
    )
    return np.where(total > 0, mean * agreement, 0.0).astype(np.float32)


def _flow_guided(
    video: torch.Tensor,
    mask: torch.Tensor,
    max_distance: int | None,
    fallback: str,
    with_maps: bool,
) -> tuple[torch.Tensor, dict[str, Any], PropagationMaps | None]:
    """``flow_guided_with_info`` plus, when ``with_maps``, the ``PropagationMaps``."""
    frames_count = video.shape[0]
    max_distance = _resolve_options(max_distance, fallback, frames_count)

    frames = video_to_numpy(video)
    holes = mask_to_numpy(mask)
    map_shape = (frames_count, 1, *holes.shape[1:])
    reached_map = np.zeros(map_shape, dtype=np.float32)
    distance_map = np.zeros(map_shape, dtype=np.float32)
    confidence_map = np.zeros(map_shape, dtype=np.float32)

    def maps() -> PropagationMaps | None:
        if not with_maps:
            return None
        return PropagationMaps(
            torch.from_numpy(reached_map),
            torch.from_numpy(distance_map),
            torch.from_numpy(confidence_map),
        )

    if not holes.any():
        info = {
            "hole_pixels": 0,
            "propagated_fraction": 0.0,
            "fallback_fraction": 0.0,
            "mean_distance": 0.0,
        }
        return composite_holes(video, mask, frames), info, maps()
    frames_uint8 = video_to_uint8(video)
    # Telea-filled frames give DIS plausible texture instead of hard hole edges.
    prefilled = (
        opencv_inpaint_frames(frames_uint8, holes, 3, cv2.INPAINT_TELEA) * 255.0 + 0.5
    ).astype(np.uint8)
    gray = np.stack([cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) for frame in prefilled])
    forward, backward = compute_flows(gray)

    kernel = cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE, (2 * FLOW_BORDER_DILATION + 1, 2 * FLOW_BORDER_DILATION + 1)
    )
    grown = np.stack([cv2.dilate(hole.astype(np.uint8), kernel) > 0 for hole in holes])
    # A field is unreliable where either of its two frames has a hole.
    forward = [laplace_fill(forward[t], grown[t] | grown[t + 1]) for t in range(frames_count - 1)]
    # Indexed by source frame: backward_by_frame[t] maps t to t - 1 (entry 0 is never used).
    backward_by_frame = [np.zeros_like(frames[0, :, :, :2])] + [
        laplace_fill(backward[t], grown[t] | grown[t + 1]) for t in range(frames_count - 1)
    ]
    # The reverse of each chain step, for the forward-backward check (None: not computed).
    reverse_of_forward = backward_by_frame if with_maps else None
    reverse_of_backward = forward if with_maps else None

    hole_levels = holes[..., None].astype(np.float32)
    filled = frames.copy()
    remaining = np.zeros_like(holes)
    propagated_count, distance_sum = 0, 0.0
    for index in range(frames_count):
        if not holes[index].any():
            continue
        rows, cols = np.nonzero(holes[index])
        ahead, ahead_distance, ahead_error = _propagate(
            frames, hole_levels, forward, index, 1, max_distance, reverse_of_forward
        )
        behind, behind_distance, behind_error = _propagate(
            frames, hole_levels, backward_by_frame, index, -1, max_distance, reverse_of_backward
        )
        ahead_weight = np.where(ahead_distance > 0, 1.0 / np.maximum(ahead_distance, 1), 0.0)
        behind_weight = np.where(behind_distance > 0, 1.0 / np.maximum(behind_distance, 1), 0.0)
        total = ahead_weight + behind_weight
        found = total > 0
        weighted_sum = ahead * ahead_weight[:, None] + behind * behind_weight[:, None]
        filled[index, rows[found], cols[found]] = weighted_sum[found] / total[found, None]
        remaining[index, rows[~found], cols[~found]] = True
        propagated_count += int(found.sum())
        nearest = np.where(
            (ahead_distance > 0) & (behind_distance > 0),
            np.minimum(ahead_distance, behind_distance),
            np.maximum(ahead_distance, behind_distance),
        )
        distance_sum += float(nearest[found].sum())
        if with_maps:
            reached_map[index, 0, rows, cols] = found
            distance_map[index, 0, rows, cols] = nearest
            confidence_map[index, 0, rows, cols] = propagation_confidence(
                ahead, ahead_distance, ahead_error, behind, behind_distance, behind_error
            )

    if remaining.any():
        spatial = opencv_inpaint_frames(
            np.clip(np.rint(filled * 255.0), 0, 255).astype(np.uint8),
            remaining,
            3,
            FALLBACKS[fallback],
        )
        filled = np.where(remaining[..., None], spatial, filled)

    hole_pixels = int(holes.sum())
    info = {
        "hole_pixels": hole_pixels,
        "propagated_fraction": propagated_count / hole_pixels if hole_pixels else 0.0,
        "fallback_fraction": (hole_pixels - propagated_count) / hole_pixels if hole_pixels else 0.0,
        "mean_distance": distance_sum / propagated_count if propagated_count else 0.0,
    }
    return composite_holes(video, mask, filled), info, maps()


@boundary(mask=True)
def flow_guided_with_info(
    video: torch.Tensor,
    mask: torch.Tensor,
    *,
    max_distance: int | None = None,
    fallback: str = "telea",
) -> tuple[torch.Tensor, dict[str, Any]]:
    """Inpaints a video by propagating known pixels along completed optical flow.

    See the module docstring for the four steps and the references.

    Args:
        video: Corrupted video ``(T, 3, H, W)`` float32 RGB in [0, 1].
        mask: ``(T, 1, H, W)`` float32, 1 = missing, 0 = known.
        max_distance: Most frames a flow chain may travel from its hole pixel in each direction;
            None allows the whole clip.
        fallback: Spatial inpainting for pixels no frame shows: ``"telea"`` or
            ``"navier_stokes"`` (OpenCV, radius 3).

    Returns:
        ``(restored, info)``: the ``(T, 3, H, W)`` float32 video in [0, 1] whose known pixels
        equal the input bit-exactly, and a dict with ``hole_pixels`` (int),
        ``propagated_fraction`` and ``fallback_fraction`` (floats summing to 1, 0 without holes)
        and ``mean_distance`` (mean temporal distance, in frames, from a propagated pixel to its
        nearer source frame; 0 if none).

    Raises:
        ValueError: If shapes, value ranges, ``max_distance`` or ``fallback`` are invalid.
    """
    restored, info, _ = _flow_guided(video, mask, max_distance, fallback, with_maps=False)
    return restored, info


@boundary(mask=True)
def flow_guided_with_maps(
    video: torch.Tensor,
    mask: torch.Tensor,
    *,
    max_distance: int | None = None,
    fallback: str = "telea",
) -> tuple[torch.Tensor, dict[str, Any], PropagationMaps]:
    """``flow_guided_with_info`` that also says, per hole pixel, how sure propagation is.

    The restored video and info are identical to ``flow_guided_with_info``'s. The extra cost
    is one flow lookup per chain step for the forward-backward check.

    Args:
        video: Corrupted video ``(T, 3, H, W)`` float32 RGB in [0, 1].
        mask: ``(T, 1, H, W)`` float32, 1 = missing, 0 = known.
        max_distance: Most frames a chain may travel in each direction; None = whole clip.
        fallback: ``"telea"`` or ``"navier_stokes"`` for pixels no frame shows.

    Returns:
        ``(restored, info, maps)``: as ``flow_guided_with_info``, plus ``PropagationMaps``
        (``(T, 1, H, W)`` float32 each, zero outside the holes).

    Raises:
        ValueError: If shapes, value ranges, ``max_distance`` or ``fallback`` are invalid.
    """
    return _flow_guided(video, mask, max_distance, fallback, with_maps=True)


@boundary(mask=True)
def flow_guided(
    video: torch.Tensor,
    mask: torch.Tensor,
    *,
    max_distance: int | None = None,
    fallback: str = "telea",
) -> torch.Tensor:
    """Inpaints a video by propagating known pixels along completed optical flow.

    Same as ``flow_guided_with_info`` without the statistics.

    Args:
        video: Corrupted video ``(T, 3, H, W)`` float32 RGB in [0, 1].
        mask: ``(T, 1, H, W)`` float32, 1 = missing, 0 = known.
        max_distance: Most frames a flow chain may travel in each direction; None = whole clip.
        fallback: ``"telea"`` or ``"navier_stokes"`` for pixels no frame shows.

    Returns:
        ``(T, 3, H, W)`` float32 video in [0, 1]; known pixels equal the input bit-exactly.

    Raises:
        ValueError: If shapes, value ranges, ``max_distance`` or ``fallback`` are invalid.
    """
    restored, _ = flow_guided_with_info.unchecked(
        video, mask, max_distance=max_distance, fallback=fallback
    )
    return restored
