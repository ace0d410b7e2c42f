"""The app's event handlers: Gradio values in, engine calls, Gradio values out.

Each handler checks its inputs (`apps.inputs`), calls the engine (`restore.jobs.prepare_input`
for previews and estimates, `restore.jobs.run_job` through `apps.runner` for the fit) and turns
the results into what the components show. Bad input becomes a `gr.Error` with the engine's or the
limits' one-line message; the app stays usable. No restoration maths happens here.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import logging
import threading
import time
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image
from tqdm import tqdm

import masks
from apps.estimate import SpeedBook, estimate_run
from apps.inputs import (
    RunRequest,
    UploadGuard,
    build_job,
    has_strokes,
    inspect_video,
    job_shape,
)
from apps.limits import DEFAULT_LIMITS, Limits
from apps.runner import (
    Failed,
    Finished,
    Frames,
    Phase,
    Prepared,
    Preview,
    Step,
    Stopped,
    Tracked,
    run_job_events,
)
from apps.sessions import RunResult, SessionStore
from masks import TrackingStopped
from restore.errors import InputError
from restore.io import frames_to_uint8, read_video, write_video
from restore.job import JobReport
from restore.jobs import prepare_input

log = logging.getLogger(__name__)

METRIC_COLUMNS = ["metric", "input", "restored", "change"]
METRIC_ROWS = (  # (key in the engine's scores, label, decimals)
    ("psnr", "PSNR (dB)", 2),
    ("psnr_holes", "PSNR in the holes (dB)", 2),
    ("ssim", "SSIM", 4),
    ("ssim_holes", "SSIM in the holes", 4),
)
BRUSH_COLOR = "#ff3030"
BRUSH_FRACTION = 24  # brush radius: the frame's shorter side over this
STATUS_SECONDS = 0.5  # at most two status updates a second during the fit
LONG_RUN_SECONDS = 10 * 60  # estimates above this suggest a shorter setting
BUSY = (
    "Something is already running in this tab (a restoration or the tracked-mask preview): wait "
    "for it or press Stop."
)
FOLLOW_NOTE = (
    "The object is followed over the clip when restoring: press **Preview the tracked mask** to "
    "see its mask on every frame."
)


def metrics_table(scores: dict[str, Any] | None) -> pd.DataFrame:
    """The engine's ``{"input": {...}, "restored": {...}}`` scores as table rows."""
    rows = []
    for key, label, decimals in METRIC_ROWS if scores else ():
        before, after = scores["input"].get(key), scores["restored"].get(key)
        if before is None or after is None:
            continue
        rows.append(
            [
                label,
                round(before, decimals),
                round(after, decimals),
                round(after - before, decimals),
            ]
        )
    return pd.DataFrame(rows, columns=METRIC_COLUMNS)


