"""The ``restore`` command line: inpaint, denoise, demo (and eval, app).

Bad input ends with a one-line ``error: ...`` on stderr and exit code 2; nothing is written then.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from restore.config import PRESETS, preset
from restore.errors import InputError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Restore videos by fitting a neural video representation (HNeRV) to them.",
)

Output = Annotated[
    Path | None,
    typer.Option("-o", "--output", help="Restored video (.mp4); sidecars share its stem."),
]
Preset = Annotated[str, typer.Option(help=f"Settings bundle: {', '.join(PRESETS)}.")]
Method = Annotated[str, typer.Option(help="Method (see `restore methods`).")]
Epochs = Annotated[int | None, typer.Option(help="Training epochs (overrides the preset).")]
ModelSize = Annotated[
    float | None, typer.Option(help="Model size in millions of parameters, e.g. 0.75.")
]
BatchSize = Annotated[int | None, typer.Option(help="Frames per optimizer step.")]
Loss = Annotated[str | None, typer.Option(help="l2 | l1 | ssim | ms-ssim | l1+ssim.")]
Strides = Annotated[str | None, typer.Option(help="Decoder strides, e.g. 5,3,2,2,2 (auto).")]
ChannelsLast = Annotated[
    bool | None, typer.Option(help="NHWC convolutions (speed differs by machine: measure).")
]
Prefill = Annotated[
    str | None, typer.Option(help="What HNeRV's encoder sees in holes: none | mean | telea.")
]
Device = Annotated[str, typer.Option(help="auto | cpu | cuda | cuda:N | mps.")]
Seed = Annotated[int, typer.Option(help="Random seed (initialisation, order, noise).")]
Start = Annotated[int, typer.Option(help="Skip this many frames first.")]
MaxFrames = Annotated[int | None, typer.Option(help="Use at most this many frames.")]
Resize = Annotated[str | None, typer.Option(help="Work at WxH, e.g. 432x240.")]
Compare = Annotated[bool, typer.Option(help="Also write a side-by-side video.")]
SaveModel = Annotated[bool, typer.Option(help="Also save the fitted model (.model.pt).")]
SaveFrames = Annotated[bool, typer.Option(help="Also write PNG frames.")]
Debug = Annotated[bool, typer.Option(help="Show tracebacks.")]


def _config(preset_name: str, **overrides: Any):
    from restore.models import parse_strides

    strides = overrides.pop("strides", None)
    config = preset(preset_name, **overrides)
    if strides:
        config.strides = parse_strides(strides)
    return config


def _progress_bar():
    """A tqdm bar fed by the fit's progress callback; returns (callback, close)."""
    from tqdm import tqdm

    bar = None

    def on_progress(progress) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=progress.total_steps, unit="step", dynamic_ncols=True, file=sys.stderr)
        if progress.message:
            bar.write(progress.message, file=sys.stderr)
            return
        bar.set_description(f"epoch {progress.epoch}/{progress.epochs}")
        bar.set_postfix(loss=f"{progress.loss:.4g}", psnr_known=f"{progress.psnr_known:.2f}")
        bar.update(progress.step - bar.n)

    def close() -> None:
        if bar is not None:
            bar.close()

    return on_progress, close


def _run(job, debug: bool) -> None:
    from restore.device import describe_device, pick_device
    from restore.jobs import run_job
    from restore.methods import get_method

    method = get_method(job.config.method)
    if method.neural:
        typer.echo(f"device: {describe_device(pick_device(job.config.device))}", err=True)
    on_progress, close = _progress_bar()
    try:
        report = run_job(
            job,
            on_progress=on_progress,
            on_prepared=lambda prepared: [
                typer.echo(f"note: {n}", err=True) for n in prepared.notes
            ],
        )
    finally:
        close()
    _print_report(report)


def _print_report(report) -> None:
    timings = report.result.timings
    typer.echo(f"restored video: {report.outputs['video']}")
    for name, path in report.outputs.items():
        if name != "video":
            typer.echo(f"  {name}: {path}")
    line = f"time: {timings.get('fit_seconds', 0):.1f} s"
    if "seconds_per_frame_epoch" in timings:
        line += f" ({timings['seconds_per_frame_epoch']:.3f} s per frame per epoch)"
    typer.echo(line)
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


CONFIG_OPTIONS = (
    "method",
    "epochs",
    "model_size",
    "batch_size",
    "loss",
    "strides",
    "channels_last",
    "prefill",
    "device",
    "seed",
)


def _job_from_options(task: str, options: dict[str, Any]):
    """Build a ``Job`` from a command's parameters: config fields go to the preset, the rest
    (input, output, mask and I/O options) to the job."""
    from restore.io import parse_resize
    from restore.jobs import Job

    options = dict(options)
    options.pop("debug")
    config = _config(
        options.pop("preset_name"), **{name: options.pop(name) for name in CONFIG_OPTIONS}
    )
    resize = options.pop("resize")
    return Job(
        input=options.pop("video"),
        task=task,
        config=config,
        resize=parse_resize(resize) if resize else None,
        **options,
    )


