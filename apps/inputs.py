"""From what a visitor entered in the app to a `restore.job.Job`, checked on the way.

The app never takes a path typed by a visitor: files come only from Gradio's upload folder (or the
bundled example the app itself copied), and every number or choice is checked against `Limits`.
A drawn mask is saved as a PNG of the strokes and handed to the engine like an uploaded mask image
(one image applies to every frame; the engine rescales it to the clip's size). With
"Follow the object" the same PNG marks the object on the first frame instead, and the job follows
it over the clip (`Job.mask_track`, as the CLI's ``--track``).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

import masks
from apps.limits import (
    DEFAULT_LIMITS,
    Limits,
    VideoInfo,
    check_request,
    check_settings,
    parse_working_resolution,
    probe_video,
    working_size,
)
from apps.sessions import Session
from masks.checks import fail
from masks.user import IMAGE_SUFFIXES
from restore.config import DEFAULT_METHODS, parse_duration
from restore.errors import InputError
from restore.job import Job
from restore.methods import get_method, list_methods, method_config
from restore.streamed import wants_chunks

PROBLEMS: dict[str, str] = {
    "draw": "Draw on the first frame: paint over what should go",
    "upload": "Upload a mask (image, images or mask video)",
    "noise": "Remove noise",
    "boxes": "Try it on a synthetic problem: five boxes added to the clip (HNeRV benchmark)",
    "center": "Try it on a synthetic problem: a centre box added to the clip",
}
"""Value -> label of the 'what is wrong' choices: the visitor's own problem first; benchmark
corruptions are added to a clean clip only when asked for, and then have metrics."""

DEFAULT_PROBLEM = "draw"

APP_PRESETS: tuple[str, ...] = ("fast", "balanced", "paper")
"""The engine presets (`restore.config.PRESETS`) the app offers, by their engine names."""

NOISE_KINDS: tuple[str, ...] = tuple(masks.NOISE_KINDS)


@dataclass
class RunRequest:
    """The app's inputs, as Gradio hands them over (before any checking).

    The one list of the app's inputs: `apps.app` wires one component per field, in this order
    (`request_components`), and the handlers take their parameters from these fields
    (`apps.handlers.takes_request`), so a field added here is one edit plus its component. New
    fields go last: API clients may pass the values by position.
    """

    video: str | None  # required: the API has no default video
    problem: str = DEFAULT_PROBLEM
    drawing: dict[str, Any] | None = None  # gr.ImageEditor value (numpy RGBA layers)
    mask_files: list[str] | str | None = None  # gr.File uploads
    mask_invert: bool = False
    add_noise: bool = False  # add synthetic noise first (a synthetic problem, with metrics)
    noise_kind: str = "gaussian"
    noise_level: float | None = 0  # 0: the kind's default
    noise_as_holes: bool = False
    preset: str = "fast"
    epochs: float | None = None
    model_size: float | None = None
    resolution: str | None = "auto"  # the working resolution; the result keeps the clip's size
    start_frame: float | None = 0
    num_frames: float | None = 0  # 0: all frames from start_frame
    time_budget: str | None = ""  # e.g. "5m"; blank: no budget (the preset's epochs)
    method: str | None = ""  # a method spec (telea:radius=5); blank: the task's default method
    follow: bool = False  # a drawn mask marks a moving object on the first frame: track it

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The fields' names, in the order the app's components are wired."""
        return tuple(item.name for item in fields(cls))


def request_components(components: dict[str, Any]) -> list[Any]:
    """The components of ``components`` (field name -> component) in `RunRequest` field order:
    the inputs list of every event that builds a request. Raises if the names disagree."""
    names = RunRequest.names()
    missing = [name for name in names if name not in components]
    extra = [name for name in components if name not in names]
    if missing or extra:
        raise ValueError(
            f"the app's request components disagree with RunRequest: missing {missing or 'none'}, "
            f"not fields {extra or 'none'}"
        )
    return [components[name] for name in names]


