"""Write frames ``(T, 3, H, W)`` float in [0, 1] as a browser-playable H.264 MP4 or as PNG files.

Video goes through PyAV (libx264 bundled in its wheel): OpenCV's pip wheels cannot encode H.264,
and no ffmpeg binary is needed. Every write is atomic (see `restore.io.atomic`): an interrupted or
failed write leaves no partial output.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import Tensor

from masks.checks import check_mask, check_video
from restore.errors import InputError
from restore.io.atomic import atomic_write_bytes
from restore.io.streaming import MP4_EXTENSIONS, VideoWriter
from restore.io.video import check_fps, frames_to_uint8


def write_video(path: str | os.PathLike[str], frames: Tensor, fps: float, *, crf: int = 18) -> Path:
    """Encode frames as H.264 (libx264, yuv420p) in an MP4 that browsers play.

    The MP4 index is put at the front (``movflags=+faststart``) so playback starts before the
    download ends. yuv420p needs even sizes: when ``H`` or ``W`` is odd, the bottom row or right
    column is replicated once, so the file is ``H + H % 2`` by ``W + W % 2`` (crop it off with
    slicing after reading if needed). The write is atomic: the video is encoded to a
    hidden temporary file in the same folder and moved onto ``path`` only when complete.

    Args:
        path: destination ``.mp4`` (or ``.m4v``); parent folders are created, an existing file is
            replaced.
        frames: ``(T, 3, H, W)`` float RGB in [0, 1] (values outside are clipped); any device.
        fps: frames per second, > 0.
        crf: x264 constant rate factor, 0 (lossless) to 51 (worst); 18 is visually lossless.

    Returns:
        ``path`` as a ``Path``.

    Raises:
        ValueError: ``frames`` is not ``(T, 3, H, W)`` float or holds NaN/inf; ``fps`` or ``crf``
            is out of range.
        InputError: ``path`` does not end in ``.mp4``/``.m4v``.
    """
    destination = Path(path)
    if destination.suffix.lower() not in MP4_EXTENSIONS:
        raise InputError(
            f"output {destination}: expected a .mp4 file name, got suffix {destination.suffix!r}"
        )
    check_video(frames, "frames", values=False)
    fps = check_fps(fps)
    if isinstance(crf, bool) or not isinstance(crf, int) or not 0 <= crf <= 51:
        raise InputError(f"crf: expected an integer in [0, 51], got {crf!r}")
    if not bool(torch.isfinite(frames).all()):
        raise InputError("frames: expected finite values in [0, 1], got NaN or infinity")
    # One encoder for whole clips and streamed chunks: `VideoWriter` converts frame by frame, so a
    # long video never exists as a whole uint8 copy, and renames atomically when complete.
    with VideoWriter(destination, fps, crf=crf) as writer:
        writer.write_checked(frames)
    return destination


def write_frames(
    directory: str | os.PathLike[str],
    frames: Tensor,
    *,
    prefix: str = "",
    start_index: int = 0,
) -> list[Path]:
    """Write each frame as a lossless PNG named ``{prefix}{index:05d}.png``.

    Each file is written atomically, so a reader never sees a truncated PNG.

    Args:
        directory: destination folder; created if missing. Existing files of the same names are
            replaced, others are left alone.
        frames: ``(T, 3, H, W)`` float RGB in [0, 1] (values outside are clipped); any device.
        prefix: text before the index in every file name.
        start_index: index of the first frame's file (``00000`` by default).

    Returns:
        The ``T`` written paths, in frame order.

    Raises:
        ValueError: ``frames`` is not ``(T, 3, H, W)`` float, or ``start_index`` is negative.
    """
    check_video(frames, "frames", values=False)
    if isinstance(start_index, bool) or not isinstance(start_index, int) or start_index < 0:
        raise InputError(f"start_index: expected an integer >= 0, got {start_index!r}")
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for index in range(frames.shape[0]):
        bgr = cv2.cvtColor(_frame_to_uint8(frames, index), cv2.COLOR_RGB2BGR)
        ok, encoded = cv2.imencode(".png", bgr)
        if not ok:
            raise RuntimeError(f"OpenCV could not encode frame {index} as PNG")
        target = folder / f"{prefix}{start_index + index:05d}.png"
        written.append(atomic_write_bytes(target, encoded.tobytes()))
    return written


def write_mask_frames(directory: str | os.PathLike[str], mask: Tensor) -> list[Path]:
    """Write each frame of a mask as an 8-bit gray PNG ``{index:05d}.png``, 255 = hole.

    Each file is written atomically. The folder reads back with ``--mask FOLDER``.

    Args:
        directory: destination folder; created if missing.
        mask: ``(T, 1, H, W)`` float mask, 1 = missing (thresholded at 0.5).

    Returns:
        The ``T`` written paths, in frame order.
    """
    check_mask(mask, values=False)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for index in range(mask.shape[0]):
        gray = np.where(mask[index, 0].cpu().numpy() > 0.5, 255, 0).astype(np.uint8)
        ok, encoded = cv2.imencode(".png", gray)
        if not ok:
            raise RuntimeError(f"OpenCV could not encode mask frame {index} as PNG")
        written.append(atomic_write_bytes(folder / f"{index:05d}.png", encoded.tobytes()))
    return written


def check_output_path(
    output: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str] | None]
) -> Path:
    """Refuse an output path that would overwrite an input, then create its parent folders.

    Args:
        output: the file (or frame folder) about to be written.
        inputs: paths read by the same run (the input video first, then masks etc.); ``None``
            entries are ignored.

    Returns:
        ``output`` as a ``Path`` (with ``~`` expanded).

    Raises:
        InputError: ``output`` resolves to the same file as one of ``inputs``.
    """
    target = Path(output).expanduser()
    for position, source in enumerate(inputs):
        if source is not None and _same_file(target, Path(source).expanduser()):
            what = "the input video" if position == 0 else f"an input file ({source})"
            raise InputError(f"output {target} is {what}; choose another -o")
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _same_file(first: Path, second: Path) -> bool:
    """Whether two paths name one file (through links and ``..`` too), existing or not."""
    if first.exists() and second.exists():
        return os.path.samefile(first, second)
    return first.resolve() == second.resolve()


def _frame_to_uint8(frames: Tensor, index: int) -> np.ndarray:
    """Frame ``index`` of ``(T, 3, H, W)`` float frames as ``(H, W, 3)`` uint8 RGB."""
    return frames_to_uint8(frames[index : index + 1])[0]
