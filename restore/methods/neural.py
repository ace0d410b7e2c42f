"""Neural methods (HNeRV, NeRV, NeRV with HNeRV blocks): fit, decode, composite.

The frame is padded (edge replicate) to a multiple of the strides' product; padded pixels count as
unknown for the loss and are cropped away afterwards, so the user's resolution is kept.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch.nn import functional as F

from restore.composite import composite
from restore.config import RestoreConfig
from restore.device import describe_device, pick_device
from restore.fit import (
    FitConfig,
    FitProgress,
    FitResult,
    fit_representation,
    predict_video,
    resolve_loss,
)
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


@dataclass
class NeuralFit:
    """A fitted representation decoded at the input's size (see ``fit_and_decode``)."""

    raw: torch.Tensor  # (T, 3, H, W) network output, cropped to the input size
    fit: FitResult  # the fitted model and its history
    timings: dict[str, float]  # fit_seconds, seconds_per_frame_epoch, decode_fps, ...
    info: dict[str, Any]  # model, size, padded size, device, loss, history, notes


def fit_and_decode(
    target: torch.Tensor,
    weights: torch.Tensor | None,
    encoder_frames: torch.Tensor,
    fit_config: FitConfig,
    *,
    model_name: str,
    model_size: float,
    strides: tuple[int, ...] | None = None,
    model_options: dict[str, Any] | None = None,
    device: torch.device,
    on_progress: Callable[[FitProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> NeuralFit:
    """Pads, fits ``model_name`` with per-pixel loss ``weights``, decodes and crops back.

    Padded pixels get weight 0 (edge-replicated in target and encoder input); the requested
    loss is resolved for the padded size (``resolve_loss``). The model is initialised with
    ``fit_config.seed``.

    Args:
        target: ``(T, 3, H, W)`` frames the loss compares with.
        weights: ``(T, 1, H, W)`` loss weights (``known`` of ``fit_representation``: 1 = known,
            0 = ignored, values between weight a pixel); None = every pixel, padding included.
        encoder_frames: ``(T, 3, H, W)`` what HNeRV's encoder sees.
        fit_config: Optimisation settings.
        model_name: A registered model (``restore.models.list_models()``).
        model_size: TotalSize target, millions of parameters.
        strides: Decoder strides; None picks them from the frame size.
        model_options: Extra model config overrides.
        device: Where to fit.
        on_progress: ``FitProgress`` after every step.
        should_stop: Polled every step; True ends the fit.

    Returns:
        The ``NeuralFit``.
    """
    num_frames, _, height, width = target.shape
    strides = tuple(strides) if strides else choose_strides(height, width)
    padded_h, padded_w = padded_size(height, width, strides)
    loss_kind, loss_note = resolve_loss(fit_config.loss, padded_h, padded_w)
    notes = [loss_note] if loss_note else []
    fit_config = dataclasses.replace(fit_config, loss=loss_kind)

    padded_target = _pad(target, padded_h, padded_w, None)
    encoder_input = _pad(encoder_frames, padded_h, padded_w, None)
    padded_weights = None if weights is None else _pad(weights, padded_h, padded_w, 0.0)

    torch.manual_seed(fit_config.seed)
    model = create_model(
        model_name,
        num_frames=num_frames,
        height=padded_h,
        width=padded_w,
        size=model_size,
        strides=strides,
        **(model_options or {}),
    )
    fit = fit_representation(
        model,
        padded_target,
        padded_weights,
        fit_config,
        encoder_input=encoder_input,
        device=device,
        on_progress=on_progress,
        should_stop=should_stop,
    )
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    decode_started = time.perf_counter()
    raw = predict_video(fit.model, encoder_input, channels_last=fit_config.channels_last)
    decode_seconds = time.perf_counter() - decode_started
    raw = raw[..., :height, :width].contiguous()
    epochs = max(fit.epochs_run, 1)
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
        "size": fit.model.size_report(),
        "padded_size": [padded_h, padded_w],
        "device": describe_device(device),
        "loss": loss_kind,
        "epochs_run": fit.epochs_run,
        "steps": fit.steps,
        "recoveries": fit.recoveries,
        "history": fit.history,
        "notes": notes + fit.messages,
    }
    return NeuralFit(raw=raw, fit=fit, timings=timings, info=info)


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
    encoder_frames = frames if mask is None else prefill_holes(frames, mask, config.prefill)
    fit_config = FitConfig(
        epochs=config.epochs,
        batch_size=config.batch_size,
        lr=config.lr,
        warmup_fraction=config.warmup_fraction,
        loss=config.loss,
        seed=config.seed,
        channels_last=config.channels_last,
    )
    neural = fit_and_decode(
        frames,
        None if mask is None else 1 - mask,
        encoder_frames,
        fit_config,
        model_name=model_name,
        model_size=config.model_size,
        strides=tuple(config.strides) if config.strides else None,
        model_options=config.model_options,
        device=pick_device(config.device),
        on_progress=on_progress,
        should_stop=should_stop,
    )
    raw = neural.raw
    restored = raw if mask is None else composite(raw, frames, mask)
    return MethodResult(
        restored=restored,
        raw=raw,
        timings=neural.timings,
        info=neural.info,
        model=neural.fit.model,
        stopped=neural.fit.stopped,
    )
