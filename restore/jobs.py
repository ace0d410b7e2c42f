"""The whole-clip job runner, and `run_job`, which picks it or the chunked one.

The CLI and the Gradio app both run ``run_job``; it calls ``restore.api.restore`` for the maths.
A clip that fits in memory is read, corrupted (`masks.corrupt`), restored and scored whole
(`run_whole_clip`); a long one is streamed chunk by chunk (`restore.streamed.run_chunked`). Both
return a `restore.job.JobReport` and write their files through `restore.outputs.write_outputs`.
Everything is validated before anything is written, outputs go through temporary files and
renames, and the input is never overwritten.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

import masks
from masks.checks import fail
from restore.api import TASKS, restore
from restore.cluster import check_scheduler
from restore.deadline import Deadline
from restore.errors import InputError
from restore.estimate import finishing_seconds
from restore.fit import FitProgress
from restore.io import check_output_path, read_video
from restore.job import Job, JobReport, PreparedInput, output_paths
from restore.methods import Method, MethodResult, get_method
from restore.metrics import summarize
from restore.outputs import write_outputs
from restore.streamed import run_chunked, wants_chunks


def prepare_input(
    job: Job,
    *,
    on_tracked: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> PreparedInput:
    """Read the video and build the mask or noise (``masks.corrupt``); no file is written.

    With ``job.mask_track``, ``on_tracked(done, total)`` follows the frames tracked and
    ``should_stop`` can end tracking (``masks.TrackingStopped`` is raised then)."""
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
        track=job.mask_track,
        on_tracked=on_tracked,
        should_stop=should_stop,
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
    # A user's mask: keep the decoded clip for the app's "before" (the same tensor, no copy).
    original = video.frames if clean is None and corrupted.mask is not None else None
    return PreparedInput(
        corrupted.corrupted, corrupted.mask, clean, video.fps, notes, original=original
    )


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
                else psnr_in_holes.unchecked(video, prepared.clean, prepared.mask)
            )
            return {"psnr": psnr.unchecked(video, prepared.clean), "psnr_holes": holes}

        return {
            "input": quick_scores(prepared.corrupted),
            "restored": quick_scores(result.restored),
        }
    # The job built the reference and the mask itself (masks.corrupt) and restore() returned
    # frames of their shape: scoring checks nothing again.
    scores = {
        "input": summarize.unchecked(prepared.corrupted, prepared.clean, prepared.mask),
        "restored": summarize.unchecked(
            result.restored, prepared.clean, prepared.mask, raw=result.raw
        ),
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
    on_tracked: Callable[[int, int], None] | None = None,
    method: Method | None = None,
) -> JobReport:
    """Run one job end to end and write its outputs atomically (`restore.outputs`).

    A job that names ``chunk_frames`` or a ``scheduler``, or sets ``auto_chunk`` for a clip too
    long to hold whole (`restore.streamed.WHOLE_CLIP_MEMORY`), is streamed chunk by chunk
    (`restore.streamed.run_chunked`): then
    ``on_frames(done, total)`` follows the finished frames, ``should_stop`` also ends the run
    after the chunk in progress, ``on_prepared`` gets the first chunk's input, and the report's
    input and result hold only a sample of the frames (they went to the file as they were
    finished). Any other job is restored whole (`run_whole_clip`). Both return a `JobReport`.
    A job that follows its mask's object (``mask_track``) reports the frames tracked through
    ``on_tracked(done, total)``, and ``should_stop`` also ends the tracking.

    Raises:
        InputError: bad input (path, video, mask, options); nothing has been written then.
        masks.TrackingStopped: ``should_stop`` ended tracking; nothing has been written.
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
    # Once: the chunk planner and the engine share it (a front end that planned the job passes
    # the method it looked up).
    method = method or get_method(job.config.method)
    chunked, info = wants_chunks(job, neural=method.neural)
    if chunked:
        return run_chunked(
            job,
            paths,
            info=info,
            neural=method.neural,
            on_prepared=on_prepared,
            on_frames=on_frames,
            should_stop=should_stop,
        )
    return run_whole_clip(
        job,
        paths,
        started=started,
        on_progress=on_progress,
        should_stop=should_stop,
        on_prepared=on_prepared,
        on_phase=on_phase,
        on_tracked=on_tracked,
        method=method,
    )


def run_whole_clip(
    job: Job,
    paths: dict[str, Path],
    *,
    started: float,
    on_progress: Callable[[FitProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_prepared: Callable[[PreparedInput], None] | None = None,
    on_phase: Callable[[str], None] | None = None,
    on_tracked: Callable[[int, int], None] | None = None,
    method: Method | None = None,
) -> JobReport:
    """The whole-clip runner of `run_job`: reads the clip, restores it at once
    (`restore.api.restore`), scores it and writes its outputs.

    Args:
        job: the job.
        paths: its outputs (`restore.job.output_paths`), already checked.
        started: ``time.perf_counter()`` when the job began (its time budget counts from there).
        method: the job's method (`restore.methods.get_method`), if looked up already; None:
            `restore.api.restore` looks it up.
    """
    prepared = prepare_input(job, on_tracked=on_tracked, should_stop=should_stop)
    if on_prepared is not None:
        on_prepared(prepared)
    prepared_at = time.perf_counter()
    # The budget covers the whole job, counted from its start: reading is spent by now, scoring
    # and writing are reserved.
    deadline = Deadline.from_budget(job.config.time_budget, now=started)
    if deadline is not None:
        deadline = deadline.reserve(finishing_seconds(job, *_shape(prepared)), floor=1.0)
    result = restore(
        prepared.corrupted,
        prepared.mask,
        job.config,
        task=job.task,
        deadline=deadline,
        on_progress=on_progress,
        should_stop=should_stop,
        method=method,
    )
    restored_at = time.perf_counter()
    phase = on_phase or (lambda name: None)
    quick = job.quick_stop and result.stopped and not result.info.get("budget_stopped")
    if quick:
        paths.pop("compare", None)
    phase("scoring" if prepared.clean is not None else "writing the restored video")
    metrics = score(prepared, result, quick=quick)
    job_timings = {
        "read_seconds": prepared_at - started,
        "restore_seconds": restored_at - prepared_at,
        "finish_seconds": None,  # scores and outputs: set once the files are written
        "time_budget": job.config.time_budget,
    }
    record = {
        "input": job.input_name or str(job.input),
        "task": job.task,
        "frames": int(prepared.corrupted.shape[0]),
        "size": list(prepared.corrupted.shape[2:]),
        "fps": prepared.fps,
        # The mask was checked when it was built (masks.corrupt): no second check here.
        "masked_fraction": None if prepared.mask is None else float(prepared.mask.mean()),
        "timings": result.timings,
        "job_timings": job_timings,
        "stopped": result.stopped,
        "notes": prepared.notes
        + list(result.info.get("notes", []))
        + (["stopped early: PSNR only, no side-by-side video"] if quick else []),
        "scores": metrics,
        "fit": {k: v for k, v in result.info.items() if k not in ("notes",)},
    }

    def close_timings() -> None:
        job_timings["finish_seconds"] = time.perf_counter() - restored_at
        job_timings["total_seconds"] = time.perf_counter() - started

    report = JobReport(paths, record, result, prepared)
    write_outputs(job, report, on_phase=phase, on_written=close_timings)
    return report