class UploadGuard:
    """Accepts a file only from Gradio's upload folder or the app's own example folder."""

    def __init__(self, extra_roots: list[Path] | None = None) -> None:
        self.extra_roots = [Path(root).resolve() for root in extra_roots or []]

    def roots(self) -> list[Path]:
        from gradio.utils import get_upload_folder

        return [Path(get_upload_folder()).resolve(), *self.extra_roots]

    def file(self, value: Any, what: str) -> tuple[Path, str]:
        """The resolved upload path and the visitor's file name."""
        path_text = value.get("path") if isinstance(value, dict) else value
        if not isinstance(path_text, str) or not path_text:
            raise InputError(f"{what}: no file was uploaded")
        path = Path(path_text).resolve()
        if not any(path.is_relative_to(root) for root in self.roots()) or not path.is_file():
            raise InputError(f"{what}: only files uploaded through the app are accepted")
        return path, path.name


def _integer(value: float | None, what: str, *, minimum: int) -> int | None:
    if value is None or value == "":
        return None
    number = float(value)
    if not number.is_integer() or number < minimum:
        raise InputError(f"{what}: expected a whole number >= {minimum}, got {value}")
    return int(number)


def _choice(value: str, choices: dict[str, str] | tuple[str, ...], what: str) -> str:
    if value not in choices:
        raise InputError(f"{what}: unknown choice {value!r}; expected one of {', '.join(choices)}")
    return value


def inspect_video(
    request: RunRequest,
    guard: UploadGuard,
    limits: Limits = DEFAULT_LIMITS,
    session: Session | None = None,
) -> tuple[Path, VideoInfo]:
    """The checked upload path and what it holds (size, frames) — raises before any decoding.

    With ``session``, the upload is recorded on it before it is probed, so a rejected upload
    is removed with the session too."""
    if request.video is None:
        raise InputError("upload a video first (or pick the example clip)")
    path, name = guard.file(request.video, "video")
    if session is not None:
        session.track_cached(path)
    return path, probe_video(path, name, limits)


def build_job(
    request: RunRequest,
    session: Session,
    guard: UploadGuard,
    *,
    output: Path,
    limits: Limits = DEFAULT_LIMITS,
    device: str = "auto",
    check_mask: bool = True,
) -> tuple[Job, VideoInfo]:
    """Check every input and state the job; nothing is decoded beyond the first frame.

    With ``check_mask`` False (estimates), a drawn or uploaded mask is not read: the job's cost
    does not depend on it, and a visitor who has not drawn yet still gets an estimate.

    Raises:
        InputError: one line saying what is wrong and how to fix it.
    """
    problem = _choice(request.problem, PROBLEMS, "what is wrong")
    preset_name = _choice(request.preset, APP_PRESETS, "preset")
    path, info = inspect_video(request, guard, limits, session)
    start = _integer(request.start_frame, "first frame", minimum=0) or 0
    max_frames = _integer(request.num_frames, "number of frames", minimum=0) or None  # 0: all
    choice = parse_working_resolution(request.resolution, info)
    epochs = _integer(request.epochs, "epochs", minimum=1)
    model_size = None if request.model_size in (None, "") else float(request.model_size)
    check_settings(epochs, model_size, limits)
    budget = (request.time_budget or "").strip()
    task = "denoise" if problem == "noise" else "inpaint"
    method_spec = (request.method or "").strip() or DEFAULT_METHODS[task]
    method = get_method(method_spec)
    if task not in method.tasks:  # the engine checks this too, but only once the run has started
        raise fail(
            "method",
            f"a method that can {task}: {', '.join(list_methods(task))}",
            repr(method_spec.partition(":")[0]),
        )
    # The result keeps the clip's own size; the working resolution is what the method works at.
    work_size = working_size(choice, info, neural=method.neural, limits=limits)
    frames = check_request(
        info,
        work_size=work_size,
        neural=method.neural,
        start=start,
        max_frames=max_frames,
        limits=limits,
    )
    config = method_config(
        preset_name,
        method_spec,
        epochs=epochs,
        model_size=model_size,
        device=device,
        time_budget=parse_duration(budget, "time budget") if budget else None,
        work_size=work_size,
    )
    job = Job(
        input=path,
        input_name=info.name,
        task=task,
        config=config,
        output=output,
        start=start,
        max_frames=frames,
        compare=True,
        save_model=method.neural,  # a classical method has no model to download
        quick_stop=True,
        auto_chunk=True,  # a clip too long to restore whole is streamed in chunks
    )
    chunked = wants_chunks(job, neural=method.neural)[0]
    if chunked:
        job.save_model = False  # one model per chunk: there is no single model to download
    if problem in ("boxes", "center"):
        job.mask = problem
    elif problem in ("draw", "upload") and not check_mask:
        # A stand-in the estimate never reads: the visitor's own mask has no ground truth, so
        # no scoring is planned (a generated mask such as "boxes" would plan one).
        job.mask = str(session.directory / "visitor_mask.png")
    elif problem == "draw":
        follow = bool(request.follow)
        job.mask = str(_save_drawing(request.drawing, session, follow=follow))
        job.mask_resize = True
        if follow and chunked:  # tracking needs the whole clip at once (restore.streamed)
            raise InputError(
                "Follow the object: this clip is long enough to be restored in pieces, and the "
                "object can only be followed over a clip restored whole; set fewer frames under "
                "Advanced"
            )
        job.mask_track = follow
    elif problem == "upload":
        job.mask = str(_collect_mask_files(request.mask_files, session, guard))
        job.mask_resize = True
        job.mask_invert = bool(request.mask_invert)
    elif request.add_noise:
        kind = _choice(request.noise_kind, NOISE_KINDS, "noise kind")
        level = float(request.noise_level or 0)  # 0 or blank: the kind's default level
        if not 0 <= level <= 1:
            raise InputError(f"noise level: expected a number from 0 to 1, got {level:g}")
        job.add_noise = f"{kind}:{level:g}" if level > 0 else kind
        if request.noise_as_holes:
            if kind not in masks.IMPULSE_KINDS:
                raise InputError(
                    f"{kind} noise changes every pixel, so it has no holes; treating noisy pixels "
                    f"as holes works with {', '.join(masks.IMPULSE_KINDS)}"
                )
            job.noise_mask = True
    return job, info


