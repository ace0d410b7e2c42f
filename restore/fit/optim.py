"""Optimisers of the fitting loop: Adam, and Adan, which Boosting-NeRV's scripts fit with.

Adan (X. Xie, P. Zhou, H. Li, Z. Lin, S. Yan, "Adan: Adaptive Nesterov Momentum Algorithm for
Faster Optimizing Deep Models", arXiv 2208.06677, 2022, Algorithm 1) keeps three moving averages
per parameter: of the gradient ``g_k``, of the gradient difference ``g_k - g_{k-1}`` (the
Nesterov-style look-ahead, computed without an extra gradient evaluation) and of the square of
``g_k + β₂ (g_k - g_{k-1})``. With the betas written as PyTorch writes Adam's (the weight kept
from the past, default ``(0.98, 0.92, 0.99)``)::

    d_k = g_k - g_{k-1}                     (d_1 = 0)
    m_k = β₁ m_{k-1} + (1 - β₁) g_k
    v_k = β₂ v_{k-1} + (1 - β₂) d_k
    n_k = β₃ n_{k-1} + (1 - β₃) (g_k + β₂ d_k)²
    η_k = lr / (sqrt(n_k / (1 - β₃^k)) + ε)
    θ_k = (θ_{k-1} - η_k ⊙ (m_k / (1 - β₁^k) + β₂ v_k / (1 - β₂^k))) / (1 + lr λ)

The last line is the paper's proximal (decoupled) weight decay ``λ``; the moments carry the bias
corrections of the authors' implementation. Written here rather than taken from ``timm`` (which
has one) so the shared environment gains no dependency; the one-step test checks it against
these formulas by hand.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from masks.checks import fail

OPTIMIZERS = ("adam", "adan")
ADAM_BETAS = (0.9, 0.999)
ADAN_BETAS = (0.98, 0.92, 0.99)


class Adan(torch.optim.Optimizer):
    """Adan with decoupled (proximal) weight decay; see the module docstring for the update."""

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float, float] = ADAN_BETAS,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        if not lr > 0:
            raise fail("lr", "a number > 0", lr)
        if len(betas) != 3 or not all(0 <= beta < 1 for beta in betas):
            raise fail("betas", "three numbers in [0, 1)", tuple(betas))
        if not eps >= 0 or not weight_decay >= 0:
            raise fail("eps and weight_decay", "numbers >= 0", (eps, weight_decay))
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):  # noqa: ANN001 - torch's signature
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2, beta3 = group["betas"]
            lr, eps, decay = group["lr"], group["eps"], group["weight_decay"]
            for parameter in group["params"]:
                if parameter.grad is None:
                    continue
                gradient = parameter.grad
                state = self.state[parameter]
                if not state:
                    state["step"] = 0
                    state["gradient_mean"] = torch.zeros_like(parameter)
                    state["difference_mean"] = torch.zeros_like(parameter)
                    state["square_mean"] = torch.zeros_like(parameter)
                    state["previous_gradient"] = gradient.clone()  # d_1 = 0
                state["step"] += 1
                step = state["step"]
                difference = gradient - state["previous_gradient"]
                state["gradient_mean"].mul_(beta1).add_(gradient, alpha=1 - beta1)
                state["difference_mean"].mul_(beta2).add_(difference, alpha=1 - beta2)
                look_ahead = gradient + beta2 * difference
                state["square_mean"].mul_(beta3).addcmul_(look_ahead, look_ahead, value=1 - beta3)
                state["previous_gradient"].copy_(gradient)
                denominator = (state["square_mean"] / (1 - beta3**step)).sqrt_().add_(eps)
                direction = state["gradient_mean"] / (1 - beta1**step)
                direction.add_(state["difference_mean"], alpha=beta2 / (1 - beta2**step))
                parameter.addcdiv_(direction, denominator, value=-lr)
                if decay:
                    parameter.div_(1 + lr * decay)
        return loss


def make_optimizer(
    name: str,
    parameters: Iterable[torch.Tensor],
    lr: float,
    betas: tuple[float, ...] | None = None,
) -> torch.optim.Optimizer:
    """The fitting loop's optimiser ``name`` (``OPTIMIZERS``) at ``lr``; ``betas`` None: its own
    defaults (Adam ``ADAM_BETAS``, Adan ``ADAN_BETAS``)."""
    if name == "adam":
        return torch.optim.Adam(parameters, lr=lr, betas=tuple(betas or ADAM_BETAS))
    if name == "adan":
        return Adan(parameters, lr=lr, betas=tuple(betas or ADAN_BETAS))
    raise fail("optimizer", f"one of {', '.join(OPTIMIZERS)}", repr(name))
