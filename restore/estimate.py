"""How long a job will take, before it runs, from the same planner the fit follows.

``estimate_job`` predicts every phase of ``restore.jobs.run_job`` from the clip's size alone:
the method's own preparation, fitting (the
epochs ``restore.fit.plan_epochs`` would plan, with the step time either measured on this machine
by an earlier run or estimated from the model's multiply-adds), the final decoding, and scoring
and writing (``finishing_seconds``). Nothing is fitted: the model is built once and run forward on
one frame to count its multiply-adds (well under a second), so an estimate never queues a probe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from restore.device import pick_device
from restore.fit import FitPlan, format_duration, plan_epochs
from restore.fit.plan import estimate_step_seconds, forward_macs
from restore.job import Job
from restore.methods import get_method
from restore.models import MODELS, choose_strides, create_model, padded_size
from restore.resolution import resolve_work_size

FINISH_SECONDS_PER_MEGAPIXEL = 2.6
"""Seconds per frame-megapixel that scoring and writing a result take after the fit (SSIM,
MS-SSIM and hole scores against a known reference, H.264 encoding) on the project's 2-core
machine (docs/constants.md); the side-by-side video and PNG frames add half as much each. A
time budget reserves this much."""

CLASSICAL_SECONDS_PER_MEGAPIXEL = 1.5
"""Seconds per frame-megapixel of the slowest classical inpainting method (flow-guided
propagation: DIS flow both ways plus the sparse flow completion), measured the same way."""

PREPARATION_SECONDS_PER_MEGAPIXEL = 0.2
"""A neural method's preparation before its first step (Telea prefill, padding, model set-up)."""


@dataclass(frozen=True)
class JobEstimate:
    """Predicted seconds of each phase of a job."""

    prepare_seconds: float  # the method's preparation (prefill, propagation)
    fit_seconds: float  # optimizer steps (0 for classical methods)
    decode_seconds: float
    finish_seconds: float  # scores and outputs
    plan: FitPlan | None  # the epochs the fit would plan (neural methods)
    source: str  # "model" (multiply-adds) or "measured" (an earlier run on this machine)

    @property
    def total_seconds(self) -> float:
        return self.prepare_seconds + self.fit_seconds + self.decode_seconds + self.finish_seconds

    def describe(self) -> str:
        """One sentence with every phase, e.g. for the app."""
        parts = [f"about {format_duration(self.total_seconds)}"]
        detail = []
        if self.plan is not None:
            detail.append(
                f"{self.plan.epochs} epochs x {self.plan.steps_per_epoch} steps at "
                f"{self.plan.step_seconds:.2g} s: {format_duration(self.fit_seconds)} fitting"
            )
            detail.append(f"{format_duration(self.decode_seconds)} decoding")
        else:
            detail.append(f"{format_duration(self.prepare_seconds)} restoring")
        detail.append(f"{format_duration(self.finish_seconds)} scoring and writing")
        how = "measured on this machine" if self.source == "measured" else "estimated"
        return f"{parts[0]} ({', '.join(detail)}; step time {how})"


def finishing_seconds(job: Job, frames: int, height: int, width: int) -> float:
    """Predicted seconds of the work after the restoration (scores, videos, frames)."""
    megapixels = frames * height * width / 1e6
    factor = 1.0 + (0.5 if job.compare else 0.0) + (0.5 if job.save_frames else 0.0)
    return FINISH_SECONDS_PER_MEGAPIXEL * megapixels * factor + 1.0


def model_step_seconds(job: Job, frames: int, height: int, width: int) -> float:
    """Estimated seconds per optimizer step of the job's model at its fitting size."""
    config = job.config
    size = resolve_work_size(config.work_size, height, width)
    if size is not None:
        width, height = size
    strides = config.model.strides or choose_strides(height, width)
    padded_h, padded_w = padded_size(height, width, strides)
    # Methods built on a registered model share its name; others (hybrid) fit an HNeRV.
    model = create_model(
        config.method if config.method in MODELS else "hnerv",
        num_frames=frames,
        height=padded_h,
        width=padded_w,
        size=config.model.size,
        strides=strides,
        **config.model.options,
    )
    macs = forward_macs(model, torch.zeros(1, 3, padded_h, padded_w))
    return estimate_step_seconds(macs, config.fit.batch_size, pick_device(config.device).type)


def estimate_job(
    job: Job,
    frames: int,
    height: int,
    width: int,
    measured_step_seconds: float | None = None,
) -> JobEstimate:
    """Every phase of ``job`` on a clip of ``frames`` frames of ``width`` x ``height``.

    Args:
        job: the job as it would run.
        frames, height, width: the clip after trimming and resizing (nothing is decoded).
        measured_step_seconds: seconds per step that an earlier run of the same shape measured
            on this machine; None estimates them from the model.
    """
    config = job.config
    megapixels = frames * height * width / 1e6
    finish = finishing_seconds(job, frames, height, width)
    if not get_method(config.method).neural:
        prepare = CLASSICAL_SECONDS_PER_MEGAPIXEL * megapixels
        return JobEstimate(prepare, 0.0, 0.0, finish, None, "model")
    prepare = PREPARATION_SECONDS_PER_MEGAPIXEL * megapixels
    step = measured_step_seconds or model_step_seconds(job, frames, height, width)
    budget = None
    if config.time_budget is not None:
        budget = max(config.time_budget - finish - prepare, 1.0)
    plan = plan_epochs(
        step_seconds=step,
        steps_per_epoch=math.ceil(frames / config.fit.batch_size),
        max_epochs=config.fit.epochs,
        batch_size=config.fit.batch_size,
        num_frames=frames,
        budget_seconds=budget,
    )
    source = "measured" if measured_step_seconds else "model"
    return JobEstimate(prepare, plan.fit_seconds, plan.decode_seconds, finish, plan, source)
