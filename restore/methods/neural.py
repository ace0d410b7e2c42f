"""Neural methods (HNeRV, NeRV, NeRV with HNeRV blocks): fit, decode, composite.

The frame is padded (edge replicate) to a multiple of the strides' product; padded pixels count as
unknown for the loss and are cropped away afterwards, so the user's resolution is kept.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import torch
from torch.nn import functional as F

from restore.composite import composite
from restore.config import RestoreConfig
from restore.device import describe_device, pick_device
from restore.fit import FitConfig, FitProgress, fit_representation, predict_video, resolve_loss
from restore.methods.base import MethodResult
from restore.methods.prefill import prefill_holes
from restore.models import choose_strides, create_model, padded_size


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
    num_frames, _, height, width = frames.shape
    device = pick_device(config.device)
    strides = tuple(config.strides) if config.strides else choose_strides(height, width)
    padded_h, padded_w = padded_size(height, width, strides)
    loss_kind, loss_note = resolve_loss(config.loss, padded_h, padded_w)
    notes = [loss_note] if loss_note else []

    encoder_frames = frames if mask is None else prefill_holes(frames, mask, config.prefill)
    known = torch.ones(num_frames, 1, height, width) if mask is None else 1 - mask
    target = _pad(frames, padded_h, padded_w, None)
    encoder_input = _pad(encoder_frames, padded_h, padded_w, None)
    known = _pad(known, padded_h, padded_w, 0.0)

    torch.manual_seed(config.seed)
    model = create_model(
        model_name,
        num_frames=num_frames,
        height=padded_h,
        width=padded_w,
        size=config.model_size,
        strides=strides,
        **config.model_options,
    )
    fit_config = FitConfig(
        epochs=config.epochs,
        batch_size=config.batch_size,
        lr=config.lr,
        warmup_fraction=config.warmup_fraction,
        loss=loss_kind,
        seed=config.seed,
        channels_last=config.channels_last,
    )
    fit = fit_representation(
        model,
        target,
        None if mask is None else known,
        fit_config,
        encoder_input=encoder_input,
        device=device,
        on_progress=on_progress,
        should_stop=should_stop,
    )
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    decode_started = time.perf_counter()
    raw = predict_video(fit.model, encoder_input, channels_last=config.channels_last)
    decode_seconds = time.perf_counter() - decode_started
    raw = raw[..., :height, :width].contiguous()
    restored = raw if mask is None else composite(raw, frames, mask)
    epochs = max(fit.epochs_run, 1)
    size = fit.model.size_report()
    timings = {
        "fit_seconds": fit.seconds,
        "seconds_per_frame_epoch": fit.seconds / (epochs * num_frames),
        "fit_frames_per_second": epochs * num_frames / fit.seconds if fit.seconds else math.nan,
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
