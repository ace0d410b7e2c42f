"""The engine's commands of the ``restore`` console script: inpaint, denoise, track, demo,
methods.

This typer app knows only the engine. The console script (``apps.console``) mounts it beside
``restore eval`` (``evaluation.cli``) and ``restore app`` (``apps.cli``). Bad input ends with a
one-line ``error: ...`` on stderr and exit code 2; nothing is written then.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from masks.checks import fail
from restore.chunks import DEFAULT_OVERLAP
from restore.config import (
    DEFAULT_METHODS,
    DEFAULT_PRESET,
    FRONT_END_OPTIONS,
    PRESETS,
    FrontEndOption,
    load_config,
)
from restore.errors import ExitOnBadInput

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Restore videos by fitting a neural video representation (HNeRV) to them.",
)

Output = Annotated[
    Path | None,
    typer.Option("-o", "--output", help="Restored video (.mp4); sidecars share its stem."),
]
Epochs = Annotated[int | None, typer.Option(help="Training epochs (default: the preset's).")]
Device = Annotated[str | None, typer.Option(help=FRONT_END_OPTIONS["device"].help)]
Debug = Annotated[bool, typer.Option(help="Show tracebacks.")]


def _config_option(entry: FrontEndOption) -> Any:
    """A typer option for a config field, from its declaration (``restore.config``)."""
    kind = (
        str if entry.parse is not None or entry.type not in (int, float, str, bool) else entry.type
    )
    flag = "--" + entry.name.replace("_", "-")
    return Annotated[kind | None, typer.Option(flag, help=entry.help)]


# The run options every restoring command takes: the config's (generated from the fields'
# declarations; a None default lets the preset decide) and the job's, declared here.
RUN_OPTIONS: dict[str, Any] = {
    "preset_name": Annotated[
        str | None,
        typer.Option("--preset", help=f"{' | '.join(PRESETS)} (default {DEFAULT_PRESET})."),
    ],
    "config_file": Annotated[
        Path | None,
        typer.Option(
            "--config", help="Replay a saved run: its *.config.json (options given here win)."
        ),
    ],
    **{name: _config_option(entry) for name, entry in FRONT_END_OPTIONS.items()},
    "start": Annotated[int, typer.Option(help="Skip this many frames first.")],
    "max_frames": Annotated[int | None, typer.Option(help="Use at most this many frames.")],
    "resize": Annotated[str | None, typer.Option(help="Work at WxH, e.g. 432x240.")],
    "chunk_frames": Annotated[
        int | None,
        typer.Option(help="Restore in chunks of N frames, overlaps included (default: by memory)."),
    ],
    "chunk_overlap": Annotated[
        int, typer.Option(help="Frames neighbouring chunks share; cross-faded (chunked runs).")
    ],
    "scheduler": Annotated[
        str | None,
        typer.Option(help="Run the chunks on Dask: local (127.0.0.1) or tcp://HOST:PORT."),
    ],
    "workers": Annotated[int, typer.Option(help="Worker processes of --scheduler local.")],
    "compare": Annotated[bool, typer.Option(help="Also write a side-by-side video.")],
    "save_model": Annotated[bool, typer.Option(help="Also save the fitted model (.model.pt).")],
    "save_frames": Annotated[bool, typer.Option(help="Also write PNG frames.")],
    "debug": Debug,
}
_RUN_DEFAULTS: dict[str, Any] = {"start": 0, "compare": False, "save_model": False}
_RUN_DEFAULTS |= {"save_frames": False, "debug": False, "workers": 2}
_RUN_DEFAULTS["chunk_overlap"] = DEFAULT_OVERLAP


def with_run_options(command: Callable[..., None]) -> Callable[..., None]:
    """Adds ``RUN_OPTIONS`` to a command's signature; the command receives them as keywords."""
    signature = inspect.signature(command, eval_str=True)
    added = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=_RUN_DEFAULTS.get(name),
            annotation=annotation,
        )
        for name, annotation in RUN_OPTIONS.items()
    ]
    kept = [p for p in signature.parameters.values() if p.kind != inspect.Parameter.VAR_KEYWORD]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        return command(*args, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=kept + added)  # type: ignore[attr-defined]
    return wrapper


def _config(preset_name: str | None, config_file: Path | None = None, **overrides: Any):
    """The run's config: a preset (or a saved config.json) with the options given applied."""
    from restore.methods import method_config

    for name, value in overrides.items():
        parse = FRONT_END_OPTIONS[name].parse
        if parse is not None and isinstance(value, str):
            overrides[name] = parse(value)
    base = load_config(config_file) if config_file is not None else preset_name or DEFAULT_PRESET
    return method_config(base, **overrides)


