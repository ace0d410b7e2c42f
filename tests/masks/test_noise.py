"""Tests for masks.noise: documented input PSNR on real frames, determinism, impulse masks."""

from __future__ import annotations

import pytest
import torch

from masks.noise import IMPULSE_KINDS, NOISE_KINDS, Corruption, add_noise, parse_noise_spec

# Input PSNR (dB) at the default levels, as documented in masks/noise.py: blackswan, 50 frames at
# 432x240, mean per-frame PSNR.
DOCUMENTED_PSNR = {
    "gaussian": 27.99,
    "salt-pepper": 28.02,
    "white": 27.95,
    "black": 28.31,
    "random": 31.23,
}


def psnr(corrupted: torch.Tensor, clean: torch.Tensor) -> float:
    """Mean over frames of the per-frame PSNR (peak 1)."""
    mse = ((corrupted - clean) ** 2).flatten(1).mean(1)
    return (10 * torch.log10(1 / mse)).mean().item()


def test_noise_kinds_and_defaults():
    assert NOISE_KINDS == {
        "gaussian": 0.04,
        "salt-pepper": 0.005,
        "white": 0.0035,
        "black": 0.0085,
        "random": 0.005,
    }
    assert set(IMPULSE_KINDS) == set(NOISE_KINDS) - {"gaussian"}


@pytest.mark.parametrize("kind", list(DOCUMENTED_PSNR))
def test_default_levels_give_documented_psnr(blackswan_frames, kind):
    corruption = add_noise(blackswan_frames, kind, seed=0)
    assert corruption.level == NOISE_KINDS[kind]
    assert psnr(corruption.corrupted, blackswan_frames) == pytest.approx(
        DOCUMENTED_PSNR[kind], abs=0.5
    )


def test_default_impulse_levels_track_nerv_baselines(blackswan_frames):
    nerv_baseline = {"white": 27.85, "black": 28.29, "salt-pepper": 27.95, "random": 30.95}
    for kind, expected in nerv_baseline.items():
        measured = psnr(add_noise(blackswan_frames, kind).corrupted, blackswan_frames)
        assert measured == pytest.approx(expected, abs=0.5), kind


@pytest.mark.parametrize("kind", list(NOISE_KINDS))
def test_same_seed_same_noise(kind):
    video = torch.rand(2, 3, 16, 20, generator=torch.Generator().manual_seed(1))
    first = add_noise(video, kind, level=0.2, seed=7)
    second = add_noise(video, kind, level=0.2, seed=7)
    other = add_noise(video, kind, level=0.2, seed=8)
    assert torch.equal(first.corrupted, second.corrupted)
    assert not torch.equal(first.corrupted, other.corrupted)
    if first.mask is not None:
        assert torch.equal(first.mask, second.mask)


def test_noise_does_not_touch_the_clean_video():
    video = torch.rand(2, 3, 16, 20)
    before = video.clone()
    for kind in NOISE_KINDS:
        add_noise(video, kind, level=0.3)
    assert torch.equal(video, before)


def test_gaussian_has_no_mask_and_the_requested_sigma():
    video = torch.full((4, 3, 64, 64), 0.5)
    corruption = add_noise(video, "gaussian", level=0.05)
    assert isinstance(corruption, Corruption)
    assert corruption.mask is None
    assert corruption.kind == "gaussian"
    assert (corruption.corrupted - video).std().item() == pytest.approx(0.05, rel=0.03)


@pytest.mark.parametrize("kind", IMPULSE_KINDS)
def test_impulse_noise_changes_only_masked_pixels(kind):
    video = torch.full((4, 3, 64, 64), 0.5)
    corruption = add_noise(video, kind, level=0.1, seed=3)
    mask = corruption.mask
    assert mask.shape == (4, 1, 64, 64)
    assert set(mask.unique().tolist()) == {0.0, 1.0}
    assert mask.mean().item() == pytest.approx(0.1, abs=0.01)
    changed = (corruption.corrupted != video).any(dim=1, keepdim=True)
    assert torch.equal(changed.float(), mask)  # with a mid-grey video, every hit shows
    hit_values = corruption.corrupted.permute(1, 0, 2, 3)[:, mask[:, 0] > 0]  # (3, N)
    if kind == "white":
        assert torch.all(hit_values == 1.0)
    elif kind == "black":
        assert torch.all(hit_values == 0.0)
    elif kind == "salt-pepper":
        assert set(hit_values.unique().tolist()) == {0.0, 1.0}
        assert torch.all(hit_values[0] == hit_values[1])  # whole pixels, not channels
    else:
        assert hit_values.unique().numel() > 100  # random colours


def test_level_zero_is_identity():
    video = torch.rand(2, 3, 8, 8)
    assert torch.equal(add_noise(video, "white", level=0.0).corrupted, video)
    assert torch.equal(add_noise(video, "gaussian", level=0.0).corrupted, video)


def test_parse_noise_spec():
    assert parse_noise_spec("gaussian:0.1") == ("gaussian", 0.1)
    assert parse_noise_spec("white") == ("white", None)
    assert parse_noise_spec("salt-pepper:0.02") == ("salt-pepper", 0.02)
    message = "unknown noise kind 'speckle'; expected one of gaussian, salt-pepper, white, black"
    with pytest.raises(ValueError, match=message):
        parse_noise_spec("speckle:0.1")
    with pytest.raises(ValueError, match="level in 'gaussian:abc' must be a number"):
        parse_noise_spec("gaussian:abc")
    with pytest.raises(ValueError, match=r"white noise level \(density\) must be a number in"):
        parse_noise_spec("white:2")


def test_add_noise_rejects_bad_input():
    with pytest.raises(ValueError, match=r"video: expected shape \(T, 3, H, W\), got \(3, 8, 8\)"):
        add_noise(torch.rand(3, 8, 8), "white")
    with pytest.raises(ValueError, match="unknown noise kind 'pink'"):
        add_noise(torch.rand(1, 3, 8, 8), "pink")
    with pytest.raises(ValueError, match=r"gaussian noise level \(sigma\) must be a number"):
        add_noise(torch.rand(1, 3, 8, 8), "gaussian", level=-0.1)
    with pytest.raises(ValueError, match=r"video: expected values in \[0, 1\]"):
        add_noise(torch.full((1, 3, 8, 8), 2.0), "white")
