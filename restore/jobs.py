"""File-level restoration jobs: read a video, corrupt or mask it, restore it, write the results.

The CLI and the Gradio app both run ``run_job``; it calls ``restore.api.restore`` for the maths.
Everything is validated before anything is written, outputs go through temporary files and
renames, and the input is never overwritten.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

import masks
from masks.checks import fail
from restore.api import TASKS, restore
from restore.chunks import DEFAULT_OVERLAP
from restore.cluster import check_scheduler
from restore.config import RestoreConfig
from restore.errors import InputError
from restore.estimate import finishing_seconds
from restore.fit import FitProgress
from restore.io import (
    atomic_write_bytes,
    atomic_write_text,
    check_output_path,
    read_video,
    side_by_side,
    uint8_to_frames,
    write_frames,
    write_video,
)
from restore.methods import MethodResult
from restore.metrics import summarize
from restore.streamed import run_chunked_job, wants_chunks


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


@dataclass
class PreparedInput:
    """A job's video, mask and reference, before restoration."""

    corrupted: torch.Tensor  # (T,3,H,W): what the method sees (holes zeroed)
    mask: torch.Tensor | None  # (T,1,H,W), 1 = missing; None when denoising
    clean: torch.Tensor | None  # the reference when the corruption is synthetic
    fps: float
    notes: list[str] = field(default_factory=list)


@dataclass
class JobReport:
    """What ``run_job`` produced."""

    outputs: dict[str, Path]
    metrics: dict[str, Any] | None
    result: MethodResult
    prepared: PreparedInput
    job_timings: dict[str, Any] = field(default_factory=dict)  # read/restore/finish/total seconds


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


def prepare_input(job: Job) -> PreparedInput:
    """Read the video and build the mask or noise (``masks.corrupt``); no file is written."""
    if job.task not in TASKS:
        raise fail("task", f"one of {', '.join(TASKS)}", repr(job.task))
    if job.task == "inpaint" and not job.mask:
        raise InputError(
            "--mask: expected boxes|center|objects:<sequence>|PATH to inpaint, got none"
        )
    video = read_video(job.input, start=job.start, max_frames=job.max_frames, resize=job.resize)
    corrupted = masks.corrupt(
        video.frames,
        mask=job.mask if job.task == "inpaint" else None,
        noise=job.add_noise if job.task == "denoise" else None,
        noise_mask=job.noise_mask,
        seed=job.config.seed,
        box_size=job.box_size,
        davis_root=job.davis_root,
        threshold=job.mask_threshold,
        invert=job.mask_invert,
        dilate=job.mask_dilate,
        resize=job.mask_resize,
    )
    notes = list(corrupted.notes)
    height, width = video.frames.shape[2:]
    if height % 2 or width % 2:
        notes.append(
            f"H.264 (yuv420p) needs even sides: the video is written at "
            f"{width + width % 2}x{height + height % 2} (last column/row repeated); the "
            f"restoration and --save-frames keep {width}x{height}"
        )
    clean = video.frames if corrupted.synthetic else None
    return PreparedInput(corrupted.corrupted, corrupted.mask, clean, video.fps, notes)


def score(
    prepared: PreparedInput, result: MethodResult, *, quick: bool = False
) -> dict[str, Any] | None:
    """PSNR/SSIM of the corrupted input and of the result against the reference, if known.

    ``quick``: PSNR only (whole frame and holes), for a result the user stopped early."""
    if prepared.clean is None:
        return None
    if quick:
        from restore.metrics import psnr, psnr_in_holes

        def quick_scores(video: torch.Tensor) -> dict[str, Any]:
            holes = (
                None
                if prepared.mask is None
                else psnr_in_holes(video, prepared.clean, prepared.mask)
            )
            return {"psnr": psnr(video, prepared.clean), "psnr_holes": holes}

        return {
            "input": quick_scores(prepared.corrupted),
            "restored": quick_scores(result.restored),
        }
    scores = {
        "input": summarize(prepared.corrupted, prepared.clean, prepared.mask),
        "restored": summarize(result.restored, prepared.clean, prepared.mask, raw=result.raw),
    }
    for entry in scores.values():
        entry.pop("psnr_per_frame", None)
        entry.pop("psnr_holes_per_frame", None)
    return scores


def _shape(prepared: PreparedInput) -> tuple[int, int, int]:
    frames, _, height, width = prepared.corrupted.shape
    return frames, height, width


