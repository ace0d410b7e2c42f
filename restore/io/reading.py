"""Read a video file or a folder of frames into a `Video` ``(T, 3, H, W)`` float32 in [0, 1].

`read_video` collects the frames `restore.io.streaming.iter_frames` decodes (PyAV, OpenCV as
fallback, or a folder of images; only the frames asked for) and adds what a whole clip needs:
its frame rate and one error for a clip that yields no frame.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import av
import cv2
import numpy as np

from restore.errors import InputError
from restore.io.sources import (
    DEFAULT_FOLDER_FPS,
    check_options,
    check_source,
    folder_frame_files,
    rate_or_default,
)
from restore.io.streaming import decode_frames
from restore.io.video import Video, uint8_to_frames

_RESIZE_PATTERN = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")


def parse_resize(text: str) -> tuple[int, int]:
    """Parse a ``WIDTHxHEIGHT`` option such as ``"432x240"``.

    Args:
        text: the option value; ``x`` or ``X`` separates width and height.

    Returns:
        ``(width, height)``, both >= 1.

    Raises:
        InputError: ``text`` is not two positive integers joined by ``x``.
    """
    match = _RESIZE_PATTERN.match(text) if isinstance(text, str) else None
    if match is None:
        raise InputError(f"--resize: expected WIDTHxHEIGHT such as 432x240, got {text!r}")
    width, height = int(match.group(1)), int(match.group(2))
    if width < 1 or height < 1:
        raise InputError(f"--resize: expected a width and height >= 1, got {text!r}")
    return width, height


def read_video(
    path: str | os.PathLike[str],
    *,
    start: int = 0,
    max_frames: int | None = None,
    resize: tuple[int, int] | None = None,
    fps: float | None = None,
) -> Video:
    """Read a video file or a folder of frames.

    Args:
        path: a video file (``.mp4 .mov .avi .mkv .webm .m4v``) or a folder of ``.jpg``/``.jpeg``/
            ``.png`` frames (natural name order, so ``2.png`` precedes ``10.png``; hidden files are
            skipped). All frames of a folder must have the same size.
        start: number of leading frames to skip.
        max_frames: keep at most this many frames after ``start``; ``None`` keeps all.
        resize: ``(width, height)`` to resize every frame to, with ``INTER_AREA`` when shrinking
            and ``INTER_CUBIC`` when enlarging (results are clipped to [0, 1]).
        fps: frame rate to report; ``None`` uses the container's rate for files (25 if it has
            none) and `DEFAULT_FOLDER_FPS` (25) for folders.

    Returns:
        A `Video` whose ``frames`` are ``(T, 3, H, W)`` float32 RGB in [0, 1] on the CPU, with
        ``1 <= T <= max_frames``.

    Raises:
        InputError: the path is missing, has an unsupported extension, is an unreadable or corrupt
            video, is a folder without frames or with frames of different sizes, or no frames are
            left after ``start``; also for invalid ``start``/``max_frames``/``resize``/``fps``.
    """
    check_options(start, max_frames, resize, fps)
    source = check_source(path)
    images = []
    for image in decode_frames(source, start=start, max_frames=max_frames, resize=resize):
        if images and image.shape != images[0].shape:  # a folder's frames are checked already
            raise InputError(f"frame size changes within {source}; pass --resize to read it")
        images.append(image)
    if not images:
        _raise_none_left(source, start)
    if fps is None:
        fps = DEFAULT_FOLDER_FPS if source.is_dir() else _file_fps(source)
    return Video(frames=uint8_to_frames(np.stack(images)), fps=float(fps), source=str(source))


def _raise_none_left(source: Path, start: int) -> None:
    """Raise the `InputError` for a clip that yielded no frame: empty, or ``start`` past its end.

    Counting a file's frames decodes it once more; only this error path pays for that.
    """
    if source.is_dir():
        kind, total = "folder", len(folder_frame_files(source))
    else:
        kind = "video"
        total = sum(1 for _ in decode_frames(source, start=0, max_frames=None, resize=None))
    if total == 0:
        raise InputError(f"{kind} {source} has no frames")
    raise InputError(f"{kind} {source} has {total} frames; --start {start} leaves none")


def _file_fps(file: Path) -> float:
    """A video file's frame rate: PyAV's, else OpenCV's, else `DEFAULT_FOLDER_FPS`."""
    try:
        with av.open(str(file)) as container:
            stream = container.streams.video[0]
            return rate_or_default(stream.average_rate or stream.guessed_rate)
    except (av.FFmpegError, IndexError):
        capture = cv2.VideoCapture(str(file))
        try:
            return rate_or_default(capture.get(cv2.CAP_PROP_FPS))
        finally:
            capture.release()


def container_frame_count(path: str | Path) -> int | None:
    """Frame count a video file's header declares (no decoding); None when it says nothing."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            if stream.frames:
                return int(stream.frames)
            if stream.duration and stream.time_base and stream.average_rate:
                return round(float(stream.duration * stream.time_base * stream.average_rate))
    except (av.FFmpegError, IndexError):
        return None
    return None
