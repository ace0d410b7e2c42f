"""Every registered model: forward, backward, no NaN, parameter-count targeting."""

from __future__ import annotations

import math

import pytest
import torch

from restore.models import MODELS, choose_strides, create_model, list_models, padded_size
from restore.models.hnerv import HNeRVConfig, hnerv_total_size
from restore.models.layers import positional_encoding


@pytest.mark.parametrize("name", sorted(MODELS))
def test_forward_backward_shapes(name: str) -> None:
    torch.manual_seed(0)
    model = create_model(name, num_frames=4, height=48, width=80)
    frames = torch.rand(2, 3, 48, 80)
    output = model(frames, torch.tensor([0, 3]))
    assert output.shape == (2, 3, 48, 80)
    assert torch.isfinite(output).all()
    assert 0 <= float(output.detach().min()) and float(output.detach().max()) <= 1
    output.mean().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("size", [0.1, 0.35, 0.75, 1.5])
def test_size_lands_within_ten_percent(name: str, size: float) -> None:
    model = create_model(name, num_frames=50, height=240, width=480, size=size)
    total = model.size_report()["total"]
    assert abs(total - size * 1e6) <= 0.1 * size * 1e6, total


def test_hnerv_total_size_counts_embeddings_and_decoder_only() -> None:
    model = create_model(
        "hnerv", num_frames=10, height=120, width=240, size=0.2, strides=(5, 3, 2, 2, 2)
    )
    report = model.size_report()
    decoder = sum(p.numel() for p in model.decoder.parameters())
    assert report["decoder"] == decoder
    assert report["embedding"] == 10 * 16 * model.grid[0] * model.grid[1]
    assert report["total"] == decoder + report["embedding"]
    assert report["total"] == hnerv_total_size(model.config, 10, 120, 240)


def test_paper_architecture_bunny_0_75m() -> None:
    """Table 17: 640x1280, strides 5,4,4,2,2, c2 = 48 is the paper's 0.75M model."""
    config = HNeRVConfig(strides=(5, 4, 4, 2, 2), decoder_width=48)
    total = hnerv_total_size(config, 132, 640, 1280)
    assert 0.70e6 < total < 0.78e6
    model = create_model(
        "hnerv", num_frames=132, height=640, width=1280, strides=(5, 4, 4, 2, 2), decoder_width=48
    )
    kernels = [block.conv.kernel_size[0] for block in model.decoder.blocks]
    assert kernels == [1, 3, 5, 5, 5]
    widths = [
        block.conv.out_channels // (s * s)
        for block, s in zip(model.decoder.blocks, (5, 4, 4, 2, 2), strict=True)
    ]
    assert widths == [40, 33, 28, 23, 19]
    assert model.grid == (2, 4)


@pytest.mark.parametrize(
    ("height", "width", "expected"),
    [(640, 1280, (5, 4, 4, 2, 2)), (480, 960, (5, 4, 3, 2, 2)), (960, 1920, (5, 4, 4, 3, 2))],
)
def test_strides_match_paper(height: int, width: int, expected: tuple[int, ...]) -> None:
    assert choose_strides(height, width) == expected


def test_strides_for_any_size_divide_the_padded_frame() -> None:
    for height, width in [(240, 432), (180, 320), (72, 128), (480, 854), (37, 53)]:
        strides = choose_strides(height, width)
        padded_h, padded_w = padded_size(height, width, strides)
        product = math.prod(strides)
        assert padded_h % product == 0 and padded_w % product == 0
        assert padded_h >= height and padded_w >= width


def test_unknown_model_lists_valid_names() -> None:
    with pytest.raises(
        ValueError,
        match="valid models: enerv, enerv-boost, hnerv, hnerv-boost, nerv, nerv-boost, nerv-hbl",
    ):
        create_model("hnerf", num_frames=2, height=32, width=32)
    assert list_models() == [
        "enerv",
        "enerv-boost",
        "hnerv",
        "hnerv-boost",
        "nerv",
        "nerv-boost",
        "nerv-hblocks",
    ]


def test_unreachable_size_is_an_error() -> None:
    with pytest.raises(ValueError, match="out of reach"):
        create_model("hnerv", num_frames=1000, height=240, width=480, size=0.01)


def test_nerv_positional_encoding_matches_formula() -> None:
    t = torch.tensor([0.0, 0.25, 0.9])
    encoding = positional_encoding(t, base=1.25, levels=80)
    assert encoding.shape == (3, 160)
    for row, time in enumerate(t.tolist()):
        for level in (0, 1, 7, 79):
            angle = 1.25**level * math.pi * time
            assert encoding[row, 2 * level].item() == pytest.approx(math.sin(angle), abs=1e-4)
            assert encoding[row, 2 * level + 1].item() == pytest.approx(math.cos(angle), abs=1e-4)


def test_nerv_uses_frame_index_not_pixels() -> None:
    torch.manual_seed(0)
    model = create_model("nerv", num_frames=8, height=32, width=64, size=0.02)
    index = torch.tensor([3])
    first = model(torch.rand(1, 3, 32, 64), index)
    second = model(torch.zeros(1, 3, 32, 64), index)
    assert torch.equal(first, second)
    assert not torch.equal(first, model(None, torch.tensor([4])))


def test_nerv_hblocks_uses_hnerv_schedule() -> None:
    model = create_model("nerv-hblocks", num_frames=8, height=96, width=192, size=0.1)
    kernels = [block.conv.kernel_size[0] for block in model.blocks]
    assert kernels[0] == 3 and kernels[1:] == [5] * (len(kernels) - 1)
    assert model.config.reduction == 1.2
