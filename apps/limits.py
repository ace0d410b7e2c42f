"""What one visitor may ask of the app: upload size, frames, resolution, epochs and model size.

Every value a visitor can type or upload is checked here, once, before anything is fitted. A
refusal is an `InputError` with one line that names the limit and says how to get under it (choose
a working resolution, trim the clip under Advanced), so the app can show it as is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from restore.errors import InputError
from restore.io import container_frame_count, parse_resize, read_video
from restore.resolution import method_work_size


@dataclass(frozen=True)
class Limits:
    """Bounds on one request; `build_app(limits=...)` takes another set (tests use small ones)."""

    max_upload_mb: float = 200.0  # largest uploaded file (Gradio refuses bigger uploads too)
    max_frames: int = 3000  # frames after trimming; beyond what fits in memory whole, the clip
    # is restored in chunks (`restore.streamed.wants_chunks`): time grows with the frames
    max_long_side: int = 1280  # working resolution: longer side, px
    max_short_side: int = 720  # working resolution: shorter side, px
    min_side: int = 16  # working resolution: smallest side, px (the decoder upsamples 32x+)
    # The clip itself, held at its own size for the result (long clips are restored in chunks,
    # so its frames bound the memory only through a chunk): 4K UHD
    max_input_long_side: int = 3840
    max_input_short_side: int = 2160
    max_epochs: int = 1000
    min_model_size: float = 0.01  # millions of parameters
    max_model_size: float = 5.0
    max_queue: int = 8  # visitors waiting for the fitter; later ones are turned away

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def resolution_text(self) -> str:
        return f"{self.max_long_side}x{self.max_short_side}"

    def fits(self, width: int, height: int) -> bool:
        """Whether a working resolution of ``width`` x ``height`` is within the limits."""
        long_side, short_side = max(width, height), min(width, height)
        return long_side <= self.max_long_side and short_side <= self.max_short_side

    def largest_within(self, width: int, height: int) -> tuple[int, int]:
        """The largest working resolution of the clip's aspect ratio within the limits."""
        long_side, short_side = max(width, height), min(width, height)
        scale = min(1.0, self.max_long_side / long_side, self.max_short_side / short_side)
        return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class VideoInfo:
    """What the app needs to know about an upload before decoding all of it."""

    name: str  # the file name the visitor uploaded (never a server path)
    width: int
    height: int
    fps: float
    num_frames: int  # frames in the file (counted when the container does not say)

    @property
    def seconds(self) -> float:
        return self.num_frames / self.fps if self.fps > 0 else 0.0

    def describe(self) -> str:
        frames = f"{self.num_frames} frame{'' if self.num_frames == 1 else 's'}"
        return (
            f"{self.name}: {self.width}x{self.height}, {frames}, "
            f"{self.fps:g} fps ({self.seconds:.1f} s)"
        )


def probe_video(path: Path, name: str, limits: Limits = DEFAULT_LIMITS) -> VideoInfo:
    """Size, frame rate and frame count of an uploaded video, without decoding all of it.

    The first frame is read with the engine's reader, so an unreadable file (a text file renamed
    ``.mp4``) fails with the engine's message. The frame count comes from the container; when it
    does not say, the frames are decoded at 16x16 and counted (the upload limit bounds the cost).

    Args:
        path: the uploaded file (already checked to be one of Gradio's uploads).
        name: the visitor's file name, used in messages instead of the server path.
        limits: ``max_upload_mb`` is checked here.

    Raises:
        InputError: too large, unreadable, or no frames.
    """
    size = path.stat().st_size
    if size > limits.max_upload_bytes:
        raise InputError(
            f"{name} is {size / 2**20:.0f} MB; the limit is {limits.max_upload_mb:g} MB — trim or "
            "compress the clip before uploading it"
        )
    if size == 0:
        raise InputError(f"{name} is empty (0 bytes)")
    try:
        first = read_video(path, max_frames=1)
    except InputError as error:
        raise InputError(_hide_path(str(error), path, name)) from None
    height, width = first.height, first.width
    num_frames = container_frame_count(path)
    if num_frames is None:
        # Count by decoding at 16x16: cheap in memory, and a corrupt tail shows up here, not later.
        num_frames = read_video(path, resize=(16, 16)).num_frames
    return VideoInfo(name, width, height, first.fps, num_frames)


def _hide_path(message: str, path: Path, name: str) -> str:
    """Engine messages name the server-side upload path; visitors know only their file name."""
    return message.replace(str(path), name)


_HEIGHT_ONLY = re.compile(r"^\s*(\d+)\s*p\s*$", re.IGNORECASE)


