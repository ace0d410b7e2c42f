"""Run-time estimate before a fit, from the engine's planner (`restore.estimate.estimate_job`).

No probe runs in the visitor's queue: the engine counts the model's multiply-adds and predicts the
step time, or uses the step time of an earlier run of the same shape on this machine
(`SpeedBook`), and plans the epochs exactly as the fit will (time budget included). The estimate
covers every phase: the method's preparation, fitting, decoding, scoring and writing.
"""

from __future__ import annotations

import threading

from restore.estimate import JobEstimate, estimate_job
from restore.job import Job


class SpeedBook:
    """Seconds per optimizer step measured by finished runs in this process, by job shape."""

    def __init__(self) -> None:
        self._steps: dict[tuple, float] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(job: Job, shape: tuple[int, int, int]) -> tuple:
        config = job.config
        return (
            config.method,
            tuple(sorted(config.method_options.items())),  # hybrid:synthetic_holes=... differs
            config.device,
            config.model.size,
            config.fit.batch_size,
            str(config.work_size),
            job.task,
            shape,
        )

    def get(self, job: Job, shape: tuple[int, int, int]) -> float | None:
        with self._lock:
            return self._steps.get(self.key(job, shape))

    def record_run(self, job: Job, shape: tuple[int, int, int], timings: dict, steps: int) -> None:
        """Remember a finished run's seconds per step (what later estimates of it use)."""
        fit_seconds = timings.get("fit_seconds")
        if fit_seconds and steps:
            with self._lock:
                self._steps[self.key(job, shape)] = fit_seconds / steps


def estimate_run(job: Job, shape: tuple[int, int, int], book: SpeedBook) -> JobEstimate:
    """The run time of ``job`` on a ``(frames, height, width)`` clip: a measured step time when
    this shape has run here, else the model's."""
    return estimate_job(job, *shape, measured_step_seconds=book.get(job, shape))