def job_shape(job: Job, info: VideoInfo) -> tuple[int, int, int]:
    """``(frames, height, width)`` of the job's result: the clip's own size, after trimming (the
    working resolution is ``job.config.work_size``)."""
    return int(job.max_frames), int(info.height), int(info.width)


def has_strokes(drawing: dict[str, Any] | None) -> bool:
    """Whether the editor's value holds any brush stroke yet."""
    painted = _strokes(drawing)
    return painted is not None and bool(painted.any())


def _strokes(drawing: dict[str, Any] | None) -> np.ndarray | None:
    """The union of the editor's layers' painted pixels, ``(H, W)`` bool, or None."""
    layers = [layer for layer in (drawing or {}).get("layers") or [] if layer is not None]
    painted = None
    for layer in layers:
        array = np.asarray(layer)
        if array.ndim == 3 and array.shape[2] == 4:
            strokes = array[..., 3] > 0
        elif array.ndim == 3:
            strokes = array.max(axis=2) > 0
        else:
            strokes = array > 0
        painted = strokes if painted is None else painted | strokes
    return painted


def _save_drawing(
    drawing: dict[str, Any] | None, session: Session, *, follow: bool = False
) -> Path:
    """Save the brush strokes (any layer, any colour) as a white-on-black mask PNG."""
    painted = _strokes(drawing)
    if (painted is None or not painted.any()) and follow:
        raise InputError(
            "the drawn mask is empty: to follow an object, paint over it on the first frame "
            "(brush tool), then try again"
        )
    if painted is None or not painted.any():
        raise InputError(
            "the drawn mask is empty: paint over what should be removed on the first frame "
            "(brush tool), then run again"
        )
    path = session.scratch_directory("drawing") / "drawn_mask.png"
    Image.fromarray(painted.astype(np.uint8) * 255).save(path)
    return path


def _collect_mask_files(
    files: list[str] | str | None, session: Session, guard: UploadGuard
) -> Path:
    """One uploaded mask file as is, or several images gathered in a folder (one per frame)."""
    if isinstance(files, (str, dict)):
        files = [files]
    if not files:
        raise InputError(
            "upload a mask: one image for every frame, one image per frame, or a video"
        )
    uploads = [guard.file(value, "mask") for value in files]
    for path, _ in uploads:
        session.track_cached(path)
    if len(uploads) == 1:
        return uploads[0][0]
    folder = session.scratch_directory("mask_frames")
    for path, name in uploads:
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            raise InputError(f"mask {name}: several mask files must all be images, one per frame")
        target = folder / name
        if target.exists():
            raise InputError(f"two mask files are both named {name}; name them in frame order")
        shutil.copyfile(path, target)
    return folder
