"""Read a video file or a folder of frames into a `Video` ``(T, 3, H, W)`` float32 in [0, 1].

Video files are decoded with PyAV (FFmpeg's libraries, bundled in its wheel); if PyAV cannot
open or decode a file, OpenCV's ``VideoCapture`` gets a second try. Folders of ``.jpg``/``.jpeg``/
``.png`` frames are read with OpenCV in natural name order. Only the frames asked for are kept:
decoding stops after ``start + max_frames`` frames, so a long video does not fill the memory.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import av
import cv2
import numpy as np

from restore.errors import InputError
from restore.io.video import Video, check_fps, uint8_to_frames

VIDEO_EXTENSIONS = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
DEFAULT_FOLDER_FPS = 25.0
"""Frame rate given to a folder of frames when the caller does not pass ``fps``."""

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
    _check_options(start, max_frames, resize, fps)
    source = Path(path)
    if not source.exists():
        raise InputError(f"video not found: {source}")
    stop = None if max_frames is None else start + max_frames
    if source.is_dir():
        images, total = _read_folder(source, start, stop, resize)
        default_fps = DEFAULT_FOLDER_FPS
        kind = "folder"
    elif source.suffix.lower() in VIDEO_EXTENSIONS:
        images, total, default_fps = _read_file(source, start, stop, resize)
        kind = "video"
    else:
        raise InputError(
            f"unsupported video extension {source.suffix!r} for {source}; expected a video file "
            f"({' '.join(VIDEO_EXTENSIONS)}) or a folder of .jpg/.jpeg/.png frames"
        )
    if total == 0:
        raise InputError(f"{kind} {source} has no frames")
    if not images:
        raise InputError(f"{kind} {source} has {total} frames; --start {start} leaves none")
    if any(image.shape != images[0].shape for image in images):
        raise InputError(f"frame size changes within {source}; pass --resize to read it")
    return Video(
        frames=uint8_to_frames(np.stack(images)),
        fps=default_fps if fps is None else float(fps),
        source=str(source),
    )


def _check_options(start: object, max_frames: object, resize: object, fps: object) -> None:
    """Raise `InputError` for option values `read_video` cannot honour."""
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


def _resize(image: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    """Resize an ``(H, W, 3)`` uint8 image to ``size = (W, H)`` (uint8 saturation clips)."""
    if size is None or (image.shape[1], image.shape[0]) == tuple(size):
        return image
    shrinking = size[0] <= image.shape[1] and size[1] <= image.shape[0]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    return cv2.resize(image, tuple(size), interpolation=interpolation)


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


def _read_folder(
    folder: Path, start: int, stop: int | None, resize: tuple[int, int] | None
) -> tuple[list[np.ndarray], int]:
    """Read frames ``start:stop`` of a folder: ``(H, W, 3)`` uint8 RGB images, and the total."""
    files = folder_frame_files(folder)
    images = []
    first_size: tuple[int, int] | None = None
    for file in files[start:stop]:
        bgr = cv2.imread(str(file), cv2.IMREAD_COLOR)
        if bgr is None:
            raise InputError(f"cannot read image {file}")
        size = (bgr.shape[1], bgr.shape[0])
        if first_size is None:
            first_size, first_file = size, file
        elif size != first_size:
            raise InputError(
                f"frame {file} is {size[0]}x{size[1]}, but {first_file.name} is "
                f"{first_size[0]}x{first_size[1]}; all frames of a folder must have one size"
            )
        images.append(_resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), resize))
    return images, len(files)


def _read_file(
    file: Path, start: int, stop: int | None, resize: tuple[int, int] | None
) -> tuple[list[np.ndarray], int, float]:
    """Decode frames ``start:stop`` of a video file with PyAV, falling back to OpenCV.

    Returns:
        ``(H, W, 3)`` uint8 RGB images, the number of frames decoded (the file's total when
        ``stop`` was not reached) and the file's frame rate (25 if unknown).
    """
    try:
        return _decode_with_pyav(file, start, stop, resize)
    except av.FFmpegError as pyav_error:
        reason = pyav_error.strerror or str(pyav_error)
        result = _decode_with_opencv(file, start, stop, resize)
        if result is None:
            raise InputError(f"cannot read video {file}: {reason}") from None
        return result


def _decode_with_pyav(
    file: Path, start: int, stop: int | None, resize: tuple[int, int] | None
) -> tuple[list[np.ndarray], int, float]:
    """PyAV decoder behind `_read_file`; raises ``av.FFmpegError`` when FFmpeg fails."""
    with av.open(str(file)) as container:
        if not container.streams.video:
            raise InputError(f"cannot read video {file}: it has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate
        images = []
        decoded = 0
        for frame in container.decode(stream):
            if decoded >= start:
                images.append(_resize(frame.to_ndarray(format="rgb24"), resize))
            decoded += 1
            if stop is not None and decoded >= stop:
                break
    return images, decoded, float(rate) if rate else DEFAULT_FOLDER_FPS


def _decode_with_opencv(
    file: Path, start: int, stop: int | None, resize: tuple[int, int] | None
) -> tuple[list[np.ndarray], int, float] | None:
    """OpenCV decoder behind `_read_file`; ``None`` when OpenCV cannot read any frame either."""
    capture = cv2.VideoCapture(str(file))
    try:
        if not capture.isOpened():
            return None
        rate = capture.get(cv2.CAP_PROP_FPS)
        images = []
        decoded = 0
        while stop is None or decoded < stop:
            ok, bgr = capture.read()
            if not ok:
                break
            if decoded >= start:
                images.append(_resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), resize))
            decoded += 1
    finally:
        capture.release()
    if decoded == 0:
        return None
    return images, decoded, float(rate) if rate and rate > 0 else DEFAULT_FOLDER_FPS


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
