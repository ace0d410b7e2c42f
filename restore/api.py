"""The one restoration function every front end calls (CLI, Gradio app, evaluation harness).

``restore(frames, mask, config)`` validates its inputs once, runs the configured method (HNeRV by
default: fit with the masked loss of eq. 2, then composite) and returns a ``MethodResult``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from restore.config import RestoreConfig
from restore.errors import InputError
from restore.fit import FitProgress
from restore.methods import MethodResult, get_method


def validate_inputs(frames: torch.Tensor, mask: torch.Tensor | None) -> None:
    """Check the video and mask layouts; InputError naming the problem otherwise."""
    if frames.ndim != 4 or frames.shape[1] != 3:
        raise InputError(f"video must be (T, 3, H, W), got shape {tuple(frames.shape)}")
    if frames.shape[0] == 0:
        raise InputError("video has no frames")
    if frames.dtype != torch.float32:
        raise InputError(f"video must be float32 in [0, 1], got {frames.dtype}")
    if mask is None:
        return
    num_frames, _, height, width = frames.shape
    if mask.ndim != 4 or mask.shape[1] != 1:
        raise InputError(f"mask must be (T, 1, H, W), got shape {tuple(mask.shape)}")
    if mask.shape[0] != num_frames:
        raise InputError(f"mask has {mask.shape[0]} frames, video has {num_frames}")
    if tuple(mask.shape[2:]) != (height, width):
        raise InputError(
            f"mask is {mask.shape[2]}x{mask.shape[3]}, video is {height}x{width} (HxW)"
        )
    if bool((mask > 0.5).all()):
        raise InputError("mask covers every pixel of every frame: nothing to learn from")


def restore(
    frames: torch.Tensor,
    mask: torch.Tensor | None,
    config: RestoreConfig,
    *,
    on_progress: Callable[[FitProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> MethodResult:
    """Restore a corrupted video.

    Args:
        frames: ``(T, 3, H, W)`` float32 in [0, 1], the corrupted video (hole values ignored).
        mask: ``(T, 1, H, W)``, 1 = missing pixel; ``None`` to denoise (no pixel is trusted
            more than another, and the output is the method's reconstruction).
        config: method, model size, epochs, device, ...
        on_progress: receives a ``FitProgress`` after every optimizer step (neural methods).
        should_stop: polled every step; True ends the fit and returns the result so far.

    Returns:
        The restored video and its timings and fit information.
    """
    validate_inputs(frames, mask)
    method = get_method(config.method)
    task = "denoise" if mask is None else "inpaint"
    if task not in method.tasks:
        raise InputError(
            f"method {config.method!r} cannot {task}; it does {', '.join(method.tasks)}"
        )
    mask = None if mask is None else (mask > 0.5).float()
    return method.run(frames, mask, config, on_progress=on_progress, should_stop=should_stop)
