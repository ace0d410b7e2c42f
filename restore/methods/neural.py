"""Neural methods (HNeRV, NeRV, NeRV with HNeRV blocks): fit, decode, composite.

The frame is padded (edge replicate) to a multiple of the strides' product; padded pixels count as
unknown for the loss and are cropped away afterwards, so the user's resolution is kept.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable

import torch
from torch.nn import functional as F

from restore.composite import composite
from restore.config import RestoreConfig
from restore.device import describe_device, pick_device
from restore.errors import InputError
from restore.fit import FitProgress, fit_representation, predict_video, resolve_loss
from restore.methods.base import MethodResult
from restore.methods.prefill import prefill_holes
from restore.models import SizeOutOfReach, choose_strides, create_model, padded_size


def _pad(video: torch.Tensor, height: int, width: int, value: float | None) -> torch.Tensor:
    pad = (0, width - video.shape[-1], 0, height - video.shape[-2])
    if pad == (0, 0, 0, 0):
        return video
    if value is None:
        return F.pad(video, pad, mode="replicate")
    return F.pad(video, pad, value=value)


def run_neural(
    frames: torch.Tensor,
    mask: torch.Tensor | None,
    config: RestoreConfig,
    *,
    model_name: str,
    on_progress: Callable[[FitProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> MethodResult:
    """Fit ``model_name`` to ``frames`` (holes in ``mask`` ignored) and restore the video.

    Args:
        frames: ``(T, 3, H, W)`` corrupted video in [0, 1].
        mask: ``(T, 1, H, W)``, 1 = missing; ``None`` for denoising (output = reconstruction).
        config: model size, epochs, loss, device, ...
    """
    started = time.perf_counter()
    num_frames, _, height, width = frames.shape
    device = pick_device(config.device)
    model_options = config.model
    strides = model_options.strides or choose_strides(height, width)
    padded_h, padded_w = padded_size(height, width, strides)
    loss_kind, loss_note = resolve_loss(config.fit.loss, padded_h, padded_w)
    notes = [loss_note] if loss_note else []
    fit_config = dataclasses.replace(config.fit, loss=loss_kind)

    encoder_frames = frames if mask is None else prefill_holes(frames, mask, model_options.prefill)
    known = torch.ones(num_frames, 1, height, width) if mask is None else 1 - mask
    target = _pad(frames, padded_h, padded_w, None)
    encoder_input = _pad(encoder_frames, padded_h, padded_w, None)
    known = _pad(known, padded_h, padded_w, 0.0)

    def shape_output(decoded: torch.Tensor, indices: list[int], composited: bool) -> torch.Tensor:
        """Crop the padding; for inpainting put the known pixels of those frames back."""
        decoded = decoded[..., :height, :width].contiguous()
        if mask is None or not composited:
            return decoded
        return composite(decoded, frames[indices], mask[indices])

    if config.time_budget is not None:
        # What is left of the run's budget after the preparation above goes to fit + decode.
        remaining = config.time_budget - (time.perf_counter() - started)
        fit_config = dataclasses.replace(fit_config, time_budget=max(remaining, 1e-3))
    torch.manual_seed(config.seed)
    try:
        model = create_model(
            model_name,
            num_frames=num_frames,
            height=padded_h,
            width=padded_w,
            size=model_options.size,
            strides=strides,
            **model_options.options,
        )
    except SizeOutOfReach as error:  # name the clip as the user gave it, not the padded frame
        raise InputError(
            f"model size: {model_options.size:g}M is out of reach for {model_name} on "
            f"{num_frames} frames of {width}x{height} (the nearest model has "
            f"{error.closest:.3f}M parameters): choose a size near that, or change the clip"
        ) from None
    fit = fit_representation(
        model,
        target,
        None if mask is None else known,
        fit_config,
        encoder_input=encoder_input,
        device=device,
        seed=config.seed,
        on_progress=on_progress,
        should_stop=should_stop,
        predict_output=shape_output,
    )
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    decode_started = time.perf_counter()
    decoded = predict_video(
        fit.model,
        encoder_input,
        channels_last=fit_config.channels_last,
        precision=fit_config.precision,
    )
    decode_seconds = time.perf_counter() - decode_started
    everything = list(range(num_frames))
    raw = shape_output(decoded, everything, composited=False)
    restored = shape_output(decoded, everything, composited=True)
    # Frames the optimizer saw (a stopped or budgeted fit may end mid-epoch).
    partial_steps = fit.steps - fit.epochs_run * math.ceil(num_frames / fit_config.batch_size)
    frames_seen = max(
        fit.epochs_run * num_frames + max(partial_steps, 0) * fit_config.batch_size, 1
    )
    size = fit.model.size_report()
    timings = {
        "fit_seconds": fit.seconds,
        "seconds_per_frame_epoch": fit.seconds / frames_seen,
        "fit_frames_per_second": frames_seen / fit.seconds if fit.seconds else math.nan,
        "decode_seconds": decode_seconds,
        "decode_fps": num_frames / decode_seconds if decode_seconds else math.nan,
    }
    info = {
        "model": model_name,
        "model_config": {k: v for k, v in vars(fit.model.config).items()},
        "size": size,
        "padded_size": [padded_h, padded_w],
        "device": describe_device(device),
        "loss": loss_kind,
        "epochs_run": fit.epochs_run,
        "frames_seen": frames_seen,
        "total_steps": (fit.plan.epochs if fit.plan else fit_config.epochs)
        * math.ceil(num_frames / fit_config.batch_size),
        "plan": None if fit.plan is None else fit.plan.to_dict(),
        "budget_stopped": fit.budget_stopped,
        "steps": fit.steps,
        "recoveries": fit.recoveries,
        "history": fit.history,
        "notes": notes + fit.messages,
    }
    return MethodResult(
        restored=restored,
        raw=raw,
        timings=timings,
        info=info,
        model=fit.model,
        stopped=fit.stopped,
    )
