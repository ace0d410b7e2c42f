"""Streamed video I/O: frames in chunks, so that no clip is ever held whole as float32.

``probe_video`` reads a clip's facts (frame count, size, fps) without keeping frames;
``iter_frames`` decodes one ``(H, W, 3)`` uint8 RGB frame at a time (PyAV, OpenCV as fallback,
or a folder of images); ``read_chunks`` groups them into ``(n, 3, H, W)`` float32 chunks of the
project's layout. ``VideoWriter`` encodes H.264 chunk by chunk into a hidden temporary file and
renames it onto the destination only when closed without error (see `restore.io.atomic`).
Memory is one chunk plus the codec's few frames, whatever the clip's length.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import torch
from torch import Tensor

from masks.checks import check_video
from restore.errors import InputError
from restore.io.atomic import temporary_sibling
from restore.io.sources import (
    DEFAULT_FOLDER_FPS,
    check_options,
    check_source,
    folder_frame_files,
    rate_or_default,
    resize_image,
)
from restore.io.video import check_fps, frames_to_uint8, uint8_to_frames

MP4_EXTENSIONS = (".mp4", ".m4v")
_BT601 = 6  # ITU-R BT.601 tags, as `restore.io.writing` writes them
_LIMITED_RANGE = 1


@dataclass(frozen=True)
class VideoInfo:
    """What a streamed reader needs to know before the first chunk."""

    num_frames: int  # frames after start/max_frames
    height: int  # after resize
    width: int
    fps: float
    source: str


def iter_frames(
    path: str | os.PathLike[str],
    *,
    start: int = 0,
    max_frames: int | None = None,
    resize: tuple[int, int] | None = None,
) -> Iterator[np.ndarray]:
    """Decodes frames ``start:start + max_frames`` one at a time.

    Video files are decoded with PyAV (FFmpeg's libraries, bundled in its wheel); if PyAV cannot
    open the file or fails before its first frame, OpenCV's ``VideoCapture`` gets a second try.
    Folders are read with OpenCV in natural name order. Decoding stops after
    ``start + max_frames`` frames, so a long clip is never decoded further than asked.

    Args:
        path: a video file (``.mp4 .mov .avi .mkv .webm .m4v``) or a folder of ``.jpg``/
            ``.jpeg``/``.png`` frames (natural name order, so ``2.png`` precedes ``10.png``;
            hidden files are skipped). All frames of a folder must have the same size.
        start: leading frames to skip.
        max_frames: at most this many frames; None: to the end.
        resize: ``(width, height)`` for every frame, with ``INTER_AREA`` when shrinking and
            ``INTER_CUBIC`` when enlarging.

    Yields:
        ``(H, W, 3)`` uint8 RGB frames.

    Raises:
        InputError: a missing or unsupported path, an unreadable file or image, a folder without
            frames or with frames of different sizes; invalid ``start``/``max_frames``/``resize``.
    """
    check_options(start, max_frames, resize, None)
    return decode_frames(check_source(path), start=start, max_frames=max_frames, resize=resize)


def decode_frames(
    source: Path, *, start: int, max_frames: int | None, resize: tuple[int, int] | None
) -> Iterator[np.ndarray]:
    """`iter_frames` for a caller that has checked its path and options already (`read_video`).

    Yields:
        ``(H, W, 3)`` uint8 RGB frames, as `iter_frames`.
    """
    stop = None if max_frames is None else start + max_frames
    if source.is_dir():
        yield from _read_folder(source, start, stop, resize)
        return
    yielded = 0
    try:
        for image in _decode_with_pyav(source, start, stop, resize):
            yielded += 1
            yield image
        return
    except av.FFmpegError as error:
        reason = error.strerror or str(error)
        if yielded:  # half a clip from PyAV and the rest from OpenCV would not line up
            raise InputError(f"cannot read video {source}: {reason}") from None
    yield from _decode_with_opencv(source, start, stop, resize, reason)


def _read_folder(
    folder: Path, start: int, stop: int | None, resize: tuple[int, int] | None
) -> Iterator[np.ndarray]:
    """Images ``start:stop`` of a folder as ``(H, W, 3)`` uint8 RGB, each checked for its size."""
    first_size: tuple[int, int] | None = None
    for file in folder_frame_files(folder)[start:stop]:
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
        yield resize_image(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), resize)


def _decode_with_pyav(
    file: Path, start: int, stop: int | None, resize: tuple[int, int] | None
) -> Iterator[np.ndarray]:
    """Frames ``start:stop`` of a file decoded by PyAV; raises ``av.FFmpegError`` on failure."""
    with av.open(str(file)) as container:
        if not container.streams.video:
            raise InputError(f"cannot read video {file}: it has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for decoded, frame in enumerate(container.decode(stream)):
            if stop is not None and decoded >= stop:
                break
            if decoded >= start:
                yield resize_image(frame.to_ndarray(format="rgb24"), resize)


def _decode_with_opencv(
    file: Path, start: int, stop: int | None, resize: tuple[int, int] | None, pyav_reason: str
) -> Iterator[np.ndarray]:
    """Frames ``start:stop`` of a file decoded by OpenCV, the fallback when PyAV failed.

    Raises:
        InputError: OpenCV cannot open the file or decodes no frame of it either; the message
            gives PyAV's reason, the more telling of the two.
    """
    capture = cv2.VideoCapture(str(file))
    try:
        decoded = 0
        while capture.isOpened() and (stop is None or decoded < stop):
            ok, bgr = capture.read()
            if not ok:
                break
            if decoded >= start:
                yield resize_image(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), resize)
            decoded += 1
    finally:
        capture.release()
    if decoded == 0:
        raise InputError(f"cannot read video {file}: {pyav_reason}")


def probe_video(
    path: str | os.PathLike[str],
    *,
    start: int = 0,
    max_frames: int | None = None,
    resize: tuple[int, int] | None = None,
) -> VideoInfo:
    """Frame count, size and fps of a clip, keeping no frames.

    A file's frame count is counted from its packets (demuxing, no decoding), which is exact for
    the constant-frame-rate files this project writes and reads; a folder counts its images.

    Raises:
        InputError: as `iter_frames`, or when no frame is left after ``start``.
    """
    check_options(start, max_frames, resize, None)
    source = check_source(path)
    if source.is_dir():
        files = folder_frame_files(source)
        total, fps = len(files), DEFAULT_FOLDER_FPS
        first = cv2.imread(str(files[0]), cv2.IMREAD_COLOR)
        if first is None:
            raise InputError(f"cannot read image {files[0]}")
        height, width = first.shape[:2]
    else:
        try:
            with av.open(str(source)) as container:
                if not container.streams.video:
                    raise InputError(f"cannot read video {source}: it has no video stream")
                stream = container.streams.video[0]
                fps = rate_or_default(stream.average_rate or stream.guessed_rate)
                height, width = stream.codec_context.height, stream.codec_context.width
                total = sum(1 for packet in container.demux(stream) if packet.size > 0)
        except av.FFmpegError as error:
            raise InputError(f"cannot read video {source}: {error.strerror or error}") from None
    available = max(total - start, 0)
    count = available if max_frames is None else min(max_frames, available)
    if total == 0:
        raise InputError(f"video {source} has no frames")
    if count == 0:
        raise InputError(f"video {source} has {total} frames; --start {start} leaves none")
    if resize is not None:
        width, height = resize
    return VideoInfo(count, int(height), int(width), fps, str(source))


def read_chunks(
    path: str | os.PathLike[str],
    chunk_frames: int,
    *,
    start: int = 0,
    max_frames: int | None = None,
    resize: tuple[int, int] | None = None,
) -> Iterator[Tensor]:
    """Decodes a clip as consecutive chunks of ``chunk_frames`` frames (the last may be shorter).

    Yields:
        ``(n, 3, H, W)`` float32 RGB in [0, 1], ``1 <= n <= chunk_frames``.
    """
    if isinstance(chunk_frames, bool) or not isinstance(chunk_frames, int) or chunk_frames < 1:
        raise InputError(f"chunk_frames: expected an integer >= 1, got {chunk_frames!r}")
    images: list[np.ndarray] = []
    for image in iter_frames(path, start=start, max_frames=max_frames, resize=resize):
        if images and image.shape != images[0].shape:
            raise InputError(f"frame size changes within {path}; pass --resize to read it")
        images.append(image)
        if len(images) == chunk_frames:
            yield uint8_to_frames(np.stack(images))
            images = []
    if images:
        yield uint8_to_frames(np.stack(images))


class VideoWriter:
    """An H.264 MP4 written chunk by chunk and renamed onto its path only when complete.

    Use as a context manager: ``with VideoWriter(path, fps) as writer: writer.write(chunk)``.
    Leaving the block with an exception deletes the temporary file; the destination is then
    untouched. Odd sizes are padded as `restore.io.write_video` pads them.

    Args:
        path: destination ``.mp4``/``.m4v``; parent folders are created.
        fps: frames per second, > 0.
        crf: x264 constant rate factor, 0 to 51.
    """

    def __init__(self, path: str | os.PathLike[str], fps: float, *, crf: int = 18) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() not in MP4_EXTENSIONS:
            raise InputError(
                f"output {self.path}: expected a .mp4 file name, got suffix {self.path.suffix!r}"
            )
        self.fps = check_fps(fps)
        if isinstance(crf, bool) or not isinstance(crf, int) or not 0 <= crf <= 51:
            raise InputError(f"crf: expected an integer in [0, 51], got {crf!r}")
        self.crf = crf
        self.frames_written = 0
        self._container = None
        self._stream = None
        self._temporary: Path | None = None
        self._size: tuple[int, int] | None = None

    def __enter__(self) -> VideoWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._temporary = temporary_sibling(self.path)
        self._container = av.open(
            str(self._temporary), "w", format="mp4", container_options={"movflags": "+faststart"}
        )
        return self

    def write(self, frames: Tensor) -> None:
        """Encodes ``(n, 3, H, W)`` float RGB frames in [0, 1] (clipped); every chunk one size."""
        if self._container is None:
            raise RuntimeError("VideoWriter.write outside its `with` block")
        check_video(frames, "frames", values=False)
        if not bool(torch.isfinite(frames).all()):
            raise InputError("frames: expected finite values in [0, 1], got NaN or infinity")
        self.write_checked(frames)

    def write_checked(self, frames: Tensor) -> None:
        """``write`` for frames already checked (``write_video`` checks before it opens the
        file, so that a bad clip leaves nothing behind)."""
        height, width = int(frames.shape[2]), int(frames.shape[3])
        if self._stream is None:
            stream = self._container.add_stream(
                "libx264",
                rate=Fraction(self.fps).limit_denominator(1001),
                options={"crf": str(self.crf)},
            )
            stream.width, stream.height = width + width % 2, height + height % 2
            stream.pix_fmt = "yuv420p"
            context = stream.codec_context
            context.colorspace = context.color_primaries = context.color_trc = _BT601
            context.color_range = _LIMITED_RANGE
            self._stream, self._size = stream, (height, width)
        elif (height, width) != self._size:
            raise InputError(
                f"frames: expected {self._size[1]}x{self._size[0]} like the first chunk, "
                f"got {width}x{height}"
            )
        for index in range(frames.shape[0]):
            image = _pad_to_even(_frame_to_uint8(frames, index))
            for packet in self._stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                self._container.mux(packet)
        self.frames_written += int(frames.shape[0])

    def __exit__(self, kind, error, traceback) -> None:
        container, self._container = self._container, None
        try:
            if kind is None:
                if self._stream is None:
                    raise InputError(f"output {self.path}: no frames were written")
                for packet in self._stream.encode():
                    container.mux(packet)
            container.close()
        except BaseException:
            self._temporary.unlink(missing_ok=True)
            raise
        if kind is None:
            os.replace(self._temporary, self.path)
        else:
            self._temporary.unlink(missing_ok=True)


def _frame_to_uint8(frames: Tensor, index: int) -> np.ndarray:
    """Frame ``index`` of ``(T, 3, H, W)`` float frames as ``(H, W, 3)`` uint8 RGB."""
    return frames_to_uint8(frames[index : index + 1])[0]


def _pad_to_even(image: np.ndarray) -> np.ndarray:
    """Replicate the last row/column of an ``(H, W, 3)`` image once where ``H``/``W`` is odd."""
    pad_bottom, pad_right = image.shape[0] % 2, image.shape[1] % 2
    if not (pad_bottom or pad_right):
        return image
    return np.pad(image, ((0, pad_bottom), (0, pad_right), (0, 0)), mode="edge")
