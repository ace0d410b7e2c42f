"""Classical video inpainting baselines, applied frame by frame or along time.

These are the non-learned methods users compare HNeRV's masked fit (HNeRV eq. 2) with:

- ``telea``: fast marching inpainting, A. Telea, "An Image Inpainting Technique Based on the
  Fast Marching Method", J. Graphics Tools 9(1), 2004 (``cv2.INPAINT_TELEA``).
- ``navier_stokes``: M. Bertalmio, A. L. Bertozzi, G. Sapiro, "Navier-Stokes, Fluid Dynamics, and
  Image and Video Inpainting", CVPR 2001 (``cv2.INPAINT_NS``).
- ``biharmonic``: S. B. Damelin, N. S. Hoang, "On Surface Completion and Image Inpainting by
  Biharmonic Functions: Numerical Aspects", IJMMS 2018
  (``skimage.restoration.inpaint_biharmonic``).
- ``temporal_fill``: every hole pixel copied from the nearest frame in time where the same pixel is
  known (a static-camera baseline), Telea where no frame knows it.

Layout: video ``(T, 3, H, W)`` float32 RGB in [0, 1]; mask ``(T, 1, H, W)`` float32 with
1 = missing and 0 = known (values above 0.5 count as missing). Every function returns a
``(T, 3, H, W)`` float32 video in [0, 1] whose known pixels are bit-exactly the input's.

The validation and conversion helpers here are shared by the other classical modules
(``flow_propagation``, ``classical_denoise``).
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
from scipy import ndimage
from skimage.restoration import inpaint_biharmonic

from masks.checks import boundary
from restore.composite import composite
from restore.errors import InputError
from restore.progress import PhaseClock

# Pixels of margin kept around each hole component when biharmonic inpainting a crop: the
# biharmonic stencil reaches 2 pixels, the rest gives the solve some known context.
BIHARMONIC_MARGIN = 8


def video_to_numpy(video: torch.Tensor) -> np.ndarray:
    """Converts a ``(T, 3, H, W)`` float video to a ``(T, H, W, 3)`` float32 RGB numpy array."""
    return np.ascontiguousarray(video.detach().cpu().float().permute(0, 2, 3, 1).numpy())


def video_to_uint8(video: torch.Tensor) -> np.ndarray:
    """Converts a ``(T, 3, H, W)`` float video to ``(T, H, W, 3)`` uint8 RGB (rounded, clipped)."""
    frames = video_to_numpy(video)
    return np.clip(np.rint(frames * 255.0), 0, 255).astype(np.uint8)


def mask_to_numpy(mask: torch.Tensor) -> np.ndarray:
    """Converts a ``(T, 1, H, W)`` mask to a ``(T, H, W)`` bool numpy array (True = missing)."""
    return mask.detach().cpu()[:, 0].numpy() > 0.5


def composite_holes(
    video: torch.Tensor, mask: torch.Tensor, fill: np.ndarray | torch.Tensor
) -> torch.Tensor:
    """Takes hole pixels from ``fill`` and known pixels, bit-exactly, from ``video``.

    Args:
        video: Input video ``(T, 3, H, W)``.
        mask: Mask ``(T, 1, H, W)``, values above 0.5 are holes.
        fill: Filled video, ``(T, 3, H, W)`` tensor or ``(T, H, W, 3)`` float numpy array in [0, 1].

    Returns:
        ``(T, 3, H, W)`` float32 video in [0, 1].
    """
    if isinstance(fill, np.ndarray):
        fill = torch.from_numpy(np.ascontiguousarray(fill, dtype=np.float32)).permute(0, 3, 1, 2)
    source = video.detach().cpu().float()
    fill = fill.to(torch.float32).clamp(0.0, 1.0)
    return composite.unchecked(fill, source, mask.detach().cpu()).contiguous()


def opencv_inpaint_frames(
    frames_uint8: np.ndarray,
    holes: np.ndarray,
    radius: int,
    flags: int,
    clock: PhaseClock | None = None,
) -> np.ndarray:
    """Runs ``cv2.inpaint`` on every frame that has holes.

    Args:
        frames_uint8: ``(T, H, W, 3)`` uint8 frames.
        holes: ``(T, H, W)`` bool, True where a pixel must be inpainted.
        radius: Inpainting neighbourhood radius in pixels.
        flags: ``cv2.INPAINT_TELEA`` or ``cv2.INPAINT_NS``.
        clock: ticked once per frame (progress; Stop raises ``PhaseStopped``).

    Returns:
        ``(T, H, W, 3)`` float32 frames in [0, 1] (the uint8 result divided by 255).
    """
    filled = frames_uint8.copy()
    for index in range(frames_uint8.shape[0]):
        if holes[index].any():
            filled[index] = cv2.inpaint(
                frames_uint8[index], holes[index].astype(np.uint8), radius, flags
            )
        if clock is not None:
            clock.tick()
    return filled.astype(np.float32) / 255.0


def _validate_radius(radius: int) -> None:
    if isinstance(radius, bool) or not isinstance(radius, int) or radius < 1:
        raise InputError(f"radius must be a positive integer (pixels), got {radius!r}")


@boundary(mask=True)
def telea(video: torch.Tensor, mask: torch.Tensor, radius: int = 3) -> torch.Tensor:
    """Inpaints every frame independently with Telea's fast marching method.

    Args:
        video: Corrupted video ``(T, 3, H, W)`` float32 RGB in [0, 1].
        mask: ``(T, 1, H, W)`` float32, 1 = missing, 0 = known.
        radius: Neighbourhood radius in pixels that each inpainted pixel is estimated from.

    Returns:
        ``(T, 3, H, W)`` float32 video in [0, 1]; known pixels equal the input bit-exactly, hole
        pixels come from OpenCV's uint8 result.

    Raises:
        ValueError: If shapes, value ranges or ``radius`` are invalid.
    """
    _validate_radius(radius)
    return telea_fill(video, mask, radius)


def telea_fill(
    video: torch.Tensor, mask: torch.Tensor, radius: int = 3, clock: PhaseClock | None = None
) -> torch.Tensor:
    """``telea`` on checked inputs, one ``clock`` tick per frame (the hybrid's spatial fill)."""
    fill = opencv_inpaint_frames(
        video_to_uint8(video), mask_to_numpy(mask), radius, cv2.INPAINT_TELEA, clock
    )
    return composite_holes(video, mask, fill)


@boundary(mask=True)
def navier_stokes(video: torch.Tensor, mask: torch.Tensor, radius: int = 3) -> torch.Tensor:
    """Inpaints every frame independently with the Navier-Stokes method of Bertalmio et al.

    Args:
        video: Corrupted video ``(T, 3, H, W)`` float32 RGB in [0, 1].
        mask: ``(T, 1, H, W)`` float32, 1 = missing, 0 = known.
        radius: Neighbourhood radius in pixels that each inpainted pixel is estimated from.

    Returns:
        ``(T, 3, H, W)`` float32 video in [0, 1]; known pixels equal the input bit-exactly.

    Raises:
        ValueError: If shapes, value ranges or ``radius`` are invalid.
    """
    _validate_radius(radius)
    fill = opencv_inpaint_frames(video_to_uint8(video), mask_to_numpy(mask), radius, cv2.INPAINT_NS)
    return composite_holes(video, mask, fill)


def _biharmonic_frame(frame: np.ndarray, holes: np.ndarray, margin: int) -> np.ndarray:
    """Biharmonic inpainting of one ``(H, W, 3)`` float frame, solved per hole component crop."""
    filled = frame.copy()
    labels, _ = ndimage.label(holes)
    height, width = holes.shape
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        rows = slice(max(box[0].start - margin, 0), min(box[0].stop + margin, height))
        cols = slice(max(box[1].start - margin, 0), min(box[1].stop + margin, width))
        # Other components inside the crop stay holes (never used as known values), but only
        # this component's pixels are written back.
        crop_holes = holes[rows, cols]
        if crop_holes.all():
            # No known pixel around this component (e.g. a fully masked frame): leave it.
            continue
        solved = inpaint_biharmonic(frame[rows, cols], crop_holes, channel_axis=-1)
        component = labels[rows, cols] == index
        filled[rows, cols][component] = solved[component]
    return filled


@boundary(mask=True)
def biharmonic(video: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Inpaints every frame independently by solving the biharmonic equation in the holes.

    Each connected hole component is solved in its bounding box grown by ``BIHARMONIC_MARGIN``
    pixels, which keeps the sparse solves small (see the module docstring for the reference).

    Args:
        video: Corrupted video ``(T, 3, H, W)`` float32 RGB in [0, 1].
        mask: ``(T, 1, H, W)`` float32, 1 = missing, 0 = known.

    Returns:
        ``(T, 3, H, W)`` float32 video in [0, 1]; known pixels equal the input bit-exactly.
        Components with no known pixel in their crop keep their input values.

    Raises:
        ValueError: If shapes or value ranges are invalid.
    """
    frames = video_to_numpy(video).astype(np.float64)
    holes = mask_to_numpy(mask)
    filled = np.stack(
        [
            _biharmonic_frame(frames[index], holes[index], BIHARMONIC_MARGIN)
            if holes[index].any()
            else frames[index]
            for index in range(frames.shape[0])
        ]
    )
    return composite_holes(video, mask, filled)


def nearest_known_frame(holes: np.ndarray) -> np.ndarray:
    """For every pixel, the index of the nearest frame in time where that pixel is known.

    Ties go to the earlier frame. Runs two scans over time, each vectorised over pixels.

    Args:
        holes: ``(T, H, W)`` bool, True = missing.

    Returns:
        ``(T, H, W)`` int64 frame indices; -1 where the pixel is missing in every frame. Known
        pixels map to their own frame.
    """
    frames = holes.shape[0]
    missing = np.iinfo(np.int64).max // 4
    previous = np.full(holes.shape, -missing, dtype=np.int64)
    following = np.full(holes.shape, missing, dtype=np.int64)
    last = np.full(holes.shape[1:], -missing, dtype=np.int64)
    for index in range(frames):
        last = np.where(holes[index], last, index)
        previous[index] = last
    last = np.full(holes.shape[1:], missing, dtype=np.int64)
    for index in range(frames - 1, -1, -1):
        last = np.where(holes[index], last, index)
        following[index] = last
    times = np.arange(frames, dtype=np.int64)[:, None, None]
    # "<=" sends ties to the earlier frame.
    nearest = np.where(times - previous <= following - times, previous, following)
    never_known = ~(~holes).any(axis=0)
    nearest[:, never_known] = -1
    return nearest


@boundary(mask=True)
def temporal_fill(video: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Copies each hole pixel from the nearest frame in time where the same pixel is known.

    Assumes a static camera and scene; ties go to the earlier frame. Pixels missing in every
    frame are inpainted with Telea (radius 3) from the temporally filled frame.

    Args:
        video: Corrupted video ``(T, 3, H, W)`` float32 RGB in [0, 1].
        mask: ``(T, 1, H, W)`` float32, 1 = missing, 0 = known.

    Returns:
        ``(T, 3, H, W)`` float32 video in [0, 1]; known pixels equal the input bit-exactly, and
        temporally filled pixels equal their source pixel bit-exactly.

    Raises:
        ValueError: If shapes or value ranges are invalid.
    """
    frames = video_to_numpy(video)
    holes = mask_to_numpy(mask)
    nearest = nearest_known_frame(holes)
    never_known = nearest < 0
    filled = np.take_along_axis(frames, np.maximum(nearest, 0)[..., None], axis=0)
    if never_known.any():
        fallback = opencv_inpaint_frames(
            np.clip(np.rint(filled * 255.0), 0, 255).astype(np.uint8),
            never_known,
            3,
            cv2.INPAINT_TELEA,
        )
        filled = np.where(never_known[..., None], fallback, filled)
    return composite_holes(video, mask, filled)
