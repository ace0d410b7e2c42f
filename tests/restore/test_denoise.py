"""Denoising: noise-level estimation, impulse detection, BM3D/BM4D, the video prior, safety notes.

Real DAVIS frames at small sizes (a few frames) so the file runs in seconds.
"""

from __future__ import annotations

import json

import pytest
import torch

from evaluation.warp_error import warp_error
from masks import add_noise
from masks.impulses import detect_impulses
from restore.api import restore
from restore.config import preset
from restore.errors import InputError
from restore.methods.bm3d_denoise import bm3d_frames
from restore.methods.noise_level import estimate_sigma, prepare_noisy, safety_notes
from restore.methods.temporal_fusion import fuse_temporal
from restore.metrics import psnr
from tests.conftest import load_davis_frames


@pytest.fixture(scope="module")
def frames() -> torch.Tensor:
    """4 frames of blackswan at 216x120."""
    return load_davis_frames("blackswan", 4, 216, 120)


@pytest.fixture(scope="module")
def small_clip() -> torch.Tensor:
    """5 frames of blackswan at 96x64 (BM4D's volumes need 5 frames; BM4D is slow)."""
    return load_davis_frames("blackswan", 5, 96, 64)


@pytest.fixture(scope="module")
def frames_large() -> torch.Tensor:
    """3 frames of car-shadow at 432x240 (the harness's size; sigma is estimated at full detail)."""
    return load_davis_frames("car-shadow", 3, 432, 240)


@pytest.mark.parametrize("sigma", [0.02, 0.04, 0.08])
def test_estimated_sigma_within_20_percent(frames_large, sigma):
    noisy = add_noise(frames_large, "gaussian", sigma, seed=1).corrupted
    estimate = estimate_sigma(noisy)
    assert abs(estimate - sigma) < 0.2 * sigma, (estimate, sigma)


@pytest.mark.parametrize("kind", ["salt-pepper", "white", "black"])
def test_detected_impulses_match_the_noise_mask(frames_large, kind):
    corruption = add_noise(frames_large, kind, seed=2)
    found = detect_impulses(corruption.corrupted).bool()
    truth = corruption.mask.bool()
    hits = float((found & truth).sum())
    precision, recall = hits / float(found.sum()), hits / float(truth.sum())
    assert precision > 0.9 and recall > 0.9, (precision, recall)


def test_random_impulses_found_where_they_matter(frames_large):
    """Random values close to the scene's cannot be told apart (nor do they matter): recall of
    impulses at least 0.25 away from the clean value is over 0.9 (measured 0.93)."""
    corruption = add_noise(frames_large, "random", seed=2)
    found = detect_impulses(corruption.corrupted).bool()
    error = (corruption.corrupted - frames_large).abs().amax(dim=1, keepdim=True)
    visible = corruption.mask.bool() & (error > 0.25)
    assert float((found & visible).sum()) / float(visible.sum()) > 0.85
    assert float((found & corruption.mask.bool()).sum()) / float(found.sum()) > 0.7


def test_gaussian_noise_gives_few_impulses(frames_large):
    noisy = add_noise(frames_large, "gaussian", 0.04, seed=3).corrupted
    assert float(detect_impulses(noisy, 0.04).mean()) < 0.002


def test_prepare_fills_impulses_and_keeps_sigma_small(frames):
    corruption = add_noise(frames, "salt-pepper", seed=4)
    prepared = prepare_noisy(corruption.corrupted)
    assert prepared.impulses is not None
    assert psnr(prepared.frames, frames) > psnr(corruption.corrupted, frames) + 5
    assert prepared.sigma < 0.02


@pytest.mark.parametrize(
    ("method", "options", "kind", "margin"),
    [
        ("bm3d", {}, "gaussian", 3.0),
        ("bm3d", {}, "salt-pepper", 5.0),
        ("bm4d", {"window": 5}, "gaussian", 2.0),
        ("bm3d-flow", {}, "gaussian", 3.0),
        ("nlmeans", {}, "gaussian", 1.0),
        ("hnerv-prior", {"epochs": 3, "model_size": 0.05}, "gaussian", 3.0),
    ],
)
def test_denoiser_raises_psnr_over_the_noisy_input(
    frames, small_clip, method, options, kind, margin
):
    clip = {"hnerv-prior": frames[:2], "bm4d": small_clip}.get(method, frames)
    noisy = add_noise(clip, kind, seed=5).corrupted
    config = preset("smoke", method=method)
    config.method_options = dict(options)
    result = restore(noisy, None, config, task="denoise")
    assert result.restored.shape == clip.shape
    assert psnr(result.restored, clip) > psnr(noisy, clip) + margin
    assert not any("WORSE" in note for note in result.info.get("notes", []))


