"""The restore CLI: bad input gives one line and exit code 2 with nothing written; a real run
improves hole PSNR."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from restore.cli import app
from restore.io import read_video, write_frames, write_video

runner = CliRunner()


def _invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def clip(tmp_path: Path, blackswan_small: torch.Tensor) -> Path:
    path = tmp_path / "clip.mp4"
    write_video(path, blackswan_small, 25)
    return path


def _assert_bad_input(result, words: str, out_dir: Path, before: set[Path]) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and words in lines[0], result.output
    assert set(out_dir.rglob("*")) == before, "nothing may be written on bad input"


def test_missing_file(tmp_path: Path) -> None:
    before = set(tmp_path.rglob("*"))
    result = _invoke("inpaint", tmp_path / "nope.mp4", "-o", tmp_path / "out.mp4")
    _assert_bad_input(result, "video not found", tmp_path, before)


def test_unreadable_video(tmp_path: Path) -> None:
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is not a video")
    before = set(tmp_path.rglob("*"))
    result = _invoke("inpaint", fake, "-o", tmp_path / "out.mp4")
    _assert_bad_input(result, "cannot read video", tmp_path, before)


def test_start_past_the_end_leaves_no_frames(clip: Path, tmp_path: Path) -> None:
    before = set(tmp_path.rglob("*"))
    result = _invoke("inpaint", clip, "--start", "50", "-o", tmp_path / "out.mp4")
    _assert_bad_input(result, "leaves none", tmp_path, before)


def test_folder_without_images(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    before = set(tmp_path.rglob("*"))
    result = _invoke("inpaint", empty, "-o", tmp_path / "out.mp4")
    _assert_bad_input(result, "no .jpg/.jpeg/.png frames", tmp_path, before)


def test_mask_of_wrong_size(clip: Path, tmp_path: Path) -> None:
    mask = tmp_path / "mask.png"
    cv2.imwrite(str(mask), np.full((50, 50), 255, np.uint8))
    before = set(tmp_path.rglob("*"))
    result = _invoke("inpaint", clip, "--mask", mask, "-o", tmp_path / "out.mp4")
    _assert_bad_input(result, "mask: expected the video's size 128x72, got 50x50", tmp_path, before)


def test_mask_with_wrong_frame_count(clip: Path, tmp_path: Path) -> None:
    folder = tmp_path / "masks"
    write_frames(folder, torch.zeros(3, 3, 72, 128))
    before = set(tmp_path.rglob("*"))
    result = _invoke("inpaint", clip, "--mask", folder, "-o", tmp_path / "out.mp4")
    _assert_bad_input(result, "mask: expected 6 frames (the video's), got 3", tmp_path, before)


def test_mask_covering_everything(clip: Path, tmp_path: Path) -> None:
    mask = tmp_path / "all.png"
    cv2.imwrite(str(mask), np.full((72, 128), 255, np.uint8))
    before = set(tmp_path.rglob("*"))
    result = _invoke("inpaint", clip, "--mask", mask, "-o", tmp_path / "out.mp4")
    _assert_bad_input(result, "covering every pixel", tmp_path, before)


def test_output_equal_to_input_is_refused(clip: Path, tmp_path: Path) -> None:
    original = clip.read_bytes()
    before = set(tmp_path.rglob("*"))
    result = _invoke("inpaint", clip, "-o", clip)
    _assert_bad_input(result, "is the input video", tmp_path, before)
    assert clip.read_bytes() == original


def test_unknown_mask_spec_and_method(clip: Path, tmp_path: Path) -> None:
    before = set(tmp_path.rglob("*"))
    _assert_bad_input(
        _invoke("inpaint", clip, "--mask", "blobs", "-o", tmp_path / "o.mp4"),
        "is not boxes, center",
        tmp_path,
        before,
    )
    _assert_bad_input(
        _invoke("inpaint", clip, "--method", "magic", "-o", tmp_path / "o.mp4"),
        "valid methods",
        tmp_path,
        before,
    )


def test_inpaint_end_to_end_improves_hole_psnr(clip: Path, tmp_path: Path) -> None:
    output = tmp_path / "restored.mp4"
    result = _invoke(
        "inpaint",
        clip,
        "--mask",
        "boxes",
        "--box-size",
        "8",
        "--epochs",
        "25",
        "--model-size",
        "0.05",
        "--compare",
        "-o",
        output,
    )
    assert result.exit_code == 0, result.output
    assert "device: cpu" in result.output
    restored = read_video(output)
    assert restored.frames.shape == (6, 3, 72, 128)
    assert restored.fps == pytest.approx(25)
    assert read_video(tmp_path / "restored.compare.mp4").num_frames == 6
    report = json.loads((tmp_path / "restored.metrics.json").read_text())
    before, after = report["scores"]["input"], report["scores"]["restored"]
    assert after["psnr_holes"] > before["psnr_holes"] + 8
    assert after["psnr"] > before["psnr"]
    config = json.loads((tmp_path / "restored.config.json").read_text())
    assert config["config"]["fit"]["epochs"] == 25 and config["config"]["method"] == "hybrid"


def test_denoise_with_synthetic_noise(clip: Path, tmp_path: Path) -> None:
    output = tmp_path / "denoised.mp4"
    result = _invoke(
        "denoise", clip, "--add-noise", "gaussian:0.1", "--method", "median3d", "-o", output
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "denoised.metrics.json").read_text())
    assert report["scores"]["restored"]["psnr"] > report["scores"]["input"]["psnr"] + 2


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--epochs", "0", "epochs: expected an integer >= 1, got 0"),
        ("--epochs", "-5", "epochs: expected an integer >= 1, got -5"),
        ("--batch-size", "0", "batch size: expected an integer >= 1, got 0"),
        ("--model-size", "0", "model size: expected a positive number"),
        ("--loss", "l3", "loss: expected one of l2, l1, ssim"),
        ("--prefill", "blur", "prefill: expected one of none, mean, telea"),
        ("--device", "tpu", "--device: expected one of auto, cpu, cuda, cuda:N, mps, got 'tpu'"),
        ("--preset", "huge", "preset: expected one of smoke, fast, balanced, paper"),
    ],
)
def test_bad_run_options_are_clear_errors(clip: Path, tmp_path: Path, option, value, words):
    before = set(tmp_path.rglob("*"))
    result = _invoke("inpaint", clip, option, value, "-o", tmp_path / "out.mp4")
    _assert_bad_input(result, words, tmp_path, before)


def test_a_bug_keeps_its_traceback_and_is_not_exit_2(clip: Path, tmp_path: Path, monkeypatch):
    import restore.jobs

    def broken(*args, **kwargs):
        raise ValueError("an internal bug, not the user's input")

    monkeypatch.setattr(restore.jobs, "restore", broken)
    result = _invoke("inpaint", clip, "--method", "telea", "-o", tmp_path / "out.mp4")
    assert result.exit_code == 1
    assert isinstance(result.exception, ValueError)
    assert "error:" not in result.output


def test_odd_resize_keeps_the_size_and_says_what_the_video_gets(clip: Path, tmp_path: Path):
    output = tmp_path / "odd.mp4"
    result = _invoke(
        "inpaint", clip, "--resize", "95x63", "--method", "telea", "--save-frames", "-o", output
    )
    assert result.exit_code == 0, result.output
    assert "the video is written at 96x64" in result.output
    assert "keep 95x63" in result.output
    assert read_video(tmp_path / "odd_frames").frames.shape[2:] == (63, 95)
    assert read_video(output).frames.shape[2:] == (64, 96)
    report = json.loads((tmp_path / "odd.metrics.json").read_text())
    assert report["size"] == [63, 95]


def test_options_default_to_the_preset(clip: Path, tmp_path: Path) -> None:
    output = tmp_path / "smoke.mp4"
    result = _invoke("inpaint", clip, "--preset", "smoke", "--box-size", "8", "-o", output)
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "smoke.config.json").read_text())["config"]
    assert (config["method"], config["device"], config["seed"]) == ("hybrid", "auto", 0)
    assert (config["model"]["size"], config["fit"]["epochs"]) == (0.07, 3)


def test_track_writes_a_mask_per_frame_and_an_overlay(tmp_path: Path, textured_clip_maker) -> None:
    frames, truth = textured_clip_maker(num_frames=8)
    clip = write_frames(tmp_path / "clip", frames)[0].parent  # lossless frames
    first = tmp_path / "first.png"
    cv2.imwrite(str(first), (truth[0, 0].numpy() * 255).astype(np.uint8))
    result = _invoke("track", clip, first, "-o", tmp_path / "masks")
    assert result.exit_code == 0, result.output
    pngs = sorted((tmp_path / "masks").glob("*.png"))
    assert [p.name for p in pngs] == [f"{i:05d}.png" for i in range(8)]
    last = cv2.imread(str(pngs[-1]), cv2.IMREAD_UNCHANGED)
    assert last.ndim == 2 and set(np.unique(last)) == {0, 255}
    moved = truth[-1, 0].numpy() > 0.5
    assert ((last > 127) & moved).sum() / ((last > 127) | moved).sum() > 0.9
    assert np.array_equal(cv2.imread(str(pngs[0]), cv2.IMREAD_UNCHANGED) > 127, truth[0, 0] > 0.5)
    overlay = read_video(tmp_path / "masks" / "overlay.mp4")
    assert overlay.frames.shape == (8, 3, 72, 112)


@pytest.mark.parametrize(
    ("image", "words"),
    [
        (np.zeros((72, 112), np.uint8), "first_mask: expected at least one object pixel"),
        (np.full((40, 50), 255, np.uint8), "expected the video's size 112x72, got 50x40"),
    ],
)
def test_track_rejects_an_empty_or_wrong_size_mask(
    tmp_path: Path, image, words, textured_clip_maker
) -> None:
    frames, _ = textured_clip_maker(num_frames=3)
    clip = write_frames(tmp_path / "clip", frames)[0].parent
    first = tmp_path / "first.png"
    cv2.imwrite(str(first), image)
    before = set(tmp_path.rglob("*"))
    result = _invoke("track", clip, first, "-o", tmp_path / "masks")
    _assert_bad_input(result, words, tmp_path, before)
