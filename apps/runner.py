"""Run one `restore.jobs.run_job` in a worker thread and turn its callbacks into events.

The fit runs in its own thread so the Gradio handler stays free to stream progress, previews and
the final result. The engine does all the work: this module only relays ``on_tracked`` (a drawn
mask followed over the clip), ``on_prepared`` / ``on_progress`` / ``on_frames`` (a long clip
restored in chunks), asks the model for one frame every few epochs (``FitProgress.predict``,
called inside the fit thread, where the model lives) and polls the session's stop flag.

Frames are ``(T, 3, H, W)`` float32 in [0, 1] until they are handed to Gradio as ``(H, W, 3)``
uint8 through `restore.io.frames_to_uint8`.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from masks import TrackingStopped
from restore.errors import InputError
from restore.fit import FitProgress
from restore.io import frames_to_uint8
from restore.job import Job, JobReport, PreparedInput
from restore.jobs import run_job
from restore.progress import PhaseProgress

log = logging.getLogger(__name__)


@dataclass
class Tracked:
    """Following the drawn object: ``done`` of ``total`` frames have their mask."""

    done: int
    total: int


@dataclass
class Prepared:
    """The video and mask were read; the fit is about to start."""

    prepared: PreparedInput


@dataclass
class Step:
    """One optimizer step finished (or the loop reported a message, e.g. a recovery)."""

    epoch: int
    epochs: int
    step: int
    total_steps: int
    loss: float
    psnr_known: float
    elapsed: float
    eta: float
    message: str | None = None


@dataclass
class Preview:
    """The current restoration of the preview frame, ``(H, W, 3)`` uint8 RGB."""

    image: np.ndarray
    epoch: int


@dataclass
class Phase:
    """The job moved on to another phase after the fit (decoding, scoring, writing)."""

    name: str


@dataclass
class Frames:
    """Frames of a phase are done: ``done`` of ``total`` frames of a long clip restored in chunks
    are finished and written, or of the whole clip's propagation or fusion (``phase``)."""

    done: int
    total: int
    elapsed: float
    eta: float
    phase: str | None = None  # None: chunks written


@dataclass
class Finished:
    report: JobReport


@dataclass
class Stopped:
    """Stopped before anything was restored: ``message`` says when (``while ...``)."""

    message: str


@dataclass
class Failed:
    """The job raised. ``bad_input`` is False for a bug (the message is then generic)."""

    message: str
    bad_input: bool


Event = Tracked | Prepared | Step | Phase | Preview | Frames | Finished | Stopped | Failed

PREVIEW_SECONDS = 10.0
"""A preview at the first step, then at least this often (besides every few epochs)."""


def preview_epochs(epochs: int, previews: int = 20) -> int:
    """Epochs between two previews: about ``previews`` of them over the fit."""
    return max(1, epochs // max(1, previews))


def run_job_events(
    job: Job,
    stop: threading.Event,
    *,
    preview_frame: int = 0,
    previews: int = 20,
    on_exit: Callable[[], None] | None = None,
    poll_seconds: float = 0.25,
) -> Iterator[Event]:
    """Run ``job`` in a thread and yield its events until `Finished`, `Stopped` or `Failed`.

    Closing the iterator early (the visitor left) sets ``stop``: the fit ends after its current
    step and the engine still writes the best result so far into the job's output folder.

    Args:
        job: a checked job (`apps.inputs.build_job`).
        stop: set it to end the fit early (the Stop button).
        preview_frame: index of the frame shown during the fit.
        previews: about how many previews to send over the fit.
        on_exit: called in the worker thread once the job is over (frees the session).
    """
    events: queue.Queue[Event] = queue.Queue()
    every = preview_epochs(job.config.fit.epochs, previews)
    state: dict[str, PreparedInput] = {}
    last_preview = [float("-inf")]

    def on_prepared(prepared: PreparedInput) -> None:
        state["prepared"] = prepared
        events.put(Prepared(prepared))

    def on_progress(progress: FitProgress | PhaseProgress) -> None:
        if isinstance(progress, PhaseProgress):
            events.put(
                Frames(
                    progress.done, progress.total, progress.elapsed, progress.eta, progress.phase
                )
            )
            return
        events.put(
            Step(
                progress.epoch,
                progress.epochs,
                progress.step,
                progress.total_steps,
                progress.loss,
                progress.psnr_known,
                progress.elapsed,
                progress.eta,
                progress.message,
            )
        )
        now = time.monotonic()
        due = (
            now - last_preview[0] >= PREVIEW_SECONDS  # the first step, then every few seconds
            or stop.is_set()
            or (
                progress.epoch_end
                and (progress.epoch % every == 0 or progress.epoch in (1, progress.epochs))
            )
        )
        if (
            due
            and progress.message is None
            and progress.predict is not None
            and "prepared" in state
        ):
            last_preview[0] = now
            events.put(
                Preview(_preview_frame(progress, state["prepared"], preview_frame), progress.epoch)
            )
        if stop.is_set() or progress.step == progress.total_steps:
            events.put(Phase("decoding the restored frames"))

    started = time.monotonic()

    def on_frames(done: int, total: int) -> None:
        elapsed = time.monotonic() - started
        events.put(Frames(done, total, elapsed, elapsed * (total - done) / max(done, 1)))

    def work() -> None:
        try:
            report = run_job(
                job,
                on_progress=on_progress,
                on_frames=on_frames,
                should_stop=stop.is_set,
                on_prepared=on_prepared,
                on_phase=lambda name: events.put(Phase(name)),
                on_tracked=lambda done, total: events.put(Tracked(done, total)),
            )
            events.put(Finished(report))
        except TrackingStopped:
            events.put(Stopped("while following the object, before restoring"))
        except InputError as error:  # the project's input errors; anything else is a bug
            events.put(Failed(str(error), bad_input=True))
        except Exception:  # a bug: log it, tell the visitor something went wrong
            log.exception("restoration failed")
            events.put(Failed("the restoration failed unexpectedly (see the server log)", False))
        finally:
            if on_exit is not None:
                on_exit()

    worker = threading.Thread(target=work, name="hnerv-restore-fit", daemon=True)
    worker.start()
    finished = False
    try:
        while True:
            try:
                event = events.get(timeout=poll_seconds)
            except queue.Empty:
                if not worker.is_alive() and events.empty():
                    yield Failed("the restoration ended without a result", False)
                    finished = True
                    return
                continue
            yield event
            if isinstance(event, Finished | Stopped | Failed):
                finished = True
                return
    finally:
        if not finished:
            stop.set()


def _preview_frame(progress: FitProgress, prepared: PreparedInput, index: int) -> np.ndarray:
    """Decode one frame with the model as it is now (the method crops and composites it)."""
    index = min(max(index, 0), prepared.corrupted.shape[0] - 1)
    return frames_to_uint8(progress.predict([index]))[0]