def test_temporal_fusion_beats_bm3d_and_steadies_it(frames):
    """Averaging BM3D's frames with their flow-warped neighbours raises PSNR and lowers the
    flow warping error on real frames (the errors BM3D leaves differ from frame to frame)."""
    noisy = add_noise(frames, "gaussian", 0.04, seed=8).corrupted
    single = bm3d_frames(noisy, 0.04)
    fused = fuse_temporal(single, 0.04)
    assert psnr(fused, frames) > psnr(single, frames) + 0.2
    assert warp_error(fused) < warp_error(single)
    assert torch.equal(fuse_temporal(single, 0.04, radius=0), single)


def test_temporal_fusion_does_not_smear_a_moving_square():
    """A square jumping 8 px per frame on a flat background: flow that cannot follow it, or
    neighbours that disagree, must not average it with the background (no ghost)."""
    video = torch.full((4, 3, 64, 64), 0.2)
    for t in range(4):
        video[t, :, 20:36, 8 + 8 * t : 24 + 8 * t] = 0.9
    fused = fuse_temporal(video, 0.04)
    assert float((fused - video).abs().max()) < 0.1


def test_temporal_fusion_checks_its_radius(frames):
    with pytest.raises(InputError, match="radius: expected an integer >= 0"):
        fuse_temporal(frames, 0.04, radius=-1)


def test_safety_note_when_the_output_is_worse(frames):
    noisy = add_noise(frames, "gaussian", 0.02, seed=6).corrupted
    blurred = torch.nn.functional.avg_pool2d(noisy, 9, stride=1, padding=4, count_include_pad=False)
    assert psnr(blurred, frames) < psnr(noisy, frames)  # the case is really worse
    notes = safety_notes(noisy, blurred, estimate_sigma(noisy), None)
    assert notes and "WORSE" in notes[0]
    good = prepare_noisy(noisy).frames  # nothing removed: no note
    assert safety_notes(noisy, good, 0.02, None) == []


def test_safety_note_reaches_the_result(frames):
    """A method that over-smooths (a huge Gaussian blur) reports it in ``info["notes"]``."""
    noisy = add_noise(frames, "gaussian", 0.02, seed=7).corrupted
    config = preset("smoke", method="gaussian-blur")
    config.method_options = {"sigma": 6.0}
    result = restore(noisy, None, config, task="denoise")
    assert any("WORSE" in note for note in result.info["notes"])


def test_cli_denoises_with_bm3d_flow_by_default_and_prints_notes(tmp_path, blackswan_small):
    from typer.testing import CliRunner

    from restore.cli import app
    from restore.io import write_video

    clip = tmp_path / "clip.mp4"
    write_video(clip, blackswan_small[:3], 25)
    out = tmp_path / "out.mp4"
    result = CliRunner().invoke(
        app, ["denoise", str(clip), "--add-noise", "salt-pepper:0.01", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "impulse noise" in result.output
    before, after = result.output.split("PSNR whole frame: input ")[1].split(" dB -> restored ")
    assert float(after.split()[0]) > float(before) + 5
    saved = json.loads((tmp_path / "out.config.json").read_text())
    assert saved["config"]["method"] == "bm3d-flow"


def test_cli_sigma_needs_a_method_that_takes_it(tmp_path, blackswan_small):
    from typer.testing import CliRunner

    from restore.cli import app
    from restore.io import write_video

    clip = tmp_path / "clip.mp4"
    write_video(clip, blackswan_small[:2], 25)
    result = CliRunner().invoke(
        app,
        [
            "denoise",
            str(clip),
            "--method",
            "median",
            "--sigma",
            "0.04",
            "-o",
            str(tmp_path / "o.mp4"),
        ],
    )
    assert result.exit_code == 2
    assert "--sigma" in result.output