def _progress_bar():
    """tqdm bars fed by the job's progress callback: one for the fit's steps, one for each
    other phase's frames (propagation, fusion); returns (callback, close)."""
    from tqdm import tqdm

    from restore.progress import PhaseProgress

    bar = None
    phase_bar: list = [None, None]  # [tqdm bar, its phase]

    def on_phase(progress: PhaseProgress) -> None:
        if phase_bar[1] != progress.phase:
            if phase_bar[0] is not None:
                phase_bar[0].close()
            phase_bar[:] = [
                tqdm(total=progress.total, unit="frame", desc=progress.phase, file=sys.stderr),
                progress.phase,
            ]
        phase_bar[0].update(progress.done - phase_bar[0].n)

    def on_progress(progress) -> None:
        nonlocal bar
        if isinstance(progress, PhaseProgress):
            on_phase(progress)
            return
        if bar is None:
            bar = tqdm(total=progress.total_steps, unit="step", dynamic_ncols=True, file=sys.stderr)
        if progress.message:
            bar.write(progress.message, file=sys.stderr)
            if progress.plan is None:  # a recovery notice, not a step
                return
        if bar.total != progress.total_steps:  # a budgeted fit has planned its epochs
            bar.total = progress.total_steps
        bar.set_description(f"epoch {progress.epoch}/{progress.epochs}")
        bar.set_postfix(loss=f"{progress.loss:.4g}", psnr_known=f"{progress.psnr_known:.2f}")
        bar.update(progress.step - bar.n)

    def close() -> None:
        for open_bar in (bar, phase_bar[0]):
            if open_bar is not None:
                open_bar.close()

    return on_progress, close


def _frames_bar():
    """A tqdm bar over finished frames of a chunked run (frames done, rate, ETA)."""
    from tqdm import tqdm

    bar = None

    def on_frames(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="frame", dynamic_ncols=True, file=sys.stderr)
        bar.update(done - bar.n)

    def close() -> None:
        if bar is not None:
            bar.close()

    return on_frames, close


def _run(job) -> None:
    from restore.device import describe_device, pick_device
    from restore.jobs import run_job
    from restore.methods import get_method

    method = get_method(job.config.method)
    if method.neural:
        typer.echo(f"device: {describe_device(pick_device(job.config.device))}", err=True)
    _print_plan(job, method)
    on_progress, close = _progress_bar()
    on_frames, close_frames = _frames_bar()
    try:
        report = run_job(
            job,
            on_progress=on_progress,
            on_prepared=lambda prepared: [
                typer.echo(f"note: {n}", err=True) for n in prepared.notes
            ],
            on_frames=on_frames,
            method=method,
        )
    finally:
        close()
        close_frames()
    _print_report(report)


def _print_plan(job, method) -> None:
    """The job's phases before it runs (``restore.estimate``), and a warning when its time
    budget cannot cover the phases that are not the fit."""
    from restore.estimate import estimate_job
    from restore.io.streaming import probe_video
    from restore.streamed import wants_chunks

    chunked, info = wants_chunks(job, neural=method.neural)  # info: None if it did not probe
    if info is None:
        info = probe_video(job.input, start=job.start, max_frames=job.max_frames, resize=job.resize)
    estimate = estimate_job(
        job, info.num_frames, info.height, info.width, method=method, chunked=chunked
    )
    typer.echo(f"plan: {estimate.describe()}", err=True)
    too_small = estimate.budget_too_small()
    if too_small:
        typer.echo(f"warning: {too_small}", err=True)


