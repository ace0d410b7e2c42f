"""Run-time estimate before a fit: time a few real optimizer steps of the job (a timing probe).

The probe calls the engine (`restore.api.restore`) on the job's prepared video with the job's
config and stops it after a few steps through ``should_stop``; it measures the set-up (prefill,
model construction, final decoding) and the time per step, and extrapolates to the job's steps.
Results are remembered per device, clip size and settings, so the estimate of a setting already
probed (or already run) on this machine is immediate: the known speed of this device.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from dataclasses import dataclass

from restore.api import restore
from restore.fit import FitProgress
from restore.jobs import Job, PreparedInput

PROBE_STEPS = 3


@dataclass(frozen=True)
class Speed:
    """Measured cost of one job shape on this machine."""

    setup_seconds: float  # everything but the optimizer steps: prefill, model, decoding
    seconds_per_step: float
    source: str  # "probe" or "run"


@dataclass(frozen=True)
class Estimate:
    seconds: float
    total_steps: int
    speed: Speed

    def describe(self) -> str:
        how = (
            "measured with a short timing probe"
            if self.speed.source == "probe"
            else "from an earlier run of the same settings on this machine"
        )
        return (
            f"about {_duration(self.seconds)} ({self.total_steps} steps at "
            f"{self.speed.seconds_per_step:.3g} s per step; {how})"
        )


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def total_steps(job: Job, num_frames: int) -> int:
    """Optimizer steps of the job's fit (the fitting loop's ``steps_per_epoch * epochs``)."""
    return math.ceil(num_frames / job.config.fit.batch_size) * job.config.fit.epochs


class SpeedBook:
    """Speeds measured in this process, by job shape."""

    def __init__(self) -> None:
        self._speeds: dict[tuple, Speed] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(job: Job, prepared: PreparedInput) -> tuple:
        config = job.config
        return (
            config.method,
            config.device,
            config.model.size,
            config.fit.batch_size,
            tuple(prepared.corrupted.shape),
            prepared.mask is None,
        )

    def get(self, job: Job, prepared: PreparedInput) -> Speed | None:
        with self._lock:
            return self._speeds.get(self.key(job, prepared))

    def record(self, job: Job, prepared: PreparedInput, speed: Speed) -> None:
        with self._lock:
            self._speeds[self.key(job, prepared)] = speed

    def record_run(self, job: Job, prepared: PreparedInput, timings: dict, steps: int) -> None:
        """Remember a finished run's speed (more accurate than a probe)."""
        fit_seconds = timings.get("fit_seconds")
        if not fit_seconds or not steps:
            return
        setup = timings.get("decode_seconds", 0.0)
        known = self.get(job, prepared)
        if known is not None:
            setup = max(setup, known.setup_seconds)
        self.record(job, prepared, Speed(setup, fit_seconds / steps, "run"))


def probe_speed(job: Job, prepared: PreparedInput, steps: int = PROBE_STEPS) -> Speed:
    """Time ``steps`` optimizer steps of ``job`` on ``prepared`` (plus its set-up and decoding)."""
    seen: list[FitProgress] = []

    def on_progress(progress: FitProgress) -> None:
        if progress.message is None:
            seen.append(progress)

    config = dataclasses.replace(
        job.config, fit=dataclasses.replace(job.config.fit, epochs=max(2, steps))
    )
    started = time.perf_counter()
    restore(
        prepared.corrupted,
        prepared.mask,
        config,
        task=job.task,
        on_progress=on_progress,
        should_stop=lambda: len(seen) >= steps - 1,
    )
    wall = time.perf_counter() - started
    if not seen:  # a method without steps (classical): its whole run is the set-up
        return Speed(wall, 0.0, "probe")
    last = seen[-1]
    if len(seen) > 1:  # the first step pays for allocations; leave it out of the rate
        per_step = (last.elapsed - seen[0].elapsed) / (len(seen) - 1)
    else:
        per_step = last.elapsed
    return Speed(max(0.0, wall - last.elapsed), per_step, "probe")


def estimate_run(job: Job, prepared: PreparedInput, book: SpeedBook) -> Estimate:
    """The job's run time from a known speed, or from a new probe."""
    speed = book.get(job, prepared)
    if speed is None:
        speed = probe_speed(job, prepared)
        book.record(job, prepared, speed)
    steps = total_steps(job, prepared.corrupted.shape[0])
    # Writing the video, side-by-side and model adds about one decoding's worth of time.
    seconds = 2 * speed.setup_seconds + steps * speed.seconds_per_step
    return Estimate(seconds, steps, speed)