def parse_working_resolution(text: str | None, info: VideoInfo) -> tuple[int, int] | str:
    """The ``RestoreConfig.work_size`` for a working-resolution choice: ``auto`` (blank),
    ``original``, ``240p`` or ``432x240``. The result keeps the clip's own size whatever it is.

    ``<H>p`` keeps the clip's aspect ratio (width rounded to an even number, as H.264 wants).

    Returns:
        ``"auto"``, ``"full"`` (the clip's own size) or ``(width, height)``.

    Raises:
        InputError: not one of the four forms.
    """
    text = (text or "").strip()
    if text.lower() in ("", "auto"):
        return "auto"
    if text.lower() == "original":
        return "full"
    match = _HEIGHT_ONLY.match(text)
    if match:
        height = int(match.group(1))
        width = max(2, 2 * round(info.width * height / info.height / 2))
        return width, height
    try:
        return parse_resize(text)
    except InputError:
        raise InputError(
            f"working resolution: expected 'auto', 'original', a height such as 240p, or "
            f"WIDTHxHEIGHT such as 432x240, got {text!r}"
        ) from None


def working_size(
    choice: tuple[int, int] | str, info: VideoInfo, *, neural: bool, limits: Limits = DEFAULT_LIMITS
) -> tuple[int, int] | str:
    """The work size to run with for a parsed choice: ``auto`` resolved as the engine resolves
    it for this method, and brought within the limits if the clip's own size is not."""
    if choice != "auto":
        return choice
    size = method_work_size("auto", info.height, info.width, neural=neural)
    width, height = size if size is not None else (info.width, info.height)
    if limits.fits(width, height):
        return "auto"
    return limits.largest_within(info.width, info.height)


def check_request(
    info: VideoInfo,
    *,
    work_size: tuple[int, int] | str = "full",
    neural: bool = False,
    start: int,
    max_frames: int | None,
    limits: Limits = DEFAULT_LIMITS,
) -> int:
    """Check trimming, the clip's size and the working resolution against the limits; returns
    the frames to restore.

    Args:
        work_size: what the method will work at (``working_size``'s result).
        neural: whether the method is neural (``auto`` scales neural methods only).

    Raises:
        InputError: naming the limit and the setting under Advanced that gets under it.
    """
    if start < 0 or start >= info.num_frames:
        raise InputError(
            f"first frame {start} is outside the video ({info.num_frames} frames: 0 to "
            f"{info.num_frames - 1})"
        )
    available = info.num_frames - start
    frames = available if max_frames is None else min(max_frames, available)
    if frames > limits.max_frames:
        raise InputError(
            f"{info.name} has {available} frames from frame {start} ({available / info.fps:.1f} s "
            f"at {info.fps:g} fps); the limit is {limits.max_frames} frames — set 'number of "
            "frames' under Advanced to trim it"
        )
    long_side, short_side = max(info.width, info.height), min(info.width, info.height)
    if long_side > limits.max_input_long_side or short_side > limits.max_input_short_side:
        raise InputError(
            f"{info.name} is {info.width}x{info.height}; the largest clip the app restores is "
            f"{limits.max_input_long_side}x{limits.max_input_short_side} — downscale it before "
            "uploading"
        )
    size = method_work_size(work_size, info.height, info.width, neural=neural)
    width, height = size if size is not None else (info.width, info.height)
    if not limits.fits(width, height):
        fitting = limits.largest_within(width, height)[1]
        what = "the working resolution" if size is not None else f"{info.name}"
        raise InputError(
            f"{what} is {width}x{height}; the limit is {limits.resolution_text} — choose a "
            f"working resolution under Advanced (e.g. {fitting}p); the result keeps the clip's "
            "own size"
        )
    if min(width, height) < limits.min_side:
        raise InputError(
            f"the working resolution {width}x{height} is too small; each side needs at least "
            f"{limits.min_side} px"
        )
    return frames


def check_settings(epochs: float | None, model_size: float | None, limits: Limits) -> None:
    """Epochs and model size typed under Advanced (None: the preset's value)."""
    if epochs is not None and not (1 <= epochs <= limits.max_epochs and float(epochs).is_integer()):
        raise InputError(
            f"epochs: expected a whole number from 1 to {limits.max_epochs}, got {epochs}"
        )
    if model_size is not None and not (
        limits.min_model_size <= model_size <= limits.max_model_size
    ):
        raise InputError(
            f"model size: expected {limits.min_model_size:g} to {limits.max_model_size:g} million "
            f"parameters, got {model_size}"
        )