def _print_report(report) -> None:
    timings = report.result.timings
    for note in report.result.info.get("notes", []):
        typer.echo(f"note: {note}", err=True)
    typer.echo(f"restored video: {report.outputs['video']}")
    for name, path in report.outputs.items():
        if name != "video":
            typer.echo(f"  {name}: {path}")
    parts = []
    if timings.get("fit_seconds") and "seconds_per_frame_epoch" in timings:
        parts.append(
            f"fit {timings['fit_seconds']:.1f} s "
            f"({timings['seconds_per_frame_epoch']:.3f} s per frame per epoch)"
        )
    for phase in ("propagation", "fusion"):
        if timings.get(f"{phase}_seconds"):
            parts.append(f"{phase} {timings[f'{phase}_seconds']:.1f} s")
    if report.job_timings.get("total_seconds") is not None:
        parts.append(f"whole run {report.job_timings['total_seconds']:.1f} s")
    if parts:
        typer.echo(f"time: {'; '.join(parts)}")
    fit = report.result.info
    if "chunks" in fit:
        chunks = fit["chunks"]
        typer.echo(
            f"chunks: {chunks['count']} (overlap {chunks['overlap']}) on "
            f"{chunks['scheduler'] or 'this process'}"
        )
    if fit.get("budget_stopped") and fit.get("stopped_phase"):
        typer.echo(f"the time budget ran out during the {fit['stopped_phase']}")
    elif fit.get("budget_stopped"):
        typer.echo(f"stopped at the time budget after {fit.get('epochs_run')} epoch(s)")
    if report.metrics:
        before, after = report.metrics["input"], report.metrics["restored"]
        typer.echo(
            f"PSNR whole frame: input {before['psnr']:.2f} dB -> restored {after['psnr']:.2f} dB"
        )
        if after.get("psnr_holes") is not None:
            typer.echo(
                f"PSNR in holes:    input {before['psnr_holes']:.2f} dB -> "
                f"restored {after['psnr_holes']:.2f} dB"
            )


def _job_from_options(task: str, options: dict[str, Any]):
    """Build a ``Job`` from a command's parameters: config fields go to the preset, the rest
    (input, output, mask and I/O options) to the job."""
    from restore.io import parse_resize
    from restore.job import Job

    options = dict(options)
    options.pop("debug")
    config = _config(
        options.pop("preset_name"),
        options.pop("config_file"),
        **{name: options.pop(name) for name in FRONT_END_OPTIONS},
    )
    resize = options.pop("resize")
    return Job(
        input=options.pop("video"),
        task=task,
        config=config,
        resize=parse_resize(resize) if resize else None,
        auto_chunk=True,  # a long clip is streamed in chunks (so is the app's)
        **options,
    )


@app.command()
@with_run_options
def inpaint(
    video: Annotated[Path, typer.Argument(help="Video file or folder of frames.")],
    mask: Annotated[
        str,
        typer.Option(help="boxes | center | objects:<davis sequence> | mask file/folder/video."),
    ] = "boxes",
    box_size: Annotated[
        int | None, typer.Option(help="Box side in px (default: 50 at 960 rows).")
    ] = None,
    mask_threshold: Annotated[
        float, typer.Option(help="User mask: gray level (0-1) above which a pixel is a hole.")
    ] = 0.5,
    mask_invert: Annotated[bool, typer.Option(help="User mask: holes are dark.")] = False,
    mask_dilate: Annotated[int, typer.Option(help="Grow holes by N px.")] = 0,
    mask_resize: Annotated[bool, typer.Option(help="Rescale a user mask of another size.")] = False,
    mask_track: Annotated[
        bool,
        typer.Option(
            "--track", help="The mask's first image marks an object on frame 1: follow it."
        ),
    ] = False,
    davis_root: Annotated[
        Path | None, typer.Option(help="DAVIS root for objects:<sequence> masks.")
    ] = None,
    preview: Annotated[
        bool, typer.Option(help="Also write the mask overlaid on the first frame.")
    ] = False,
    output: Output = None,
    **run_options: Any,
) -> None:
    """Fill holes (boxes, objects, a drawn or exported mask) in a video."""
    options = {**locals(), **run_options}
    options.pop("run_options")
    with ExitOnBadInput(run_options["debug"]):
        job = _job_from_options("inpaint", options)
        _run(job)


@app.command()
@with_run_options
def denoise(
    video: Annotated[Path, typer.Argument(help="Video file or folder of frames.")],
    add_noise: Annotated[
        str | None,
        typer.Option(
            help="Add synthetic noise first, KIND[:LEVEL] (to try it out on a clean clip)."
        ),
    ] = None,
    noise_mask: Annotated[
        bool, typer.Option(help="Impulse noise: treat the hit pixels as holes.")
    ] = False,
    sigma: Annotated[
        float | None,
        typer.Option(
            help="Gaussian noise level in [0, 1] units (e.g. 0.04 = 10/255); default: estimated "
            "from the clip. For nlmeans, bm3d, bm3d-flow, bm4d, hnerv-prior."
        ),
    ] = None,
    output: Output = None,
    **run_options: Any,
) -> None:
    """Remove noise from a video (impulses are detected and filled; see `restore methods`)."""
    options = {**locals(), **run_options}
    options.pop("run_options")
    sigma = options.pop("sigma")
    with ExitOnBadInput(run_options["debug"]):
        if options["method"] is None:
            options["method"] = DEFAULT_METHODS["denoise"]
        job = _job_from_options("denoise", options)
        if sigma is not None:
            _set_sigma(job.config, sigma)
        _run(job)


