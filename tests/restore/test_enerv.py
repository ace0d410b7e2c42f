"""E-NeRV and E-NeRV-Boost: shapes, what the output depends on, size counters, a short fit."""

from __future__ import annotations

import pytest
import torch

from restore.fit import FitConfig, fit_representation
from restore.models import choose_strides, create_model, padded_size
from restore.models.boost import TemporalAffine, boost_total_size
from restore.models.enerv import (
    SpatialTemporalEmbedding,
    TemporalModulation,
    enerv_total_size,
)

ENERV_MODELS = ["enerv", "enerv-boost"]


def _model(name: str, **overrides):
    torch.manual_seed(0)
    return create_model(name, num_frames=8, height=48, width=80, **overrides)


@pytest.mark.parametrize("name", ENERV_MODELS)
def test_output_shape_and_index_only_input(name: str) -> None:
    model = _model(name)
    indices = torch.tensor([1, 6])
    output = model(torch.rand(2, 3, 48, 80), indices).detach()
    assert output.shape == (2, 3, 48, 80)
    assert 0 <= float(output.min()) and float(output.max()) <= 1
    assert torch.equal(output, model(None, indices).detach())  # the frames are never read
    assert not torch.allclose(output[0], output[1])  # each index decodes its own frame


def test_embedding_grid_is_the_strides_grid_and_time_changes_it() -> None:
    model = _model("enerv")
    assert isinstance(model.embedding, SpatialTemporalEmbedding)
    grid = model.embedding(torch.tensor([0.0, 0.5]))
    assert grid.shape == (2, model.config.first_width, *model.grid)
    assert not torch.allclose(grid[0], grid[1])
    # The spatial tokens alone are shared by every frame (one per grid cell).
    tokens = model.embedding.spatial_tokens()
    assert tokens.shape == (1, model.grid[0] * model.grid[1], model.config.block_dim)


def test_every_stage_is_modulated_by_time_and_gets_gradients() -> None:
    model = _model("enerv")
    assert len(model.modulations) == len(model.blocks) == len(model.config.strides)
    model(None, torch.tensor([0, 5])).mean().backward()
    for module in [*model.modulations, model.modulation, model.embedding]:
        for parameter in module.parameters():
            assert parameter.grad is not None and parameter.grad.abs().sum() > 0


def test_temporal_modulation_normalises_then_scales_and_shifts() -> None:
    torch.manual_seed(0)
    modulate = TemporalModulation(modulation_dim=4, channels=2)
    with torch.no_grad():
        modulate.project.weight.zero_()
        modulate.project.bias.copy_(
            torch.tensor([1.0, 0.0, 0.5, -0.5])
        )  # γ = (1, 0), β = (.5, -.5)
    features = torch.tensor([[[[1.0, 3.0]], [[2.0, 2.0]]]])  # (1, 2, 1, 2)
    out = modulate(features, torch.zeros(1, 4))
    # Channel 0 normalises to (-1, 1), times 1 + γ = 2, plus 0.5; channel 1 is flat: 0 - 0.5.
    expected = torch.tensor([[[[-1.5, 2.5]], [[-0.5, -0.5]]]])
    assert torch.allclose(out, expected, atol=1e-4)
    # One pixel has no spread: it is modulated without the normalisation.
    single = modulate(torch.full((1, 2, 1, 1), 3.0), torch.zeros(1, 4))
    assert torch.allclose(single.flatten(), torch.tensor([6.5, 2.5]))


@pytest.mark.parametrize(
    ("frames", "height", "width", "size"),
    [(10, 240, 480, 0.35), (20, 240, 480, 0.75), (16, 120, 240, 0.2)],
)
def test_counters_match_the_built_models_and_sizes_land_within_ten_percent(
    frames: int, height: int, width: int, size: float
) -> None:
    height, width = padded_size(height, width, choose_strides(height, width))
    for name, counter in [("enerv", enerv_total_size), ("enerv-boost", boost_total_size)]:
        model = create_model(name, num_frames=frames, height=height, width=width, size=size)
        total = sum(p.numel() for p in model.parameters())
        assert model.size_report()["total"] == total
        assert counter(model.config, frames, height, width) == total
        assert abs(total - size * 1e6) <= 0.1 * size * 1e6, (name, total)


def test_enerv_boost_uses_tat_blocks_in_place_of_the_temporal_normalisation() -> None:
    model = _model("enerv-boost")
    assert model.config.generator == "enerv" and model.encoder is None
    assert isinstance(model.stem, SpatialTemporalEmbedding)
    assert not any(isinstance(m, TemporalModulation) for m in model.modules())
    affines = [m for m in model.modules() if isinstance(m, TemporalAffine)]
    assert len(affines) == len(model.config.strides)


@pytest.mark.parametrize("name", ENERV_MODELS)
def test_a_short_fit_lowers_the_loss(name: str) -> None:
    torch.manual_seed(1)
    # A smooth moving gradient: 4 frames of 32x48.
    ys, xs = torch.meshgrid(torch.linspace(0, 1, 32), torch.linspace(0, 1, 48), indexing="ij")
    frames = torch.stack(
        [torch.stack([xs, ys, (xs + ys + 0.1 * t) % 1.0]) for t in range(4)]
    ).float()
    model = create_model(name, num_frames=4, height=32, width=48, size=0.05)
    config = FitConfig(epochs=12, lr=3e-3, precision="fp32", loss="l2")
    result = fit_representation(model, frames, None, config)
    losses = [row["loss"] for row in result.history]
    assert len(losses) == 12 and result.recoveries == 0
    assert losses[-1] < 0.5 * losses[0], losses
