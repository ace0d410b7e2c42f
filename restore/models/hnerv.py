"""HNeRV: hybrid neural representation for videos (Chen et al., CVPR 2023).

Section 3.1 and appendix E (Table 17) of the paper: a ConvNeXt encoder turns each frame into a tiny
``d x h x w`` embedding (d = 16); a video-specific decoder of HNeRV blocks (Table 1: kernels
1, 3, then K_max = 5; widths divided by r = 1.2 per stage, never below 12) upsamples it back to
the frame, and a 3x3 head predicts RGB. The represented video's size is
``TotalSize = EmbedSize + DecoderSize``; the encoder is needed only to compute the embeddings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from restore.models.layers import (
    ConvNeXtBlock,
    LayerNorm2d,
    upsample_stack,
    upsample_stack_size,
)
from restore.models.strides import embedding_grid


@dataclass(frozen=True)
class HNeRVConfig:
    """Architecture of one HNeRV model (Table 17 names in brackets)."""

    strides: tuple[int, ...]  # decoder upsampling per stage [strides]; product divides H and W
    decoder_width: int = 48  # width of the decoder's input stage [c2]
    embed_dim: int = 16  # embedding channels [d]
    encoder_dim: int = 64  # ConvNeXt width [c1]
    reduction: float = 1.2  # width divisor per stage [r]
    min_width: int = 12  # narrowest decoder stage [Ch_min]
    k_min: int = 1  # kernel of the first stage [K_min]
    k_max: int = 5  # largest kernel [K_max]
    encoder_blocks: int = 1  # ConvNeXt blocks per encoder stage


class ConvNeXtEncoder(nn.Module):
    """Frame ``(B, 3, H, W)`` -> embedding ``(B, d, H / P, W / P)``, P = product of strides."""

    def __init__(self, strides: tuple[int, ...], dim: int, out_dim: int, blocks: int) -> None:
        super().__init__()
        stages: list[nn.Module] = []
        for index, stride in enumerate(strides):
            if index == 0:
                downsample = nn.Sequential(nn.Conv2d(3, dim, stride, stride), LayerNorm2d(dim))
            else:
                downsample = nn.Sequential(LayerNorm2d(dim), nn.Conv2d(dim, dim, stride, stride))
            stages.append(nn.Sequential(downsample, *[ConvNeXtBlock(dim) for _ in range(blocks)]))
        self.stages = nn.Sequential(*stages)
        self.to_embedding = nn.Conv2d(dim, out_dim, 1)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return self.to_embedding(self.stages(frames))


class HNeRVDecoder(nn.Module):
    """Embedding ``(B, d, h, w)`` -> frame ``(B, 3, h * P, w * P)`` in [0, 1]."""

    def __init__(self, config: HNeRVConfig) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(config.embed_dim, config.decoder_width, 1), nn.GELU())
        self.blocks, last_width = upsample_stack(
            config.decoder_width,
            config.strides,
            config.reduction,
            config.min_width,
            config.k_min,
            config.k_max,
        )
        self.head = nn.Conv2d(last_width, 3, 3, padding=1)

    def forward(self, embedding: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.head(self.blocks(self.stem(embedding))))


class HNeRV(nn.Module):
    """Encoder + decoder. ``forward(frames, indices)`` ignores ``indices`` (NeRV uses them)."""

    def __init__(self, config: HNeRVConfig, num_frames: int, height: int, width: int) -> None:
        super().__init__()
        self.config = config
        self.num_frames = num_frames
        self.frame_size = (height, width)
        self.grid = embedding_grid(height, width, config.strides)
        self.encoder = ConvNeXtEncoder(
            config.strides, config.encoder_dim, config.embed_dim, config.encoder_blocks
        )
        self.decoder = HNeRVDecoder(config)

    def encode(self, frames: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` -> ``(B, d, h, w)`` embeddings."""
        return self.encoder(frames)

    def decode(self, embeddings: torch.Tensor) -> torch.Tensor:
        """``(B, d, h, w)`` embeddings -> ``(B, 3, H, W)`` frames in [0, 1]."""
        return self.decoder(embeddings)

    def forward(self, frames: torch.Tensor, indices: torch.Tensor | None = None) -> torch.Tensor:
        return self.decode(self.encode(frames))

    def size_report(self) -> dict[str, int]:
        """Parameter counts: the paper's TotalSize = EmbedSize + DecoderSize (encoder apart)."""
        embed = self.num_frames * self.config.embed_dim * self.grid[0] * self.grid[1]
        decoder = sum(p.numel() for p in self.decoder.parameters())
        encoder = sum(p.numel() for p in self.encoder.parameters())
        return {
            "total": embed + decoder,
            "embedding": embed,
            "decoder": decoder,
            "encoder": encoder,
        }


def hnerv_total_size(config: HNeRVConfig, num_frames: int, height: int, width: int) -> int:
    """TotalSize of an HNeRV with ``config`` computed without building it."""
    blocks, last_width = upsample_stack_size(
        config.decoder_width,
        config.strides,
        config.reduction,
        config.min_width,
        config.k_min,
        config.k_max,
    )
    total = config.embed_dim * config.decoder_width + config.decoder_width  # 1x1 stem
    total += blocks + last_width * 3 * 9 + 3
    product = math.prod(config.strides)
    grid_cells = (height // product) * (width // product)
    return total + num_frames * config.embed_dim * grid_cells
