"""E-NeRV: NeRV with decoupled spatial and temporal context (Li et al., ECCV 2022).

NeRV (``restore.models.nerv``) turns the frame index alone into its first feature grid with one
large MLP, whose last layer holds most of the model. E-NeRV splits that grid into a spatial and
a temporal part (paper, section 3.2, "spatial-temporal embedding"):

- temporal embedding ``e_t = MLP_t(PE(t))``, one ``D``-vector per frame (PE: NeRV's sin/cos
  encoding of ``t = index / T``, b = 1.25, l = 80);
- spatial tokens ``s_xy = MLP_xy([PE(x), PE(y)])`` for the ``h x w`` cells of the embedding grid,
  followed by a transformer block over the cells (spatial context, shared by every frame);
- fusion: ``e_t`` multiplies every token, a second transformer block mixes the fused tokens
  (spatial-temporal context), and a linear layer maps them to the decoder's ``c0`` channels.

The decoder is NeRV's (conv 3x3 -> PixelShuffle -> GELU, width halved per stage), with the
frame's time injected again before every stage (section 3.3, "temporal instance normalisation"):
``f <- (1 + γ_t) ⊙ IN(f) + β_t``, where ``IN`` is instance normalisation without affine weights
and ``(γ_t, β_t) = Linear_stage(m_t)``, ``m_t = MLP_m(PE(t))`` a small modulation embedding. The
projections start near zero, so each stage starts as a plain normalisation. A 1x1 head and a
sigmoid give RGB.

Our reading, not the authors' code: pre-norm transformer blocks (LayerNorm, attention, 2x MLP)
with PyTorch's multi-head attention, a residual ``1 + γ`` form of the modulation, and an
embedding grid chosen by ``restore.models.strides`` like every other model (the paper's 9x16 grid
is the 1080p case of the same rule: the frame over the strides' product). A 1x1 grid skips the
instance normalisation (one pixel has no spread), keeping only the modulation.

``SpatialTemporalEmbedding`` is also the embedding generator of E-NeRV-Boost
(``restore.models.boost``, ``generator="enerv"``). The whole model is the representation:
TotalSize = all parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from restore.models.layers import (
    block_widths,
    positional_encoding,
    upsample_stack,
    upsample_stack_size,
)
from restore.models.strides import embedding_grid

MODULATION_INIT_SCALE = 0.1  # shrinks the γ/β projections' init: stages start near plain IN


@dataclass(frozen=True)
class ENeRVConfig:
    """Architecture of one E-NeRV model."""

    strides: tuple[int, ...]  # decoder upsampling per stage; product divides H and W
    first_width: int = 32  # channels of the fused grid the decoder starts from [c0, fc_dim]
    block_dim: int = 64  # width D of the spatial and spatial-temporal tokens
    hidden: int = 128  # hidden width of MLP_t, PE(t) -> e_t
    heads: int = 4  # attention heads of both transformer blocks (D must divide by it)
    mlp_ratio: int = 2  # transformer MLP width as a multiple of D
    pe_base: float = 1.25  # positional encoding base b (time and coordinates)
    pe_levels: int = 80  # positional encoding levels l of the time t
    xy_levels: int = 16  # positional encoding levels of each grid coordinate x, y
    modulation_dim: int = 32  # width of the modulation embedding m_t
    modulation_hidden: int = 64  # hidden width of MLP_m, PE(t) -> m_t
    reduction: float = 2.0  # width divisor per stage r
    min_width: int = 12  # narrowest stage
    k_min: int = 3  # first block's kernel
    k_max: int = 3  # largest kernel


class TransformerBlock(nn.Module):
    """Pre-norm transformer block over tokens ``(B, N, D)``: attention, then a GELU MLP."""

    def __init__(self, dim: int, heads: int, mlp_ratio: int) -> None:
        super().__init__()
        self.attention_norm = nn.LayerNorm(dim)
        self.attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.mlp_norm = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(
            nn.Linear(dim, mlp_ratio * dim), nn.GELU(), nn.Linear(mlp_ratio * dim, dim)
        )

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        normed = self.attention_norm(tokens)
        tokens = tokens + self.attention(normed, normed, normed, need_weights=False)[0]
        return tokens + self.mlp(self.mlp_norm(tokens))


def transformer_block_size(dim: int, mlp_ratio: int) -> int:
    """Parameters of ``TransformerBlock(dim, heads, mlp_ratio)`` (heads do not change it)."""
    attention = 4 * dim * dim + 4 * dim  # q, k, v and output projections with biases
    mlp = 2 * mlp_ratio * dim * dim + mlp_ratio * dim + dim
    return attention + mlp + 2 * 2 * dim  # two LayerNorms


def _mlp(sizes: list[int]) -> nn.Sequential:
    """Linear layers of ``sizes`` with a GELU after each (NeRV's MLP)."""
    layers: list[nn.Module] = []
    for fan_in, fan_out in zip(sizes, sizes[1:], strict=False):
        layers += [nn.Linear(fan_in, fan_out), nn.GELU()]
    return nn.Sequential(*layers)


def _mlp_size(sizes: list[int]) -> int:
    return sum(a * b + b for a, b in zip(sizes, sizes[1:], strict=False))


class SpatialTemporalEmbedding(nn.Module):
    """Frame times ``(B,)`` -> fused grid ``(B, out_width, h, w)`` (E-NeRV section 3.2)."""

    def __init__(
        self,
        grid: tuple[int, int],
        out_width: int,
        *,
        block_dim: int,
        hidden: int,
        heads: int,
        mlp_ratio: int,
        pe_base: float,
        pe_levels: int,
        xy_levels: int,
    ) -> None:
        super().__init__()
        if block_dim % heads:
            raise ValueError(f"block_dim: expected a multiple of heads ({heads}), got {block_dim}")
        self.grid = grid
        self.out_width = out_width
        self.base, self.levels, self.xy_levels = pe_base, pe_levels, xy_levels
        self.temporal = _mlp([2 * pe_levels, hidden, block_dim])
        rows, columns = grid
        ys, xs = torch.meshgrid(
            torch.arange(rows) / rows, torch.arange(columns) / columns, indexing="ij"
        )
        # Cell coordinates in [0, 1), row-major like the grid they become.
        self.register_buffer("coordinates", torch.stack([xs, ys], -1).reshape(-1, 2), False)
        self.spatial = _mlp([4 * xy_levels, block_dim])
        self.spatial_context = TransformerBlock(block_dim, heads, mlp_ratio)
        self.fused_context = TransformerBlock(block_dim, heads, mlp_ratio)
        self.to_grid = _mlp([block_dim, out_width])

    def spatial_tokens(self) -> torch.Tensor:
        """``(1, h * w, D)``: the grid's cells with their spatial context, the same every frame."""
        x = positional_encoding(self.coordinates[:, 0], self.base, self.xy_levels)
        y = positional_encoding(self.coordinates[:, 1], self.base, self.xy_levels)
        return self.spatial_context(self.spatial(torch.cat([x, y], dim=1))[None])

    def forward(self, times: torch.Tensor) -> torch.Tensor:
        temporal = self.temporal(positional_encoding(times, self.base, self.levels))
        tokens = self.fused_context(self.spatial_tokens() * temporal[:, None, :])
        grid = self.to_grid(tokens)  # (B, h * w, out_width)
        return grid.transpose(1, 2).reshape(-1, self.out_width, *self.grid)


def spatial_temporal_size(
    out_width: int,
    *,
    block_dim: int,
    hidden: int,
    mlp_ratio: int,
    pe_levels: int,
    xy_levels: int,
) -> int:
    """Parameters of a ``SpatialTemporalEmbedding`` (independent of the grid's size)."""
    total = _mlp_size([2 * pe_levels, hidden, block_dim])
    total += _mlp_size([4 * xy_levels, block_dim])
    total += 2 * transformer_block_size(block_dim, mlp_ratio)
    return total + _mlp_size([block_dim, out_width])


class TemporalModulation(nn.Module):
    """``f <- (1 + γ_t) ⊙ IN(f) + β_t`` with ``(γ_t, β_t) = Linear(m_t)`` (E-NeRV section 3.3)."""

    def __init__(self, modulation_dim: int, channels: int) -> None:
        super().__init__()
        self.project = nn.Linear(modulation_dim, 2 * channels)
        with torch.no_grad():
            self.project.weight.mul_(MODULATION_INIT_SCALE)
            self.project.bias.mul_(MODULATION_INIT_SCALE)

    def forward(self, features: torch.Tensor, modulation: torch.Tensor) -> torch.Tensor:
        if features.shape[-1] * features.shape[-2] > 1:
            features = F.instance_norm(features)
        gamma, beta = self.project(modulation)[:, :, None, None].chunk(2, dim=1)
        return features + gamma * features + beta


class ENeRV(nn.Module):
    """``forward(frames, indices)`` ignores ``frames``: the input is the frame index alone."""

    def __init__(self, config: ENeRVConfig, num_frames: int, height: int, width: int) -> None:
        super().__init__()
        self.config = config
        self.num_frames = num_frames
        self.frame_size = (height, width)
        self.grid = embedding_grid(height, width, config.strides)
        self.embedding = SpatialTemporalEmbedding(
            self.grid,
            config.first_width,
            block_dim=config.block_dim,
            hidden=config.hidden,
            heads=config.heads,
            mlp_ratio=config.mlp_ratio,
            pe_base=config.pe_base,
            pe_levels=config.pe_levels,
            xy_levels=config.xy_levels,
        )
        self.modulation = _mlp(
            [2 * config.pe_levels, config.modulation_hidden, config.modulation_dim]
        )
        self.blocks, last_width = upsample_stack(
            config.first_width,
            config.strides,
            config.reduction,
            config.min_width,
            config.k_min,
            config.k_max,
        )
        self.modulations = nn.ModuleList(
            TemporalModulation(config.modulation_dim, block.conv.in_channels)
            for block in self.blocks
        )
        self.head = nn.Conv2d(last_width, 3, 1)

    def frame_times(self, indices: torch.Tensor) -> torch.Tensor:
        """Frame index -> normalised time ``t = index / T`` in [0, 1) (NeRV's convention)."""
        return indices.float() / self.num_frames

    def forward(self, frames: torch.Tensor | None, indices: torch.Tensor) -> torch.Tensor:
        times = self.frame_times(indices)
        features = self.embedding(times)
        modulation = self.modulation(
            positional_encoding(times, self.config.pe_base, self.config.pe_levels)
        )
        for block, modulate in zip(self.blocks, self.modulations, strict=True):
            features = block(modulate(features, modulation))
        return torch.sigmoid(self.head(features))

    def size_report(self) -> dict[str, int]:
        total = sum(p.numel() for p in self.parameters())
        return {"total": total, "embedding": 0, "decoder": total, "encoder": 0}


def enerv_total_size(config: ENeRVConfig, num_frames: int, height: int, width: int) -> int:
    """Parameter count of an E-NeRV with ``config`` computed without building it."""
    total = spatial_temporal_size(
        config.first_width,
        block_dim=config.block_dim,
        hidden=config.hidden,
        mlp_ratio=config.mlp_ratio,
        pe_levels=config.pe_levels,
        xy_levels=config.xy_levels,
    )
    total += _mlp_size([2 * config.pe_levels, config.modulation_hidden, config.modulation_dim])
    blocks, last_width = upsample_stack_size(
        config.first_width,
        config.strides,
        config.reduction,
        config.min_width,
        config.k_min,
        config.k_max,
    )
    widths = block_widths(
        config.first_width, len(config.strides), config.reduction, config.min_width
    )
    in_widths = [config.first_width, *widths[:-1]]
    total += sum(config.modulation_dim * 2 * c + 2 * c for c in in_widths)
    return total + blocks + last_width * 3 + 3
