"""One evaluation job: restore one DAVIS clip with one method under a task and profile, score it,
and write its record.

The job reads the clip, builds the task's corrupted input (`evaluation.tasks`), calls
`restore.api.restore` exactly as every front end does, scores the output with
`evaluation.scoring`, and writes sample PNGs, then the record (the record comes last: it marks the
job finished). The ground truth is seen only by the scoring and by the PSNR-versus-epoch check,
which decodes the current model every `profile.curve_every` epochs through
`FitProgress.predict`; the fitting loop itself never sees it. Time spent on that check is taken
out of the fit timings (and reported as `curve_seconds`) so that curves do not slow a method down
on paper.

`run_eval_job` never raises for a failing method: it writes an `"error"` record and returns the
outcome, so one failure does not end a batch. It is a top-level function so a process pool can
pickle it.
"""

from __future__ import annotations

import datetime
import os
import platform
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import torch

from evaluation.davis import load_frames
from evaluation.profiles import Profile
from evaluation.records import (
    RECORD_SCHEMA,
    input_digest,
    record_path,
    write_png,
    write_record,
)
from evaluation.scoring import curve_point, score_restoration
from evaluation.tasks import make_task_input, task_kind
from restore.api import restore
from restore.device import describe_device, peak_rss_mib, pick_device
from restore.fit import FitProgress
from restore.methods import get_method, method_config

EpochCallback = Callable[[int, int], None]
"""`on_epoch(epoch, epochs)`: a neural fit finished its 1-based `epoch` out of `epochs`."""


@dataclass(frozen=True)
class EvalJob:
    """One (method, sequence) restoration of a batch; picklable for a process pool."""

    method: str  # registered method name
    sequence: str  # DAVIS sequence
    task: str  # evaluation.tasks.TASKS
    profile: Profile  # the batch's protocol
    davis_root: str  # DAVIS root folder
    resolution: str  # JPEGImages/<resolution> folder read
    out_dir: str  # output folder (records go to out_dir/records/...)
    device: str = "auto"  # restore device: auto | cpu | cuda | cuda:N | mps
    threads: int | None = None  # torch and OpenCV threads for this job; None keeps the default
    code_version: str = "unknown"  # git commit of the batch (computed once, by the planner)

    @property
    def record_path(self) -> Path:
        """Where this job's record goes."""
        return record_path(self.out_dir, self.task, self.profile.label, self.sequence, self.method)

    @property
    def name(self) -> str:
        """`<sequence>/<method>`, for progress lines."""
        return f"{self.sequence}/{self.method}"


@dataclass(frozen=True)
class JobOutcome:
    """What became of one job."""

    job: EvalJob
    status: str  # ok | error | skipped
    seconds: float  # wall time of the job (0 when skipped)
    message: str  # headline score, or the error


def _hardware() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "pid": os.getpid(),
    }


def _curve_recorder(
    clean: torch.Tensor, mask: torch.Tensor | None, every: int
) -> tuple[Callable[[FitProgress], None], list[dict[str, Any]], list[float]]:
    """An `on_progress` callback logging `curve_point` every `every` epochs (and at the last).

    Returns:
        `(callback, points, seconds)`: the points and the seconds spent fill in as the fit runs.
    """
    points: list[dict[str, Any]] = []
    seconds = [0.0]

    def on_progress(progress: FitProgress) -> None:
        if not isinstance(progress, FitProgress):  # a phase's progress (propagation, fusion)
            return
        if not progress.epoch_end or progress.predict is None or every <= 0:
            return
        if progress.epoch % every and progress.epoch != progress.epochs:
            return
        started = time.perf_counter()
        prediction = progress.predict(None, raw=True)
        points.append(curve_point(progress.epoch, prediction, clean, mask))
        seconds[0] += time.perf_counter() - started

    return on_progress, points, seconds


def _timings(
    measured: dict[str, float], curve_seconds: float, frames_seen: int
) -> dict[str, float]:
    """The method's timings with the ground-truth checks' time taken out of the fit."""
    timings = dict(measured)
    if curve_seconds and "fit_seconds" in timings:
        fit_seconds = max(timings["fit_seconds"] - curve_seconds, 1e-9)
        timings["fit_seconds_with_curve"] = timings["fit_seconds"]
        timings["fit_seconds"] = fit_seconds
        frames_seen = max(frames_seen, 1)
        timings["seconds_per_frame_epoch"] = fit_seconds / frames_seen
        timings["fit_frames_per_second"] = frames_seen / fit_seconds
    timings["curve_seconds"] = curve_seconds
    return timings


def _write_samples(job: EvalJob, clean, corrupted, mask, restored) -> dict[str, Any]:
    """Writes the middle frame of the output (and input, truth, mask) next to the record."""
    index = clean.shape[0] // 2
    folder = job.record_path.parent
    names = {
        "output": f"{job.sequence}__{job.method}.png",
        "input": f"{job.sequence}__input.png",
        "truth": f"{job.sequence}__truth.png",
        "mask": None if mask is None else f"{job.sequence}__mask.png",
    }
    write_png(folder / names["output"], restored[index])
    write_png(folder / names["input"], corrupted[index])
    write_png(folder / names["truth"], clean[index])
    if mask is not None:
        write_png(folder / names["mask"], mask[index])
    return {"frame": index, **names}


