"""User masks: load a hole mask the user drew or exported, and check it against the video.

A user mask is a folder of images (one per frame, matched by sorted file name), a single image
(applied to every frame) or a mask video. It is read as grayscale on a 0..1 scale, thresholded
(values above `threshold` are holes), optionally inverted, optionally rescaled to the video size and
dilated, then checked: frame count and size must match the video, a mask that covers every pixel of
every frame is an error (nothing to learn from), and an empty mask only warns (nothing to do).

Masks are float32 tensors `(T, 1, H, W)` with 1 = missing, 0 = known (HNeRV eq. 2).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import cv2
import numpy as np
import torch

from masks.checks import (
    check_learnable,
    check_mask,
    check_non_negative_int,
    check_video_size,
)
from masks.errors import InputError, MaskWarning, MissingPathError
from masks.morphology import dilate_mask

__all__ = [
    "IMAGE_SUFFIXES",
    "MaskWarning",
    "MissingPathError",
    "VIDEO_SUFFIXES",
    "dilate_mask",
    "load_mask",
    "read_grayscale_frames",
    "validate_mask",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
"""File suffixes read as mask images (case-insensitive)."""

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm")
"""File suffixes read as mask videos through `cv2.VideoCapture` (case-insensitive)."""


def _natural_key(path: Path) -> list[object]:
    # "frame2.png" sorts before "frame10.png", as a file browser shows them.
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def _to_unit_gray(image: np.ndarray, source: Path) -> np.ndarray:
    """Converts an image as read by OpenCV (gray, BGR or BGRA; 8 or 16 bit) to float32 gray in
    [0, 1], shape `(H, W)`."""
    if image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    elif image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    elif image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim != 2:
        raise InputError(f"mask {source}: expected a gray or color image, got shape {image.shape}")
    if image.dtype == np.uint8:
        return image.astype(np.float32) / 255.0
    if image.dtype == np.uint16:
        return image.astype(np.float32) / 65535.0
    if np.issubdtype(image.dtype, np.floating):
        return np.clip(image.astype(np.float32), 0.0, 1.0)
    raise InputError(f"mask {source}: expected 8-bit, 16-bit or float pixels, got {image.dtype}")


def _read_image(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise InputError(f"mask {path}: OpenCV cannot read this image")
    return _to_unit_gray(image, path)


def _read_video(path: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(_to_unit_gray(frame, path))
    finally:
        capture.release()
    if not frames:
        raise InputError(f"mask {path}: OpenCV read no frames from this video")
    return frames


def read_grayscale_frames(path: str | Path) -> tuple[np.ndarray, bool]:
    """Reads a mask source as grayscale frames on a 0..1 scale, at its own size.

    Args:
        path: A folder of mask images (sorted naturally by file name: `2.png` before `10.png`), a
            single image, or a video (`VIDEO_SUFFIXES`).

    Returns:
        `(frames, is_single_image)`: float32 array `(N, H, W)` in [0, 1], and whether the source was
        one image meant for every frame.

    Raises:
        MissingPathError: If `path` does not exist (a `FileNotFoundError` and a `ValueError`).
        ValueError: If the suffix is not supported, the folder holds no images, the images differ in
            size, or OpenCV cannot decode a file.
    """
    path = Path(path)
    if not path.exists():
        raise MissingPathError(f"mask: {path} does not exist")
    if path.is_dir():
        files = sorted(
            (p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
            key=_natural_key,
        )
        if not files:
            raise InputError(
                f"mask folder {path}: expected image files "
                f"({', '.join(IMAGE_SUFFIXES)}), found none"
            )
        frames = [_read_image(p) for p in files]
        first = frames[0].shape
        for file, frame in zip(files, frames, strict=True):
            if frame.shape != first:
                raise InputError(
                    f"mask folder {path}: {file.name} is {frame.shape[0]}x{frame.shape[1]}, "
                    f"{files[0].name} is {first[0]}x{first[1]}; all masks must have one size"
                )
        return np.stack(frames), False
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return _read_image(path)[None], True
    if suffix in VIDEO_SUFFIXES:
        return np.stack(_read_video(path)), False
    raise InputError(
        f"mask {path}: expected a folder, an image ({', '.join(IMAGE_SUFFIXES)}) or a video "
        f"({', '.join(VIDEO_SUFFIXES)}), got suffix {suffix!r}"
    )


def _resize_frames(frames: np.ndarray, height: int, width: int) -> np.ndarray:
    # Area averaging when shrinking keeps thin strokes as partial values the threshold can keep;
    # linear interpolation when growing avoids blocky hole edges.
    shrinking = height * width < frames.shape[1] * frames.shape[2]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return np.stack([cv2.resize(f, (width, height), interpolation=interpolation) for f in frames])


def validate_mask(mask: torch.Tensor, num_frames: int, height: int, width: int) -> torch.Tensor:
    """Checks that a mask fits a video and has something to do and something to learn from.

    Args:
        mask: Float mask `(T, 1, H, W)`, 1 = missing, values in [0, 1].
        num_frames: Frame count T of the video.
        height: Frame height H of the video.
        width: Frame width W of the video.

    Returns:
        `mask`, unchanged.

    Raises:
        ValueError: If the layout is wrong, the frame count differs ("mask has 40 frames, video has
            50"), the size differs ("mask is 480x854, video is 240x432 (use --mask-resize to
            rescale)"), or every pixel of every frame is masked.

    Warns:
        MaskWarning: If no pixel is masked (nothing to restore).
    """
    check_video_size(num_frames, height, width)
    check_mask(mask, size=(num_frames, height, width))
    check_learnable(mask)
    if not bool((mask > 0).any()):
        warnings.warn(
            "mask is empty: no pixel is marked missing, so there is nothing to restore",
            MaskWarning,
            stacklevel=2,
        )
    return mask


def load_mask(
    path: str | Path,
    num_frames: int,
    height: int,
    width: int,
    threshold: float = 0.5,
    invert: bool = False,
    dilate: int = 0,
    resize: bool = False,
) -> torch.Tensor:
    """Loads a user mask and returns it in the engine's layout, checked against the video.

    Steps: read grayscale on a 0..1 scale; if `resize`, rescale to `height x width` (area averaging
    when shrinking, bilinear when growing); hole = value > `threshold` (robust to the compression
    noise of mask videos and to anti-aliased edges); flip if `invert`; repeat a single image over
    all frames; dilate by `dilate` pixels (square, see `dilate_mask`); then `validate_mask`.

    Args:
        path: A folder of mask images (one per frame, matched by natural sort of file names), a
            single image (applied to every frame) or a video (`.mp4/.mov/.avi/.mkv/.webm`).
        num_frames: Frame count T of the video.
        height: Frame height H of the video.
        width: Frame width W of the video.
        threshold: Gray level in [0, 1); pixels strictly above it are holes.
        invert: If True, dark pixels are holes instead (for masks that mark the known region).
        dilate: Grow holes by this many pixels (object edges leak into the background).
        resize: Rescale a mask of another size to the video size (the CLI's `--mask-resize`)
            instead of raising.

    Returns:
        Float32 mask `(T, 1, H, W)`, 1 = missing, 0 = known.

    Raises:
        MissingPathError: If `path` does not exist (a `FileNotFoundError` and a `ValueError`).
        ValueError: On an unsupported or unreadable file, a bad argument, a frame-count or size
            mismatch, or a mask covering every pixel of every frame (see `validate_mask`).

    Warns:
        MaskWarning: If the mask is empty; the empty mask is returned.
    """
    check_video_size(num_frames, height, width)
    if not 0.0 <= threshold < 1.0:
        raise InputError(f"threshold must be in [0, 1), got {threshold!r}")
    check_non_negative_int("dilate", dilate)
    gray, single_image = read_grayscale_frames(path)
    if resize and gray.shape[1:] != (height, width):
        warnings.warn(
            f"the mask is {gray.shape[2]}x{gray.shape[1]}; it was resized to the video's "
            f"{width}x{height} (check that it still covers what should go)",
            MaskWarning,
            stacklevel=2,
        )
        gray = _resize_frames(gray, height, width)
    holes = gray > threshold
    if invert:
        holes = ~holes
    mask = torch.from_numpy(holes.astype(np.float32))[:, None]
    if single_image:
        mask = mask.expand(num_frames, -1, -1, -1).contiguous()
    if mask.shape[0] == num_frames and mask.shape[2:] == (height, width):
        mask = dilate_mask(mask, dilate)
    return validate_mask(mask, num_frames, height, width)
