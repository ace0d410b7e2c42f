"""Mask tracking: from the mask of one frame, a mask of the object on every frame of the clip.

A classical semi-supervised video object segmentation, fitted to this one video with no
pretrained weights (the idea of one-shot fitting, OSVOS, Caelles et al. CVPR 2017, with a
colour model in place of a network). Each frame, in both directions from the annotated one:

1. **Flow prior** (as OFL, Tsai et al. CVPR 2016, and BVS, Maerki et al. CVPR 2016, propagate
   labels): DIS optical flow from the new frame to the previous one warps the previous mask onto
   the new frame (a backward warp, ``cv2.remap``), blurred a little for the flow's uncertainty.
2. **Appearance**, fitted once on the annotated frame and then frozen (models updated from
   tracked frames drift onto the background): colour histograms in Lab of the object and of the
   background around it, whose log-likelihood ratio is added to the prior's log-odds, and
   grabCut's colour GMMs of object and background.
3. **Edge snapping**: ``cv2.grabCut`` with the frozen GMMs (``GC_EVAL_FREEZE_MODEL``) in a band
   around the warped mask, initialised from the combined probability (certain background outside
   the band, certain object deep inside the mask where colour agrees), so the boundary follows
   the frame's edges.
4. **Consistency**: only connected pieces that overlap the warped prior are kept; a result whose
   area jumps far from the prior's falls back to the combined probability.

Tracking runs at a reduced working size (``TrackOptions.work_pixels``) and the masks are scaled
back up. The annotated frame's mask is returned exactly as given. Removal needs a mask grown past
the object's edge (a missed rim is a visible ghost): ``dilate_for_removal``. Measured quality on
DAVIS: docs/tracking.md.

Frames are float32 ``(T, 3, H, W)`` RGB in [0, 1]; masks ``(T, 1, H, W)``, 1 = object (the hole).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from masks.checks import check_mask, check_non_negative_int, check_video, fail
from masks.morphology import dilate_mask

__all__ = [
    "TrackOptions",
    "TrackingStopped",
    "dilate_for_removal",
    "removal_margin",
    "track_mask",
]


@dataclass(frozen=True)
class TrackOptions:
    """How the tracker works; the defaults are the documented method (docs/tracking.md)."""

    work_pixels: int = 110_000  # frames larger than this many pixels are tracked scaled down
    flow_preset: int = cv2.DISOPTICAL_FLOW_PRESET_MEDIUM  # DIS preset
    prior_blur: float = 0.04  # sigma of the blur on the warped mask, share of the object's size
    prior_weight: float = 1.0  # weight of the prior's log-odds
    colour_weight: float = 0.6  # weight of the colour log-likelihood ratio
    colour_bins: int = 16  # histogram bins per Lab channel
    band: float = 0.12  # band around the warped mask, as a share of the object's size
    band_min: int = 4  # smallest band (working pixels)
    grabcut_iterations: int = 2
    freeze_colours: bool = True  # grabCut keeps the annotated frame's colour models (no drift)


class TrackingStopped(Exception):
    """Tracking was stopped on request (``should_stop``) by a caller that needs every frame's
    mask (`masks.corrupt`): not an input error, and not a bug."""


# Removal margin: a share of the object's size (the root of its area), kept within a range of
# pixels at the frame's size. Chosen on DAVIS breakdance and car-roundabout (docs/tracking.md).
REMOVAL_SHARE = 0.08
REMOVAL_MIN_PIXELS = 5
REMOVAL_MAX_SHARE_OF_HEIGHT = 0.06


def removal_margin(mask: torch.Tensor) -> int:
    """Pixels to grow a tracked object mask by for removal, from the object's mean size.

    Args:
        mask: ``(T, 1, H, W)`` binary object mask, 1 = object.

    Returns:
        The dilation radius in pixels (at least ``REMOVAL_MIN_PIXELS``).
    """
    height = mask.shape[2]
    area = float((mask > 0.5).sum()) / max(mask.shape[0], 1)
    margin = REMOVAL_SHARE * math.sqrt(area)
    margin = min(margin, REMOVAL_MAX_SHARE_OF_HEIGHT * height)
    return max(REMOVAL_MIN_PIXELS, round(margin))


def dilate_for_removal(mask: torch.Tensor, pixels: int | None = None) -> torch.Tensor:
    """Grows an object mask past the object's edge, so that removing it leaves no ghost rim.

    Args:
        mask: ``(T, 1, H, W)`` float mask, 1 = object.
        pixels: Dilation radius; None picks ``removal_margin(mask)``.

    Returns:
        The dilated binary mask ``(T, 1, H, W)`` float32.
    """
    check_mask(mask)
    if pixels is None:
        pixels = removal_margin(mask)
    check_non_negative_int("pixels", pixels)
    return dilate_mask((mask > 0.5).to(torch.float32), pixels)


class ColourModel:
    """Object and background colour histograms in Lab, and their log-likelihood ratio."""

    def __init__(self, bins: int) -> None:
        self.bins = bins
        self.shift = 8 - int(math.log2(bins))
        self.object = np.zeros(bins**3, np.float64)
        self.background = np.zeros(bins**3, np.float64)

    def indices(self, lab: np.ndarray) -> np.ndarray:
        """Histogram bin of every pixel of a uint8 Lab image, ``(H, W)`` int."""
        q = (lab >> self.shift).astype(np.int32)
        return (q[..., 0] * self.bins + q[..., 1]) * self.bins + q[..., 2]

    def _histogram(self, indices: np.ndarray, where: np.ndarray) -> np.ndarray:
        counts = np.bincount(indices[where], minlength=self.bins**3).astype(np.float64)
        return counts / max(counts.sum(), 1.0)

    def fit(self, indices: np.ndarray, inside: np.ndarray, outside: np.ndarray) -> None:
        """The histograms of the ``inside`` (object) and ``outside`` (background) pixels."""
        self.object = self._histogram(indices, inside)
        self.background = self._histogram(indices, outside)

    def log_ratio(self, indices: np.ndarray) -> np.ndarray:
        """``log p(colour | object) - log p(colour | background)`` per pixel, clipped to +-4."""
        floor = 0.2 / self.bins**3
        ratio = np.log(self.object + floor) - np.log(self.background + floor)
        return np.clip(ratio[indices], -4.0, 4.0).astype(np.float32)


@dataclass
class _Frame:
    """One frame at the working size, in the forms the steps use."""

    gray: np.ndarray  # (h, w) uint8, for the flow
    rgb: np.ndarray  # (h, w, 3) uint8, for grabCut (as BGR order does not matter to it)
    bins: np.ndarray  # (h, w) colour histogram bin


def _object_size(mask: np.ndarray) -> float:
    return math.sqrt(max(float(mask.sum()), 1.0))


def _disk(radius: int) -> np.ndarray:
    side = 2 * max(radius, 0) + 1
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))


def _keep_consistent(mask: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Keeps the connected pieces of ``mask`` that lie mostly on the prior (and the largest)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), 8)
    if count <= 2:
        return mask
    kept = np.zeros_like(mask)
    best, best_overlap = 0, -1.0
    for label in range(1, count):
        piece = labels == label
        overlap = float(prior[piece].sum())
        if overlap > best_overlap:
            best, best_overlap = label, overlap
        if overlap >= 0.5 * stats[label, cv2.CC_STAT_AREA]:
            kept |= piece
    kept |= labels == best
    return kept


class _Tracker:
    """Carries a mask from one frame to the next (the four steps of the module docstring)."""

    def __init__(
        self, options: TrackOptions, colours: ColourModel, frame: _Frame, mask: np.ndarray
    ) -> None:
        self.options = options
        self.colours = colours
        self.flow = cv2.DISOpticalFlow_create(options.flow_preset)
        self.models: tuple[np.ndarray, np.ndarray] | None = None
        self._fit_appearance(frame, mask)

    def _fit_appearance(self, frame: _Frame, mask: np.ndarray) -> None:
        """The annotated frame's colour models: histograms of the object against the background
        around it, and (``freeze_colours``) grabCut's GMMs of object and background."""
        band = self._band(mask)
        ring = cv2.dilate(mask.astype(np.uint8), _disk(4 * band)) > 0
        outside = ring & ~(cv2.dilate(mask.astype(np.uint8), _disk(2)) > 0)
        if outside.sum() < 200:
            outside = ~mask
        self.colours.fit(frame.bins, mask, outside)
        if self.options.freeze_colours:
            labels = np.where(mask, cv2.GC_FGD, cv2.GC_BGD).astype(np.uint8)
            background, foreground = np.zeros((1, 65)), np.zeros((1, 65))
            cv2.grabCut(frame.rgb, labels, None, background, foreground, 1, cv2.GC_INIT_WITH_MASK)
            self.models = (background, foreground)

    def step(self, previous: _Frame, mask: np.ndarray, current: _Frame) -> np.ndarray:
        options = self.options
        warped = self._warp(previous, mask.astype(np.float32), current)
        sigma = max(options.prior_blur * _object_size(warped > 0.5), 1.0)
        prior = cv2.GaussianBlur(warped, (0, 0), sigma)
        prior = np.clip(prior, 0.02, 0.98)
        logit = options.prior_weight * np.log(prior / (1 - prior))
        logit += options.colour_weight * self.colours.log_ratio(current.bins)
        probability = 1.0 / (1.0 + np.exp(-logit))
        warped_mask = warped > 0.5
        if not warped_mask.any():
            return warped_mask
        snapped = self._snap(current, warped_mask, probability)
        snapped = _keep_consistent(snapped, warped_mask)
        area, expected = float(snapped.sum()), float(warped_mask.sum())
        if not 0.5 * expected <= area <= 2.0 * expected:
            snapped = _keep_consistent(probability > 0.5, warped_mask)
        return snapped

    def _warp(self, previous: _Frame, mask: np.ndarray, current: _Frame) -> np.ndarray:
        flow = self.flow.calc(current.gray, previous.gray, None)
        height, width = mask.shape
        grid_x, grid_y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height))
        map_x = grid_x + flow[..., 0]
        map_y = grid_y.astype(np.float32) + flow[..., 1]
        return cv2.remap(mask, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)

    def _band(self, warped_mask: np.ndarray) -> int:
        size = _object_size(warped_mask)
        return max(self.options.band_min, round(self.options.band * size))

    def _snap(self, current: _Frame, warped_mask: np.ndarray, probability: np.ndarray):
        band = self._band(warped_mask)
        outer = cv2.dilate(warped_mask.astype(np.uint8), _disk(band)) > 0
        inner = cv2.erode(warped_mask.astype(np.uint8), _disk(band)) > 0
        labels = np.full(warped_mask.shape, cv2.GC_BGD, np.uint8)
        labels[outer] = np.where(probability[outer] > 0.5, cv2.GC_PR_FGD, cv2.GC_PR_BGD)
        labels[inner & (probability > 0.8)] = cv2.GC_FGD
        if not (labels == cv2.GC_PR_FGD).any() and not (labels == cv2.GC_FGD).any():
            return probability > 0.5
        # grabCut on the band's bounding box (plus a margin of background) only: it is the slow
        # step, and pixels far outside the band are certain background anyway.
        rows, cols = np.nonzero(outer)
        height, width = warped_mask.shape
        top, bottom = max(rows.min() - band, 0), min(rows.max() + band + 1, height)
        left, right = max(cols.min() - band, 0), min(cols.max() + band + 1, width)
        crop = labels[top:bottom, left:right].copy()
        if (crop == cv2.GC_BGD).sum() + (crop == cv2.GC_PR_BGD).sum() < 20:
            return probability > 0.5
        image = np.ascontiguousarray(current.rgb[top:bottom, left:right])
        if self.options.freeze_colours and self.models is not None:
            background, foreground = (model.copy() for model in self.models)
            mode = cv2.GC_EVAL_FREEZE_MODEL
        else:
            background, foreground = np.zeros((1, 65)), np.zeros((1, 65))
            mode = cv2.GC_INIT_WITH_MASK
        try:
            cv2.grabCut(
                image,
                crop,
                None,
                background,
                foreground,
                self.options.grabcut_iterations,
                mode,
            )
        except cv2.error:  # too few samples of a class for its colour model
            return probability > 0.5
        result = np.zeros(warped_mask.shape, bool)
        result[top:bottom, left:right] = (crop == cv2.GC_FGD) | (crop == cv2.GC_PR_FGD)
        return result