@app.command()
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
    davis_root: Annotated[
        Path | None, typer.Option(help="DAVIS root for objects:<sequence> masks.")
    ] = None,
    preview: Annotated[
        bool, typer.Option(help="Also write the mask overlaid on the first frame.")
    ] = False,
    output: Output = None,
    preset_name: Annotated[
        str, typer.Option("--preset", help=f"{', '.join(PRESETS)}")
    ] = "balanced",
    method: Method = "hnerv",
    epochs: Epochs = None,
    model_size: ModelSize = None,
    batch_size: BatchSize = None,
    loss: Loss = None,
    strides: Strides = None,
    channels_last: ChannelsLast = None,
    prefill: Prefill = None,
    device: Device = "auto",
    seed: Seed = 0,
    start: Start = 0,
    max_frames: MaxFrames = None,
    resize: Resize = None,
    compare: Compare = False,
    save_model: SaveModel = False,
    save_frames: SaveFrames = False,
    debug: Debug = False,
) -> None:
    """Fill holes (boxes, objects, a drawn or exported mask) in a video."""
    options = dict(locals())
    with _errors(debug):
        job = _job_from_options("inpaint", options)
        _run(job, debug)


@app.command()
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
    output: Output = None,
    preset_name: Annotated[
        str, typer.Option("--preset", help=f"{', '.join(PRESETS)}")
    ] = "balanced",
    method: Method = "hnerv",
    epochs: Epochs = None,
    model_size: ModelSize = None,
    batch_size: BatchSize = None,
    loss: Loss = None,
    strides: Strides = None,
    channels_last: ChannelsLast = None,
    prefill: Prefill = None,
    device: Device = "auto",
    seed: Seed = 0,
    start: Start = 0,
    max_frames: MaxFrames = None,
    resize: Resize = None,
    compare: Compare = False,
    save_model: SaveModel = False,
    save_frames: SaveFrames = False,
    debug: Debug = False,
) -> None:
    """Remove noise from a video (the network's reconstruction is the output)."""
    options = dict(locals())
    with _errors(debug):
        job = _job_from_options("denoise", options)
        _run(job, debug)


@app.command()
def demo(
    output: Annotated[Path, typer.Option("-o", "--output", help="Output folder.")] = Path(
        "demo-output"
    ),
    epochs: Epochs = None,
    device: Device = "auto",
    debug: Debug = False,
) -> None:
    """Inpaint five boxes in the bundled Big Buck Bunny excerpt and report PSNR."""
    from restore.io import demo_clip_path
    from restore.jobs import Job

    with _errors(debug):
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
        _run(job, debug)


@app.command("methods")
def list_methods_command() -> None:
    """List the restoration methods."""
    from restore.methods import METHODS

    for name, method in METHODS.items():
        typer.echo(f"{name:15s} {'/'.join(method.tasks):16s} {method.description}")


class ExitOnBadInput:
    """Turn bad-input exceptions into one line on stderr and exit code 2 (all front ends).

    ``ValueError`` (``InputError`` included), ``FileNotFoundError`` and ``NotADirectoryError``
    become ``error: <message>``; Ctrl-C becomes ``interrupt_message`` and exit code 130. With
    ``debug`` the traceback is shown instead.
    """

    def __init__(self, debug: bool, interrupt_message: str = "interrupted") -> None:
        self.debug = debug
        self.interrupt_message = interrupt_message

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, traceback) -> bool:
        if error is None or self.debug:
            return False
        if isinstance(error, InputError | ValueError | FileNotFoundError | NotADirectoryError):
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2)
        if isinstance(error, KeyboardInterrupt):
            typer.echo(self.interrupt_message, err=True)
            raise typer.Exit(130)
        return False


_errors = ExitOnBadInput


def _mount_front_ends() -> None:
    """Add ``restore eval ...`` (evaluation/) and ``restore app`` (apps/) to the command line.

    The console script is where the three front ends meet, so this is the one place in
    ``restore/`` that reaches into ``evaluation/`` and ``apps/``, and it does so only when the
    command line is built, never when the engine is imported.
    """
    import functools
    import importlib

    evaluation_cli = importlib.import_module("evaluation.cli")
    app.add_typer(evaluation_cli.app, name="eval", help="DAVIS evaluation harness and reports.")
    apps_cli = importlib.import_module("apps.cli")

    @functools.wraps(apps_cli.launch)
    def launch_app(*args: Any, **kwargs: Any) -> None:
        with _errors(debug=False):
            apps_cli.launch(*args, **kwargs)

    app.command("app", help="Open the Gradio web app (127.0.0.1 unless --host says otherwise).")(
        launch_app
    )


def main() -> None:
    _mount_front_ends()
    app()


if __name__ == "__main__":
    main()
