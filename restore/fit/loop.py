"""The fitting loop: overfit one video representation to one (corrupted) video.

It owns the optimizer (Adam, HNeRV section 4.1, or Adan: ``restore.fit.optim``), the warm-up +
cosine schedule, the masked loss (eq. 2) and the stop flag; two pieces beside it keep the loop
itself short: ``BudgetWatch`` plans the epochs against a deadline and ends the fit when it is
near, ``DivergenceGuard`` rolls a diverging fit back. It knows neither the model family (every
model maps ``(frames, indices)`` to frames) nor the front end: it reports through
``on_progress`` and never prints.
"""

from __future__ import annotations

import copy
import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from masks.checks import check_positive_int, fail
from restore.deadline import Deadline
from restore.fields import option
from restore.fit.losses import LOSSES, reconstruction_loss
from restore.fit.optim import OPTIMIZERS, make_optimizer
from restore.fit.plan import PROBE_STEPS, FitPlan, decode_seconds, plan_epochs
from restore.fit.schedule import warmup_cosine
from restore.metrics import psnr_from_mse

PRECISIONS = ("auto", "fp32", "bf16")


@functools.cache
def _cpu_has_amx_bf16() -> bool:
    """Whether this CPU multiplies bf16 matrices in AMX tiles (Linux: /proc/cpuinfo flags)."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            return any("amx_bf16" in line.split() for line in cpuinfo if line.startswith("flags"))
    except OSError:
        return False


def resolve_precision(precision: str, device: torch.device) -> str:
    """``auto`` -> ``bf16`` where it is fast (CUDA with bf16 support; CPUs with AMX), else
    ``fp32``. On AMX CPUs bf16 convolutions are much faster at the same PSNR
    (docs/fitting-speed.md)."""
    if precision != "auto":
        return precision
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    if device.type == "cpu":
        return "bf16" if _cpu_has_amx_bf16() else "fp32"
    return "fp32"


def autocast(device: torch.device, precision: str) -> torch.autocast:
    """Mixed precision for the forward pass: bf16 convolutions where asked (oneDNN uses AMX
    tiles on CPUs that have them, tensor cores on CUDA); weights, optimizer and loss stay fp32."""
    enabled = resolve_precision(precision, device) == "bf16"
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=enabled)


COLLAPSE_MSE_FLOOR = 1e-5
"""Known-pixel MSE (50 dB) below which a rise is never a collapse: near-perfect fits wobble."""


@dataclass
class FitConfig:
    """Optimisation settings of one fit."""

    epochs: int = option(150, help="Training epochs, passes over all frames.")
    # Batch 1, lr 3e-3, gradient norm clipped to 1, instead of the paper's batch 2, lr 1e-3 and no
    # clipping: the same hole PSNR in half the epochs (docs/time-to-quality.md).
    batch_size: int = option(1, help="Frames per optimizer step.")
    lr: float = option(3e-3, help="Peak learning rate (warm-up, then cosine decay).")
    optimizer: str = option("adam", help="adam | adan (Xie et al. 2022, Boosting-NeRV's).")
    betas: tuple[float, ...] | None = None  # the optimizer's betas; None: its defaults
    warmup_fraction: float = 0.2  # share of steps spent warming the learning rate up
    min_lr_factor: float = 0.0  # cosine decays to lr * this
    loss: str = option(
        "l2", help="l2 | l1 | ssim | ms-ssim | l1+ssim | boost (L1 + MS-SSIM + FFT)."
    )
    channels_last: bool = option(
        False, help="NHWC memory format for convolutions (speed differs by machine: measure)."
    )
    precision: str = option(
        "auto", help="auto | fp32 | bf16 (auto: bf16 on AMX CPUs and CUDA); fp32 weights and loss."
    )
    blowup_factor: float = 20.0  # a step loss this many times the recent mean counts as a blow-up
    max_recoveries: int = 6  # blow-ups tolerated (each halves the learning rate) before stopping
    # An epoch whose known-pixel MSE is this many times the best epoch's (best capped at 50 dB)
    # counts as a blow-up too: at a high lr a fit can collapse over a few epochs without any one
    # step jumping (docs/time-to-quality.md).
    collapse_factor: float = 2.0
    grad_clip: float | None = option(
        1.0, help="Clip the gradients' global L2 norm to this (1e9 turns it off)."
    )

    def __post_init__(self) -> None:
        check_positive_int("epochs", self.epochs)
        check_positive_int("batch size", self.batch_size)
        if not self.lr > 0:
            raise fail("learning rate", "a number > 0", self.lr)
        if not self.collapse_factor > 1:
            raise fail("collapse factor", "a number > 1", self.collapse_factor)
        if not 0 <= self.warmup_fraction < 1:
            raise fail("warm-up fraction", "a number in [0, 1)", self.warmup_fraction)
        if self.optimizer not in OPTIMIZERS:
            raise fail("optimizer", f"one of {', '.join(OPTIMIZERS)}", repr(self.optimizer))
        if self.betas is not None:
            self.betas = tuple(float(beta) for beta in self.betas)
            if len(self.betas) != {"adam": 2, "adan": 3}[self.optimizer]:
                raise fail(f"{self.optimizer} betas", "2 for adam, 3 for adan", self.betas)
        if self.loss not in LOSSES:
            raise fail("loss", f"one of {', '.join(LOSSES)}", repr(self.loss))
        if self.precision not in PRECISIONS:
            raise fail("precision", f"one of {', '.join(PRECISIONS)}", repr(self.precision))
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise fail("gradient clip", "a norm > 0 (or None)", self.grad_clip)


@dataclass
class FitProgress:
    """What the loop reports after every step."""

    epoch: int  # 1-based epoch being run
    epochs: int
    step: int  # 1-based optimizer step over the whole fit
    total_steps: int
    loss: float  # this step's loss
    psnr_known: float  # PSNR of this step's prediction on known pixels
    lr: float
    elapsed: float  # seconds since the fit started
    eta: float  # seconds left, extrapolated from the mean step time
    recoveries: int  # divergence recoveries so far
    epoch_end: bool = False  # the last step of an epoch
    plan: FitPlan | None = None  # set once, with the message, when a budgeted fit has planned
    epoch_loss: float | None = None  # mean loss of the finished epoch (at epoch_end)
    epoch_psnr_known: float | None = None
    message: str | None = None  # e.g. a divergence recovery notice
    # Decode frames now: predict(indices=None, raw=False) gives the method's output for those
    # frames (cropped to the input size, composited for inpainting); raw=True the network's own
    # output as the method shaped it (cropped, not composited).
    predict: Callable[..., torch.Tensor] | None = None


@dataclass
class FitResult:
    """A fitted model and how the fit went."""

    model: nn.Module
    history: list[dict] = field(default_factory=list)  # one row per finished epoch
    seconds: float = 0.0
    steps: int = 0
    epochs_run: int = 0  # completed epochs
    stopped: bool = False  # ended early by the stop flag
    budget_stopped: bool = False  # ended at the time budget's deadline, before the planned end
    plan: FitPlan | None = None  # the budgeted fit's plan
    recoveries: int = 0
    messages: list[str] = field(default_factory=list)
    optimizer: str = ""  # the optimizer's class (Adam, Adan)


@torch.no_grad()
def predict_video(
    model: nn.Module,
    encoder_input: torch.Tensor,
    *,
    indices: list[int] | None = None,
    batch_size: int = 4,
    channels_last: bool = False,
    precision: str = "auto",
) -> torch.Tensor:
    """Decode frames with a fitted model.

    Args:
        model: a registered model, on its device.
        encoder_input: ``(T, 3, H, W)`` the frames the model was fitted with as input.
        indices: frames to decode (all by default).

    Returns:
        ``(len(indices), 3, H, W)`` float32 on the CPU, in [0, 1].
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    indices = list(range(encoder_input.shape[0])) if indices is None else list(indices)
    outputs = []
    for start in range(0, len(indices), batch_size):
        chunk = torch.tensor(indices[start : start + batch_size], dtype=torch.long)
        frames = encoder_input[chunk].to(device)
        if channels_last:
            frames = frames.contiguous(memory_format=torch.channels_last)
        with autocast(device, precision):
            decoded = model(frames, chunk.to(device))
        outputs.append(decoded.float().cpu())
    model.train(was_training)
    return torch.cat(outputs).contiguous()