def run_job(
    job: Job,
    *,
    on_progress: Callable[[FitProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_prepared: Callable[[PreparedInput], None] | None = None,
    on_phase: Callable[[str], None] | None = None,
    on_frames: Callable[[int, int], None] | None = None,
) -> JobReport:
    """Run one job end to end and write its outputs atomically.

    A job that names ``chunk_frames`` or a ``scheduler``, or sets ``auto_chunk`` for a clip too
    long to hold whole (`restore.streamed.WHOLE_CLIP_MEMORY`), is streamed chunk by chunk
    (`restore.streamed`): then
    ``on_frames(done, total)`` follows the finished frames, ``should_stop`` also ends the run
    after the chunk in progress, and the report's result holds only a sample of the frames (they
    went to the file as they were finished; `_run_chunked`).

    Raises:
        InputError: bad input (path, video, mask, options); nothing has been written then.
    """
    started = time.perf_counter()
    paths = output_paths(job)
    protected = [job.input] + ([Path(job.mask)] if job.mask and Path(job.mask).exists() else [])
    for path in paths.values():
        check_output_path(path, protected)
    check_scheduler(job.scheduler)
    if job.task == "inpaint" and not job.mask:
        raise InputError(
            "--mask: expected boxes|center|objects:<sequence>|PATH to inpaint, got none"
        )
    chunked, info = wants_chunks(job)
    if chunked:
        return _run_chunked(job, paths, info, on_prepared, on_frames, should_stop)
    prepared = prepare_input(job)
    if on_prepared is not None:
        on_prepared(prepared)
    prepared_at = time.perf_counter()
    config = job.config
    if config.time_budget is not None:
        # The budget covers the whole job: reading is spent, writing and scoring are reserved.
        spent = time.perf_counter() - started
        left = config.time_budget - spent - finishing_seconds(job, *_shape(prepared))
        config = dataclasses.replace(config, time_budget=max(left, 1.0))
    result = restore(
        prepared.corrupted,
        prepared.mask,
        config,
        task=job.task,
        on_progress=on_progress,
        should_stop=should_stop,
    )
    restored_at = time.perf_counter()
    phase = on_phase or (lambda name: None)
    quick = job.quick_stop and result.stopped and not result.info.get("budget_stopped")
    if quick:
        paths.pop("compare", None)
    phase("scoring" if prepared.clean is not None else "writing the restored video")
    metrics = score(prepared, result, quick=quick)
    phase("writing the restored video")
    write_video(paths["video"], result.restored, prepared.fps)
    if "compare" in paths:
        phase("writing the side-by-side video")
        write_video(
            paths["compare"],
            side_by_side(prepared.corrupted, result.restored, labels=("input", "restored")),
            prepared.fps,
        )
    if "frames" in paths:
        write_frames(paths["frames"], result.restored)
    if "model" in paths and result.model is not None:
        import io

        buffer = io.BytesIO()
        torch.save({"state_dict": result.model.state_dict(), "info": result.info}, buffer)
        atomic_write_bytes(paths["model"], buffer.getvalue())
    if "preview" in paths and prepared.mask is not None:
        import cv2
        import numpy as np

        first = masks.overlay(prepared.corrupted[0], prepared.mask[0])
        image = (first.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
        ok, encoded = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        if ok:
            atomic_write_bytes(paths["preview"], encoded.tobytes())
    phase("writing the metrics")
    report = {
        "input": job.input_name or str(job.input),
        "task": job.task,
        "frames": int(prepared.corrupted.shape[0]),
        "size": list(prepared.corrupted.shape[2:]),
        "fps": prepared.fps,
        # The mask was checked when it was built (masks.corrupt): no second check here.
        "masked_fraction": None if prepared.mask is None else float(prepared.mask.mean()),
        "timings": result.timings,
        "job_timings": {
            "read_seconds": prepared_at - started,
            "restore_seconds": restored_at - prepared_at,
            "finish_seconds": time.perf_counter() - restored_at,  # scores and outputs
            "time_budget": job.config.time_budget,
        },
        "stopped": result.stopped,
        "notes": prepared.notes
        + list(result.info.get("notes", []))
        + (["stopped early: PSNR only, no side-by-side video"] if quick else []),
        "scores": metrics,
        "fit": {k: v for k, v in result.info.items() if k not in ("notes",)},
    }
    report["job_timings"]["total_seconds"] = time.perf_counter() - started
    atomic_write_text(paths["metrics"], json.dumps(report, indent=2, default=str))
    config = {"job": _job_dict(job), "config": job.config.to_dict()}
    atomic_write_text(paths["config"], json.dumps(config, indent=2, default=str))
    return JobReport(paths, metrics, result, prepared, report["job_timings"])


def _run_chunked(job, paths, info, on_prepared, on_frames, should_stop) -> JobReport:
    """The streamed path of `run_job` (`restore.streamed.run_chunked_job`).

    The report's ``prepared.corrupted`` and ``result.restored`` hold up to
    `restore.streamed.DISPLAY_SAMPLES` evenly spaced frames (the rest went to the file), their
    clip indices in ``result.info["sample_indices"]``.
    """
    notes: list[str] = []

    def on_notes(found: list[str]) -> None:
        notes.extend(found)
        if on_prepared is not None:
            on_prepared(PreparedInput(torch.empty(0), None, None, 0.0, list(found)))

    samples: list = []
    report = run_chunked_job(
        job,
        paths,
        info=info,
        on_frames=on_frames,
        on_notes=on_notes,
        should_stop=should_stop,
        samples=samples,
    )
    atomic_write_text(paths["metrics"], json.dumps(report, indent=2, default=str))
    config = {"job": _job_dict(job), "config": job.config.to_dict()}
    atomic_write_text(paths["config"], json.dumps(config, indent=2, default=str))
    height, width = report["size"]

    def stacked(which: int) -> torch.Tensor:
        if not samples:
            return torch.empty(0, 3, height, width)
        return uint8_to_frames(np.stack([sample[which] for sample in samples]))

    details = {
        "notes": report["notes"],
        "chunks": report["chunks"],
        "sample_indices": [sample[0] for sample in samples],
        "frames_written": report["frames_written"],
    }
    result = MethodResult(
        restored=stacked(2), timings=report["timings"], info=details, stopped=report["stopped"]
    )
    prepared = PreparedInput(stacked(1), None, None, report["fps"], notes)
    return JobReport(paths, report["scores"], result, prepared, report["job_timings"])


def _job_dict(job: Job) -> dict[str, Any]:
    data = {k: v for k, v in vars(job).items() if k != "config"}
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in data.items()}
