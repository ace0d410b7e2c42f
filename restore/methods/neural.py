"""Neural methods (every registered model): fit with the masked loss, decode, composite.

The frame is padded (edge replicate) to a multiple of the strides' product; padded pixels count as
unknown for the loss and are cropped away afterwards, so the user's resolution is kept.
``fit_and_decode`` is the shared core (pad, fit with a per-pixel weight map, decode, crop): the
plain methods call it with weight 1 on known pixels, the hybrid method with confidence-weighted
pseudo-targets.
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
from restore.config import ModelOptions, RestoreConfig
from restore.deadline import Deadline
from restore.device import describe_device, pick_device
from restore.errors import InputError
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
from restore.models import SizeOutOfReach, choose_strides, create_model, padded_size


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
    info: dict[str, Any]  # model, size, padded size, device, loss, plan, history, notes


def fit_and_decode(
    target: torch.Tensor,
    weights: torch.Tensor | None,
    encoder_frames: torch.Tensor,
    fit_config: FitConfig,
    *,
    model_name: str,
    model: ModelOptions,
    seed: int,
    device: torch.device,
    composite_into: tuple[torch.Tensor, torch.Tensor] | None = None,
    deadline: Deadline | None = None,
    on_progress: Callable[[FitProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    input_holes: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> NeuralFit:
    """Pads, fits ``model_name`` with per-pixel loss ``weights``, decodes and crops back.

    Args:
        target: ``(T, 3, H, W)`` frames the loss compares with.
        weights: ``(T, 1, H, W)`` loss weights (``known`` of ``fit_representation``: 1 = known,
            0 = ignored, values between weight a pixel); None = every pixel, padding included.
        encoder_frames: ``(T, 3, H, W)`` what HNeRV's encoder sees.
        fit_config: optimisation settings.
        model_name: a registered model (``restore.models.list_models()``).
        model: size, strides and options of the model (``RestoreConfig.model``).
        seed: initialisation and frame order.
        device: where to fit.
        composite_into: ``(frames, mask)``: ``FitProgress.predict`` puts the known pixels of
            ``frames`` back into its output (as the method's result will); None: crop only.
        deadline: when fitting and decoding must be done (None: ``fit_config.epochs``).
        on_progress: ``FitProgress`` after every step.
        should_stop: polled every step; True ends the fit.
        input_holes: cuts synthetic holes into the encoder's input of each training step
            (``fit_representation``); it gets the padded frames.

    Raises:
        InputError: a model size out of reach for this clip (named in the user's W x H).
    """
    num_frames, _, height, width = target.shape
    strides = model.strides or choose_strides(height, width)
    padded_h, padded_w = padded_size(height, width, strides)
    loss_kind, loss_note = resolve_loss(fit_config.loss, padded_h, padded_w)
    notes = [loss_note] if loss_note else []
    fit_config = dataclasses.replace(fit_config, loss=loss_kind)

    padded_target = _pad(target, padded_h, padded_w, None)
    encoder_input = _pad(encoder_frames, padded_h, padded_w, None)
    padded_weights = None if weights is None else _pad(weights, padded_h, padded_w, 0.0)

    def shape_output(decoded: torch.Tensor, indices: list[int], composited: bool) -> torch.Tensor:
        """Crop the padding; put the known pixels of those frames back when asked."""
        decoded = decoded[..., :height, :width].contiguous()
        if composite_into is None or not composited:
            return decoded
        frames, mask = composite_into
        return composite.unchecked(decoded, frames[indices], mask[indices])

    torch.manual_seed(seed)
    try:
        network = create_model(
            model_name,
            num_frames=num_frames,
            height=padded_h,
            width=padded_w,
            size=model.size,
            strides=strides,
            **model.options,
        )
    except SizeOutOfReach as error:  # name the clip as the user gave it, not the padded frame
        raise InputError(
            f"model size: {model.size:g}M is out of reach for {model_name} on {num_frames} "
            f"frames of {width}x{height} (the nearest model has {error.closest:.3f}M "
            "parameters): choose a size near that, or change the clip"
        ) from None
    fit = fit_representation(
        network,
        padded_target,
        padded_weights,
        fit_config,
        encoder_input=encoder_input,
        device=device,
        seed=seed,
        deadline=deadline,
        on_progress=on_progress,
        should_stop=should_stop,
        predict_output=shape_output,
        input_holes=input_holes,
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
    raw = shape_output(decoded, list(range(num_frames)), composited=False)
    # Frames the optimizer saw (a stopped or budgeted fit may end mid-epoch).
    steps_per_epoch = math.ceil(num_frames / fit_config.batch_size)
    partial_steps = max(fit.steps - fit.epochs_run * steps_per_epoch, 0)
    frames_seen = max(fit.epochs_run * num_frames + partial_steps * fit_config.batch_size, 1)
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
        "size": fit.model.size_report(),
        "padded_size": [padded_h, padded_w],
        "device": describe_device(device),
        "loss": loss_kind,
        "optimizer": fit.optimizer,
        "lr": fit_config.lr,
        "epochs_run": fit.epochs_run,
        "frames_seen": frames_seen,
        "total_steps": (fit.plan.epochs if fit.plan else fit_config.epochs) * steps_per_epoch,
        "plan": None if fit.plan is None else fit.plan.to_dict(),
        "budget_stopped": fit.budget_stopped,
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
    deadline: Deadline | None = None,
    on_progress: Callable[[FitProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> MethodResult:
    """Fit ``model_name`` to ``frames`` (holes in ``mask`` ignored) and restore the video.

    Args:
        frames: ``(T, 3, H, W)`` corrupted video in [0, 1].
        mask: ``(T, 1, H, W)``, 1 = missing; ``None`` for denoising (output = reconstruction).
        config: model, fit, device, seed (``config.fit`` is passed down as is).
        deadline: when the method must be done; the fit gets what the prefill leaves.
    """
    encoder_frames = frames if mask is None else prefill_holes(frames, mask, config.model.prefill)
    neural = fit_and_decode(
        frames,
        None if mask is None else 1 - mask,
        encoder_frames,
        config.fit,
        model_name=model_name,
        model=config.model,
        seed=config.seed,
        device=pick_device(config.device),
        composite_into=None if mask is None else (frames, mask),
        deadline=deadline,
        on_progress=on_progress,
        should_stop=should_stop,
    )
    raw = neural.raw
    restored = raw if mask is None else composite.unchecked(raw, frames, mask)
    return MethodResult(
        restored=restored,
        raw=raw,
        timings=neural.timings,
        info=neural.info,
        model=neural.fit.model,
        stopped=neural.fit.stopped,
    )
