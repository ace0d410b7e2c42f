"""Planning and running a batch of evaluation jobs (method x sequence), resumably and in parallel.

`plan_batch` validates everything once (root, sequences, task, methods, profile) and splits the
jobs into those to run and those whose `"ok"` record with the same profile already exists
(skipped unless `force`). `run_jobs` runs them in a process pool (`forkserver`, else `spawn`: a
fresh worker process per job, so a record's peak memory is that job's own and no state leaks
between jobs),
longest first (neural methods before classical ones) so the pool's last minutes are not spent
waiting on one long fit. It reports each finished job through a callback and never stops for a
failing job.

Parallelism on a CPU: `workers` processes with `threads_per_worker` torch/OpenCV threads each.
Measured on the project's 2-core machine (shared with other work, load average about 4): 4 jobs
(hnerv and nerv on blackswan and car-shadow; smoke profile with `--size 192x128 --frames 8
--epochs 10 --model-size 0.1`) took 23.3 s and 22.8 s with 2 workers x 1 thread, 141.9 s and
107.7 s with 1 worker x 2 threads, and 25.0 s with 1 worker x 1 thread (same scores every time).
Intra-op threading of these small convolutions gains little, and on a busy machine its threads
wait on each other, so one thread per worker and as many workers as cores is the CPU default
(`MEASURED_CPU_DEFAULT`). On CUDA the default is one worker, which owns the GPU, with every CPU
thread.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from evaluation.davis import check_root, check_sequences, choose_resolution
from evaluation.job import Job, JobOutcome, run_job, write_error_record
from evaluation.profiles import Profile
from evaluation.records import code_version, is_finished
from evaluation.tasks import check_task, task_kind
from restore.device import pick_device
from restore.methods import get_method, list_methods

MEASURED_CPU_DEFAULT = "workers"
"""What won the measurement on 2 CPU cores: "workers" (one thread per worker, as many workers as
cores) or "threads" (one worker with every thread)."""


@dataclass(frozen=True)
class Parallelism:
    """How a batch uses the machine."""

    workers: int  # worker processes; 0 runs the jobs one by one in this process
    threads_per_worker: int  # torch and OpenCV threads of each job


def default_parallelism(
    device: str = "auto", cpu_count: int | None = None, jobs: int | None = None
) -> Parallelism:
    """The default split of the machine (see the module docstring for the measurement).

    Args:
        device: The batch's restore device; a CUDA device gets a single worker.
        cpu_count: CPU cores (default `os.cpu_count()`).
        jobs: Jobs to run; there are never more workers than jobs.
    """
    cores = max(cpu_count or os.cpu_count() or 1, 1)
    if pick_device(device).type != "cpu" or MEASURED_CPU_DEFAULT == "threads":
        return Parallelism(workers=1, threads_per_worker=cores)
    workers = cores if jobs is None else max(min(cores, jobs), 1)
    return Parallelism(workers=workers, threads_per_worker=max(cores // workers, 1))


def resolve_parallelism(
    workers: int | None,
    threads_per_worker: int | None,
    *,
    device: str = "auto",
    jobs: int | None = None,
) -> Parallelism:
    """`--workers` / `--threads-per-worker`, with the defaults filling in what is not given.

    Raises:
        ValueError: If a value is negative (workers) or below 1 (threads).
    """
    if workers is not None and workers < 0:
        raise ValueError(f"--workers: expected an integer >= 0, got {workers}")
    if threads_per_worker is not None and threads_per_worker < 1:
        raise ValueError(
            f"--threads-per-worker: expected an integer >= 1, got {threads_per_worker}"
        )
    default = default_parallelism(device, jobs=jobs)
    if workers is None:
        workers = default.workers
    if threads_per_worker is None:
        if workers == default.workers:
            threads_per_worker = default.threads_per_worker
        else:
            threads_per_worker = max((os.cpu_count() or 1) // max(workers, 1), 1)
    return Parallelism(workers, threads_per_worker)


@dataclass(frozen=True)
class BatchPlan:
    """The jobs of one `restore eval davis` command."""

    to_run: list[Job]
    skipped: list[Job] = field(default_factory=list)  # finished records with the same profile

    @property
    def jobs(self) -> list[Job]:
        return self.to_run + self.skipped


def _check_methods(methods: list[str], task: str) -> list[str]:
    """Checks method names and that each can do `task`'s kind; returns them deduplicated."""
    if not methods:
        raise ValueError("--methods: expected at least one method name, got none")
    kind = task_kind(task)
    for name in methods:
        method = get_method(name)  # ValueError listing every method for an unknown name
        if kind not in method.tasks:
            raise ValueError(
                f"--methods: {name!r} cannot {kind} (task {task}); methods that can: "
                f"{', '.join(list_methods(kind))}"
            )
    return list(dict.fromkeys(methods))


