"""Boosting-NeRV: a conditional decoder for NeRV-like models (Zhang et al., CVPR 2024).

The framework has two parts (slides, "Universal Boosting-NeRV Framework"): an *embedding
generator*, which picks the base model, and one *conditional decoder*, shared by all of them.

- HNeRV-Boost: ``y_t = E(x_t)`` is HNeRV's ConvNeXt content embedding (d x h x w) and the decoder
  input; NeRV-Boost: ``y_t`` is NeRV's grid ``MLP(PE(t))`` (c0 x h x w); E-NeRV-Boost: ``y_t`` is
  E-NeRV's fused spatial-temporal grid (``restore.models.enerv.SpatialTemporalEmbedding``, c0 x
  h x w), whose per-stage temporal normalisation the TAT blocks replace. All three also compute a
  temporal embedding ``z_t = M(PE(t))`` (PE: NeRV's sin/cos encoding of ``t = index / T``, M a
  two-layer MLP). For HNeRV-Boost the content embedding conditions it too (``content_condition``):
  ``z_t = M(PE(t)) + W · mean_hw(y_t)``.
- Temporal-aware affine transform (TAT): each decoder stage ends with a TAT residual block
  ``f <- f + (γ_t ⊙ f + β_t)``, where ``(γ_t, β_t) = Linear_stage(z_t)`` are per-channel (no
  normalisation, unlike AdaIN). The projection starts near zero, so every block starts close to
  the identity, yet different frames already get different γ/β. The slides' figure of the block
  is not in our copy; this residual FiLM form is our reading of "TAT residual block".
- SNeRV blocks: sine activations (``sin(x)``) in place of GELU, and every stage whose HNeRV
  kernel would be 5x5 becomes two 3x3 convolutions at the input resolution (``conv3x3 C_in ->
  C_in, sin, conv3x3 C_in -> C_out·s², PixelShuffle(s), sin``), slides' Table 9 and note: at equal
  widths that is ``9·C_in + 9·C_out·s²`` multiply-adds per input pixel and input channel against
  ``25·C_out·s²``. Stages with kernels 1 or 3 stay single convolutions (sine-activated).
- The decoder follows HNeRV's schedule (widths divided by r = 1.2, kernels 1, 3, 5, ... for
  HNeRV-Boost; 3, 5, ... for NeRV-Boost, whose MLP counts as the k = 1 stage) and a 3x3 head.

``tat``, ``sine`` and ``snerv`` switch the three decoder parts off for ablations; with all three
off, ``hnerv-boost`` is exactly ``hnerv`` (same parameters). The improved loss (L1 + MS-SSIM +
frequency) is ``loss="boost"`` in ``restore.fit.losses``, usable by any model; the boost methods
default to it (their recipes, ``ModelSpec.recipes``).

TotalSize counts everything needed to decode: for HNeRV-Boost the embeddings plus the decoder
(temporal generator M and TAT projections included; the encoder apart, as in HNeRV); for
NeRV-Boost and E-NeRV-Boost every parameter.

Not implemented: the slides' consistent entropy minimisation (quantisation with a network-free
Gaussian entropy model, rate term ``κ·ReLU(R - R_target)``) is a compression tool, out of scope
for restoration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from restore.models.enerv import SpatialTemporalEmbedding, spatial_temporal_size
from restore.models.hnerv import ConvNeXtEncoder
from restore.models.layers import block_kernels, block_widths, positional_encoding
from restore.models.strides import embedding_grid

GENERATORS = ("hnerv", "nerv", "enerv")
TAT_INIT_SCALE = 0.1  # shrinks the default init of the γ/β projections: blocks start near identity


@dataclass(frozen=True)
class BoostConfig:
    """Architecture of one boosted model (HNeRV-Boost or NeRV-Boost)."""

    strides: tuple[int, ...]  # decoder upsampling per stage; product divides H and W
    generator: str = "hnerv"  # embedding generator: hnerv (content) | nerv | enerv (frame index)
    decoder_width: int = 48  # channels of the decoder input (HNeRV's c2, NeRV's c0)
    embed_dim: int = 16  # hnerv: content embedding channels d
    encoder_dim: int = 64  # hnerv: ConvNeXt width
    encoder_blocks: int = 1  # hnerv: ConvNeXt blocks per encoder stage
    hidden: int = 512  # nerv: hidden width of the MLP that makes the input grid; enerv: of MLP_t
    block_dim: int = 64  # enerv: width of the spatial and spatial-temporal tokens
    heads: int = 4  # enerv: attention heads of its two transformer blocks
    mlp_ratio: int = 2  # enerv: transformer MLP width as a multiple of block_dim
    xy_levels: int = 16  # enerv: positional encoding levels of each grid coordinate
    pe_base: float = 1.25  # positional encoding base b (both PE(t) uses)
    pe_levels: int = 80  # positional encoding levels l
    temporal_dim: int = 64  # channels of the temporal embedding z_t
    temporal_hidden: int = 64  # hidden width of M, the MLP PE(t) -> z_t
    content_condition: bool = True  # hnerv: z_t also sees the pooled content embedding
    reduction: float = 1.2  # width divisor per stage r
    min_width: int = 12  # narrowest stage
    k_min: int = 1  # first stage's kernel
    k_max: int = 5  # largest kernel
    tat: bool = True  # TAT residual block after every stage (needs z_t)
    sine: bool = True  # sine activations (GELU otherwise)
    snerv: bool = True  # two 3x3 convolutions in place of each 5x5 stage


@dataclass(frozen=True)
class Stage:
    """One decoder stage's shape: input/output width, kernel and upsampling."""

    in_width: int
    out_width: int
    kernel: int
    stride: int
    split: bool  # two 3x3 convolutions (SNeRV) instead of one ``kernel`` convolution


