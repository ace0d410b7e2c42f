"""Planning a fit against a time budget, and estimating one before it starts.

Two sources of a step's cost, one planner:

- ``plan_epochs`` takes a *measured* step time (the fitting loop times its first steps, which are
  real training steps, the probe) and returns the epochs that fit in what is left of the budget
  once the final decoding is paid for. The loop then follows that plan and still stops at the
  deadline if the machine slows down.
- ``estimate_step_seconds`` predicts the step time of a model before any step has run, from its
  multiply-adds per frame (counted once with forward hooks) and the device's measured
  throughput for this kind of network (``THROUGHPUT_MACS``); the app and the CLI show estimates
  from it without a probe in the user's queue.

Times are seconds of wall clock. A fit's decoding costs about one forward pass per frame, a third
of a training step's work per frame (forward, backward, optimizer).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn

PROBE_STEPS = 4
"""Training steps timed at the start of a budgeted fit (the first one, which pays for
allocations and lazy initialisation, is left out of the rate)."""

FORWARD_SHARE = 1.0
"""Decoding time of one frame over a training step's time per frame. A forward pass is about a
third of a step's arithmetic, but decoding a whole clip at the end costs more than that per
frame (memory traffic, no batching across frames), so the plan reserves a full step per frame
(the measurement: docs/constants.md)."""

THROUGHPUT_MACS = {"cpu": 4.5e10, "cuda": 2.0e12, "mps": 2.0e11}
"""Multiply-adds per second a training step achieves, forward + backward counted as 3x the
forward's multiply-adds. CPU: measured on the project's 2-core machine (docs/constants.md).
CUDA and MPS: rough figures; the app replaces them by the speed of every finished run
(`SpeedBook`)."""


@dataclass(frozen=True)
class FitPlan:
    """How a budgeted fit will spend its time."""

    epochs: int  # epochs the fit will run (at most the configured epochs)
    steps_per_epoch: int
    step_seconds: float  # measured (probe) or estimated seconds per optimizer step
    fit_seconds: float  # predicted seconds of fitting, probe included
    decode_seconds: float  # predicted seconds of the final decoding
    budget_seconds: float | None  # the budget the plan was made for, if any
    limited_by_budget: bool  # fewer epochs than configured because of the budget

    def describe(self) -> str:
        """One line for a progress bar or a log."""
        line = (
            f"plan: {self.epochs} epoch{'s' if self.epochs != 1 else ''} "
            f"({self.steps_per_epoch} steps each, {self.step_seconds:.3f} s per step): "
            f"~{format_duration(self.fit_seconds)} fitting + "
            f"~{format_duration(self.decode_seconds)} decoding"
        )
        if self.budget_seconds is not None:
            line += f", within the budget of {format_duration(self.budget_seconds)}"
            if self.limited_by_budget:
                line += " (fewer epochs than configured)"
        return line

    def to_dict(self) -> dict:
        return asdict(self)


def format_duration(seconds: float) -> str:
    """``42 s``, ``3 min 5 s``, ``1 h 12 min``."""
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        minutes, rest = divmod(round(seconds), 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, rest = divmod(round(seconds / 60), 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def decode_seconds(step_seconds: float, batch_size: int, num_frames: int) -> float:
    """Predicted seconds to decode ``num_frames`` once (one forward pass each)."""
    return num_frames * FORWARD_SHARE * step_seconds / max(batch_size, 1)


def plan_epochs(
    *,
    step_seconds: float,
    steps_per_epoch: int,
    max_epochs: int,
    batch_size: int,
    num_frames: int,
    budget_seconds: float | None = None,
    elapsed_seconds: float = 0.0,
    steps_done: int = 0,
) -> FitPlan:
    """The epochs a fit can afford.

    Args:
        step_seconds: seconds per optimizer step (measured by the probe, or estimated).
        steps_per_epoch: optimizer steps in one epoch.
        max_epochs: the configured epochs: the plan never runs more.
        batch_size: frames per step (for the decoding estimate).
        num_frames: frames of the video (for the decoding estimate).
        budget_seconds: fitting plus final decoding must fit in this; None: no budget.
        elapsed_seconds: seconds of the budget already spent (the probe).
        steps_done: optimizer steps already taken (the probe's).

    Returns:
        The ``FitPlan``; at least one epoch, even when the budget is too small for it (the loop
        then stops at the deadline with the best result so far).
    """
    decoding = decode_seconds(step_seconds, batch_size, num_frames)
    epochs = max_epochs
    if budget_seconds is not None:
        left = budget_seconds - elapsed_seconds - decoding
        affordable_steps = steps_done + max(0.0, left) / max(step_seconds, 1e-9)
        epochs = min(max_epochs, max(1, math.floor(affordable_steps / steps_per_epoch)))
    fitting = elapsed_seconds + (epochs * steps_per_epoch - steps_done) * step_seconds
    return FitPlan(
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        step_seconds=step_seconds,
        fit_seconds=max(fitting, 0.0),
        decode_seconds=decoding,
        budget_seconds=budget_seconds,
        limited_by_budget=epochs < max_epochs,
    )


@torch.no_grad()
def forward_macs(model: nn.Module, frames: torch.Tensor) -> int:
    """Multiply-adds of one forward pass of ``model`` on ``frames`` (convolutions and linears).

    Args:
        model: any registered model (``forward(frames, indices)``).
        frames: ``(B, 3, H, W)`` input on the model's device.
    """
    total = 0

    def count(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        nonlocal total
        if isinstance(module, nn.Conv2d):
            kernel = module.kernel_size[0] * module.kernel_size[1]
            total += output.numel() * kernel * module.in_channels // module.groups
        elif isinstance(module, nn.Linear):
            total += output.numel() * module.in_features

    hooks = [
        module.register_forward_hook(count)
        for module in model.modules()
        if isinstance(module, nn.Conv2d | nn.Linear)
    ]
    was_training = model.training
    try:
        model.eval()
        model(frames, torch.arange(frames.shape[0], device=frames.device))
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return total


def estimate_step_seconds(macs_per_frame: int, batch_size: int, device_type: str) -> float:
    """Predicted seconds of one training step from the forward multiply-adds per frame."""
    throughput = THROUGHPUT_MACS.get(device_type, THROUGHPUT_MACS["cpu"])
    return 3 * macs_per_frame * batch_size / throughput