class BudgetWatch:
    """Plans a budgeted fit from its first steps and says when the deadline is too near.

    The first ``PROBE_STEPS`` steps are timed (wall time between steps: callbacks and data
    movement count too); ``plan_epochs`` then fixes the epochs that fit before the deadline with
    the final decoding paid for. After that, a fit whose next step and decoding no longer fit
    ends early, so a machine that slows down still keeps the deadline.
    """

    def __init__(self, deadline: Deadline, started: float) -> None:
        self.budget = deadline.at - started  # seconds from the fit's start to the deadline
        self.step_times: list[float] = []
        self.previous_elapsed = 0.0
        self.plan: FitPlan | None = None

    def time_step(self, elapsed: float) -> None:
        self.step_times.append(elapsed - self.previous_elapsed)
        self.previous_elapsed = elapsed

    def ready_to_plan(self, total_steps: int) -> bool:
        return self.plan is None and len(self.step_times) == min(PROBE_STEPS, total_steps)

    def make_plan(
        self, config: FitConfig, steps_per_epoch: int, num_frames: int, elapsed: float, step: int
    ) -> FitPlan:
        timed = self.step_times[1:] or self.step_times  # the first step pays for lazy set-up
        self.plan = plan_epochs(
            step_seconds=sorted(timed)[len(timed) // 2],
            steps_per_epoch=steps_per_epoch,
            max_epochs=config.epochs,
            batch_size=config.batch_size,
            num_frames=num_frames,
            budget_seconds=self.budget,
            elapsed_seconds=elapsed,
            steps_done=step,
        )
        return self.plan

    def over(self, elapsed: float, batch_size: int, num_frames: int) -> bool:
        """Whether the next step and the final decoding would end after the deadline."""
        if self.plan is None:  # still probing
            return elapsed > self.budget
        recent = sorted(self.step_times[1:][-5:]) or self.step_times[-1:]
        next_step = recent[len(recent) // 2]
        finishing = decode_seconds(next_step, batch_size, num_frames)
        return elapsed + next_step + finishing > self.budget


class DivergenceGuard:
    """Rolls a fit back to its last good state when it diverges.

    Two signs: a step whose loss is not finite or ``blowup_factor`` times the mean of the last
    20 steps (a blow-up), and an epoch whose known-pixel MSE is ``collapse_factor`` times the
    best epoch's (a collapse over several epochs without any one step jumping). Each rollback
    halves the learning rate; more than ``max_recoveries`` end the fit with the last good state.
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, config: FitConfig):
        self.model, self.optimizer, self.config = model, optimizer, config
        self.lr_scale = 1.0
        self.recoveries = 0
        self.recent_losses: list[float] = []
        self.best_epoch_mse = math.inf
        self.save()

    def save(self) -> None:
        """Remembers the current state as the last good one (after a healthy epoch)."""
        self.good_state = (
            copy.deepcopy(self.model.state_dict()),
            copy.deepcopy(self.optimizer.state_dict()),
        )

    def step_blew_up(self, loss_value: float) -> bool:
        recent = self.recent_losses
        reference = sum(recent) / len(recent) if recent else None
        return not math.isfinite(loss_value) or (
            reference is not None and loss_value > self.config.blowup_factor * reference
        )

    def record_step(self, loss_value: float) -> None:
        self.recent_losses = (self.recent_losses + [loss_value])[-20:]

    def epoch_collapse(self, epoch_mse: float) -> str | None:
        """What went wrong if the epoch collapsed (None if healthy; then it may be the best)."""
        floor = max(self.best_epoch_mse, COLLAPSE_MSE_FLOOR)
        if epoch_mse > self.config.collapse_factor * floor:
            drop = psnr_from_mse(self.best_epoch_mse) - psnr_from_mse(epoch_mse)
            return f"known PSNR {drop:.1f} dB below the best epoch's"
        self.best_epoch_mse = min(self.best_epoch_mse, epoch_mse)
        return None

    def keep_weights_only(self) -> None:
        """Back to the last good weights, for a fit that has no time to run the epoch again."""
        self.model.load_state_dict(self.good_state[0])

    def roll_back(self) -> None:
        """Back to the last good state with half the learning rate."""
        self.recoveries += 1
        self.lr_scale *= 0.5
        self.model.load_state_dict(self.good_state[0])
        self.optimizer.load_state_dict(self.good_state[1])
        self.recent_losses = []

    @property
    def exhausted(self) -> bool:
        return self.recoveries > self.config.max_recoveries


def fit_representation(
    model: nn.Module,
    target: torch.Tensor,
    known: torch.Tensor | None,
    config: FitConfig,
    *,
    encoder_input: torch.Tensor | None = None,
    device: torch.device | str = "cpu",
    seed: int = 0,
    deadline: Deadline | None = None,
    on_progress: Callable[[FitProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    predict_output: Callable[[torch.Tensor, list[int], bool], torch.Tensor] | None = None,
    input_holes: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> FitResult:
    """Fit ``model`` to ``target`` with a loss over known pixels only.

    Args:
        model: maps ``(frames (B,3,H,W), indices (B,))`` to ``(B,3,H,W)`` in [0, 1].
        target: ``(T, 3, H, W)`` frames to reconstruct (values in holes are ignored).
        known: ``(T, 1, H, W)``, 1 = known pixel (the loss sees it), 0 = hole or padding;
            ``None`` means every pixel is known (denoising).
        config: optimisation settings.
        encoder_input: ``(T, 3, H, W)`` what HNeRV's encoder sees (defaults to ``target``).
        device: where to fit; data stays on the CPU and moves per batch.
        seed: seeds initialisation and frame order.
        deadline: when fitting and the final decoding must be done (``BudgetWatch``): the
            epochs are planned from the first steps; None runs ``config.epochs``.
        on_progress: called after every step with a ``FitProgress``.
        should_stop: polled every step; when it returns True the fit ends after that step.
        predict_output: ``(frames, indices, composited)`` turns decoded frames ``(B, 3, H, W)``
            of ``indices`` into what ``FitProgress.predict`` returns: the method crops its
            padding and, when ``composited``, puts the known pixels back; identity if None.
        input_holes: ``(frames (B, 3, H, W), indices (B,))`` -> the encoder's input of a training
            step with holes cut into it (synthetic-hole supervision, IIVI); the loss and its
            ``known`` weights stay as given, so the cut pixels are learnt from their truth.

    Returns:
        The fitted model (the last healthy state) and the per-epoch history.
    """
    device = torch.device(device)
    torch.manual_seed(seed)
    order_generator = torch.Generator().manual_seed(seed)
    encoder_input = target if encoder_input is None else encoder_input
    num_frames = target.shape[0]
    memory_format = torch.channels_last if config.channels_last else torch.contiguous_format
    model.to(device=device, memory_format=memory_format)
    model.train()
    optimizer = make_optimizer(config.optimizer, model.parameters(), config.lr, config.betas)
    steps_per_epoch = math.ceil(num_frames / config.batch_size)
    epochs = config.epochs  # a budgeted fit replaces it with its plan after the probe
    total_steps = steps_per_epoch * epochs
    guard = DivergenceGuard(model, optimizer, config)
    result = FitResult(model=model, optimizer=type(optimizer).__name__)
    started = time.perf_counter()
    watch = None if deadline is None else BudgetWatch(deadline, started)
    step = 0
    epoch = 0

    def predict(indices: list[int] | None = None, *, raw: bool = False) -> torch.Tensor:
        indices = list(range(num_frames)) if indices is None else list(indices)
        frames = predict_video(
            model,
            encoder_input,
            indices=indices,
            channels_last=config.channels_last,
            precision=config.precision,
        )
        return frames if predict_output is None else predict_output(frames, indices, not raw)

    def report(**values) -> None:
        if on_progress is not None:
            on_progress(
                FitProgress(
                    epochs=epochs,
                    step=step,
                    total_steps=total_steps,
                    recoveries=guard.recoveries,
                    **values,
                )
            )

    while epoch < epochs and not result.stopped:
        order = torch.randperm(num_frames, generator=order_generator)
        epoch_losses: list[float] = []
        epoch_mses: list[float] = []
        diverged = False
        for batch_start in range(0, num_frames, config.batch_size):
            batch = order[batch_start : batch_start + config.batch_size]
            frames = encoder_input[batch]
            if input_holes is not None:
                frames = input_holes(frames, batch)
            frames = frames.to(device, non_blocking=True)
            goal = target[batch].to(device, non_blocking=True)
            batch_known = None if known is None else known[batch].to(device, non_blocking=True)
            if config.channels_last:
                frames = frames.contiguous(memory_format=torch.channels_last)
            lr = (
                config.lr
                * guard.lr_scale
                * warmup_cosine(step, total_steps, config.warmup_fraction, config.min_lr_factor)
            )
            for group in optimizer.param_groups:
                group["lr"] = lr
            with autocast(device, config.precision):
                prediction = model(frames, batch.to(device))
            prediction = prediction.float()
            loss = reconstruction_loss(prediction, goal, batch_known, config.loss)
            loss_value = float(loss.detach())
            if guard.step_blew_up(loss_value):
                diverged = True
                break
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if config.grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            step += 1
            mse = _known_mse(prediction.detach(), goal, batch_known)
            epoch_losses.append(loss_value)
            epoch_mses.append(mse)
            guard.record_step(loss_value)
            elapsed = time.perf_counter() - started
            epoch_end = batch_start + config.batch_size >= num_frames
            if should_stop is not None and should_stop():
                result.stopped = True
            plan_message = None
            if watch is not None:
                watch.time_step(elapsed)
                if watch.ready_to_plan(total_steps):
                    result.plan = watch.make_plan(
                        config, steps_per_epoch, num_frames, elapsed, step
                    )
                    epochs, total_steps = result.plan.epochs, result.plan.epochs * steps_per_epoch
                    plan_message = result.plan.describe()
                    result.messages.append(plan_message)
                if watch.over(elapsed, config.batch_size, num_frames) and step < total_steps:
                    result.stopped = result.budget_stopped = True
            epoch_loss = sum(epoch_losses) / len(epoch_losses) if epoch_end else None
            epoch_psnr = psnr_from_mse(sum(epoch_mses) / len(epoch_mses)) if epoch_end else None
            if epoch_end:
                result.history.append(
                    {
                        "epoch": epoch + 1,
                        "loss": epoch_loss,
                        "psnr_known": epoch_psnr,
                        "lr": lr,
                        "seconds": elapsed,
                    }
                )
            report(
                epoch=epoch + 1,
                loss=loss_value,
                psnr_known=psnr_from_mse(mse),
                lr=lr,
                elapsed=elapsed,
                eta=elapsed / step * (total_steps - step),
                epoch_end=epoch_end,
                epoch_loss=epoch_loss,
                epoch_psnr_known=epoch_psnr,
                message=plan_message,
                plan=result.plan if plan_message else None,
                predict=predict,
            )
            if result.stopped:
                break
        what = f"step loss {loss_value:.3g}"
        if not diverged and epoch_mses and not (result.stopped and not epoch_end):
            collapse = guard.epoch_collapse(sum(epoch_mses) / len(epoch_mses))
            if collapse is not None:
                result.history.pop()  # the epoch is run again, or dropped
                what = collapse
                if result.stopped:  # no time to run it again: end with the last good state
                    guard.keep_weights_only()
                    result.messages.append(
                        f"epoch {epoch + 1} collapsed ({what}) as the fit stopped: kept the "
                        "state before it"
                    )
                    break
                diverged = True
        if diverged:
            guard.roll_back()
            message = (
                f"loss blew up at epoch {epoch + 1} ({what}); restored the "
                f"last good state and halved the learning rate (x{guard.lr_scale:g})"
            )
            result.messages.append(message)
            if guard.exhausted:
                result.messages.append("too many blow-ups: stopping with the last good state")
                break
            report(
                epoch=epoch + 1,
                loss=loss_value,
                psnr_known=float("nan"),
                lr=lr,
                elapsed=time.perf_counter() - started,
                eta=float("nan"),
                message=message,
            )
            continue  # rerun this epoch from the restored state
        if result.stopped and not epoch_end:
            break  # stopped mid-epoch: that epoch is not complete
        epoch += 1
        guard.save()
    # A stop mid-epoch keeps the weights after its last step: every step taken was healthy.
    result.seconds = time.perf_counter() - started
    result.steps = step
    result.epochs_run = epoch
    result.recoveries = guard.recoveries
    model.eval()
    return result


@torch.no_grad()
def _known_mse(prediction: torch.Tensor, goal: torch.Tensor, known: torch.Tensor | None) -> float:
    """Mean squared error of a step's prediction over its known pixels (weighted by ``known``)."""
    error = (prediction - goal) ** 2
    if known is not None:
        error = error * known
        count = float(known.sum()) * 3
    else:
        count = float(error.numel())
    return float(error.sum()) / max(count, 1.0)
