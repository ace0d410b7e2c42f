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

from masks.checks import boundary
from restore.errors import InputError
from restore.methods.classical_inpaint import (
    composite_holes,
    mask_to_numpy,
    video_to_numpy,
)
from restore.methods.flow_cache import ClipFlows, Completion, CompletionCache
from restore.progress import PhaseClock, SubClock

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


def compute_flows(
    gray: np.ndarray, clock: PhaseClock | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Computes DIS optical flow between consecutive frames in both directions.

    Args:
        gray: ``(T, H, W)`` uint8 grayscale frames.
        clock: ticked once per frame pair (progress, and Stop: ``PhaseStopped``).

    Returns:
        ``(forward, backward)``, ``(T - 1, H, W, 2)`` float32 fields in pixels (x, y):
        ``forward[t]`` maps frame t to t + 1 and ``backward[t]`` maps frame t + 1 to t.
    """
    count, height, width = gray.shape
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
    forward = np.empty((max(count - 1, 0), height, width, 2), dtype=np.float32)
    backward = np.empty_like(forward)
    for index in range(count - 1):
        forward[index] = dis.calc(gray[index], gray[index + 1], None)[:height, :width]
        backward[index] = dis.calc(gray[index + 1], gray[index], None)[:height, :width]
        if clock is not None:
            clock.tick()
    return forward, backward


def laplace_fill(field: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """Replaces ``field`` inside ``unknown`` by the harmonic interpolation of its surroundings.

    Solves the discrete Laplace equation (4-neighbour stencil, Neumann at the image border) with
    the known pixels as Dirichlet boundary values (``flow_cache.Completion``, which keeps the
    factorisation for further fields over the same unknown set).

    Args:
        field: ``(H, W, C)`` float array.
        unknown: ``(H, W)`` bool, True where ``field`` must be replaced.

    Returns:
        ``(H, W, C)`` float32 array; zeros everywhere if no pixel is known.
    """
    return Completion(unknown).fill(field)


def complete_flows(
    forward: np.ndarray,
    backward: np.ndarray,
    grown: np.ndarray,
    cache: CompletionCache,
    clock: PhaseClock | None = None,
) -> ClipFlows:
    """Completes every field in place inside the grown holes of either of its two frames.

    Both fields of a frame pair share one unknown set and so one factorisation; a static mask
    shares one over the clip (``cache``). ``clock`` is polled for Stop at every pair.
    """
    for index in range(forward.shape[0]):
        if clock is not None:
            clock.check()
        # A field is unreliable where either of its two frames has a hole.
        completion = cache(grown[index] | grown[index + 1])
        forward[index] = completion.fill(forward[index])
        backward[index] = completion.fill(backward[index])
    return ClipFlows(forward, backward)


def _corners(
    height: int, width: int, frame: np.ndarray | int, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, ...]:
    """The four neighbours of each float position (inside the image: ``0 <= x <= W - 1``,
    ``0 <= y <= H - 1``) as indices into a frame stack flattened to ``(F * H * W, C)``, their
    bilinear weights ``wx, wy`` and ``1 - wx, 1 - wy`` ``(N, 1)`` float32. Computed once, they
    serve every stack of the same frame size (``_sample``); one flat index gathered with
    ``np.take`` costs a fraction of indexing by frame, row and column."""
    x0 = x.astype(np.int64)  # truncation is the floor for positions inside the image
    y0 = y.astype(np.int64)
    top_left = (np.asarray(frame, dtype=np.int64) * height + y0) * width + x0
    right = x0 < width - 1  # at the last column the right neighbour is the pixel itself
    top_right = top_left + right
    bottom_left = top_left + width * (y0 < height - 1)
    bottom_right = bottom_left + right
    wx = (x - x0.astype(np.float32))[:, None]
    wy = (y - y0.astype(np.float32))[:, None]
    return top_left, top_right, bottom_left, bottom_right, wx, wy, 1 - wx, 1 - wy


def _sample(image: np.ndarray, corners: tuple[np.ndarray, ...], frames: int = 0) -> np.ndarray:
    """Bilinear samples of ``image`` ``(F, H, W, C)`` (C-contiguous) at ``corners``
    (``_corners``), ``frames`` frames later; returns ``(N, C)``."""
    flat = image.reshape(-1, image.shape[-1])
    shift = frames * image.shape[1] * image.shape[2]
    top_left, top_right, bottom_left, bottom_right, wx, wy, left_weight, top_weight = corners
    if shift:
        top_left, top_right = top_left + shift, top_right + shift
        bottom_left, bottom_right = bottom_left + shift, bottom_right + shift
    top = np.take(flat, top_left, axis=0) * left_weight + np.take(flat, top_right, axis=0) * wx
    bottom = (
        np.take(flat, bottom_left, axis=0) * left_weight + np.take(flat, bottom_right, axis=0) * wx
    )
    return top * top_weight + bottom * wy


def _landed(holes: np.ndarray, corners: tuple[np.ndarray, ...]) -> np.ndarray:
    """Whether the bilinear hole level of ``holes`` ``(F, H, W, 1)`` bool at ``corners`` is
    below ``KNOWN_THRESHOLD``: exactly ``_sample(holes, corners) < KNOWN_THRESHOLD``, with the
    weights computed only where the four neighbours are neither all known (landed) nor all
    holes (not landed)."""
    flat = holes.reshape(-1)
    count = sum(np.take(flat, index).astype(np.uint8) for index in corners[:4])
    landed = count == 0
    mixed = np.nonzero((count > 0) & (count < 4))[0]
    if mixed.size:
        part = tuple(item[mixed] for item in corners)
        landed[mixed] = _sample(holes, part)[:, 0] < KNOWN_THRESHOLD
    return landed


@dataclass
class Chains:
    """Where the flow chains of every hole pixel landed, in one direction; ``(N,)`` each, for
    the ``N`` hole pixels of the clip in ``np.nonzero`` order (frame, row, column)."""

    values: np.ndarray  # (N, 3) float32 colours found
    distances: np.ndarray  # int64 frames travelled, 0 = not found
    inconsistency: np.ndarray  # float32 summed forward-backward error (zeros if not measured)


def follow_chains(
    frames: np.ndarray,
    hole_levels: np.ndarray,
    holes: tuple[np.ndarray, np.ndarray, np.ndarray],
    flows: np.ndarray,
    step: int,
    max_distance: int,
    reverse_flows: np.ndarray | None = None,
    clock: SubClock | None = None,
) -> Chains:
    """Follows the flow chain from every hole pixel of the clip in direction ``step``.

    All frames' chains advance together, one step per iteration (a chain stops where the next
    frame knows the content, or at the clip's end), so the Python loop runs ``max_distance``
    times, not once per frame and step; the arithmetic per chain is unchanged.

    Args:
        frames: ``(T, H, W, 3)`` float32 frames.
        hole_levels: ``(T, H, W, 1)`` float32 or bool, 1 = missing, 0 = known.
        holes: ``np.nonzero`` of the ``(T, H, W)`` holes: the chains' start frames, rows, cols.
        flows: Completed fields, ``(T - 1, H, W, 2)``: ``forward`` for ``step`` +1 (entry t maps
            t to t + 1), ``backward`` for -1 (entry t maps t + 1 to t).
        step: +1 (forward in time) or -1 (backward).
        max_distance: Most frames a chain may travel.
        reverse_flows: The fields the other way; when given, the forward-backward inconsistency
            ``|flow(p) + reverse(p + flow(p))|`` (pixels) is summed over each chain's steps. It
            does not change ``values`` or ``distances``.
        clock: ticked at every step (progress; Stop: ``PhaseStopped``), finished when the
            last chain has landed.
    """
    count, height, width = hole_levels.shape[:3]
    frames, hole_levels, flows = map(np.ascontiguousarray, (frames, hole_levels, flows))
    if reverse_flows is not None:
        reverse_flows = np.ascontiguousarray(reverse_flows)
    starts, rows, cols = holes
    values = np.zeros((rows.size, 3), dtype=np.float32)
    distances = np.zeros(rows.size, dtype=np.int64)
    inconsistency = np.zeros(rows.size, dtype=np.float32)
    chain_error = np.zeros(rows.size, dtype=np.float32)
    active = np.arange(rows.size)
    x, y = cols.astype(np.float32), rows.astype(np.float32)
    current = starts.copy()
    # The field leaving frame c is flows[c] forward and flows[c - 1] backward; the field coming
    # back from target g is reverse[g - 1] after a forward step and reverse[g] after a backward.
    leaving, returning = (0, -1) if step > 0 else (-1, 0)
    for distance in range(1, max_distance + 1):
        if clock is not None:
            clock.tick()
        target = current + step
        on_clip = (target >= 0) & (target < count)
        if not on_clip.all():
            active, x, y, target = active[on_clip], x[on_clip], y[on_clip], target[on_clip]
            current = current[on_clip]
            if reverse_flows is not None:
                chain_error = chain_error[on_clip]
        if active.size == 0:
            break
        motion = _sample(flows, _corners(height, width, current + leaving, x, y))
        x, y = x + motion[:, 0], y + motion[:, 1]
        inside = (x >= 0) & (x <= width - 1) & (y >= 0) & (y <= height - 1)
        active, x, y, target = active[inside], x[inside], y[inside], target[inside]
        # One set of neighbours at the new positions serves the reverse field, the holes and
        # the colours (all are stacks of frames of the clip's size).
        corners = _corners(height, width, target, x, y)
        if reverse_flows is not None:
            back = _sample(reverse_flows, corners, returning)
            chain_error = chain_error[inside] + np.hypot(
                motion[inside, 0] + back[:, 0], motion[inside, 1] + back[:, 1]
            )
        if hole_levels.dtype == bool:
            landed = _landed(hole_levels, corners)
        else:
            landed = _sample(hole_levels, corners)[:, 0] < KNOWN_THRESHOLD
        values[active[landed]] = _sample(frames, tuple(part[landed] for part in corners))
        distances[active[landed]] = distance
        if reverse_flows is not None:
            inconsistency[active[landed]] = chain_error[landed]
            chain_error = chain_error[~landed]
        active, x, y = active[~landed], x[~landed], y[~landed]
        current = target[~landed]
    if clock is not None:
        clock.finish()
    return Chains(values, distances, inconsistency)


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


@dataclass
class Propagation:
    """What ``propagate`` returns: the fill, its statistics, and on request the maps and the
    completed flow fields (``ClipFlows``, for temporal fusion to reuse)."""

    restored: torch.Tensor
    info: dict[str, Any]
    maps: PropagationMaps | None = None
    flows: ClipFlows | None = None


def propagate(
    video: torch.Tensor,
    mask: torch.Tensor,
    *,
    max_distance: int | None = None,
    fallback: str = "telea",
    with_maps: bool = False,
    keep_flows: bool = False,
    clock: PhaseClock | None = None,
) -> Propagation:
    """The four steps of the module docstring on a checked video and mask (the engine's entry;
    ``flow_guided_with_info`` and ``flow_guided_with_maps`` are its public boundaries).

    ``clock`` counts the clip's frames (one per frame pair's flow, the last when the chains are
    followed) and may end the propagation with ``PhaseStopped`` (nothing is returned then)."""
    frames_count = video.shape[0]
    max_distance = _resolve_options(max_distance, fallback, frames_count)

    frames = video_to_numpy(video)
    holes = mask_to_numpy(mask)
    map_shape = (frames_count, 1, *holes.shape[1:])
    reached_map = np.zeros(map_shape, dtype=np.float32)
    distance_map = np.zeros(map_shape, dtype=np.float32)
    confidence_map = np.zeros(map_shape, dtype=np.float32)

    def result(restored: torch.Tensor, info: dict[str, Any], flows: ClipFlows | None):
        maps = None
        if with_maps:
            maps = PropagationMaps(
                torch.from_numpy(reached_map),
                torch.from_numpy(distance_map),
                torch.from_numpy(confidence_map),
            )
        return Propagation(restored, info, maps, flows if keep_flows else None)

    if not holes.any():
        info = {
            "hole_pixels": 0,
            "propagated_fraction": 0.0,
            "fallback_fraction": 0.0,
            "mean_distance": 0.0,
        }
        return result(composite_holes(video, mask, frames), info, None)
    frames_uint8 = np.clip(np.rint(frames * 255.0), 0, 255).astype(np.uint8)
    # Telea-filled frames give DIS plausible texture instead of hard hole edges.
    gray = np.empty(holes.shape, dtype=np.uint8)
    for index, (frame, hole) in enumerate(zip(frames_uint8, holes, strict=True)):
        if clock is not None:
            clock.check()
        if hole.any():
            frame = cv2.inpaint(frame, hole.astype(np.uint8), 3, cv2.INPAINT_TELEA)
        gray[index] = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    del frames_uint8
    kernel = cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE, (2 * FLOW_BORDER_DILATION + 1, 2 * FLOW_BORDER_DILATION + 1)
    )
    grown = np.stack([cv2.dilate(hole.astype(np.uint8), kernel) > 0 for hole in holes])
    # The phase's frames: half for the flows, the other half for the two chain directions.
    flow_frames = frames_count // 2
    chain_frames = max(frames_count - flow_frames - 1, 0)
    flow_clock = SubClock(clock, frames_count - 1, flow_frames)
    flows = complete_flows(*compute_flows(gray, flow_clock), grown, CompletionCache(), clock)
    flow_clock.finish()

    # The reverse of each chain step, for the forward-backward check (None: not computed).
    # The hole levels are sampled from the bool holes themselves (a view, no float copy).
    hole_levels = holes[..., None]
    where = np.nonzero(holes)
    ahead = follow_chains(
        frames,
        hole_levels,
        where,
        flows.forward,
        1,
        max_distance,
        flows.backward if with_maps else None,
        SubClock(clock, max_distance, chain_frames // 2),
    )
    behind = follow_chains(
        frames,
        hole_levels,
        where,
        flows.backward,
        -1,
        max_distance,
        flows.forward if with_maps else None,
        SubClock(clock, max_distance, chain_frames - chain_frames // 2),
    )
    if clock is not None:
        clock.tick()
    # Only the chains' findings are needed from here: the float frames and, unless the caller
    # keeps them, the fields go now, before the output is built (the peak was all of them at once).
    del frames
    if not keep_flows:
        flows = None
    ahead_weight = np.where(ahead.distances > 0, 1.0 / np.maximum(ahead.distances, 1), 0.0)
    behind_weight = np.where(behind.distances > 0, 1.0 / np.maximum(behind.distances, 1), 0.0)
    total = ahead_weight + behind_weight
    found = total > 0
    weighted_sum = ahead.values * ahead_weight[:, None] + behind.values * behind_weight[:, None]
    # The output starts as the input (known pixels bit-exact) and is written through a
    # channels-last view of its own storage, so no second whole-clip copy is made.
    restored = video.detach().cpu().float().clone()
    filled = restored.numpy().transpose(0, 2, 3, 1)
    frame_of, rows, cols = where
    filled[frame_of[found], rows[found], cols[found]] = weighted_sum[found] / total[found, None]
    remaining = np.zeros_like(holes)
    remaining[frame_of[~found], rows[~found], cols[~found]] = True
    propagated_count = int(found.sum())
    nearest = np.where(
        (ahead.distances > 0) & (behind.distances > 0),
        np.minimum(ahead.distances, behind.distances),
        np.maximum(ahead.distances, behind.distances),
    )
    distance_sum = float(nearest[found].sum())
    if with_maps:
        reached_map[frame_of, 0, rows, cols] = found
        distance_map[frame_of, 0, rows, cols] = nearest
        confidence_map[frame_of, 0, rows, cols] = propagation_confidence(
            ahead.values,
            ahead.distances,
            ahead.inconsistency,
            behind.values,
            behind.distances,
            behind.inconsistency,
        )

    for index in np.nonzero(remaining.any(axis=(1, 2)))[0]:
        frame = np.clip(np.rint(filled[index] * 255.0), 0, 255).astype(np.uint8)
        spatial = cv2.inpaint(frame, remaining[index].astype(np.uint8), 3, FALLBACKS[fallback])
        filled[index][remaining[index]] = spatial[remaining[index]].astype(np.float32) / 255.0

    hole_pixels = int(holes.sum())
    info = {
        "hole_pixels": hole_pixels,
        "propagated_fraction": propagated_count / hole_pixels if hole_pixels else 0.0,
        "fallback_fraction": (hole_pixels - propagated_count) / hole_pixels if hole_pixels else 0.0,
        "mean_distance": distance_sum / propagated_count if propagated_count else 0.0,
    }
    # Known pixels are the input's already (``restored`` started as its copy); holes are clipped.
    filled[holes] = np.clip(filled[holes], 0.0, 1.0)
    return result(restored, info, flows)


@boundary(mask=True)
def flow_guided_with_info(
    video: torch.Tensor,
    mask: torch.Tensor,
    *,
    max_distance: int | None = None,
    fallback: str = "telea",
    clock: PhaseClock | None = None,
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
        clock: counts the frames (progress) and may end the run with ``PhaseStopped``.

    Returns:
        ``(restored, info)``: the ``(T, 3, H, W)`` float32 video in [0, 1] whose known pixels
        equal the input bit-exactly, and a dict with ``hole_pixels`` (int),
        ``propagated_fraction`` and ``fallback_fraction`` (floats summing to 1, 0 without holes)
        and ``mean_distance`` (mean temporal distance, in frames, from a propagated pixel to its
        nearer source frame; 0 if none).

    Raises:
        ValueError: If shapes, value ranges, ``max_distance`` or ``fallback`` are invalid.
    """
    run = propagate(video, mask, max_distance=max_distance, fallback=fallback, clock=clock)
    return run.restored, run.info


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
    run = propagate(video, mask, max_distance=max_distance, fallback=fallback, with_maps=True)
    return run.restored, run.info, run.maps


@boundary(mask=True)
def flow_guided(
    video: torch.Tensor,
    mask: torch.Tensor,
    *,
    max_distance: int | None = None,
    fallback: str = "telea",
    clock: PhaseClock | None = None,
) -> torch.Tensor:
    """Inpaints a video by propagating known pixels along completed optical flow.

    Same as ``flow_guided_with_info`` without the statistics.

    Args:
        video: Corrupted video ``(T, 3, H, W)`` float32 RGB in [0, 1].
        mask: ``(T, 1, H, W)`` float32, 1 = missing, 0 = known.
        max_distance: Most frames a flow chain may travel in each direction; None = whole clip.
        fallback: ``"telea"`` or ``"navier_stokes"`` for pixels no frame shows.
        clock: counts the frames (progress) and may end the run with ``PhaseStopped``.

    Returns:
        ``(T, 3, H, W)`` float32 video in [0, 1]; known pixels equal the input bit-exactly.

    Raises:
        ValueError: If shapes, value ranges, ``max_distance`` or ``fallback`` are invalid.
    """
    restored, _ = flow_guided_with_info.unchecked(
        video, mask, max_distance=max_distance, fallback=fallback, clock=clock
    )
    return restored
