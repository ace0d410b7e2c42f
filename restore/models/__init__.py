"""Model registry: ``create_model(name, ...)`` builds any registered video representation.

Variants are data (config overrides), not subclasses. Every model has
``forward(frames, indices) -> (B, 3, H, W)`` in [0, 1] and ``size_report()``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from restore.errors import InputError
from restore.models.boost import BoostConfig, BoostedNeRV, boost_total_size
from restore.models.enerv import ENeRV, ENeRVConfig, enerv_total_size
from restore.models.hnerv import HNeRV, HNeRVConfig, hnerv_total_size
from restore.models.nerv import NeRV, NeRVConfig, nerv_total_size
from restore.models.recipes import (
    ENGINE,
    ENGINE_BOOST,
    PAPER_BOOST,
    PAPER_ENERV_BOOST,
    PAPER_HNERV,
    PAPER_NERV,
    RECIPES,
    Recipe,
)
from restore.models.strides import choose_strides, padded_size, parse_strides

__all__ = [
    "MODELS",
    "RECIPES",
    "Recipe",
    "SizeOutOfReach",
    "ModelSpec",
    "create_model",
    "choose_strides",
    "padded_size",
    "parse_strides",
    "list_models",
]

SIZE_TOLERANCE = 0.10


class SizeOutOfReach(InputError):
    """No width of the model lands within ``SIZE_TOLERANCE`` of the requested TotalSize."""

    def __init__(self, message: str, closest: float) -> None:
        super().__init__(message)
        self.closest = closest  # millions of parameters of the nearest reachable model


@dataclass(frozen=True)
class ModelSpec:
    """How to build and size one registered model."""

    model_class: type[nn.Module]
    config_class: type
    total_size: Callable[..., int]  # (config, num_frames, height, width) -> parameters
    width_field: str  # the config field scaled to reach a target size
    overrides: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    # How the model is fitted, by recipe name (restore.models.recipes): the FitConfig and model
    # fields its method uses unless the caller names them (restore.config.preset)
    recipes: dict[str, Recipe] = field(
        default_factory=lambda: {"engine": ENGINE, "paper": PAPER_HNERV}
    )
    # Fields halved (not below MIN_SHRUNK_WIDTH) while the narrowest model still exceeds a small
    # target: the fixed-width MLPs (NeRV's 512-wide one) alone can exceed tiny budgets.
    shrink_fields: tuple[str, ...] = ()


MIN_SHRUNK_WIDTH = 16


MODELS: dict[str, ModelSpec] = {
    "hnerv": ModelSpec(
        HNeRV,
        HNeRVConfig,
        hnerv_total_size,
        "decoder_width",
        description="HNeRV: ConvNeXt embedding + HNeRV blocks (k 1,3,5; r 1.2)",
        recipes={"engine": ENGINE, "paper": PAPER_HNERV},
    ),
    "nerv": ModelSpec(
        NeRV,
        NeRVConfig,
        nerv_total_size,
        "first_width",
        description="NeRV: frame-index positional encoding + MLP + NeRV blocks (k 3; r 2)",
        recipes={"engine": ENGINE, "paper": PAPER_NERV},
        shrink_fields=("hidden",),
    ),
    "nerv-hblocks": ModelSpec(
        NeRV,
        NeRVConfig,
        nerv_total_size,
        "first_width",
        overrides={"reduction": 1.2, "k_min": 3, "k_max": 5},
        description="NeRV input with HNeRV blocks (k 3,5; r 1.2), Table 6 ablation",
        recipes={"engine": ENGINE, "paper": PAPER_HNERV},
        shrink_fields=("hidden",),
    ),
    "hnerv-boost": ModelSpec(
        BoostedNeRV,
        BoostConfig,
        boost_total_size,
        "decoder_width",
        recipes={"engine": ENGINE_BOOST, "paper": PAPER_BOOST},
        description="HNeRV-Boost (Boosting-NeRV): HNeRV embedding + conditional decoder "
        "(TAT, SNeRV blocks); boost loss by default",
    ),
    "nerv-boost": ModelSpec(
        BoostedNeRV,
        BoostConfig,
        boost_total_size,
        "decoder_width",
        overrides={"generator": "nerv", "k_min": 3},
        recipes={"engine": ENGINE_BOOST, "paper": PAPER_BOOST},
        description="NeRV-Boost (Boosting-NeRV): frame-index MLP + conditional decoder "
        "(TAT, SNeRV blocks); boost loss by default",
        shrink_fields=("hidden",),
    ),
    "enerv": ModelSpec(
        ENeRV,
        ENeRVConfig,
        enerv_total_size,
        "first_width",
        description="E-NeRV: spatial tokens x temporal embedding, two transformer blocks + NeRV "
        "blocks modulated by time (k 3; r 2)",
        recipes={"engine": ENGINE, "paper": PAPER_NERV},
        shrink_fields=("hidden", "block_dim"),
    ),
    "enerv-boost": ModelSpec(
        BoostedNeRV,
        BoostConfig,
        boost_total_size,
        "decoder_width",
        overrides={"generator": "enerv", "k_min": 3, "hidden": 128},
        recipes={"engine": ENGINE_BOOST, "paper": PAPER_ENERV_BOOST},
        description="E-NeRV-Boost (Boosting-NeRV): E-NeRV's spatial-temporal embedding + "
        "conditional decoder (TAT, SNeRV blocks); boost loss by default",
        shrink_fields=("hidden", "block_dim"),
    ),
}


def list_models() -> list[str]:
    return sorted(MODELS)


def _size_to_target(spec: ModelSpec, config: Any, target: int, dims: tuple[int, int, int]) -> Any:
    """Smallest-error width for ``target`` parameters (sizes grow with width, so bisect)."""

    def size(width: int, base: Any = config) -> int:
        return spec.total_size(dataclasses.replace(base, **{spec.width_field: width}), *dims)

    low, high = 1, 4096
    while low < high:
        middle = (low + high) // 2
        if size(middle) < target:
            low = middle + 1
        else:
            high = middle
    candidates = [w for w in (low - 1, low) if w >= 1]
    best = min(candidates, key=lambda w: abs(size(w) - target))
    return dataclasses.replace(config, **{spec.width_field: best})


def create_model(
    name: str,
    *,
    num_frames: int,
    height: int,
    width: int,
    size: float | None = None,
    strides: tuple[int, ...] | None = None,
    **overrides: Any,
) -> nn.Module:
    """Build a registered model for a ``num_frames x height x width`` video.

    Args:
        name: one of ``list_models()``.
        num_frames, height, width: the (padded) video the model represents; ``height`` and
            ``width`` must be divisible by the product of the strides.
        size: target TotalSize in millions of parameters (the paper's sizes: 0.35, 0.75, 1.5,
            3); the built model lands within ±10% or ValueError is raised.
        strides: decoder strides; chosen from the frame size when omitted.
        overrides: config fields (e.g. ``k_max=3``, ``decoder_width=48``).

    Raises:
        ValueError: unknown name or field, or an unreachable size.
    """
    if name not in MODELS:
        raise InputError(f"unknown model {name!r}; valid models: {', '.join(list_models())}")
    spec = MODELS[name]
    strides = tuple(strides) if strides else choose_strides(height, width)
    fields = {f.name for f in dataclasses.fields(spec.config_class)}
    unknown = set(overrides) - fields
    if unknown:
        raise InputError(
            f"model {name!r} has no option(s) {sorted(unknown)}; options: {sorted(fields)}"
        )
    config = spec.config_class(strides=strides, **{**spec.overrides, **overrides})
    dims = (num_frames, height, width)
    if size is not None:
        if size <= 0:
            raise InputError(f"model size must be positive, got {size}M")
        target = int(round(size * 1e6))
        config = _size_to_target(spec, config, target, dims)
        while spec.total_size(config, *dims) > target * (1 + SIZE_TOLERANCE):
            narrower = {
                name: getattr(config, name) // 2
                for name in spec.shrink_fields
                if getattr(config, name) > MIN_SHRUNK_WIDTH
            }
            if not narrower:
                break
            config = _size_to_target(spec, dataclasses.replace(config, **narrower), target, dims)
        actual = spec.total_size(config, *dims)
        if abs(actual - target) > SIZE_TOLERANCE * target:
            raise SizeOutOfReach(
                f"model size {size}M is out of reach for {name} on {num_frames} frames of "
                f"{width}x{height} (closest: {actual / 1e6:.3f}M)",
                closest=actual / 1e6,
            )
    return spec.model_class(config, num_frames, height, width)