def _set_sigma(config, sigma: float) -> None:
    """Hands ``--sigma`` to a method that takes a noise level; InputError for the others."""
    from restore.methods import get_method

    method = get_method(config.method)
    if not method.takes_sigma:
        raise fail("--sigma", "a method that takes a noise level (nlmeans, bm3d, ...)", method.name)
    if not 0 <= sigma <= 1:
        raise fail("--sigma", "a noise standard deviation in [0, 1]", sigma)
    config.method_options = {**config.method_options, "sigma": float(sigma)}


@app.command()
def demo(
    output: Annotated[Path, typer.Option("-o", "--output", help="Output folder.")] = Path(
        "demo-output"
    ),
    epochs: Epochs = None,
    device: Device = None,
    debug: Debug = False,
) -> None:
    """Inpaint five boxes in the bundled Big Buck Bunny excerpt and report PSNR."""
    from restore.io import demo_clip_path
    from restore.job import Job

    with ExitOnBadInput(debug):
        config = _config("fast", epochs=epochs, device=device)
        job = Job(
            input=demo_clip_path(),
            task="inpaint",
            config=config,
            mask="boxes",
            output=output / "bunny_restored.mp4",
            compare=True,
            preview=True,
        )
        _run(job)


@app.command()
def track(
    video: Annotated[Path, typer.Argument(help="Video file or folder of frames.")],
    first_mask: Annotated[
        Path, typer.Argument(help="Mask image of the object on the annotated frame (white).")
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Folder for the masks and overlay.mp4.")
    ],
    frame: Annotated[int, typer.Option(help="The frame the mask marks (after --start).")] = 0,
    mask_threshold: Annotated[
        float, typer.Option(help="Gray level (0-1) above which a pixel is the object.")
    ] = 0.5,
    mask_invert: Annotated[bool, typer.Option(help="The object is dark.")] = False,
    mask_resize: Annotated[bool, typer.Option(help="Rescale a mask of another size.")] = False,
    start: Annotated[int, typer.Option(help="Skip this many frames first.")] = 0,
    max_frames: Annotated[int | None, typer.Option(help="Use at most this many frames.")] = None,
    resize: Annotated[str | None, typer.Option(help="Work at WxH, e.g. 432x240.")] = None,
    debug: Debug = False,
) -> None:
    """Follow the object of one frame's mask over the clip: a mask PNG per frame (object 255)
    and overlay.mp4 (the masks tinted over the frames) to check them."""
    import warnings

    from masks import MaskWarning, load_mask, overlay, track_mask
    from restore.io import parse_resize, read_video, write_video
    from restore.io.writing import write_mask_frames

    with ExitOnBadInput(debug):
        clip = read_video(
            video,
            start=start,
            max_frames=max_frames,
            resize=parse_resize(resize) if resize else None,
        )
        count, _, height, width = clip.frames.shape
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MaskWarning)  # an empty mask fails in track_mask
            first = load_mask(
                first_mask,
                1,
                height,
                width,
                threshold=mask_threshold,
                invert=mask_invert,
                resize=mask_resize,
            )
        on_frames, close = _frames_bar()
        try:
            tracked = track_mask(clip.frames, first[0, 0], frame_index=frame, progress=on_frames)
        finally:
            close()
        files = write_mask_frames(output, tracked)
        preview = write_video(output / "overlay.mp4", overlay(clip.frames, tracked), clip.fps)
        typer.echo(f"masks: {len(files)} PNGs in {output}")
        typer.echo(f"overlay: {preview}")
        typer.echo(f"restore with: restore inpaint {video} --mask {output} --mask-dilate N")


@app.command("methods")
def list_methods_command() -> None:
    """List the restoration methods."""
    from restore.methods import METHODS
    from restore.methods.spec import MethodSpec

    for name, method in METHODS.items():
        typer.echo(f"{name:15s} {'/'.join(method.tasks):16s} {method.description}")
        if method.options:
            typer.echo(f"{'':32s} options: {str(MethodSpec(name, dict(method.options)))}")
    typer.echo("\nGive options with the method: --method telea:radius=5, hybrid:network=none")
