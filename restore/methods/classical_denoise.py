"""Classical video denoising baselines, compared with HNeRV fitted to a noisy video.

- ``median_spatial``: per-frame median filter (J. W. Tukey, "Exploratory Data Analysis", 1977).
- ``median_spatiotemporal``: the same median over a ``size x size x size`` (t, h, w) cube.
- ``gaussian_blur``: per-frame isotropic Gaussian low-pass filter.
- ``uniform_filter``, ``minimum_filter``, ``maximum_filter``: the mean, smallest and largest value
  of every pixel's ``size x size`` neighbourhood in its frame (box filter and grey-scale erosion /
  dilation), the other classical filters of NeRV's denoising comparison (Chen et al., NeurIPS
  2021, Table 5).
- ``nl_means_temporal``: non-local means over neighbouring frames, A. Buades, B. Coll,
  J.-M. Morel, "A non-local algorithm for image denoising", CVPR 2005, and "Denoising image
  sequences does not require motion estimation", AVSS 2005 (OpenCV's
  ``fastNlMeansDenoisingColoredMulti``).

Layout: video ``(T, 3, H, W)`` float RGB; noisy inputs may leave [0, 1]. Every denoiser takes no
mask and returns a ``(T, 3, H, W)`` float32 video clipped to [0, 1].
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import torch
import torch.nn.functional as functional

from masks.checks import boundary
from restore.errors import InputError
from restore.methods.classical_inpaint import video_to_uint8
from restore.methods.noise_level import estimate_sigma
from restore.progress import PhaseClock, PhaseStopped, frames_done_text


def _validate_odd_size(value: int, name: str, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum or value % 2 == 0:
        raise InputError(f"{name} must be an odd integer >= {minimum}, got {value!r}")


def _square_windows(padded: torch.Tensor, size: int) -> torch.Tensor:
    """Stacks the ``size x size`` windows of a replicate-padded frame.

    Args:
        padded: ``(C, H + size - 1, W + size - 1)`` tensor.
        size: Window side.

    Returns:
        ``(C, H, W, size * size)`` view-backed tensor of window values.
    """
    windows = padded.unfold(-2, size, 1).unfold(-2, size, 1)
    return windows.reshape(*windows.shape[:-2], size * size)


@boundary(values=False)
def median_spatial(video: torch.Tensor, size: int = 3) -> torch.Tensor:
    """Replaces every pixel by the median of its ``size x size`` neighbourhood in its frame.

    Works in float (no uint8 rounding); borders are replicated.

    Args:
        video: Noisy video ``(T, 3, H, W)`` float RGB.
        size: Odd window side in pixels.

    Returns:
        ``(T, 3, H, W)`` float32 video clipped to [0, 1].

    Raises:
        ValueError: If ``video`` is not ``(T, 3, H, W)`` float or ``size`` is not odd and positive.
    """
    _validate_odd_size(size, "size")
    source = video.detach().cpu().float()
    half = size // 2
    frames = []
    # One frame at a time keeps the size*size copies of the frame small.
    for frame in source:
        padded = functional.pad(frame[None], (half, half, half, half), mode="replicate")[0]
        frames.append(_square_windows(padded, size).median(dim=-1).values)
    return torch.stack(frames).clamp(0.0, 1.0)


@boundary(values=False)
def median_spatiotemporal(video: torch.Tensor, size: int = 3) -> torch.Tensor:
    """Replaces every pixel by the median of its ``size x size x size`` (t, h, w) neighbourhood.

    Works in float; frames and borders are replicated at the clip and image edges.

    Args:
        video: Noisy video ``(T, 3, H, W)`` float RGB.
        size: Odd cube side (frames and pixels).

    Returns:
        ``(T, 3, H, W)`` float32 video clipped to [0, 1].

    Raises:
        ValueError: If ``video`` is not ``(T, 3, H, W)`` float or ``size`` is not odd and positive.
    """
    _validate_odd_size(size, "size")
    source = video.detach().cpu().float()
    half = size // 2
    count = source.shape[0]
    padded = functional.pad(source, (half, half, half, half), mode="replicate")
    frames = []
    for index in range(count):
        neighbours = [min(max(index + offset, 0), count - 1) for offset in range(-half, half + 1)]
        # (3, H, W, size*size) per neighbour, joined into (3, H, W, size**3).
        windows = torch.cat([_square_windows(padded[n], size) for n in neighbours], dim=-1)
        frames.append(windows.median(dim=-1).values)
    return torch.stack(frames).clamp(0.0, 1.0)


@boundary(values=False)
def gaussian_blur(video: torch.Tensor, sigma: float = 1.0) -> torch.Tensor:
    """Blurs every frame with an isotropic Gaussian of standard deviation ``sigma`` pixels.

    The kernel is truncated at ``ceil(3 * sigma)`` pixels and applied separably; borders are
    reflected.

    Args:
        video: Noisy video ``(T, 3, H, W)`` float RGB.
        sigma: Standard deviation in pixels, > 0.

    Returns:
        ``(T, 3, H, W)`` float32 video clipped to [0, 1].

    Raises:
        ValueError: If ``video`` is not ``(T, 3, H, W)`` float or ``sigma`` is not positive.
    """
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float)) or not sigma > 0:
        raise InputError(f"sigma must be a positive number (pixels), got {sigma!r}")
    source = video.detach().cpu().float()
    height, width = source.shape[2:]
    # Reflect padding needs the radius below each image side.
    radius = min(math.ceil(3.0 * sigma), height - 1, width - 1)
    if radius < 1:
        return source.clamp(0.0, 1.0)
    offsets = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-0.5 * (offsets / sigma) ** 2)
    kernel = kernel / kernel.sum()
    channels = source.shape[1]
    horizontal = kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1)
    vertical = kernel.view(1, 1, -1, 1).repeat(channels, 1, 1, 1)
    padded = functional.pad(source, (radius, radius, radius, radius), mode="reflect")
    blurred = functional.conv2d(padded, horizontal, groups=channels)
    blurred = functional.conv2d(blurred, vertical, groups=channels)
    return blurred.clamp(0.0, 1.0)


def _replicate_padded(video: torch.Tensor, size: int) -> torch.Tensor:
    """``(T, 3, H, W)`` float32 on the CPU, padded by ``size // 2`` replicated border pixels."""
    half = size // 2
    return functional.pad(video.detach().cpu().float(), (half, half, half, half), mode="replicate")