def _working_size(height: int, width: int, work_pixels: int) -> tuple[int, int]:
    scale = min(1.0, math.sqrt(work_pixels / (height * width)))
    return max(round(height * scale), 16), max(round(width * scale), 16)


def _prepare(frame: torch.Tensor, size: tuple[int, int], colours: ColourModel) -> _Frame:
    rgb = (frame.permute(1, 2, 0).numpy() * 255.0 + 0.5).astype(np.uint8)
    if rgb.shape[:2] != size:
        rgb = cv2.resize(rgb, (size[1], size[0]), interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    bins = colours.indices(cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB))
    return _Frame(gray, np.ascontiguousarray(rgb[..., ::-1]), bins)


def _to_size(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if mask.shape == size:
        return mask.astype(np.float32)
    resized = cv2.resize(mask.astype(np.float32), (size[1], size[0]), cv2.INTER_LINEAR)
    return (resized > 0.5).astype(np.float32)


def _check_track_inputs(frames: object, first_mask: object, frame_index: object) -> torch.Tensor:
    check_video(frames, "frames")
    if isinstance(frame_index, bool) or not isinstance(frame_index, int):
        raise fail("frame_index", "an integer", repr(frame_index))
    count = frames.shape[0]
    if not 0 <= frame_index < count:
        raise fail("frame_index", f"a frame of the clip, 0..{count - 1}", frame_index)
    if isinstance(first_mask, torch.Tensor) and first_mask.ndim == 2:
        first_mask = first_mask[None, None]
    elif isinstance(first_mask, torch.Tensor) and first_mask.ndim == 3:
        first_mask = first_mask[None]
    check_mask(first_mask, name="first_mask", size=(1, frames.shape[2], frames.shape[3]))
    if not bool((first_mask > 0.5).any()):
        raise fail("first_mask", "at least one object pixel (value > 0.5)", "an empty mask")
    if bool((first_mask > 0.5).all()):
        raise fail("first_mask", "some background (pixels <= 0.5)", "a mask covering the frame")
    return first_mask


def track_mask(
    frames: torch.Tensor,
    first_mask: torch.Tensor,
    *,
    frame_index: int = 0,
    dilate: int = 0,
    options: TrackOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> torch.Tensor | None:
    """Tracks the object of one frame's mask over the whole clip, forward and backward.

    Args:
        frames: ``(T, 3, H, W)`` float32 RGB in [0, 1].
        first_mask: The annotated frame's mask, ``(H, W)``, ``(1, H, W)`` or ``(1, 1, H, W)``,
            values in [0, 1], object = value > 0.5.
        frame_index: Which frame of ``frames`` ``first_mask`` annotates.
        dilate: Grow every frame's mask by this many pixels at the end (0: the object mask; see
            ``dilate_for_removal`` for the margin removal needs).
        options: The tracker's settings (``TrackOptions()`` by default).
        progress: Called with ``(frames done, frames in all)`` after each frame.
        should_stop: Polled before each frame; True stops tracking and returns None.

    Returns:
        ``(T, 1, H, W)`` float32 binary mask, 1 = object; the annotated frame holds
        ``first_mask`` binarised, exactly (before ``dilate``). None if stopped.

    Raises:
        InputError: bad frames, an empty, full or wrongly sized ``first_mask``, or a
            ``frame_index`` outside the clip.
    """
    first_mask = _check_track_inputs(frames, first_mask, frame_index)
    check_non_negative_int("dilate", dilate)
    options = options or TrackOptions()
    count, _, height, width = frames.shape
    size = _working_size(height, width, options.work_pixels)
    given = (first_mask[0, 0] > 0.5).numpy()
    result = np.zeros((count, height, width), np.float32)
    result[frame_index] = given
    done = 1
    if progress is not None:
        progress(done, count)
    colours = ColourModel(options.colour_bins)
    start = _prepare(frames[frame_index], size, colours)
    start_mask = _to_size(given, size) > 0.5
    tracker = _Tracker(options, colours, start, start_mask)
    forward = range(frame_index + 1, count)
    backward = range(frame_index - 1, -1, -1)
    for order in (forward, backward):
        previous, mask = start, start_mask
        for index in order:
            if should_stop is not None and should_stop():
                return None
            current = _prepare(frames[index], size, colours)
            mask = tracker.step(previous, mask, current)
            result[index] = _to_size(mask, (height, width))
            previous = current
            done += 1
            if progress is not None:
                progress(done, count)
    tracked = torch.from_numpy(result)[:, None]
    return dilate_mask(tracked, dilate) if dilate else tracked