def evaluate(job: EvalJob, on_epoch: EpochCallback | None = None) -> dict[str, Any]:
    """Runs `job` and writes its record; returns the record.

    Args:
        job: What to run.
        on_epoch: Called with `(epoch, epochs)` after each epoch of a neural method's fit.

    Raises:
        ValueError: For bad data or a method that cannot run (the caller records it).
    """
    started = time.perf_counter()
    profile = job.profile
    method = get_method(job.method)
    clean = load_frames(
        job.davis_root,
        job.sequence,
        job.resolution,
        size=profile.size,
        max_frames=profile.max_frames,
    )
    task_input = make_task_input(
        job.task,
        clean,
        seed=profile.seed,
        davis_root=job.davis_root,
        sequence=job.sequence,
        resolution=job.resolution,
    )
    config = method_config(
        profile.preset,
        method=job.method,
        model_size=profile.model_size,
        epochs=profile.epochs,
        batch_size=profile.batch_size,
        seed=profile.seed,
        device=job.device,
        time_budget=profile.time_budget,
        recipe=profile.recipe,
        work_size="full",  # the protocol fixes the resolution: no working-size shortcut
    )
    device = pick_device(config.device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    record_curve, curve, curve_seconds = _curve_recorder(
        clean, task_input.mask, profile.curve_every if method.neural else 0
    )

    threads = [{"from_epoch": 1, "threads": torch.get_num_threads()}]

    def on_progress(progress: FitProgress) -> None:
        record_curve(progress)
        if not isinstance(progress, FitProgress) or on_epoch is None or not progress.epoch_end:
            return
        on_epoch(progress.epoch, progress.epochs)  # may hand this job more threads
        if torch.get_num_threads() != threads[-1]["threads"]:
            threads.append({"from_epoch": progress.epoch + 1, "threads": torch.get_num_threads()})

    result = restore(
        task_input.corrupted,
        task_input.mask,
        config,
        task=task_kind(job.task),
        on_progress=on_progress,
    )
    info = result.info
    timings = _timings(
        result.timings,
        curve_seconds[0],
        int(info.get("frames_seen", info.get("epochs_run", 0) * clean.shape[0])),
    )
    scores = score_restoration(
        clean,
        result.restored,
        corrupted=task_input.corrupted,
        mask=task_input.mask,
        raw=result.raw,
    )
    sample = _write_samples(job, clean, task_input.corrupted, task_input.mask, result.restored)
    timings["threads"] = threads
    timings["peak_rss_mib"] = peak_rss_mib()
    if device.type == "cuda":
        timings["peak_cuda_mib"] = torch.cuda.max_memory_allocated(device) / 2**20
    timings["job_seconds"] = time.perf_counter() - started
    record = {
        "schema": RECORD_SCHEMA,
        "status": "ok",
        "method": job.method,
        "neural": method.neural,
        "sequence": job.sequence,
        "task": job.task,
        "task_description": task_input.description,
        "profile": profile.to_dict(),
        "clip": {
            "root": str(job.davis_root),
            "resolution": job.resolution,
            "frames": clean.shape[0],
            "height": clean.shape[2],
            "width": clean.shape[3],
        },
        "input_digest": input_digest(task_input.corrupted, task_input.mask),
        "config": config.to_dict(),
        "recipe": config.recipe,
        "code_version": job.code_version,
        "device": info.get("device") or describe_device(device),
        "hardware": _hardware(),
        "timings": timings,
        "timings_note": "peak_rss_mib: peak resident memory of the process that ran the job (a "
        "fresh worker process per job, unless --workers 0 ran every job in one process); "
        "threads: torch threads from each epoch on (a batch hands idle cores to the jobs still "
        "running once fewer jobs than workers are left)",
        "scores": scores,
        "curve": curve,
        "fit": {key: value for key, value in info.items() if key != "model_config"},
        "stopped": result.stopped,
        "sample": sample,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    write_record(job.record_path, record)
    return record


def _headline(record: dict[str, Any]) -> str:
    scores = record["scores"]
    key = "psnr_holes" if scores.get("psnr_holes") is not None else "psnr"
    value = scores.get(key)
    return f"{key} {value:.2f} dB" if value is not None else f"{key} n/a"


def write_error_record(job: EvalJob, message: str, details: str = "") -> Path:
    """Writes an `"error"` record for `job` (a later batch retries it; reports list it)."""
    return write_record(
        job.record_path,
        {
            "schema": RECORD_SCHEMA,
            "status": "error",
            "method": job.method,
            "sequence": job.sequence,
            "task": job.task,
            "profile": job.profile.to_dict(),
            "code_version": job.code_version,
            "error": message,
            "traceback": details,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        },
    )


def use_threads(threads: int) -> None:
    """Sets torch's and OpenCV's thread counts (safe between fitting steps)."""
    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)


def run_eval_job(job: EvalJob, on_epoch: EpochCallback | None = None) -> JobOutcome:
    """Runs `job` with `job.threads` torch/OpenCV threads; never raises for a failing method.

    `on_epoch(epoch, epochs)` follows a neural fit epoch by epoch (see `evaluate`). A failure
    writes an `"error"` record (message and traceback) and returns status `"error"`; a later
    batch retries it.
    """
    started = time.perf_counter()
    previous_threads = torch.get_num_threads()
    previous_cv_threads = cv2.getNumThreads()
    if job.threads:
        use_threads(job.threads)
    try:
        record = evaluate(job, on_epoch)
        status, message = "ok", _headline(record)
    except Exception as error:  # noqa: BLE001 - one failing job must not end the batch
        status, message = "error", f"{type(error).__name__}: {error}"
        write_error_record(job, message, traceback.format_exc())
    finally:
        torch.set_num_threads(previous_threads)
        cv2.setNumThreads(previous_cv_threads)
    return JobOutcome(job, status, time.perf_counter() - started, message)
