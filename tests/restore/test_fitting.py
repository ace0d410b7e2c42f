"""Masked loss (eq. 2), schedule, divergence recovery, stop flag, fitting on real frames."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from torch import nn

from restore.fit import FitConfig, fit_representation, reconstruction_loss, resolve_loss
from restore.fit.schedule import warmup_cosine
from restore.models import create_model


@pytest.mark.parametrize("kind", ["l2", "l1", "ssim", "l1+ssim", "ms-ssim"])
def test_gradients_are_zero_in_holes(kind: str) -> None:
    torch.manual_seed(0)
    size = 176 if kind == "ms-ssim" else 48
    prediction = torch.rand(2, 3, size, size, requires_grad=True)
    target = torch.rand(2, 3, size, size)
    known = torch.ones(2, 1, size, size)
    known[:, :, 10:30, 12:40] = 0
    loss = reconstruction_loss(prediction, target, known, kind)
    loss.backward()
    hole_grad = prediction.grad * (1 - known)
    known_grad = prediction.grad * known
    assert float(hole_grad.abs().max()) == 0.0
    assert float(known_grad.abs().max()) > 0.0


def test_loss_ignores_hole_values_and_size() -> None:
    prediction = torch.full((1, 3, 20, 20), 0.5)
    target = torch.full((1, 3, 20, 20), 0.6)
    small_hole = torch.ones(1, 1, 20, 20)
    small_hole[..., :2, :2] = 0
    big_hole = torch.ones(1, 1, 20, 20)
    big_hole[..., :15, :] = 0
    garbage = target.clone()
    garbage[..., :15, :] = 1.0
    small = reconstruction_loss(prediction, target, small_hole, "l2")
    big = reconstruction_loss(prediction, garbage, big_hole, "l2")
    assert float(small) == pytest.approx(0.01, rel=1e-5)
    assert float(big) == pytest.approx(0.01, rel=1e-5)


def test_ms_ssim_falls_back_below_161_pixels() -> None:
    assert resolve_loss("ms-ssim", 240, 432) == ("ms-ssim", None)
    kind, note = resolve_loss("ms-ssim", 120, 216)
    assert kind == "ssim" and "160" in note
    with pytest.raises(ValueError, match="valid losses"):
        resolve_loss("l3", 10, 10)


def test_warmup_then_cosine() -> None:
    factors = [warmup_cosine(step, 100, 0.2, 0.0) for step in range(100)]
    assert factors[0] == pytest.approx(1 / 20)
    assert factors[19] == pytest.approx(1.0)
    assert max(factors) == pytest.approx(1.0)
    assert all(a >= b for a, b in itertools.pairwise(factors[20:]))
    assert factors[-1] < 0.01


class _ExplodesOnce(nn.Module):
    """Returns NaN on its third forward pass, then behaves."""

    def __init__(self) -> None:
        super().__init__()
        self.value = nn.Parameter(torch.zeros(1, 3, 1, 1))
        self.calls = 0

    def forward(self, frames, indices):
        self.calls += 1
        out = torch.sigmoid(self.value).expand(frames.shape[0], 3, *frames.shape[2:])
        return out * float("nan") if self.calls == 3 else out


def test_divergence_restores_last_good_state_and_lowers_lr() -> None:
    target = torch.full((4, 3, 8, 8), 0.8)
    model = _ExplodesOnce()
    messages = []
    result = fit_representation(
        model,
        target,
        None,
        FitConfig(epochs=4, batch_size=2, lr=0.1),
        on_progress=lambda p: messages.append(p.message) if p.message else None,
    )
    assert result.recoveries == 1
    assert any("blew up" in m for m in messages)
    assert result.epochs_run == 4
    assert torch.isfinite(model.value).all()
    assert float(torch.sigmoid(model.value).mean()) > 0.5  # it kept learning after recovery


class _DriftsAway(_ExplodesOnce):
    """Learns a constant; on forward passes 13 to 20 its output drifts off, by 0.05 more each
    step up to 0.15 (no step jumps far from the last ones), then behaves: a slow collapse."""

    def forward(self, frames, indices):
        self.calls += 1
        out = torch.sigmoid(self.value).expand(frames.shape[0], 3, *frames.shape[2:])
        drift = 0.05 * min(self.calls - 12, 3) if 13 <= self.calls <= 20 else 0.0
        return out - drift


def test_an_epoch_that_collapses_is_rolled_back() -> None:
    """The step test (20x the recent mean) does not fire on a gradual collapse; the epoch test
    (known-pixel MSE 2x the best epoch's) restores the last good epoch, halves the lr and reruns
    it."""
    generator = torch.Generator().manual_seed(0)
    target = (0.6 + 0.05 * torch.randn(4, 3, 8, 8, generator=generator)).clamp(0, 1)
    model = _DriftsAway()
    config = FitConfig(epochs=8, batch_size=1, lr=0.05, grad_clip=None, warmup_fraction=0.0)
    result = fit_representation(model, target, None, config)
    assert result.recoveries >= 1
    assert any("below the best epoch" in m for m in result.messages)
    assert not any("step loss" in m for m in result.messages)
    assert result.epochs_run == 8
    assert [h["epoch"] for h in result.history] == list(range(1, 9))
    assert abs(float(torch.sigmoid(model.value.detach()).mean()) - 0.6) < 0.05


def test_collapse_factor_is_checked() -> None:
    with pytest.raises(ValueError, match="collapse factor: expected a number > 1"):
        FitConfig(collapse_factor=1.0)


def test_stop_flag_ends_the_fit_early() -> None:
    torch.manual_seed(0)
    model = create_model("hnerv", num_frames=4, height=32, width=32, decoder_width=16)
    calls = {"n": 0}

    def should_stop() -> bool:
        calls["n"] += 1
        return calls["n"] >= 3

    result = fit_representation(
        model,
        torch.rand(4, 3, 32, 32),
        None,
        FitConfig(epochs=50, batch_size=2),
        should_stop=should_stop,
    )
    assert result.stopped
    assert result.steps == 3
    assert result.epochs_run == 1  # 2 steps an epoch: the second epoch was cut short


def test_fit_on_real_frames_learns_known_pixels(blackswan_small: torch.Tensor) -> None:
    frames = blackswan_small[:4, :, :64, :128]
    torch.manual_seed(0)
    model = create_model("hnerv", num_frames=4, height=64, width=128, size=0.05)
    known = torch.ones(4, 1, 64, 128)
    known[:, :, 20:30, 40:60] = 0
    history = []
    result = fit_representation(
        model,
        frames,
        known,
        FitConfig(epochs=30, batch_size=2, lr=3e-3),
        on_progress=lambda p: history.append(p.epoch_psnr_known) if p.epoch_end else None,
    )
    assert len(result.history) == 30
    assert history[-1] > history[0] + 3
    assert not math.isnan(history[-1])
