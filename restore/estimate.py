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

from masks.spec import is_synthetic
from restore.device import pick_device
from restore.fit import FitPlan, format_duration, plan_epochs
from restore.fit.plan import estimate_step_seconds, forward_macs
from restore.job import Job
from restore.methods import Method, get_method
from restore.methods.hybrid import FUSION_PASS_SECONDS_PER_MEGAPIXEL
from restore.models import MODELS, choose_strides, create_model, padded_size
from restore.resolution import method_work_size, resolve_work_size

SCORING_SECONDS_PER_MEGAPIXEL = 2.4
"""Seconds per frame-megapixel of scoring a result against a known reference (SSIM, MS-SSIM,
hole scores): only a synthetic corruption has one (docs/constants.md)."""

WRITING_SECONDS_PER_MEGAPIXEL = 0.15
"""Seconds per frame-megapixel of writing the restored video (H.264) and the small files; the
side-by-side video and PNG frames add as much again each (docs/constants.md). A time budget
reserves scoring and writing."""

CLASSICAL_SECONDS_PER_MEGAPIXEL = 1.5
"""Seconds per frame-megapixel of a classical method without its own entry in
``METHOD_SECONDS_PER_MEGAPIXEL`` (the slowest inpainting one, flow-guided propagation)."""

METHOD_SECONDS_PER_MEGAPIXEL: dict[str, float] = {
    "telea": 0.15,
    "navier-stokes": 0.15,
    "biharmonic": 3.0,
    "temporal-fill": 0.05,
    "flow-guided": 0.5,
    "median": 0.3,
    "median3d": 1.0,
    "gaussian-blur": 0.05,
    "uniform": 0.03,
    "minimum": 0.04,
    "maximum": 0.04,
    "nlmeans": 6.0,
    "bm3d": 7.0,
    "bm3d-flow": 8.0,
    "bm4d": 20.0,
}
"""Seconds per frame-megapixel of each classical method on the project's 2-core machine
(``benchmarks/phase_costs.py`` measures them; docs/constants.md)."""

PROPAGATION_SECONDS_PER_MEGAPIXEL = 0.45
"""One flow-guided propagation inside the hybrid (Telea prefill, flow, completion, chains), per
working megapixel: 0.36 on bikes.mp4 (250 frames, a static rectangle; chains land within a few
frames) and 0.56 on bigbuckbunny.mp4 at 640x360 (a static scene: most chains run the clip);
docs/constants.md."""

VALIDATION_PROPAGATION_RATIO = 2.5
"""The validation propagation's seconds over the first propagation's: its holes are about three
times the real ones (the real holes and two shifted copies), and chain following, which grows with
the hole pixels, is most of a propagation on a static rectangle. Measured 2.4-2.6 on bikes.mp4
(60-250 frames) and bigbuckbunny.mp4 at 640x360 (66 and 132 frames) (docs/app-budget-runs.md)."""


PREPARATION_SECONDS_PER_MEGAPIXEL = 0.2
"""A neural method's preparation before its first step (Telea prefill, padding, model set-up)."""

READING_SECONDS_PER_MEGAPIXEL = 0.05
"""Decoding the clip and building its mask or noise."""


@dataclass(frozen=True)
class JobEstimate:
    """Predicted seconds of each phase of a job, in the order they run."""

    phases: dict[str, float]  # phase name -> seconds, e.g. "propagation", "fitting", "fusion"
    plan: FitPlan | None  # the epochs the fit would plan (neural methods)
    source: str  # "model" (multiply-adds) or "measured" (an earlier run on this machine)
    budget: float | None = None  # the job's time budget, seconds

    @property
    def total_seconds(self) -> float:
        return sum(self.phases.values())

    @property
    def fit_seconds(self) -> float:
        return self.phases.get("fitting", 0.0)

    @property
    def decode_seconds(self) -> float:
        return self.phases.get("decoding", 0.0)

    @property
    def finish_seconds(self) -> float:
        return self.phases.get("scoring and writing", 0.0)

    @property
    def prepare_seconds(self) -> float:
        """Everything before the fit and after reading (the method's own preparation)."""
        return self.total_seconds - self.fit_seconds - self.decode_seconds - self.finish_seconds

    @property
    def fixed_seconds(self) -> float:
        """The phases a time budget cannot shorten: all but the fit and its decoding."""
        return self.total_seconds - self.fit_seconds - self.decode_seconds

    def budget_too_small(self) -> str | None:
        """A plain sentence when the budget cannot cover even the phases that are not the fit."""
        if self.budget is None or self.budget >= self.fixed_seconds:
            return None
        return (
            f"the time budget of {format_duration(self.budget)} is too short for this clip: it "
            f"needs at least {format_duration(self.fixed_seconds)} besides any fitting; shorten "
            "the clip, lower the resolution, or raise the budget"
        )

    def describe(self) -> str:
        """One sentence with every phase, e.g. for the app and the CLI's plan line."""
        detail = []
        for name, seconds in self.phases.items():
            if name == "fitting" and self.plan is not None:
                detail.append(
                    f"{self.plan.epochs} epochs x {self.plan.steps_per_epoch} steps at "
                    f"{self.plan.step_seconds:.2g} s: {format_duration(seconds)} fitting"
                )
            else:
                detail.append(f"{format_duration(seconds)} {name}")
        text = f"about {format_duration(self.total_seconds)} ({', '.join(detail)}"
        if self.plan is not None:
            how = "measured on this machine" if self.source == "measured" else "estimated"
            text += f"; step time {how}"
        return text + ")"


