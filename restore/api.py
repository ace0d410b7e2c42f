"""The one restoration function every front end calls (CLI, Gradio app, evaluation harness).

``restore(frames, mask, config, task=...)`` checks its inputs once, runs the configured method
(HNeRV by default: fit with the masked loss of eq. 2, then composite) and returns a
``MethodResult`` whose frames have the input's size. Methods trust what ``restore()`` checked.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import torch

from masks.checks import check_learnable, check_mask, check_video, fail
from restore.composite import composite
from restore.config import RestoreConfig
from restore.deadline import Deadline
from restore.fit import FitProgress
from restore.methods import Method, MethodResult, get_method
from restore.progress import PhaseProgress
from restore.resolution import downscale_mask, downscale_video, method_work_size, upscale_video

TASKS = ("inpaint", "denoise")


def restore(
    frames: torch.Tensor,
    mask: torch.Tensor | None,
    config: RestoreConfig,
    *,
    task: str,
    deadline: Deadline | None = None,
    on_progress: Callable[[FitProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    method: Method | None = None,
) -> MethodResult:
    """Restore a corrupted video.

    Args:
        frames: ``(T, 3, H, W)`` float32 in [0, 1], the corrupted video (hole values ignored).
        mask: ``(T, 1, H, W)`` binary, 1 = missing pixel. Required to inpaint; to denoise,
            ``None`` (every pixel is trusted alike) or the pixels known to be hit by impulse noise.
        config: method, model, fit, device, ...
        task: ``"inpaint"`` or ``"denoise"``; the method must be able to do it.
        deadline: when the method must be done (a job's, with its writing reserved); None: from
            ``config.time_budget``, counted from this call.
        on_progress: receives a ``FitProgress`` after every optimizer step (neural methods) and a
            ``PhaseProgress`` as the other long phases (propagation, fusion) move on;
            its ``predict`` decodes frames of the input's size (composited for inpainting).
        should_stop: polled every step; True ends the fit and returns the result so far.
        method: ``config.method``'s registry entry (`restore.methods.get_method`) when the
            caller has looked it up for the same job already (`restore.jobs.run_job`); None
            looks it up here.

    Returns:
        The restored video (``(T, 3, H, W)``, known pixels bit-exact when a mask is given) and
        its timings and fit information.

    Raises:
        InputError: bad layouts, a mask that covers everything, a method that cannot do ``task``.
    """
    if task not in TASKS:
        raise fail("task", f"one of {', '.join(TASKS)}", repr(task))
    check_video(frames)
    if frames.dtype != torch.float32:
        raise fail("video", "dtype float32", frames.dtype)
    if mask is not None:
        check_mask(mask, frames)
        check_learnable(mask)
    elif task == "inpaint":
        raise fail("mask", "a (T, 1, H, W) mask to inpaint", None)
    if deadline is None:
        deadline = Deadline.from_budget(config.time_budget)
    if method is None:
        method = get_method(config.method)
    if task not in method.tasks:
        raise fail(
            "method", f"a method that can {task}", f"{config.method!r} ({'/'.join(method.tasks)})"
        )
    height, width = frames.shape[2:]
    size = method_work_size(config.work_size, height, width, neural=method.neural)
    if size is None:
        result = method.run(
            frames,
            mask,
            config,
            deadline=deadline,
            on_progress=on_progress,
            should_stop=should_stop,
        )
    else:
        result = _run_at_work_size(
            method, frames, mask, config, size, deadline, on_progress, should_stop
        )
    if task == "denoise" and "sigma" not in result.info:
        # Methods built on noise_level.prepare_noisy check themselves; check the others here.
        result.info["notes"] = list(result.info.get("notes", [])) + _denoise_safety(
            frames, mask, result
        )
    return result


def _run_at_work_size(method, frames, mask, config, size, deadline, on_progress, should_stop):
    """Runs ``method`` on the clip downscaled to ``size`` (W, H); upscales its output into the
    full-resolution holes (``restore.resolution``). ``predict`` follows the same path."""
    height, width = frames.shape[2:]
    small_frames = downscale_video(frames, size)
    small_mask = None if mask is None else downscale_mask(mask, size)
    if small_mask is not None:
        small_frames = small_frames * (1 - small_mask)
        check_learnable(small_mask, name="mask at the working resolution")

    def full_size(small: torch.Tensor, indices: list[int] | None) -> torch.Tensor:
        large = upscale_video(small, height, width)
        if mask is None:
            return large
        chosen = slice(None) if indices is None else list(indices)
        return composite.unchecked(large, frames[chosen], mask[chosen])

    def relay(progress: FitProgress | PhaseProgress) -> None:
        if isinstance(progress, FitProgress) and progress.predict is not None:
            predict_small = progress.predict

            def predict(indices=None, *, raw=False):
                small = predict_small(indices, raw=True)
                return upscale_video(small, height, width) if raw else full_size(small, indices)

            progress = dataclasses.replace(progress, predict=predict)
        on_progress(progress)

    result = method.run(
        small_frames,
        small_mask,
        config,
        deadline=deadline,
        on_progress=None if on_progress is None else relay,
        should_stop=should_stop,
    )
    small = result.raw if result.raw is not None else result.restored
    result.raw = upscale_video(small, height, width)
    result.restored = full_size(small, None)
    result.info["work_size"] = list(size)
    result.info.setdefault("notes", []).append(
        f"restored at the working size {size[0]}x{size[1]}; the result is upscaled into the "
        f"{width}x{height} holes and every known pixel is kept"
        if mask is not None
        else f"restored at the working size {size[0]}x{size[1]}, then upscaled to {width}x{height}"
    )
    return result


def _denoise_safety(
    frames: torch.Tensor, mask: torch.Tensor | None, result: MethodResult
) -> list[str]:
    """A note if a denoiser's output is likely worse than its input (noise_level.safety_notes)."""
    from masks.impulses import detect_impulses
    from restore.methods.noise_level import IMPULSE_MIN_FRACTION, estimate_sigma, safety_notes

    impulses = mask
    if impulses is None:
        found = detect_impulses(frames)
        impulses = found if float(found.mean()) >= IMPULSE_MIN_FRACTION else None
    sigma = estimate_sigma(frames)
    return safety_notes(frames, result.restored, sigma, impulses)