def _plural(count: int, noun: str) -> str:
    """``1 frame``, ``2 frames``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _seconds(value: float) -> str:
    if value != value or value == float("inf"):  # NaN or unknown
        return "?"
    return f"{value:.0f} s" if value < 120 else f"{value / 60:.1f} min"


PHASE_TITLES = {
    "propagation": "Propagating known pixels along the motion",
    "validation propagation": "Propagating again, with test holes to measure the fill on",
    "spatial fill": "Filling from each frame's own surroundings, to compare with",
    "fusion": "Steadying the holes over time",
    "denoising": "Denoising frame by frame (and over time)",
    "inpainting": "Filling the holes frame by frame",
}


def frames_status(event: Frames) -> str:
    if event.phase is None:
        title, what = "Restoring in chunks", "frames written"
    else:
        title, what = PHASE_TITLES.get(event.phase, event.phase.capitalize()), "frames"
    return (
        f"**{title}** · {event.done}/{event.total} {what} · "
        f"{_seconds(event.elapsed)} elapsed · about {_seconds(event.eta)} left"
    )


def tracked_status(event: Tracked) -> str:
    return f"**Following the object** · {event.done}/{event.total} frames"


def step_status(step: Step) -> str:
    return (
        f"**Fitting** · epoch {step.epoch}/{step.epochs} · step {step.step}/{step.total_steps} · "
        f"loss {step.loss:.4g} · PSNR on known pixels {step.psnr_known:.2f} dB · "
        f"{_seconds(step.elapsed)} elapsed · about {_seconds(step.eta)} left"
    )


def takes_request(handler: Callable) -> Callable:
    """``handler(self, fields: RunRequest, ...)`` as a Gradio handler of the app's request: its
    signature has one parameter per `RunRequest` field (named, typed and defaulted like the
    field, in field order), then the handler's own (``request: gr.Request``, a ``gr.Progress``).

    Gradio reads a handler's signature: it injects `gr.Request` and `gr.Progress` by position
    among the leading positional parameters (it stops at ``*args``), names the API's parameters
    after them (``param_0``... for ``*args``), and makes a parameter whose default is None
    optional for API clients. So the signature is built from the dataclass rather than written
    out per handler, and the values reach the request by name.
    """
    own = inspect.signature(handler, eval_str=True)
    self_parameter, _, *extra = own.parameters.values()
    hints = typing.get_type_hints(RunRequest)
    empty = inspect.Parameter.empty
    field_parameters = [
        inspect.Parameter(
            item.name,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            default=empty if item.default is dataclasses.MISSING else item.default,
            annotation=hints[item.name],
        )
        for item in dataclasses.fields(RunRequest)
    ]
    signature = own.replace(parameters=[self_parameter, *field_parameters, *extra])
    names = RunRequest.names()

    def split(args: tuple, kwargs: dict) -> tuple[Any, RunRequest, dict[str, Any]]:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        owner = values.pop(self_parameter.name)
        return owner, RunRequest(**{name: values.pop(name) for name in names}), values

    if inspect.isgeneratorfunction(handler):  # Gradio streams a generator function's yields

        @functools.wraps(handler)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            owner, fields, rest = split(args, kwargs)
            return (yield from handler(owner, fields, **rest))

    else:

        @functools.wraps(handler)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            owner, fields, rest = split(args, kwargs)
            return handler(owner, fields, **rest)

    wrapper.__signature__ = signature  # type: ignore[attr-defined]
    wrapper.__annotations__ = {  # resolved: Gradio finds gr.Request through typing.get_type_hints
        name: parameter.annotation
        for name, parameter in signature.parameters.items()
        if parameter.annotation is not empty
    } | {"return": own.return_annotation}
    return wrapper


class Handlers:
    """Everything the components call; one instance per app."""

    def __init__(
        self,
        limits: Limits = DEFAULT_LIMITS,
        *,
        store: SessionStore | None = None,
        example_root: Path | None = None,
        device: str = "auto",
    ) -> None:
        self.limits = limits
        self.store = store if store is not None else SessionStore()
        self.guard = UploadGuard([example_root] if example_root else [])
        self.speeds = SpeedBook()
        self.device = device
        self._waiting: set[str | None] = set()  # sessions admitted to the restoration queue
        self._waiting_lock = threading.Lock()

    # --- input --------------------------------------------------------------------------------

    def inspect(self, request: gr.Request, video: str | None, start_frame: float | None):
        """On upload: describe the clip and put its first frame in the drawing editor."""
        if video is None:
            return "", None
        session = self.store.get(request.session_hash if request else None)
        try:
            path, info = inspect_video(RunRequest(video), self.guard, self.limits, session)
            start = int(start_frame or 0)
            start = start if 0 <= start < info.num_frames else 0
            first = read_video(path, start=start, max_frames=1).frames
        except InputError as error:
            gr.Warning(str(error))
            return f"⚠️ {error}", None
        image = frames_to_uint8(first)[0]
        background = {"background": image, "layers": [], "composite": image}
        # Gradio's automatic brush is far too wide on small frames: scale it with the frame.
        brush = gr.Brush(
            default_size=max(2, min(image.shape[:2]) // BRUSH_FRACTION),
            colors=[BRUSH_COLOR],
            color_mode="fixed",
        )
        return info.describe(), gr.ImageEditor(value=background, brush=brush)

    @takes_request
    def preview(self, fields: RunRequest, request: gr.Request = None):
        """The mask on the first frame and the masked fraction, before running."""
        if fields.video is None:
            return None, "Upload a video or pick the example to see the mask."
        if fields.problem == "draw" and not has_strokes(fields.drawing):
            return None, "Paint over what should go on the first frame; the mask shows here."
        session = self.store.get(request.session_hash if request else None)
        follow = fields.problem == "draw" and bool(fields.follow)
        try:
            job, _ = build_job(
                dataclasses.replace(fields, follow=False),  # the first frame: no tracking here
                session,
                self.guard,
                output=session.directory / "preview.mp4",
                limits=self.limits,
                device=self.device,
            )
            prepared = prepare_input(job)
        except InputError as error:
            return None, f"⚠️ {error}"
        frames, _, height, width = prepared.corrupted.shape
        if prepared.mask is None:
            first = prepared.corrupted[0]
            text = f"Denoising {_plural(frames, 'frame')} at {width}x{height}: no mask."
        else:
            first = masks.overlay(prepared.corrupted[0], prepared.mask[0])
            fraction = masks.masked_fraction(prepared.mask)
            text = (
                f"Masked: **{100 * fraction:.2f}%** of the pixels of {_plural(frames, 'frame')} at "
                f"{width}x{height} (red: to be restored)."
            )
        if follow:
            text += f"\n\n{FOLLOW_NOTE}"
        else:
            text += "".join(f"\n\nNote: {note}" for note in prepared.notes)
        return frames_to_uint8(first[None])[0], text

    @takes_request
    def preview_tracking(
        self,
        fields: RunRequest,
        request: gr.Request = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (Gradio's API)
    ) -> tuple[str | None, str]:
        """Follow the drawn object over the clip (the tracker only, as a restoration with Follow
        the object would) and show its mask tinted over the clip as a short video."""
        if fields.video is None:
            raise gr.Error("upload a video first (or pick the example clip)")
        if fields.problem != "draw":
            raise gr.Error(
                "the tracked mask follows a drawn mask: choose 'Draw on the first frame' and "
                "paint over the object"
            )
        session = self.store.get(request.session_hash if request else None)
        if session.busy:
            raise gr.Error(BUSY)
        session.busy = session.tracking = True
        try:
            job, _ = build_job(
                dataclasses.replace(fields, follow=True),
                session,
                self.guard,
                output=session.directory / "tracked.mp4",
                limits=self.limits,
                device=self.device,
            )
            session.stop.clear()
            progress(0, desc="Following the object")

            def on_tracked(done: int, total: int) -> None:
                progress((done, total), desc="Following the object", unit="frames")

            prepared = prepare_input(job, on_tracked=on_tracked, should_stop=session.stop.is_set)
            tinted = masks.overlay(prepared.corrupted, prepared.mask)
            path = write_video(
                session.directory / "tracked" / "tracked_mask.mp4", tinted, prepared.fps
            )
        except InputError as error:
            raise gr.Error(str(error)) from None
        except TrackingStopped:
            return None, "**Stopped** while following the object: no tracked mask to show."
        finally:
            session.tracking = False
            self.store.release(session)
        if session.closed:  # the tab went away meanwhile: its folder is gone
            return None, ""
        session.track_output(path)
        frames, _, height, width = prepared.mask.shape
        text = (
            f"The object followed over {_plural(frames, 'frame')} at {width}x{height} (red: to be "
            f"restored, {100 * masks.masked_fraction(prepared.mask):.2f}% of the pixels). Where "
            "the red misses part of the object, paint over more of it on the first frame."
        )
        return str(path), text

    # --- settings -----------------------------------------------------------------------------

    @takes_request
    def estimate(self, fields: RunRequest, request: gr.Request = None) -> str:
        """Run time before starting, every phase, from the engine's planner (no fit is run)."""
        session = self.store.get(request.session_hash if request else None)
        if fields.video is None:
            return ""
        try:
            job, info = build_job(
                fields,
                session,
                self.guard,
                output=session.directory / "estimate.mp4",
                limits=self.limits,
                device=self.device,
                check_mask=False,
            )
            shape = job_shape(job, info)
            estimate = estimate_run(job, shape, self.speeds)
        except InputError as error:
            return f"⚠️ {error}"
        text = f"Estimated run time: {estimate.describe()}."
        too_small = estimate.budget_too_small()
        if too_small:
            text += f"\n\n**{too_small[0].upper()}{too_small[1:]}.**"
        elif estimate.total_seconds > LONG_RUN_SECONDS:
            ways = ["fewer frames (Advanced)", "a lower working resolution"]
            if fields.preset != "fast":
                ways.append("the `fast` preset")
            if job.config.time_budget is None:
                ways.append(
                    f"a time budget such as `{max(1, round(LONG_RUN_SECONDS / 60))}m` (the fit "
                    "then plans its epochs to finish in time)"
                )
            text += f"\n\n**That is long.** To get a result sooner: {', '.join(ways)}."
        return text

    # --- run ----------------------------------------------------------------------------------

    @takes_request
    def run(
        self,
        fields: RunRequest,
        request: gr.Request = None,
        progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008 (Gradio's API)
    ) -> Iterator[tuple]:
        """Restore the video; yields status, live preview, video, slider, frame, metrics, files."""
        session = self.store.get(request.session_hash if request else None)
        if session.busy:
            raise gr.Error(BUSY)  # (this tab's place in the queue stays: its first run holds it)
        session.busy = True
        started = False
        try:
            output_folder = session.new_run_directory()
            stem = Path(fields.video if isinstance(fields.video, str) else "video").stem
            job, info = build_job(
                fields,
                session,
                self.guard,
                output=output_folder / f"{stem}_restored.mp4",
                limits=self.limits,
                device=self.device,
            )
            session.stop.clear()
            session.result = None
            follow = " and following the object" if job.mask_track else " and building the mask"
            progress(0, desc=f"Reading the video{follow}")
            events = run_job_events(job, session.stop, on_exit=lambda: self.store.release(session))
            started = True
        except InputError as error:
            raise gr.Error(str(error)) from None
        finally:
            if not started:
                self.store.release(session)
                self._leave_queue(request)
        skip = gr.skip()
        bar = None
        last_status = 0.0
        prepared = None
        shown_phase = None
        try:
            for event in events:
                if isinstance(event, Tracked):
                    session.tracking = event.done < event.total  # what Stop would end
                    if bar is None:
                        bar = tqdm(total=event.total, desc="Following the object", unit="frame")
                    bar.update(event.done - bar.n)
                    if event.done == event.total:
                        bar.close()
                        bar = None  # the fit gets a bar of its own
                    yield (tracked_status(event), *[skip] * 6)
                elif isinstance(event, Prepared):
                    prepared = event.prepared
                elif isinstance(event, Step):
                    if event.message:
                        gr.Info(event.message)
                        continue
                    if bar is None:
                        bar = tqdm(total=event.total_steps, desc="Fitting", unit="step")
                    bar.update(event.step - bar.n)
                    now = time.monotonic()
                    if now - last_status >= STATUS_SECONDS or event.step == event.total_steps:
                        last_status = now
                        stopping = " · stopping…" if session.stop.is_set() else ""
                        yield (step_status(event) + stopping, *[skip] * 6)
                elif isinstance(event, Frames):
                    if event.phase is None:
                        if bar is None:
                            bar = tqdm(total=event.total, desc="Restoring", unit="frame")
                        bar.update(event.done - bar.n)
                    stopping = " · stopping…" if session.stop.is_set() else ""
                    yield (frames_status(event) + stopping, *[skip] * 6)
                elif isinstance(event, Phase):
                    if event.name != shown_phase:
                        shown_phase = event.name
                        yield (f"**Finishing** · {event.name}…", *[skip] * 6)
                elif isinstance(event, Preview):
                    yield (skip, self._image_file(session, "preview", event.image), *[skip] * 5)
                elif isinstance(event, Stopped):
                    yield (f"**Stopped** {event.message}: nothing was restored.", *[skip] * 6)
                elif isinstance(event, Failed):
                    raise gr.Error(event.message)
                elif isinstance(event, Finished):
                    if prepared is not None and "chunks" not in event.report.result.info:
                        steps = event.report.result.info.get("steps", 0)
                        shape = job_shape(job, info)
                        self.speeds.record_run(job, shape, event.report.result.timings, steps)
                    yield self._finished(event.report, session, info.name)
        finally:
            session.tracking = False
            events.close()  # a visitor who left stops the fit (the result is still written)
            if bar is not None:
                bar.close()
            self._leave_queue(request)

    def _finished(self, report: JobReport, session, name: str) -> tuple:
        result = report.result
        before = frames_to_uint8(report.prepared.before)  # the clip as uploaded, holes unfilled
        after = frames_to_uint8(result.restored)
        session.result = RunResult(before, after)
        num_frames = before.shape[0]
        info = result.info
        fit_seconds = result.timings.get("fit_seconds", 0.0)
        steps, total = info.get("steps", 0), info.get("total_steps", 0)
        epochs_done = info.get("epochs_run", 0)
        chunks = info.get("chunks")
        if chunks is not None:
            written, clip_frames = info["frames_written"], chunks["plan"][-1][1]
            headline = (
                f"**{'Stopped' if written < clip_frames else 'Done'}**: "
                f"{_plural(written, 'frame')} restored in {_plural(chunks['count'], 'chunk')} "
                f"in {_seconds(fit_seconds)}; the frames below are {num_frames} evenly spaced "
                "ones of the result."
            )
        elif info.get("network_left_out") and not (
            result.stopped and not info.get("budget_stopped")
        ):
            # The network took no part in the result: say what the result is, not how far the
            # fit got (an unfinished fit is never blended).
            filled_by = "propagation and Telea" if "propagated_fraction" in info else "Telea"
            if info.get("budget_stopped"):
                why = "the time left covered propagation only, so the network was not fitted"
            else:
                why = f"the fitted network was left out ({info['network_left_out']})"
            headline = f"**Done**: {why}; the holes are filled by {filled_by}."
        elif info.get("stopped_phase"):
            # Stop (or the time budget) ended a phase before the fit: the note says what fills
            # the holes.
            why = "The time budget ran out" if info.get("budget_stopped") else "Stopped"
            headline = f"**{why}** during the {info['stopped_phase']}: this is the result so far."
        elif info.get("budget_stopped"):
            headline = (
                f"**Done within the time budget**: {steps} steps ({_plural(epochs_done, 'epoch')}"
                f" complete) in {_seconds(fit_seconds)}."
            )
        elif result.stopped:
            headline = (
                f"**Stopped** at step {steps} of {total} ({_plural(epochs_done, 'complete epoch')}"
                "): this is the result so far."
            )
            if info.get("network_left_out"):
                headline += (
                    " The network was not fitted far enough to use: propagation and Telea fill"
                    " the holes."
                )
        elif not total:  # a classical method, or the hybrid without its network: no fit
            # No fit ran, so its seconds (0) are not the run's: say how long the restoration took.
            seconds = report.job_timings.get("restore_seconds")
            headline = f"**Done** in {_seconds(seconds if seconds is not None else fit_seconds)}."
        else:
            headline = f"**Done**: {_plural(epochs_done, 'epoch')} in {_seconds(fit_seconds)}."
        lines = [
            headline,
            f"{name} restored: {_plural(info.get('frames_written', num_frames), 'frame')} at "
            f"{before.shape[2]}x{before.shape[1]}.",
        ]
        if report.metrics is None:
            lines.append("No ground truth for this corruption, so no metrics.")
        notes = dict.fromkeys(report.prepared.notes + info.get("notes", []))  # once each, in order
        lines += [f"Note: {note}" for note in notes]
        downloads = [
            str(report.outputs[key])
            for key in ("video", "compare", "model", "metrics")
            if key in report.outputs and report.outputs[key].exists()
        ]
        for path in downloads:
            session.track_output(Path(path))
        slider = gr.update(
            minimum=0, maximum=max(num_frames - 1, 1), value=0, interactive=num_frames > 1
        )
        return (
            "\n\n".join(lines),
            gr.skip(),
            str(report.outputs["video"]),
            (
                self._image_file(session, "before", before[0]),
                self._image_file(session, "after", after[0]),
            ),
            slider,
            metrics_table(report.metrics),
            downloads,
        )

    @staticmethod
    def _image_file(session, name: str, image: np.ndarray) -> str:
        """Writes an image the page shows as a PNG of the session (so its cached copy is known
        and removed with the session) and returns its path."""
        path = session.directory / "shown" / f"{name}.png"
        path.parent.mkdir(exist_ok=True)
        Image.fromarray(image).save(path)
        session.track_output(path)
        return str(path)

    def admit(self, request: gr.Request) -> None:
        """Before queueing a restoration: a clear message when the queue is full (instead of
        Gradio's generic one), with how many are ahead."""
        key = request.session_hash if request else None
        with self._waiting_lock:
            ahead = len(self._waiting - {key})
            if ahead >= self.limits.max_queue:
                raise gr.Error(
                    f"The app is busy: {ahead} restorations are running or waiting (the limit is "
                    f"{self.limits.max_queue}). Try again in a few minutes; a time budget or "
                    "fewer frames make yours shorter."
                )
            self._waiting.add(key)

    def _leave_queue(self, request: gr.Request | None) -> None:
        with self._waiting_lock:
            self._waiting.discard(request.session_hash if request else None)

    def clear(self):
        """A new upload: forget the previous run's status, preview, result and messages, and the
        tracked mask."""
        return "", None, None, None, gr.update(value=0, interactive=False), None, None, "", None, ""

    def stop(self, request: gr.Request) -> str:
        """The Stop button: end the fit after its current step; the result so far is written."""
        session = self.store.get(request.session_hash if request else None)
        if not session.busy:
            return "Nothing is running."
        session.stop.set()
        if session.tracking:
            return "Stopping: the object is no longer followed…"
        return "Stopping: the best result so far is being written…"

    # --- output -------------------------------------------------------------------------------

    def show_frame(self, request: gr.Request, index: float | None):
        """The before/after pair of another frame of the last result."""
        session = self.store.get(request.session_hash if request else None)
        if session.result is None:
            return gr.skip()
        frames = session.result.before.shape[0]
        index = int(np.clip(int(index or 0), 0, frames - 1))
        return (
            self._image_file(session, "before", session.result.before[index]),
            self._image_file(session, "after", session.result.after[index]),
        )

    def close(self, request: gr.Request) -> None:
        """The tab closed: stop its fit and remove its files (and Gradio's copies of them)."""
        self._leave_queue(request)
        self.store.close(request.session_hash if request else None)