@boundary(values=False)
def uniform_filter(video: torch.Tensor, size: int = 3) -> torch.Tensor:
    """Replaces every pixel by the mean of its ``size x size`` neighbourhood in its frame.

    A box (moving-average) filter; borders are replicated, as in ``median_spatial``.

    Args:
        video: Noisy video ``(T, 3, H, W)`` float RGB.
        size: Odd window side in pixels.

    Returns:
        ``(T, 3, H, W)`` float32 video clipped to [0, 1].

    Raises:
        ValueError: If ``video`` is not ``(T, 3, H, W)`` float or ``size`` is not odd and positive.
    """
    _validate_odd_size(size, "size")
    padded = _replicate_padded(video, size)
    return functional.avg_pool2d(padded, size, stride=1).clamp(0.0, 1.0)


@boundary(values=False)
def minimum_filter(video: torch.Tensor, size: int = 3) -> torch.Tensor:
    """Replaces every pixel by the smallest value of its ``size x size`` neighbourhood (per
    channel, in its frame): grey-scale erosion, which removes bright (salt) impulses.

    Args:
        video: Noisy video ``(T, 3, H, W)`` float RGB.
        size: Odd window side in pixels.

    Returns:
        ``(T, 3, H, W)`` float32 video clipped to [0, 1].

    Raises:
        ValueError: If ``video`` is not ``(T, 3, H, W)`` float or ``size`` is not odd and positive.
    """
    _validate_odd_size(size, "size")
    padded = _replicate_padded(video, size)
    return (-functional.max_pool2d(-padded, size, stride=1)).clamp(0.0, 1.0)


@boundary(values=False)
def maximum_filter(video: torch.Tensor, size: int = 3) -> torch.Tensor:
    """Replaces every pixel by the largest value of its ``size x size`` neighbourhood (per
    channel, in its frame): grey-scale dilation, which removes dark (pepper) impulses.

    Args:
        video: Noisy video ``(T, 3, H, W)`` float RGB.
        size: Odd window side in pixels.

    Returns:
        ``(T, 3, H, W)`` float32 video clipped to [0, 1].

    Raises:
        ValueError: If ``video`` is not ``(T, 3, H, W)`` float or ``size`` is not odd and positive.
    """
    _validate_odd_size(size, "size")
    padded = _replicate_padded(video, size)
    return functional.max_pool2d(padded, size, stride=1).clamp(0.0, 1.0)


