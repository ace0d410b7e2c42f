"""What a readable clip is: the accepted paths, the read options and the per-frame resize.

Shared by `restore.io.streaming` (which decodes) and `restore.io.reading` (which collects the
decoded frames into a `Video`), so that neither imports the other's private helpers and the two
cannot drift apart on which paths, options or interpolations they accept.
"""

from __future__ import annotations

import os
import re
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from restore.errors import InputError
from restore.io.video import check_fps

VIDEO_EXTENSIONS = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
DEFAULT_FOLDER_FPS = 25.0
"""Frame rate given to a folder of frames (or a file without one) when the caller passes none."""


def check_source(path: str | os.PathLike[str]) -> Path:
    """The path as a `Path`, once it is known to exist and to be a folder or a video file.

    Raises:
        InputError: the path is missing, or is a file without a video extension.
    """
    source = Path(path)
    if not source.exists():
        raise InputError(f"video not found: {source}")
    if not source.is_dir() and source.suffix.lower() not in VIDEO_EXTENSIONS:
        raise InputError(
            f"unsupported video extension {source.suffix!r} for {source}; expected a video file "
            f"({' '.join(VIDEO_EXTENSIONS)}) or a folder of .jpg/.jpeg/.png frames"
        )
    return source


def check_options(start: object, max_frames: object, resize: object, fps: object) -> None:
    """Raise `InputError` for read option values no reader can honour."""
    if isinstance(start, bool) or not isinstance(start, int) or start < 0:
        raise InputError(f"--start: expected an integer >= 0, got {start!r}")
    if max_frames is not None and (
        isinstance(max_frames, bool) or not isinstance(max_frames, int) or max_frames < 1
    ):
        raise InputError(f"--max-frames: expected an integer >= 1 or None, got {max_frames!r}")
    if resize is not None and not (
        isinstance(resize, (tuple, list))
        and len(resize) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in resize)
    ):
        raise InputError(f"--resize: expected (width, height) with both >= 1, got {resize!r}")
    if fps is not None:
        try:
            check_fps(fps)
        except ValueError as error:
            raise InputError(f"--{error}") from None


def resize_image(image: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    """Resize an ``(H, W, 3)`` uint8 image to ``size = (W, H)`` (uint8 saturation clips).

    ``INTER_AREA`` when shrinking (it averages, so no aliasing), ``INTER_CUBIC`` when enlarging.
    """
    if size is None or (image.shape[1], image.shape[0]) == tuple(size):
        return image
    shrinking = size[0] <= image.shape[1] and size[1] <= image.shape[0]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    return cv2.resize(image, tuple(size), interpolation=interpolation)


def rate_or_default(rate: Fraction | float | None) -> float:
    """A container's frame rate as a float; `DEFAULT_FOLDER_FPS` where it declares none."""
    return float(rate) if rate and rate > 0 else DEFAULT_FOLDER_FPS


def _natural_key(path: Path) -> list[object]:
    """Sort key comparing digit runs as numbers: ``frame2.png`` before ``frame10.png``."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def folder_frame_files(folder: Path) -> list[Path]:
    """The frame images of a folder in natural name order (``2.png`` before ``10.png``).

    Raises:
        InputError: the folder holds no .jpg/.jpeg/.png frame.
    """
    files = sorted(
        (
            entry
            for entry in folder.iterdir()
            if entry.suffix.lower() in IMAGE_EXTENSIONS
            and not entry.name.startswith(".")
            and entry.is_file()
        ),
        key=_natural_key,
    )
    if not files:
        raise InputError(f"no .jpg/.jpeg/.png frames in {folder}")
    return files
