"""Boosting-NeRV models and loss: TAT, SNeRV blocks, the masked frequency loss, size targeting."""

from __future__ import annotations

import pytest
import torch

from restore.config import preset
from restore.fit import FitConfig, reconstruction_loss
from restore.fit.losses import masked_frequency_l1
from restore.models import MODELS, choose_strides, create_model, padded_size
from restore.models.boost import DecoderStage, Sine, TemporalAffine, boost_total_size
from restore.models.hnerv import hnerv_total_size

BOOST_MODELS = ["hnerv-boost", "nerv-boost", "enerv-boost"]


def _model(name: str, **overrides):
    torch.manual_seed(0)
    return create_model(name, num_frames=8, height=48, width=80, **overrides)


def test_tat_gives_each_frame_index_its_own_scale_and_shift() -> None:
    model = _model("hnerv-boost")
    content = model.encode(torch.rand(1, 3, 48, 80)).detach()
    content = content.expand(2, -1, -1, -1)
    indices = torch.tensor([1, 6])
    temporal = model.temporal_embedding(indices, content)
    gamma, beta = model.decoder.affines[0].scale_shift(temporal)
    assert not torch.allclose(gamma[0], gamma[1]) and not torch.allclose(beta[0], beta[1])
    output = model.decode(content, indices)
    assert not torch.allclose(output[0], output[1])
    without_tat = _model("hnerv-boost", tat=False)
    plain = without_tat.decode(content, indices)
    assert torch.equal(plain[0], plain[1])  # same content, no TAT: the index cannot matter


def test_nerv_boost_tat_depends_on_the_index_only() -> None:
    model = _model("nerv-boost")
    first = model(torch.rand(1, 3, 48, 80), torch.tensor([2]))
    again = model(None, torch.tensor([2]))
    assert torch.equal(first, again)
    assert model.temporal_embedding(torch.tensor([2, 5])).std(dim=0).max() > 0


@pytest.mark.parametrize("name", BOOST_MODELS)
def test_gradients_reach_tat_and_sine_blocks(name: str) -> None:
    model = _model(name)
    stages = [m for m in model.modules() if isinstance(m, DecoderStage)]
    assert any(isinstance(m, Sine) for m in model.decoder.modules())
    assert any(len([c for c in s.layers if isinstance(c, torch.nn.Conv2d)]) == 2 for s in stages)
    output = model(torch.rand(2, 3, 48, 80), torch.tensor([0, 5]))
    output.mean().backward()
    affines = [m for m in model.modules() if isinstance(m, TemporalAffine)]
    assert len(affines) == len(model.config.strides)
    for module in [*affines, *stages, model.temporal]:
        for parameter in module.parameters():
            assert parameter.grad is not None and parameter.grad.abs().sum() > 0


def test_snerv_splits_only_the_5x5_stages() -> None:
    model = create_model("hnerv-boost", num_frames=4, height=96, width=192, decoder_width=32)
    convs = [
        [c.kernel_size[0] for c in s.layers if isinstance(c, torch.nn.Conv2d)]
        for s in model.decoder.stages
    ]
    assert convs[:2] == [[1], [3]] and all(c == [3, 3] for c in convs[2:])


def test_all_parts_off_is_hnerv() -> None:
    config = MODELS["hnerv-boost"].config_class(
        strides=(5, 3, 2, 2, 2), decoder_width=40, tat=False, sine=False, snerv=False
    )
    hnerv = MODELS["hnerv"].config_class(strides=(5, 3, 2, 2, 2), decoder_width=40)
    assert boost_total_size(config, 10, 240, 480) == hnerv_total_size(hnerv, 10, 240, 480)


def test_frequency_loss_ignores_holes() -> None:
    torch.manual_seed(0)
    prediction = torch.rand(2, 3, 32, 40, requires_grad=True)
    target = torch.rand(2, 3, 32, 40)
    known = torch.ones(2, 1, 32, 40)
    known[:, :, 5:20, 8:30] = 0
    other_target = torch.where(known.bool(), target, torch.rand_like(target))
    for loss_fn in (
        lambda t: masked_frequency_l1(prediction, t, known),
        lambda t: reconstruction_loss(prediction, t, known, "boost"),
    ):
        loss = loss_fn(target)
        assert float(loss.detach()) == pytest.approx(
            float(loss_fn(other_target).detach()), abs=1e-7
        )
        prediction.grad = None
        loss.backward()
        assert float((prediction.grad * (1 - known)).abs().max()) == 0.0
        assert float((prediction.grad * known).abs().max()) > 0.0


def test_boost_loss_is_zero_for_a_perfect_known_region() -> None:
    target = torch.rand(1, 3, 176, 176)
    known = torch.ones(1, 1, 176, 176)
    known[..., 40:90, 40:90] = 0
    prediction = torch.where(known.bool(), target, torch.rand_like(target))
    assert float(reconstruction_loss(prediction, target, known, "boost")) < 1e-5


@pytest.mark.parametrize("name", BOOST_MODELS)
@pytest.mark.parametrize(
    ("frames", "height", "width", "size"),
    [(10, 240, 480, 0.35), (16, 120, 240, 0.2), (50, 480, 960, 1.5)],
)
def test_size_targeting_and_counter(
    name: str, frames: int, height: int, width: int, size: float
) -> None:
    height, width = padded_size(height, width, choose_strides(height, width))
    model = create_model(name, num_frames=frames, height=height, width=width, size=size)
    total = model.size_report()["total"]
    assert abs(total - size * 1e6) <= 0.1 * size * 1e6, total
    assert total == boost_total_size(model.config, frames, height, width)


def test_boost_methods_default_to_the_boost_loss_only() -> None:
    assert preset("balanced", method="hnerv-boost").fit.loss == "boost"
    assert preset("balanced", method="nerv-boost", loss="l2").fit.loss == "l2"
    assert preset("balanced", method="hnerv").fit.loss == "l2"
    assert preset("balanced").fit.loss == "l2"


def test_grad_clip_is_validated() -> None:
    assert FitConfig(grad_clip=1.0).grad_clip == 1.0
    with pytest.raises(ValueError, match="gradient clip"):
        FitConfig(grad_clip=0)
