"""Building blocks shared by the HNeRV and NeRV families.

- ``UpsampleBlock``: the NeRV/HNeRV block (HNeRV paper, Fig. 2(b)): convolution, PixelShuffle,
  activation; only the convolution has parameters.
- ``ConvNeXtBlock`` / ``LayerNorm2d``: the ConvNeXt pieces of the HNeRV encoder (Liu et al. 2022).
- ``block_widths`` / ``block_kernels``: the per-stage channel and kernel schedules of Table 1.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def block_widths(first_width: int, num_stages: int, reduction: float, min_width: int) -> list[int]:
    """Output width of each decoder stage: ``max(round(C_in / r), min_width)`` (Table 1)."""
    widths = []
    width = first_width
    for _ in range(num_stages):
        width = max(int(round(width / reduction)), min_width)
        widths.append(width)
    return widths


def block_kernels(num_stages: int, k_min: int, k_max: int) -> list[int]:
    """Kernel size of every stage: ``k_min, k_min + 2, ...`` capped at ``k_max`` (1, 3, 5, 5, 5)."""
    return [min(k_min + 2 * stage, k_max) for stage in range(num_stages)]


class UpsampleBlock(nn.Module):
    """Conv(k) -> PixelShuffle(s) -> GELU: one NeRV/HNeRV decoder stage (upsamples by s)."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, stride: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(
            in_channels, out_channels * stride * stride, kernel, padding=kernel // 2
        )
        self.shuffle = nn.PixelShuffle(stride) if stride > 1 else nn.Identity()
        self.activation = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.activation(self.shuffle(self.conv(x)))


def upsample_stack(
    first_width: int,
    strides: tuple[int, ...],
    reduction: float,
    min_width: int,
    k_min: int,
    k_max: int,
) -> tuple[nn.Sequential, int]:
    """The decoder's stages, one ``UpsampleBlock`` per stride, and the last stage's width."""
    widths = block_widths(first_width, len(strides), reduction, min_width)
    kernels = block_kernels(len(strides), k_min, k_max)
    blocks = []
    in_width = first_width
    for out_width, kernel, stride in zip(widths, kernels, strides, strict=True):
        blocks.append(UpsampleBlock(in_width, out_width, kernel, stride))
        in_width = out_width
    return nn.Sequential(*blocks), in_width


def upsample_stack_size(
    first_width: int,
    strides: tuple[int, ...],
    reduction: float,
    min_width: int,
    k_min: int,
    k_max: int,
) -> tuple[int, int]:
    """Parameter count of ``upsample_stack(...)`` without building it, and the last width."""
    widths = block_widths(first_width, len(strides), reduction, min_width)
    kernels = block_kernels(len(strides), k_min, k_max)
    total = 0
    in_width = first_width
    for out_width, kernel, stride in zip(widths, kernels, strides, strict=True):
        out = out_width * stride * stride
        total += in_width * out * kernel * kernel + out
        in_width = out_width
    return total, in_width


class LayerNorm2d(nn.Module):
    """LayerNorm over the channel dimension of a ``(B, C, H, W)`` tensor."""

    def __init__(self, channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, (x.shape[-1],), self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class ConvNeXtBlock(nn.Module):
    """Depthwise 7x7 conv, LayerNorm, 4x pointwise MLP with GELU, layer scale, residual."""

    def __init__(self, channels: int, layer_scale: float = 1e-6) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(channels, channels, 7, padding=3, groups=channels)
        self.norm = nn.LayerNorm(channels, eps=1e-6)
        self.expand = nn.Linear(channels, 4 * channels)
        self.activation = nn.GELU()
        self.project = nn.Linear(4 * channels, channels)
        self.gamma = nn.Parameter(layer_scale * torch.ones(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x
        x = self.depthwise(x).permute(0, 2, 3, 1)
        x = self.project(self.activation(self.expand(self.norm(x))))
        return residual + (self.gamma * x).permute(0, 3, 1, 2)


def positional_encoding(t: torch.Tensor, base: float, levels: int) -> torch.Tensor:
    """NeRV's frame-index encoding (NeRV eq. 2).

    ``Γ(t) = (sin(b^0 π t), cos(b^0 π t), ..., sin(b^{l-1} π t), cos(b^{l-1} π t))``

    Args:
        t: ``(B,)`` normalised frame times in [0, 1].
        base: ``b`` (1.25 in NeRV).
        levels: ``l`` (80 in NeRV).

    Returns:
        ``(B, 2 * levels)``, sin and cos interleaved as in the formula.
    """
    # float64: at l = 80, b^l * pi exceeds 1e8, where float32 angles are off by whole periods.
    frequencies = base ** torch.arange(levels, dtype=torch.float64, device=t.device) * torch.pi
    angles = t.double()[:, None] * frequencies[None, :]
    return torch.stack([angles.sin(), angles.cos()], dim=-1).flatten(1).float()
