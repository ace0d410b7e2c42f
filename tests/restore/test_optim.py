"""Adan (restore.fit.optim): one and two steps against the paper's update by hand, a quadratic."""

from __future__ import annotations

import math

import pytest
import torch

from restore.fit.optim import Adan, make_optimizer


def test_first_step_matches_the_update_by_hand() -> None:
    parameter = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    optimizer = Adan([parameter], lr=0.1)
    parameter.grad = torch.tensor([0.5, -1.0])
    optimizer.step()
    # Step 1: d = 0, m = 0.02 g, v = 0, n = 0.01 g²; bias corrections undo the 0.02 and 0.01, so
    # the step is lr * g / (|g| + eps) = 0.1 * sign(g).
    expected = torch.tensor([1.0 - 0.1 * 0.5 / (0.5 + 1e-8), -2.0 + 0.1 * 1.0 / (1.0 + 1e-8)])
    assert torch.allclose(parameter.detach(), expected, atol=1e-7)


def test_second_step_uses_the_gradient_difference() -> None:
    beta1, beta2, beta3, lr = 0.98, 0.92, 0.99, 0.01
    parameter = torch.nn.Parameter(torch.tensor([0.0]))
    optimizer = Adan([parameter], lr=lr)
    for gradient in (1.0, 3.0):
        parameter.grad = torch.tensor([gradient])
        optimizer.step()
    # By hand: after step 1, theta = -lr; step 2 has g = 3, d = 2.
    m = (1 - beta1) * (beta1 * 1.0 + 3.0)
    v = (1 - beta2) * 2.0
    n = beta3 * (1 - beta3) * 1.0 + (1 - beta3) * (3.0 + beta2 * 2.0) ** 2
    denominator = math.sqrt(n / (1 - beta3**2)) + 1e-8
    step = (m / (1 - beta1**2) + beta2 * v / (1 - beta2**2)) / denominator
    assert parameter.item() == pytest.approx(-lr - lr * step, rel=1e-6)


def test_weight_decay_is_decoupled_and_proximal() -> None:
    parameter = torch.nn.Parameter(torch.tensor([2.0]))
    optimizer = Adan([parameter], lr=0.1, weight_decay=0.5)
    parameter.grad = torch.tensor([4.0])
    optimizer.step()
    assert parameter.item() == pytest.approx((2.0 - 0.1) / (1 + 0.1 * 0.5), rel=1e-6)


def test_adan_minimises_a_quadratic() -> None:
    torch.manual_seed(0)
    target = torch.tensor([3.0, -1.0, 0.5])
    parameter = torch.nn.Parameter(torch.zeros(3))
    optimizer = Adan([parameter], lr=0.05)
    losses = []
    for _ in range(600):  # beta1 = 0.98 carries momentum: it overshoots before settling
        optimizer.zero_grad()
        loss = ((parameter - target) ** 2 * torch.tensor([1.0, 10.0, 0.1])).sum()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 1e-6 * losses[0]
    assert torch.allclose(parameter.detach(), target, atol=0.01)


def test_make_optimizer_picks_the_class_and_betas() -> None:
    parameters = [torch.nn.Parameter(torch.zeros(2))]
    adam = make_optimizer("adam", parameters, 5e-4, (0.5, 0.999))
    assert type(adam) is torch.optim.Adam and adam.defaults["betas"] == (0.5, 0.999)
    adan = make_optimizer("adan", parameters, 3e-3)
    assert type(adan) is Adan and adan.defaults["betas"] == (0.98, 0.92, 0.99)
    assert adan.defaults["lr"] == 3e-3
    with pytest.raises(ValueError, match="optimizer: expected one of adam, adan, got 'sgd'"):
        make_optimizer("sgd", parameters, 1e-3)
    with pytest.raises(ValueError, match=r"betas: expected three numbers in \[0, 1\)"):
        Adan(parameters, betas=(0.9, 0.999))
