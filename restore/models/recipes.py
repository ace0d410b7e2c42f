"""Fitting recipes: how each model is trained, by its authors (``paper``) or by us (``engine``).

A recipe names ``FitConfig`` fields (optimiser, lr, betas, loss, clipping, batch, epochs,
warm-up) and model config fields (the Boost models' conditioning) that a model's method uses
unless the caller names them (``restore.config.preset``; ``RestoreConfig.recipe`` picks one).

- ``engine``: ``FitConfig``'s defaults (Adam at lr 3e-3, batch 1, gradient norm clipped to 1,
  L2; docs/time-to-quality.md) for every model; the Boost models keep their ``boost`` loss.
- ``paper``: the authors' scripts (docs/papers-models.md cites each line):
  - HNeRV and NeRV with HNeRV blocks: Boosting-NeRV ``scripts/inpanting/hnerv.sh``: Adam at
    lr 5e-4, L2, ``--clip_max_norm 1``, batch 1, 300 epochs, the default schedule
    ``cosine_0.1_1_0.1`` (warm-up over the first 10 %).
  - NeRV and E-NeRV: E-NeRV's ``cfgs/NeRV-bunny.yaml`` and ``cfgs/E-NeRV-bunny.yaml``: Adam
    with betas (0.5, 0.999) at lr 5e-4, ``Fusion6`` (0.7 L1 + 0.3 (1 - SSIM), our ``l1+ssim``),
    no clipping, batch 1, 300 epochs, warm-up over the first 20 %.
  - HNeRV-Boost and NeRV-Boost: ``scripts/inpanting/hnerv_boost.sh``, ``nerv_boost.sh``: Adan at
    lr 3e-3, ``Fusion10_freq`` (our ``boost``), no clipping, batch 1, 300 epochs, 10 % warm-up;
    the temporal embedding sees the frame index only (``content_condition`` off, ``--ch_t 32``).
  - E-NeRV-Boost: ``scripts/inpanting/enerv_boost.sh``: the same at lr 1.5e-3.

Our schedule warms up linearly from about 0 where the authors' starts at 0.1 x lr; the rest
(cosine to 0) is the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RECIPES = ("engine", "paper")


@dataclass(frozen=True)
class Recipe:
    """Defaults one recipe gives a model's fit and model config."""

    fit: dict[str, Any] = field(default_factory=dict)  # FitConfig fields
    model: dict[str, Any] = field(default_factory=dict)  # the model config's fields
    source: str = ""  # where the numbers come from


ENGINE = Recipe(source="FitConfig defaults (docs/time-to-quality.md)")
ENGINE_BOOST = Recipe({"loss": "boost"}, source="FitConfig defaults with the boost loss")

_PAPER_COMMON = {"batch_size": 1, "epochs": 300}

PAPER_HNERV = Recipe(
    {
        **_PAPER_COMMON,
        "optimizer": "adam",
        "lr": 5e-4,
        "loss": "l2",
        "grad_clip": 1.0,
        "warmup_fraction": 0.1,
    },
    source="Boosting-NeRV scripts/inpanting/hnerv.sh",
)
PAPER_NERV = Recipe(
    {
        **_PAPER_COMMON,
        "optimizer": "adam",
        "betas": (0.5, 0.999),
        "lr": 5e-4,
        "loss": "l1+ssim",
        "grad_clip": None,
        "warmup_fraction": 0.2,
    },
    source="E-NeRV cfgs/NeRV-bunny.yaml, cfgs/E-NeRV-bunny.yaml",
)
_PAPER_BOOST_FIT = {
    **_PAPER_COMMON,
    "optimizer": "adan",
    "lr": 3e-3,
    "loss": "boost",
    "grad_clip": None,
    "warmup_fraction": 0.1,
}
PAPER_BOOST = Recipe(
    _PAPER_BOOST_FIT,
    {"content_condition": False, "temporal_dim": 32},
    source="Boosting-NeRV scripts/inpanting/hnerv_boost.sh, nerv_boost.sh",
)
PAPER_ENERV_BOOST = Recipe(
    {**_PAPER_BOOST_FIT, "lr": 1.5e-3},
    {"temporal_dim": 32},
    source="Boosting-NeRV scripts/inpanting/enerv_boost.sh",
)