def finishing_seconds(
    job: Job, frames: int, height: int, width: int, *, chunked: bool = False
) -> float:
    """Predicted seconds of the work after the restoration (scores, videos, frames); a
    ``chunked`` run computes SSIM on ``restore.streamed.SSIM_FRAMES`` frames only (its other
    scores are PSNRs, cheap beside SSIM)."""
    megapixels = frames * height * width / 1e6
    videos = 1.0 + (1.0 if job.compare else 0.0) + (1.0 if job.save_frames else 0.0)
    seconds = WRITING_SECONDS_PER_MEGAPIXEL * megapixels * videos + 1.0
    if has_reference(job):
        # Imported here: the planner must not pull in the runners (the app and the job data
        # import it; tests/restore/test_jobs.py checks that it does not).
        from restore.streamed import SSIM_FRAMES

        scored = min(frames, SSIM_FRAMES) if chunked else frames
        seconds += SCORING_SECONDS_PER_MEGAPIXEL * megapixels * scored / frames
    return seconds


def has_reference(job: Job) -> bool:
    """Whether the job's result is scored against a ground truth: a generated mask or added
    noise (the clip itself is then the truth); a user's own mask or noisy clip has none."""
    if job.task == "denoise":
        return bool(job.add_noise)
    return bool(job.mask) and is_synthetic(str(job.mask))


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
    method: Method | None = None,
    *,
    chunked: bool = False,
) -> JobEstimate:
    """Every phase of ``job`` on a clip of ``frames`` frames of ``width`` x ``height``.

    The hybrid's phases follow its steps (``restore.methods.hybrid``): two propagations (the
    real holes, then the validation view), the fit and its decoding (with ``network=none``, a
    Telea fill of each view instead), and up to ``temporal_passes`` fusion passes; under a
    budget the fit gets what the other phases leave, as it will when it runs.

    Args:
        job: the job as it would run.
        frames, height, width: the clip after trimming and resizing (nothing is decoded).
        measured_step_seconds: seconds per step that an earlier run of the same shape measured
            on this machine; None estimates them from the model.
        method: the job's method if looked up already (``restore.methods.get_method``).
        chunked: the job will run in chunks (``restore.streamed.wants_chunks``): its scoring is
            the chunked runner's.
    """
    config = job.config
    megapixels = frames * height * width / 1e6
    method = method or get_method(config.method)
    phases = {"reading": READING_SECONDS_PER_MEGAPIXEL * megapixels}
    finish = finishing_seconds(job, frames, height, width, chunked=chunked)
    # Reading and writing see the clip's own pixels; the method works at its working size.
    work = method_work_size(config.work_size, height, width, neural=method.neural)
    work_megapixels = megapixels if work is None else frames * work[0] * work[1] / 1e6
    fits, passes = method.neural, 0
    if method.name == "hybrid":
        options = {**method.options, **config.method_options}
        propagation = PROPAGATION_SECONDS_PER_MEGAPIXEL * work_megapixels
        phases["propagation"] = propagation
        if options["validation"]:
            phases["validation propagation"] = VALIDATION_PROPAGATION_RATIO * propagation
        fits = options["network"] == "fit"
        if not fits:  # a Telea fill of each view takes the network's slot
            views = 2 if options["validation"] else 1
            phases["spatial fill"] = views * METHOD_SECONDS_PER_MEGAPIXEL["telea"] * work_megapixels
        passes = options["temporal_passes"]
    elif not fits:
        seconds = METHOD_SECONDS_PER_MEGAPIXEL.get(method.name, CLASSICAL_SECONDS_PER_MEGAPIXEL)
        phases["restoring"] = seconds * work_megapixels
    if fits:
        phases["preparing the fit"] = PREPARATION_SECONDS_PER_MEGAPIXEL * work_megapixels
    fusion = passes * FUSION_PASS_SECONDS_PER_MEGAPIXEL * work_megapixels
    plan = None
    source = "model"
    if fits:
        step = measured_step_seconds or model_step_seconds(job, frames, height, width)
        source = "measured" if measured_step_seconds else "model"
        budget = None
        if config.time_budget is not None:
            budget = max(config.time_budget - finish - sum(phases.values()) - fusion, 1.0)
        plan = plan_epochs(
            step_seconds=step,
            steps_per_epoch=math.ceil(frames / config.fit.batch_size),
            max_epochs=config.fit.epochs,
            batch_size=config.fit.batch_size,
            num_frames=frames,
            budget_seconds=budget,
        )
        phases["fitting"] = plan.fit_seconds
        phases["decoding"] = plan.decode_seconds
    if fusion:
        phases["fusion"] = fusion
    phases["scoring and writing"] = finish
    return JobEstimate(phases, plan, source, config.time_budget)