def decoder_stages(config: BoostConfig) -> list[Stage]:
    """The stages of the conditional decoder: the one plan both the builder and the counter use."""
    widths = block_widths(
        config.decoder_width, len(config.strides), config.reduction, config.min_width
    )
    kernels = block_kernels(len(config.strides), config.k_min, config.k_max)
    stages = []
    in_width = config.decoder_width
    for out_width, kernel, stride in zip(widths, kernels, config.strides, strict=True):
        stages.append(Stage(in_width, out_width, kernel, stride, config.snerv and kernel > 3))
        in_width = out_width
    return stages


class Sine(nn.Module):
    """``sin(x)``: the SNeRV activation."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(x)


def _activation(sine: bool) -> nn.Module:
    return Sine() if sine else nn.GELU()


class DecoderStage(nn.Module):
    """One upsampling stage: an HNeRV block (conv k -> PixelShuffle -> act) or an SNeRV block
    (conv3x3 -> act -> conv3x3 -> PixelShuffle -> act), both at the input resolution."""

    def __init__(self, stage: Stage, sine: bool) -> None:
        super().__init__()
        out = stage.out_width * stage.stride * stage.stride
        layers: list[nn.Module] = []
        if stage.split:
            layers += [nn.Conv2d(stage.in_width, stage.in_width, 3, padding=1), _activation(sine)]
            layers.append(nn.Conv2d(stage.in_width, out, 3, padding=1))
        else:
            layers.append(nn.Conv2d(stage.in_width, out, stage.kernel, padding=stage.kernel // 2))
        if stage.stride > 1:
            layers.append(nn.PixelShuffle(stage.stride))
        layers.append(_activation(sine))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


def stage_size(stage: Stage) -> int:
    """Parameters of ``DecoderStage(stage)``."""
    out = stage.out_width * stage.stride * stage.stride
    if stage.split:
        return stage.in_width * stage.in_width * 9 + stage.in_width + stage.in_width * out * 9 + out
    return stage.in_width * out * stage.kernel * stage.kernel + out


class TemporalAffine(nn.Module):
    """TAT residual block: ``f + (γ_t ⊙ f + β_t)``, ``(γ_t, β_t) = Linear(z_t)`` per channel."""

    def __init__(self, temporal_dim: int, channels: int) -> None:
        super().__init__()
        self.project = nn.Linear(temporal_dim, 2 * channels)
        with torch.no_grad():
            self.project.weight.mul_(TAT_INIT_SCALE)
            self.project.bias.mul_(TAT_INIT_SCALE)

    def scale_shift(self, temporal: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, temporal_dim)`` -> γ, β, each ``(B, C)``."""
        gamma, beta = self.project(temporal).chunk(2, dim=1)
        return gamma, beta

    def forward(self, features: torch.Tensor, temporal: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.scale_shift(temporal)
        return features + gamma[:, :, None, None] * features + beta[:, :, None, None]


class TemporalEmbedding(nn.Module):
    """Embedding generator M: frame time -> ``z_t = M(PE(t))`` (+ pooled content for HNeRV)."""

    def __init__(self, config: BoostConfig) -> None:
        super().__init__()
        self.base, self.levels = config.pe_base, config.pe_levels
        self.mlp = nn.Sequential(
            nn.Linear(2 * config.pe_levels, config.temporal_hidden),
            nn.GELU(),
            nn.Linear(config.temporal_hidden, config.temporal_dim),
        )
        use_content = config.generator == "hnerv" and config.content_condition
        self.content = nn.Linear(config.embed_dim, config.temporal_dim) if use_content else None

    def forward(self, times: torch.Tensor, content: torch.Tensor | None) -> torch.Tensor:
        """``(B,)`` times in [0, 1) (and ``(B, d, h, w)`` content) -> ``(B, temporal_dim)``."""
        temporal = self.mlp(positional_encoding(times, self.base, self.levels))
        if self.content is not None and content is not None:
            temporal = temporal + self.content(content.mean(dim=(2, 3)))
        return temporal


class ConditionalDecoder(nn.Module):
    """Decoder input ``(B, C, h, w)`` + ``z_t`` -> frame ``(B, 3, h·P, w·P)`` in [0, 1]."""

    def __init__(self, config: BoostConfig) -> None:
        super().__init__()
        stages = decoder_stages(config)
        self.stages = nn.ModuleList(DecoderStage(stage, config.sine) for stage in stages)
        self.affines = (
            nn.ModuleList(TemporalAffine(config.temporal_dim, s.out_width) for s in stages)
            if config.tat
            else None
        )
        self.head = nn.Conv2d(stages[-1].out_width, 3, 3, padding=1)

    def forward(self, features: torch.Tensor, temporal: torch.Tensor | None) -> torch.Tensor:
        for index, stage in enumerate(self.stages):
            features = stage(features)
            if self.affines is not None:
                features = self.affines[index](features, temporal)
        return torch.sigmoid(self.head(features))


class BoostedNeRV(nn.Module):
    """Embedding generator + conditional decoder; ``forward(frames, indices)``.

    HNeRV-Boost encodes ``frames`` (and uses ``indices`` for z_t); NeRV-Boost and E-NeRV-Boost
    ignore ``frames``.
    """

    def __init__(self, config: BoostConfig, num_frames: int, height: int, width: int) -> None:
        super().__init__()
        if config.generator not in GENERATORS:
            raise ValueError(f"generator: expected one of {GENERATORS}, got {config.generator!r}")
        self.config = config
        self.num_frames = num_frames
        self.frame_size = (height, width)
        self.grid = embedding_grid(height, width, config.strides)
        self.encoder: ConvNeXtEncoder | None = None
        self.input_mlp: nn.Sequential | None = None
        if config.generator == "hnerv":
            self.encoder = ConvNeXtEncoder(
                config.strides, config.encoder_dim, config.embed_dim, config.encoder_blocks
            )
            self.stem = nn.Sequential(
                nn.Conv2d(config.embed_dim, config.decoder_width, 1), _activation(config.sine)
            )
        elif config.generator == "enerv":
            self.stem = SpatialTemporalEmbedding(
                self.grid,
                config.decoder_width,
                block_dim=config.block_dim,
                hidden=config.hidden,
                heads=config.heads,
                mlp_ratio=config.mlp_ratio,
                pe_base=config.pe_base,
                pe_levels=config.pe_levels,
                xy_levels=config.xy_levels,
            )
        else:
            cells = self.grid[0] * self.grid[1]
            self.stem = nn.Sequential(
                nn.Linear(2 * config.pe_levels, config.hidden),
                nn.GELU(),
                nn.Linear(config.hidden, config.decoder_width * cells),
                nn.GELU(),
            )
        self.temporal = TemporalEmbedding(config) if config.tat else None
        self.decoder = ConditionalDecoder(config)

    def frame_times(self, indices: torch.Tensor) -> torch.Tensor:
        """Frame index -> ``t = index / T`` in [0, 1) (NeRV's convention)."""
        return indices.float() / self.num_frames

    def encode(self, frames: torch.Tensor) -> torch.Tensor:
        """HNeRV-Boost: ``(B, 3, H, W)`` -> content embeddings ``(B, d, h, w)``."""
        if self.encoder is None:
            raise ValueError("NeRV-Boost has no content encoder")
        return self.encoder(frames)

    def temporal_embedding(
        self, indices: torch.Tensor, content: torch.Tensor | None = None
    ) -> torch.Tensor | None:
        """``z_t`` ``(B, temporal_dim)`` for frame ``indices`` (None when TAT is off)."""
        if self.temporal is None:
            return None
        return self.temporal(self.frame_times(indices), content)

    def decode(self, embeddings: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
        """HNeRV-Boost: content ``(B, d, h, w)`` of frames ``indices`` -> ``(B, 3, H, W)``."""
        temporal = self.temporal_embedding(indices, embeddings)
        return self.decoder(self.stem(embeddings), temporal)

    def forward(self, frames: torch.Tensor | None, indices: torch.Tensor) -> torch.Tensor:
        if self.encoder is not None:
            return self.decode(self.encode(frames), indices)
        if self.config.generator == "enerv":
            grid = self.stem(self.frame_times(indices))
            return self.decoder(grid, self.temporal_embedding(indices))
        encoding = positional_encoding(
            self.frame_times(indices), self.config.pe_base, self.config.pe_levels
        )
        grid = self.stem(encoding).view(-1, self.config.decoder_width, *self.grid)
        return self.decoder(grid, self.temporal_embedding(indices))

    def size_report(self) -> dict[str, int]:
        """TotalSize = embeddings + everything that decodes (the encoder apart)."""
        encoder = 0 if self.encoder is None else sum(p.numel() for p in self.encoder.parameters())
        decoder = sum(p.numel() for p in self.parameters()) - encoder
        embed = 0
        if self.encoder is not None:
            embed = self.num_frames * self.config.embed_dim * self.grid[0] * self.grid[1]
        return {
            "total": embed + decoder,
            "embedding": embed,
            "decoder": decoder,
            "encoder": encoder,
        }


def boost_total_size(config: BoostConfig, num_frames: int, height: int, width: int) -> int:
    """TotalSize of a ``BoostedNeRV`` with ``config`` computed without building it."""
    product = math.prod(config.strides)
    cells = (height // product) * (width // product)
    stages = decoder_stages(config)
    total = sum(stage_size(stage) for stage in stages)
    total += stages[-1].out_width * 3 * 9 + 3  # 3x3 head
    if config.generator == "hnerv":
        total += config.embed_dim * config.decoder_width + config.decoder_width  # 1x1 stem
        total += num_frames * config.embed_dim * cells  # the embeddings
    elif config.generator == "enerv":
        total += spatial_temporal_size(
            config.decoder_width,
            block_dim=config.block_dim,
            hidden=config.hidden,
            mlp_ratio=config.mlp_ratio,
            pe_levels=config.pe_levels,
            xy_levels=config.xy_levels,
        )
    else:
        total += 2 * config.pe_levels * config.hidden + config.hidden
        total += config.hidden * config.decoder_width * cells + config.decoder_width * cells
    if config.tat:
        td = config.temporal_dim
        total += 2 * config.pe_levels * config.temporal_hidden + config.temporal_hidden
        total += config.temporal_hidden * td + td
        if config.generator == "hnerv" and config.content_condition:
            total += config.embed_dim * td + td
        total += sum(td * 2 * s.out_width + 2 * s.out_width for s in stages)
    return total
