"""What a file-level job is: the request (`Job`), its input before restoration (`PreparedInput`)
and what a run returns (`JobReport`), with where its outputs go (`output_paths`).

Data only. The two runners, the whole clip at once (`restore.jobs`) and chunk by chunk
(`restore.streamed`), both return a `JobReport`, and `restore.outputs` writes the files of
either; none of them is imported here, so `restore.estimate` can type its jobs with `Job`
without an import circle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from restore.chunks import DEFAULT_OVERLAP
from restore.config import RestoreConfig
from restore.errors import InputError
from restore.methods.base import MethodResult


@dataclass
class Job:
    """One restoration request, as the CLI or the app states it."""

    input: Path  # video file or folder of frames
    task: str  # "inpaint" or "denoise"
    config: RestoreConfig
    output: Path | None = None  # restored .mp4; default: ./<input stem>_restored.mp4
    mask: str | None = None  # inpaint: boxes | center | objects:<sequence> | path
    box_size: int | None = None
    mask_threshold: float = 0.5
    mask_invert: bool = False
    mask_dilate: int = 0
    mask_resize: bool = False
    mask_track: bool = False  # the mask's first image marks an object, tracked over the clip
    davis_root: Path | None = None  # for objects:<sequence> masks
    add_noise: str | None = None  # denoise: "kind[:level]" synthetic noise on a clean clip
    noise_mask: bool = False  # denoise with impulse noise: treat the hit pixels as holes
    start: int = 0
    max_frames: int | None = None
    resize: tuple[int, int] | None = None  # (W, H)
    compare: bool = False  # also write <stem>.compare.mp4 (corrupted | restored)
    save_model: bool = False  # also write <stem>.model.pt
    save_frames: bool = False  # also write PNG frames to <stem>_frames/
    preview: bool = False  # also write <stem>.preview.png (mask overlay on the first frame)
    input_name: str | None = None  # how reports name the input (the app: the visitor's file name)
    quick_stop: bool = False  # when stopped: PSNR only, no side-by-side video (seconds)
    chunk_frames: int | None = None  # frames per chunk (overlap included); None: from memory
    chunk_overlap: int = DEFAULT_OVERLAP  # frames shared (cross-faded) by neighbouring chunks
    scheduler: str | None = None  # run the chunks on Dask: "local" or "tcp://HOST:PORT"
    workers: int = 2  # worker processes of a `--scheduler local` cluster
    auto_chunk: bool = False  # stream a clip too long to restore whole (the CLI and the app: on)

    def to_dict(self) -> dict[str, Any]:
        """The request's fields but the config, paths as strings (the ``job`` section of
        ``<stem>.config.json``)."""
        data = {k: v for k, v in vars(self).items() if k != "config"}
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in data.items()}


@dataclass
class PreparedInput:
    """A job's video, mask and reference, before restoration.

    For a whole-clip run, the clip. A chunked run never holds the clip: the ``on_prepared``
    callback gets its first chunk, and its report the display samples (`restore.streamed`).
    """

    corrupted: torch.Tensor  # (T,3,H,W): what the method sees (holes zeroed)
    mask: torch.Tensor | None  # (T,1,H,W), 1 = missing; None when denoising
    clean: torch.Tensor | None  # the reference when the corruption is synthetic
    fps: float
    notes: list[str] = field(default_factory=list)
    # The clip as decoded, before the holes were cut (a user's own mask has no ``clean``
    # reference, yet "before" should show what the user uploaded); None when it is ``clean``.
    original: torch.Tensor | None = None

    @property
    def before(self) -> torch.Tensor:
        """What the clip looked like before the corruption: the reference, the decoded clip,
        or, when neither is kept, the corrupted input."""
        for frames in (self.clean, self.original):
            if frames is not None:
                return frames
        return self.corrupted


@dataclass
class JobReport:
    """What a run of a job produced: the same type from both runners."""

    outputs: dict[str, Path]
    record: dict[str, Any]  # what <stem>.metrics.json holds
    result: MethodResult
    prepared: PreparedInput

    @property
    def metrics(self) -> dict[str, Any] | None:
        """Scores of the input and of the result (None without a reference)."""
        return self.record["scores"]

    @property
    def job_timings(self) -> dict[str, Any]:
        """Seconds of the job's phases (``total_seconds`` in both runners) and its budget."""
        return self.record["job_timings"]


def output_paths(job: Job) -> dict[str, Path]:
    """Where each output of ``job`` goes (sidecars share the video's stem)."""
    video = job.output or Path.cwd() / f"{Path(job.input).stem}_restored.mp4"
    if video.suffix.lower() not in (".mp4", ".m4v"):
        raise InputError(f"output {video} must end in .mp4")
    stem = video.with_suffix("")
    paths = {
        "video": video,
        "metrics": Path(f"{stem}.metrics.json"),
        "config": Path(f"{stem}.config.json"),
    }
    if job.compare:
        paths["compare"] = Path(f"{stem}.compare.mp4")
    if job.save_model:
        paths["model"] = Path(f"{stem}.model.pt")
    if job.save_frames:
        paths["frames"] = Path(f"{stem}_frames")
    if job.preview:
        paths["preview"] = Path(f"{stem}.preview.png")
    return paths
