"""Run-time estimate before a fit, from the engine's planner (`restore.estimate.estimate_job`).

No probe runs in the visitor's queue: the engine counts the model's multiply-adds and predicts the
step time, or uses the step time of an earlier run of the same shape on this machine
(`SpeedBook`), and plans the epochs exactly as the fit will (time budget included). The estimate
covers every phase: the method's preparation, fitting, decoding, scoring and writing.
"""

from __future__ import annotations

import threading

from restore.estimate import JobEstimate, estimate_job
from restore.jobs import Job, PreparedInput


class SpeedBook:
    """Seconds per optimizer step measured by finished runs in this process, by job shape."""

    def __init__(self) -> None:
        self._steps: dict[tuple, float] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(job: Job, prepared: PreparedInput) -> tuple:
        config = job.config
        return (
            config.method,
            config.device,
            config.model.size,
            config.fit.batch_size,
            str(config.work_size),
            tuple(prepared.corrupted.shape),
            prepared.mask is None,
        )

    def get(self, job: Job, prepared: PreparedInput) -> float | None:
        with self._lock:
            return self._steps.get(self.key(job, prepared))

    def record_run(self, job: Job, prepared: PreparedInput, timings: dict, steps: int) -> None:
        """Remember a finished run's seconds per step (what later estimates of it use)."""
        fit_seconds = timings.get("fit_seconds")
        if fit_seconds and steps:
            with self._lock:
                self._steps[self.key(job, prepared)] = fit_seconds / steps


def estimate_run(job: Job, prepared: PreparedInput, book: SpeedBook) -> JobEstimate:
    """The job's run time: a measured step time when this shape has run here, else the model's."""
    return estimate_job(job, prepared, measured_step_seconds=book.get(job, prepared))
