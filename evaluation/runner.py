"""Planning and running a batch of evaluation jobs (method x sequence), resumably and in parallel.

`plan_batch` validates everything once (root, sequences, task, methods, profile) and splits the
jobs into those to run and those whose `"ok"` record with the same profile already exists
(skipped unless `force`). `run_jobs` runs them in a process pool (`forkserver`, else `spawn`: a
fresh worker process per job, so a record's peak memory is that job's own and no state leaks
between jobs),
longest first (neural methods before classical ones) so the pool's last minutes are not spent
waiting on one long fit. It reports each finished job through a callback and never stops for a
failing job.

Parallelism on a CPU: `workers` processes with `threads_per_worker` torch/OpenCV threads each;
once fewer jobs than workers are left, the idle workers' cores go to the jobs still running
(`Parallelism.share_cores`: a shared count each worker takes up between epochs). Measured on the
project's 2-core machine with `benchmarks/eval_parallelism.sh` (`cpu` profile cut to 6 epochs,
no curve): hnerv and nerv on blackswan and car-shadow (4 jobs) took 132.0 and 136.6 s with the
default 2 workers x 1 thread against 148.5 and 148.9 s with 1 worker x 2 threads; three HNeRV
fits (an odd batch, where a fixed split leaves a core idle at the end) took 176.7 s with the
default, 205.7 s with 2 x 1 fixed and 180.8 s with 1 x 2. So the CPU default is one thread per
worker, as many workers as cores, with the hand-over (`MEASURED_CPU_DEFAULT`); an explicit
`--threads-per-worker` turns the hand-over off. On CUDA the default is one worker, which owns the
GPU, with every CPU thread.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import functools
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from evaluation.davis import check_root, check_sequences, choose_resolution
from evaluation.job import EvalJob, JobOutcome, run_eval_job, use_threads, write_error_record
from evaluation.profiles import Profile
from evaluation.records import code_version, is_finished
from evaluation.tasks import check_task, task_kind
from restore.device import pick_device
from restore.errors import InputError
from restore.methods import get_method, list_methods

MEASURED_CPU_DEFAULT = "workers"
"""What won the measurement on 2 CPU cores: "workers" (one thread per worker, as many workers as
cores) or "threads" (one worker with every thread)."""


@dataclass(frozen=True)
class Parallelism:
    """How a batch uses the machine."""

    workers: int  # worker processes; 0 runs the jobs one by one in this process
    threads_per_worker: int  # torch and OpenCV threads of each job
    share_cores: int = 0  # cores to spread over the jobs still running at the end; 0: fixed

    def threads_for(self, unfinished: int) -> int:
        """Threads per running job while `unfinished` jobs of the batch are left.

        Once fewer jobs than workers are left, the cores of idle workers go to the running jobs
        (one HNeRV fit left alone on one of two cores would otherwise leave the other idle).
        """
        running = max(min(self.workers, unfinished), 1)
        return max(self.threads_per_worker, self.share_cores // running)


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
    return Parallelism(workers, max(cores // workers, 1), share_cores=cores)


def resolve_parallelism(
    workers: int | None,
    threads_per_worker: int | None,
    *,
    device: str = "auto",
    jobs: int | None = None,
) -> Parallelism:
    """`--workers` / `--threads-per-worker`, with the defaults filling in what is not given.

    Idle cores are handed to the last running jobs (`Parallelism.share_cores`) only on a CPU and
    only when `--threads-per-worker` is not given: a thread count the user set is kept.

    Raises:
        ValueError: If a value is negative (workers) or below 1 (threads).
    """
    if workers is not None and workers < 0:
        raise InputError(f"--workers: expected an integer >= 0, got {workers}")
    if threads_per_worker is not None and threads_per_worker < 1:
        raise InputError(
            f"--threads-per-worker: expected an integer >= 1, got {threads_per_worker}"
        )
    default = default_parallelism(device, jobs=jobs)
    share_cores = default.share_cores if threads_per_worker is None else 0
    if workers is None:
        workers = default.workers
    if threads_per_worker is None:
        if workers == default.workers:
            threads_per_worker = default.threads_per_worker
        else:
            threads_per_worker = max((os.cpu_count() or 1) // max(workers, 1), 1)
    return Parallelism(workers, threads_per_worker, share_cores)


@dataclass(frozen=True)
class BatchPlan:
    """The jobs of one `restore eval davis` command."""

    to_run: list[EvalJob]
    skipped: list[EvalJob] = field(default_factory=list)  # finished records with the same profile

    @property
    def jobs(self) -> list[EvalJob]:
        return self.to_run + self.skipped


def _check_methods(methods: list[str], task: str) -> list[str]:
    """Checks method names and that each can do `task`'s kind; returns them deduplicated."""
    if not methods:
        raise InputError("--methods: expected at least one method name, got none")
    kind = task_kind(task)
    for name in methods:
        method = get_method(name)  # ValueError listing every method for an unknown name
        if kind not in method.tasks:
            raise InputError(
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
        EvalJob(
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


_WORKER: dict[str, Any] = {"epochs": None, "threads": None}
"""In a pool worker (set at start-up): `epochs`, a queue for `(job name, epoch, epochs)` reports
to the parent (or None); `threads`, a shared integer with the threads each job should use now."""


def _start_worker(epochs: Any, threads: Any) -> None:
    _WORKER.update(epochs=epochs, threads=threads)


def _run_in_worker(job: EvalJob) -> JobOutcome:
    """`run_eval_job` in a pool worker: relays each finished epoch to the parent and, between
    epochs, takes up the thread count the parent has set (more once other workers have gone
    idle)."""
    queue, threads = _WORKER["epochs"], _WORKER["threads"]
    if threads is not None:
        job = dataclasses.replace(job, threads=threads.value)

    def on_epoch(epoch: int, epochs: int) -> None:
        if queue is not None:
            queue.put((job.name, epoch, epochs))
        if threads is not None and threads.value != torch.get_num_threads():
            use_threads(threads.value)

    return run_eval_job(job, on_epoch)


def _relay_epochs(
    queue: Any, jobs: dict[str, EvalJob], on_epoch: Callable[[EvalJob, int, int], None]
) -> None:
    """Parent-side thread: hands the workers' epoch reports to `on_epoch` until `None` comes."""
    while (item := queue.get()) is not None:
        name, epoch, epochs = item
        on_epoch(jobs[name], epoch, epochs)


class Terminated(KeyboardInterrupt):
    """SIGTERM reached the batch: handled like Ctrl-C (workers stopped, finished records kept)."""


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """In the main thread, turns SIGTERM into `Terminated` for the duration of a batch."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise Terminated(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stop_workers(executor: concurrent.futures.ProcessPoolExecutor) -> None:
    """Terminates the pool's worker processes now, then reaps them (none is left behind)."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
            process.join(timeout=5)


def run_jobs(
    jobs: list[EvalJob],
    parallelism: Parallelism,
    on_outcome: Callable[[JobOutcome], None] | None = None,
    on_epoch: Callable[[EvalJob, int, int], None] | None = None,
    scheduler: str | None = None,
) -> list[JobOutcome]:
    """Runs jobs and returns their outcomes in the order they finished.

    With ``scheduler`` (``"local"`` or ``"tcp://HOST:PORT"``, see `restore.cluster`) the jobs run
    on Dask workers instead of the process pool: the same `run_eval_job`, so the same records (the
    workers write them, so a remote cluster needs the output folder on a shared file system). A
    job whose worker dies is rescheduled by Dask, one that raised is retried; a record already
    written is never lost. Epochs are not relayed from Dask workers (``on_epoch`` is not called).

    Args:
        jobs: Jobs to run; each gets `parallelism.threads_per_worker` threads (in a pool,
            `parallelism.threads_for` more once fewer jobs than workers are left).
        parallelism: Worker processes (0: in this process, one after another).
        on_outcome: Called in this process as each job ends (for a progress bar).
        on_epoch: Called in this process with `(job, epoch, epochs)` as a neural fit finishes
            each epoch, from any worker (for the bar's ETA); calls come from one thread.

    Returns:
        One `JobOutcome` per job; a crashed worker process gives status `"error"`.

    Raises:
        KeyboardInterrupt: Ctrl-C, or `Terminated` on SIGTERM: the running jobs are stopped at
            once (their records are not written, so a rerun redoes exactly them), every worker
            process is ended and reaped, and the records of finished jobs are kept.
    """
    outcomes: list[JobOutcome] = []
    threads = None  # pool only: the shared per-job thread count

    def finish(outcome: JobOutcome) -> None:
        outcomes.append(outcome)
        if threads is not None:
            threads.value = parallelism.threads_for(len(jobs) - len(outcomes))
        if on_outcome is not None:
            on_outcome(outcome)

    if not jobs:
        return outcomes
    jobs = [dataclasses.replace(job, threads=parallelism.threads_per_worker) for job in jobs]
    if scheduler is not None:
        with _terminate_as_interrupt():
            _run_on_dask(jobs, parallelism, scheduler, finish)
        return outcomes
    if parallelism.workers == 0:
        with _terminate_as_interrupt():
            for job in jobs:
                relay = None if on_epoch is None else functools.partial(on_epoch, job)
                finish(run_eval_job(job, relay))
        return outcomes
    context = _pool_context()
    queue = context.Queue() if on_epoch is not None else None
    threads = context.Value("i", parallelism.threads_for(len(jobs)))
    relay_thread = None
    if queue is not None:
        by_name = {job.name: job for job in jobs}
        relay_thread = threading.Thread(
            target=_relay_epochs, args=(queue, by_name, on_epoch), daemon=True
        )
        relay_thread.start()
    options = {}
    if sys.version_info >= (3, 11):
        options["max_tasks_per_child"] = 1  # one job per process: per-job peak memory, no leaks
    executor = concurrent.futures.ProcessPoolExecutor(
        max_workers=min(parallelism.workers, len(jobs)),
        mp_context=context,
        initializer=_start_worker,
        initargs=(queue, threads),
        **options,
    )
    try:
        with _terminate_as_interrupt():
            _collect(executor, jobs, finish)
    except KeyboardInterrupt:
        _stop_workers(executor)
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        if relay_thread is not None:
            queue.put(None)  # after every worker has ended: their reports come first
            relay_thread.join(timeout=10)
    return outcomes


def _collect(
    executor: concurrent.futures.ProcessPoolExecutor,
    jobs: list[EvalJob],
    finish: Callable[[JobOutcome], None],
) -> None:
    """Submits every job to the pool and hands each outcome to `finish` as it comes."""
    futures, started = {}, {}
    for job in jobs:
        futures[executor.submit(_run_in_worker, job)] = job
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


def _run_on_dask(
    jobs: list[EvalJob],
    parallelism: Parallelism,
    scheduler: str,
    finish: Callable[[JobOutcome], None],
) -> None:
    """Runs every job on a Dask cluster (`restore.cluster`), handing outcomes to `finish`."""
    from restore.cluster import as_completed_map, dask_client

    started = time.perf_counter()
    workers = max(min(parallelism.workers, len(jobs)), 1)
    with dask_client(scheduler, workers=workers, threads_per_worker=1) as client:
        for job, outcome, error in as_completed_map(client, run_eval_job, jobs):
            if error is None:
                finish(outcome)
                continue
            message = f"Dask task failed: {error!r}"
            write_error_record(job, message)
            finish(JobOutcome(job, "error", time.perf_counter() - started, message))