NLMEANS_STRENGTH = 0.5
"""Default ``h`` of ``nl_means_temporal`` in units of ``255 * sigma``: the best of 0.4-1.0 on
average over DAVIS blackswan and dog (docs/denoising.md)."""


def reflected_index(index: int, count: int) -> int:
    """Reflects a frame index into ``[0, count)`` without repeating the edge frame.

    For example with ``count = 5``: -2 -> 2, -1 -> 1, 5 -> 3, 6 -> 2.
    """
    if count == 1:
        return 0
    period = 2 * (count - 1)
    index = index % period
    return index if index < count else period - index


@boundary(values=False)
def nl_means_temporal(
    video: torch.Tensor,
    h: float | None = None,
    sigma: float | None = None,
    window: int = 5,
    template_window_size: int = 7,
    search_window_size: int = 21,
    clock: PhaseClock | None = None,
) -> torch.Tensor:
    """Denoises every frame by non-local means over itself and its temporal neighbours.

    Runs ``cv2.fastNlMeansDenoisingColoredMulti`` on uint8 frames (so the output is quantised to
    1/255). Frame indices are reflected at the clip edges, so every frame gets a full window.

    Args:
        video: Noisy video ``(T, 3, H, W)`` float RGB (values clipped to [0, 1] first).
        h: Filter strength in uint8 units, used for luminance and colour; roughly the noise
            standard deviation times 255 (larger removes more noise and more detail). None:
            ``NLMEANS_STRENGTH * 255 * sigma``.
        sigma: Noise standard deviation in [0, 1] units, for the default ``h``; None estimates
            it from the clip (``restore.methods.noise_level.estimate_sigma``).
        window: Odd number of frames averaged over (the temporal window).
        template_window_size: Odd side in pixels of the patches compared.
        search_window_size: Odd side in pixels of the area searched for similar patches.
        clock: ticked per frame (progress); Stop raises ``PhaseStopped`` carrying the frames
            denoised so far, the others as given.

    Returns:
        ``(T, 3, H, W)`` float32 video in [0, 1].

    Raises:
        ValueError: If ``video`` is not ``(T, 3, H, W)`` float or a parameter is out of range.
    """
    _validate_odd_size(window, "window")
    _validate_odd_size(template_window_size, "template_window_size")
    _validate_odd_size(search_window_size, "search_window_size")
    if h is None:
        if sigma is None:
            sigma = estimate_sigma(video.clamp(0.0, 1.0))
        sigma = float(sigma) if math.isfinite(float(sigma)) else 0.0  # a flat clip: no noise
        # A floor of 1/255: OpenCV needs a positive strength.
        h = max(NLMEANS_STRENGTH * 255.0 * sigma, 1.0)
    if isinstance(h, bool) or not isinstance(h, (int, float)) or not h > 0:
        raise InputError(f"h must be a positive number (uint8 units), got {h!r}")
    frames_rgb = video_to_uint8(video)
    # OpenCV converts to CIELAB assuming BGR channel order.
    frames_bgr = np.ascontiguousarray(frames_rgb[..., ::-1])
    count = frames_bgr.shape[0]
    half = window // 2
    denoised = frames_bgr.copy()  # frames not reached by a Stop stay as given

    def as_video() -> torch.Tensor:
        result = np.ascontiguousarray(denoised[..., ::-1]).astype(np.float32) / 255.0
        return torch.from_numpy(result).permute(0, 3, 1, 2).contiguous()

    try:
        if clock is not None:
            clock.check()  # a deadline already passed denoises nothing
        for index in range(count):
            neighbours = [
                frames_bgr[reflected_index(index + o, count)] for o in range(-half, half + 1)
            ]
            denoised[index] = cv2.fastNlMeansDenoisingColoredMulti(
                neighbours,
                half,
                window,
                None,
                float(h),
                float(h),
                template_window_size,
                search_window_size,
            )
            if clock is not None:
                clock.tick()
    except PhaseStopped as stopped:
        stopped.finished, stopped.what = as_video(), frames_done_text(clock.done, count, "denoised")
        raise
    return as_video()
