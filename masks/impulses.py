"""Impulse-noise detection: which pixels salt-and-pepper, white, black or random impulses hit.

The impulse kinds of `masks.noise` (NeRV's Table 5 set) replace a few pixels by values that have
nothing to do with the scene. Such pixels are not noisy, they are missing: the engine hands them
to its inpainting path as holes (HNeRV eq. 2), so they are filled from their neighbours in space
and time instead of being averaged into the result. The test is the robust one of switching
median filters (e.g. T. Chen, H. R. Wu, "Adaptive impulse detection using center-weighted median
filters", IEEE SPL 2001): a pixel is an impulse when it is far from the median of its 3x3
neighbourhood, and

- for an extreme value (all channels exactly 0 or exactly 1: salt-and-pepper, white, black), that
  is enough, with a low threshold (`EXTREME_THRESHOLD`); a saturated scene region is not flagged
  because its neighbours are saturated too;
- for any other value (random impulses), it must differ from *each* of its 8 neighbours (a pixel
  on an edge or in texture has a neighbour like it) and from the median of the same pixel in the
  previous, current and next frames (`RANDOM_THRESHOLD`), so that texture and edges, which
  persist over time, are not flagged.

Thresholds grow with the Gaussian noise level `sigma` of the rest of the clip, so that clipped
Gaussian noise is not mistaken for impulses.

Layout: frames `(T, 3, H, W)` float in [0, 1]; the mask `(T, 1, H, W)` float32, 1 = impulse.
"""

from __future__ import annotations

import torch
import torch.nn.functional as functional

from masks.checks import check_video, fail

EXTREME_THRESHOLD = 0.08
"""An all-0 or all-1 pixel this far (max over channels) from its 3x3 median is an impulse."""

RANDOM_THRESHOLD = 0.2
"""Another pixel must be this far from each of its 8 neighbours and its 3-frame temporal median."""

SIGMA_FACTOR = 5.0
"""Thresholds are at least this many Gaussian standard deviations (``sigma``)."""

_EXTREME_TOLERANCE = 0.5 / 255.0  # "exactly" 0 or 1, after a round trip through uint8


def _spatial_median(frames: torch.Tensor) -> torch.Tensor:
    """3x3 median of every channel, borders replicated; ``(T, 3, H, W)``."""
    padded = functional.pad(frames, (1, 1, 1, 1), mode="replicate")
    # One frame at a time keeps the nine shifted copies small.
    medians = []
    for frame in padded:
        windows = frame.unfold(-2, 3, 1).unfold(-2, 3, 1)
        medians.append(windows.reshape(*windows.shape[:-2], 9).median(dim=-1).values)
    return torch.stack(medians)


def _isolation(frames: torch.Tensor) -> torch.Tensor:
    """Distance (max over channels) of every pixel to the most similar of its 8 neighbours.

    Borders are reflected, so a border pixel is compared with real neighbours only.
    """
    padded = functional.pad(frames, (1, 1, 1, 1), mode="reflect")
    height, width = frames.shape[-2:]
    nearest = None
    for dy in range(3):
        for dx in range(3):
            if dy == dx == 1:
                continue
            shifted = padded[..., dy : dy + height, dx : dx + width]
            distance = (frames - shifted).abs().amax(dim=1, keepdim=True)
            nearest = distance if nearest is None else torch.minimum(nearest, distance)
    return nearest


def _temporal_median(frames: torch.Tensor) -> torch.Tensor:
    """Median of each pixel over the previous, current and next frame (at least 2 frames).

    The clip's ends are reflected (frame -1 is frame 1), not replicated: a replicated edge frame
    would be its own median and hide its impulses.
    """
    previous = torch.cat([frames[1:2], frames[:-1]])
    following = torch.cat([frames[1:], frames[-2:-1]])
    stacked = torch.stack([previous, frames, following])
    return stacked.median(dim=0).values


def detect_impulses(
    frames: torch.Tensor,
    sigma: float = 0.0,
    *,
    extreme_threshold: float = EXTREME_THRESHOLD,
    random_threshold: float = RANDOM_THRESHOLD,
    random_values: bool = True,
) -> torch.Tensor:
    """The mask of pixels hit by impulse noise.

    Args:
        frames: ``(T, 3, H, W)`` float video in [0, 1].
        sigma: Standard deviation of the Gaussian noise on the rest of the clip (0 if none); the
            thresholds are at least ``SIGMA_FACTOR * sigma``.
        extreme_threshold: Distance from the 3x3 median above which an all-0/all-1 pixel counts.
        random_threshold: Distance from both medians above which any other pixel counts.
        random_values: Also look for random-value impulses (needs at least 2 frames; with one
            frame only extreme values are tested, against the 3x3 median alone).

    Returns:
        ``(T, 1, H, W)`` float32 mask, 1 = impulse.

    Raises:
        InputError: ``frames`` is not a ``(T, 3, H, W)`` video in [0, 1], or a threshold or
            ``sigma`` is not a number >= 0.
    """
    check_video(frames, "frames")
    for name, value in (
        ("sigma", sigma),
        ("extreme_threshold", extreme_threshold),
        ("random_threshold", random_threshold),
    ):
        if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
            raise fail(name, "a number >= 0", repr(value))
    source = frames.detach().cpu().float()
    floor = SIGMA_FACTOR * float(sigma)
    spatial = (source - _spatial_median(source)).abs().amax(dim=1, keepdim=True)
    low = (source <= _EXTREME_TOLERANCE).all(dim=1, keepdim=True)
    high = (source >= 1.0 - _EXTREME_TOLERANCE).all(dim=1, keepdim=True)
    hit = (low | high) & (spatial > max(extreme_threshold, floor))
    if random_values and source.shape[0] > 1:
        threshold = max(random_threshold, floor)
        temporal = (source - _temporal_median(source)).abs().amax(dim=1, keepdim=True)
        hit |= (_isolation(source) > threshold) & (temporal > threshold)
    return hit.float()
