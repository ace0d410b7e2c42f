"""NeRV: neural representations for videos (Chen et al., NeurIPS 2021), the implicit baseline.

Frame index ``t`` -> positional encoding (b = 1.25, l = 80, NeRV eq. 2) -> MLP (160 -> 512 ->
c0 x h x w, GELU) -> NeRV blocks (3x3 conv -> PixelShuffle -> GELU, width halved per stage, i.e.
r = 2, k = 3) -> 1x1 head. The HNeRV paper's Table 6 ablation "NeRV with HNeRV blocks" keeps the
index input and MLP but uses HNeRV's block schedule: kernels growing to 5 and r = 1.2 (its
footnote counts the MLP as the k = 1 stage, so the blocks use 3, 5, 5, ...).

The whole model is the representation: TotalSize = all parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from restore.models.layers import positional_encoding, upsample_stack, upsample_stack_size
from restore.models.strides import embedding_grid


@dataclass(frozen=True)
class NeRVConfig:
    """Architecture of one NeRV model."""

    strides: tuple[int, ...]  # decoder upsampling per stage
    first_width: int = 32  # channels of the MLP's output grid [c0, "fc_dim" in NeRV's code]
    hidden: int = 512  # MLP hidden width
    pe_base: float = 1.25  # positional encoding base b
    pe_levels: int = 80  # positional encoding levels l
    reduction: float = 2.0  # width divisor per stage r
    min_width: int = 12  # narrowest stage
    k_min: int = 3  # first block's kernel
    k_max: int = 3  # largest kernel


class NeRV(nn.Module):
    """``forward(frames, indices)`` ignores ``frames``: the input is the frame index alone."""

    def __init__(self, config: NeRVConfig, num_frames: int, height: int, width: int) -> None:
        super().__init__()
        self.config = config
        self.num_frames = num_frames
        self.frame_size = (height, width)
        self.grid = embedding_grid(height, width, config.strides)
        cells = self.grid[0] * self.grid[1]
        self.mlp = nn.Sequential(
            nn.Linear(2 * config.pe_levels, config.hidden),
            nn.GELU(),
            nn.Linear(config.hidden, config.first_width * cells),
            nn.GELU(),
        )
        self.blocks, last_width = upsample_stack(
            config.first_width,
            config.strides,
            config.reduction,
            config.min_width,
            config.k_min,
            config.k_max,
        )
        self.head = nn.Conv2d(last_width, 3, 1)

    def frame_times(self, indices: torch.Tensor) -> torch.Tensor:
        """Frame index -> normalised time ``t = index / T`` in [0, 1) (NeRV's convention)."""
        return indices.float() / self.num_frames

    def embed(self, indices: torch.Tensor) -> torch.Tensor:
        """``(B,)`` frame indices -> ``(B, 2l)`` positional encodings."""
        return positional_encoding(
            self.frame_times(indices), self.config.pe_base, self.config.pe_levels
        )

    def forward(self, frames: torch.Tensor | None, indices: torch.Tensor) -> torch.Tensor:
        grid = self.mlp(self.embed(indices))
        grid = grid.view(-1, self.config.first_width, *self.grid)
        return torch.sigmoid(self.head(self.blocks(grid)))

    def size_report(self) -> dict[str, int]:
        total = sum(p.numel() for p in self.parameters())
        return {"total": total, "embedding": 0, "decoder": total, "encoder": 0}


def nerv_total_size(config: NeRVConfig, num_frames: int, height: int, width: int) -> int:
    """Parameter count of a NeRV with ``config`` computed without building it."""
    product = math.prod(config.strides)
    cells = (height // product) * (width // product)
    total = 2 * config.pe_levels * config.hidden + config.hidden
    total += config.hidden * config.first_width * cells + config.first_width * cells
    blocks, last_width = upsample_stack_size(
        config.first_width,
        config.strides,
        config.reduction,
        config.min_width,
        config.k_min,
        config.k_max,
    )
    return total + blocks + last_width * 3 + 3