def plan_batch(
    *,
    davis_root: str | Path,
    task: str,
    methods: list[str],
    profile: Profile,
    out_dir: str | Path,
    sequences: list[str] | None = None,
    device: str = "auto",
    force: bool = False,
) -> BatchPlan:
    """Validates a batch and lists its jobs, longest first.

    Args:
        davis_root: DAVIS root (`JPEGImages/<resolution>/<sequence>/*.jpg`).
        task: One of `evaluation.tasks.TASKS`.
        methods: Registered method names able to do the task.
        profile: The resolved profile.
        out_dir: Output folder.
        sequences: Sequence names; None or [] for every sequence of the root.
        device: Restore device.
        force: Rerun jobs whose records are finished.

    Returns:
        The `BatchPlan`.

    Raises:
        ValueError: For an unknown task, method, sequence or a method that cannot do the task.
        FileNotFoundError: For a missing root or a root without `JPEGImages/`.
    """
    check_task(task)
    methods = _check_methods(methods, task)
    root = check_root(davis_root)
    resolution = choose_resolution(root, largest=profile.largest_resolution)
    names = check_sequences(root, resolution, sequences)
    pick_device(device)  # ValueError now rather than in every job
    version = code_version()
    neural_first = sorted(methods, key=lambda name: not get_method(name).neural)
    jobs = [
        Job(
            method=method,
            sequence=sequence,
            task=task,
            profile=profile,
            davis_root=str(root),
            resolution=resolution,
            out_dir=str(out_dir),
            device=device,
            code_version=version,
        )
        for method in neural_first
        for sequence in names
    ]
    if force:
        return BatchPlan(to_run=jobs)
    profile_values = profile.to_dict()
    skipped = [job for job in jobs if is_finished(job.record_path, profile_values)]
    return BatchPlan(to_run=[job for job in jobs if job not in skipped], skipped=skipped)


# Imported once by the forkserver: the job, the lazily imported classical methods, and
# torch._dynamo, which the first torch.optim.Adam imports (2-3 s on the 2-core machine).
_PRELOAD = (
    "evaluation.job",
    "torch._dynamo",
    "restore.methods.classical_inpaint",
    "restore.methods.flow_propagation",
    "restore.methods.classical_denoise",
)


def _pool_context() -> multiprocessing.context.BaseContext:
    """`forkserver` with the job module preloaded where available, else `spawn`.

    Both start workers from a clean process (no threads, no CUDA context inherited from this
    one); the forkserver imports torch and the engine once, so a fresh worker per job costs
    milliseconds instead of the seconds a `spawn` import takes.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(_PRELOAD))
        return context
    return multiprocessing.get_context("spawn")


def run_jobs(
    jobs: list[Job],
    parallelism: Parallelism,
    on_outcome: Callable[[JobOutcome], None] | None = None,
) -> list[JobOutcome]:
    """Runs jobs and returns their outcomes in the order they finished.

    Args:
        jobs: Jobs to run; each gets `parallelism.threads_per_worker` threads.
        parallelism: Worker processes (0: in this process, one after another).
        on_outcome: Called in this process as each job ends (for a progress bar).

    Returns:
        One `JobOutcome` per job; a crashed worker process gives status `"error"`.
    """
    outcomes: list[JobOutcome] = []

    def finish(outcome: JobOutcome) -> None:
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)

    if not jobs:
        return outcomes
    jobs = [dataclasses.replace(job, threads=parallelism.threads_per_worker) for job in jobs]
    if parallelism.workers == 0:
        for job in jobs:
            finish(run_job(job))
        return outcomes
    options = {}
    if sys.version_info >= (3, 11):
        options["max_tasks_per_child"] = 1  # one job per process: per-job peak memory, no leaks
    executor = concurrent.futures.ProcessPoolExecutor(
        max_workers=min(parallelism.workers, len(jobs)), mp_context=_pool_context(), **options
    )
    started = {}
    try:
        futures = {}
        for job in jobs:
            futures[executor.submit(run_job, job)] = job
            started[job] = time.perf_counter()
        for future in concurrent.futures.as_completed(futures):
            job = futures[future]
            try:
                finish(future.result())
            except Exception as error:  # noqa: BLE001 - a dead worker is one failed job
                seconds = time.perf_counter() - started[job]
                message = f"worker process failed: {error!r}"
                write_error_record(job, message)
                finish(JobOutcome(job, "error", seconds, message))
    except KeyboardInterrupt:
        # Stop the running fits now rather than waiting for them (their records are not
        # written, so a rerun redoes exactly these jobs).
        for process in list((getattr(executor, "_processes", None) or {}).values()):
            process.terminate()
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    return outcomes
