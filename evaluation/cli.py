"""`restore eval`: the DAVIS benchmark (`davis`) and reports from its records (`report`).

A typer app, mounted as `restore eval` by the console script (`apps.console`; `python -m
evaluation.cli` works too). It only parses options, turns runner callbacks into a tqdm bar and
prints a summary; the work is in `evaluation.runner` and `evaluation.report`. Bad input ends with
one line `error: ...` on stderr and exit code 2; a batch with failed jobs exits with code 1
after finishing the others.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Annotated

import typer

from evaluation.profiles import PROFILES
from evaluation.tasks import TASKS, task_kind
from restore.config import FRONT_END_OPTIONS, parse_duration
from restore.errors import ExitOnBadInput

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Evaluate restoration methods on DAVIS and build reports from the records.",
)

DEFAULT_METHODS = {
    "inpaint": "hnerv,nerv,telea,flow-guided",
    "denoise": "bm3d-flow,bm3d,nlmeans,median",
}


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


class BatchProgress:
    """Work units of a batch for one tqdm bar, so its rate and ETA follow the fits.

    One epoch of a neural method's fit is one unit, a whole classical job one unit (seconds
    against minutes). Workers report epochs as they finish them; a job's outcome completes its
    units (a failed fit's too), and reports that arrive after the outcome are ignored.
    """

    def __init__(self, jobs: list) -> None:
        self._units = {job.name: self._job_units(job) for job in jobs}
        self._done = dict.fromkeys(self._units, 0)
        self._finished: set[str] = set()
        self.running: dict[str, tuple[int, int]] = {}  # job name -> (epoch, epochs)
        self.total = sum(self._units.values())

    @staticmethod
    def _job_units(job) -> int:
        from restore.methods import get_method

        return max(job.profile.epochs, 1) if get_method(job.method).neural else 1

    def epoch(self, name: str, epoch: int, epochs: int) -> int:
        """Records a finished epoch; returns the units to add to the bar."""
        if name in self._finished:
            return 0
        self.running[name] = (epoch, epochs)
        return self._advance(name, min(epoch, self._units[name]))

    def finish(self, name: str) -> int:
        """Records a finished job; returns the units to add to the bar."""
        self._finished.add(name)
        self.running.pop(name, None)
        return self._advance(name, self._units[name])

    def _advance(self, name: str, done: int) -> int:
        added = max(done - self._done[name], 0)
        self._done[name] += added
        return added

    def describe(self) -> str:
        """The running fits, e.g. `blackswan/hnerv 37/100, car-shadow/nerv 12/100`."""
        return ", ".join(
            f"{name} {epoch}/{epochs}" for name, (epoch, epochs) in self.running.items()
        )


def _Errors(debug: bool) -> ExitOnBadInput:  # noqa: N802 - used like the class it returns
    return ExitOnBadInput(debug, "interrupted; finished records are kept, rerun to resume")


@app.command()
def davis(
    root: Annotated[
        Path, typer.Option(help="DAVIS root (JPEGImages/<res>/<seq>/*.jpg, Annotations/...).")
    ],
    out: Annotated[Path, typer.Option(help="Output folder: records/ and report/ go here.")],
    task: Annotated[str, typer.Option(help=f"One of: {', '.join(TASKS)}.")] = "inpaint-boxes",
    methods: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated methods (see `restore methods`); default "
            f"{DEFAULT_METHODS['inpaint']} (inpaint), {DEFAULT_METHODS['denoise']} (denoise)."
        ),
    ] = None,
    sequences: Annotated[
        str | None, typer.Option(help="Comma-separated sequences; default: all of the root.")
    ] = None,
    profile: Annotated[str, typer.Option(help=f"One of: {', '.join(PROFILES)}.")] = "cpu",
    size: Annotated[
        str | None, typer.Option(help="Override the frame size: WxH (e.g. 432x240) or native.")
    ] = None,
    frames: Annotated[int | None, typer.Option(help="Override: the first N frames.")] = None,
    model_size: Annotated[
        float | None, typer.Option(help="Override: millions of parameters (neural methods).")
    ] = None,
    epochs: Annotated[int | None, typer.Option(help="Override: epochs (neural methods).")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Override: frames per step.")] = None,
    curve_every: Annotated[
        int | None, typer.Option(help="Override: epochs between ground-truth PSNR checks (0: off).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Override: seed (init, order, noise).")] = None,
    time_budget: Annotated[
        str | None,
        typer.Option(help="Override: time per job, e.g. 5m (neural fits plan their epochs)."),
    ] = None,
    recipe: Annotated[
        str | None, typer.Option(help=f"Override: {FRONT_END_OPTIONS['recipe'].help}")
    ] = None,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda | cuda:N | mps.")] = "auto",
    workers: Annotated[
        int | None,
        typer.Option(help="Worker processes (0: run in this process); default by device."),
    ] = None,
    threads_per_worker: Annotated[
        int | None, typer.Option(help="torch/OpenCV threads per worker; default by device.")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Run the jobs on Dask: local (a LocalCluster on 127.0.0.1 with --workers "
            "processes) or tcp://HOST:PORT; default: the local process pool."
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Refit jobs that already have records.")] = False,
    report: Annotated[bool, typer.Option(help="Build the report at the end.")] = True,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Restore DAVIS sequences with several methods under one protocol; one record per job."""
    from tqdm import tqdm

    from evaluation.profiles import resolve_profile
    from evaluation.report import build_report
    from evaluation.runner import plan_batch, resolve_parallelism, run_jobs
    from restore.cluster import check_scheduler

    with _Errors(debug):
        resolved = resolve_profile(
            profile,
            size=size,
            frames=frames,
            model_size=model_size,
            epochs=epochs,
            batch_size=batch_size,
            curve_every=curve_every,
            seed=seed,
            time_budget=parse_duration(time_budget) if time_budget else None,
            recipe=recipe,
        )
        from restore.methods import parse_method, split_specs

        # Each spec (``hybrid:network=none``) is checked here and keeps its own records.
        method_names = [
            str(parse_method(spec))
            for spec in split_specs(methods or "") or [DEFAULT_METHODS[task_kind(task)]]
        ]
        plan = plan_batch(
            davis_root=root,
            task=task,
            methods=method_names,
            profile=resolved,
            out_dir=out,
            sequences=_split(sequences),
            device=device,
            force=force,
        )
        check_scheduler(scheduler)
        parallelism = resolve_parallelism(
            workers, threads_per_worker, device=device, jobs=len(plan.to_run)
        )
        typer.echo(
            f"{task}, profile {resolved.label}: {len(plan.jobs)} jobs, {len(plan.skipped)} "
            f"finished already (skipped), {len(plan.to_run)} to run with "
            f"{parallelism.workers} worker(s) x {parallelism.threads_per_worker} thread(s)"
            + (f" on Dask ({scheduler})" if scheduler else ""),
            err=True,
        )
        started = time.perf_counter()
        progress = BatchProgress(plan.to_run)
        with tqdm(total=progress.total, unit="epoch", disable=not plan.to_run) as bar:
            lock = threading.Lock()  # epochs come from a relay thread, outcomes from this one

            def on_epoch(job, epoch: int, epochs: int) -> None:
                with lock:
                    bar.update(progress.epoch(job.name, epoch, epochs))
                    bar.set_postfix_str(progress.describe(), refresh=False)

            def on_outcome(outcome) -> None:
                with lock:
                    bar.update(progress.finish(outcome.job.name))
                    bar.set_postfix_str(progress.describe(), refresh=False)
                    bar.write(
                        f"{outcome.status:5s} {outcome.job.name}: {outcome.message} "
                        f"({outcome.seconds:.1f} s)"
                    )

            outcomes = run_jobs(plan.to_run, parallelism, on_outcome, on_epoch, scheduler=scheduler)
        failed = [outcome for outcome in outcomes if outcome.status != "ok"]
        typer.echo(
            f"ran {len(outcomes)} job(s) in {time.perf_counter() - started:.1f} s: "
            f"{len(outcomes) - len(failed)} ok, {len(failed)} failed, "
            f"{len(plan.skipped)} skipped",
            err=True,
        )
        if report:
            files = build_report(out)
            typer.echo(f"report: {files.markdown}", err=True)
    if failed:
        raise typer.Exit(1)


@app.command("track")
def track_command(
    root: Annotated[
        Path, typer.Option(help="DAVIS root (JPEGImages/480p/<seq>, Annotations/480p/<seq>).")
    ],
    sequences: Annotated[
        str | None, typer.Option(help="Comma-separated sequences; default: all of the root.")
    ] = None,
    out: Annotated[Path, typer.Option(help="Output folder: tracking.csv goes here.")] = Path(
        "runs/track"
    ),
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Track each sequence's object from its first annotation; score J, coverage, area."""
    from evaluation.tracking import evaluate_tracking, format_table, write_csv

    with _Errors(debug):

        def on_sequence(score) -> None:
            typer.echo(
                f"{score.sequence}: J {score.j:.1f}, coverage {score.coverage:.3f}, "
                f"area {score.area_ratio:.2f}x, {score.seconds_per_frame:.3f} s/frame",
                err=True,
            )

        scores = evaluate_tracking(root, _split(sequences), on_sequence=on_sequence)
        typer.echo(format_table(scores))
        typer.echo(f"csv: {write_csv(out / 'tracking.csv', scores)}", err=True)


@app.command("report")
def report_command(
    out: Annotated[Path, typer.Argument(help="The --out folder of `restore eval davis`.")],
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Build report/report.md, report/results.csv and PNG plots from the records only."""
    from evaluation.report import build_report

    with _Errors(debug):
        files = build_report(out)
        typer.echo(
            f"{files.records} records ({files.errors} failed) -> {files.markdown}, {files.csv}, "
            f"{len(files.plots)} plots"
        )


if __name__ == "__main__":
    app()
