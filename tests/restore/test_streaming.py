"""Tests for restore.io.streaming and the chunked job: bounded memory, frame count, size and fps."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from restore.config import preset
from restore.errors import InputError
from restore.io import read_video, write_video
from restore.io.streaming import VideoWriter, iter_frames, probe_video, read_chunks
from restore.job import Job
from restore.jobs import run_job


def _moving_square(num_frames: int, height: int, width: int, offset: int = 0) -> torch.Tensor:
    y = torch.linspace(0, 1, height).view(1, 1, height, 1)
    x = torch.linspace(0, 1, width).view(1, 1, 1, width)
    frames = (0.25 + 0.5 * x * y).expand(num_frames, 3, height, width).clone()
    for t in range(num_frames):
        left = (4 * (t + offset)) % (width - 12)
        frames[t, :, 8:20, left : left + 12] = 0.9
    return frames


def _rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux /proc")
def _telea_job(source: Path, output: Path, **fields) -> Job:
    """An inpainting job of the smoke preset's Telea (seconds per run)."""
    config = preset("smoke", method="telea")
    return Job(input=source, task="inpaint", config=config, output=output, **fields)


def test_streamed_write_of_a_long_clip_keeps_memory_flat(tmp_path) -> None:
    height, width, chunk, chunks = 144, 192, 25, 12  # 300 frames: 100 MB as float32
    path = tmp_path / "long.mp4"
    growth = []
    with VideoWriter(path, 25.0) as writer:
        for index in range(chunks):
            writer.write(_moving_square(chunk, height, width, offset=index * chunk))
            if index == 1:
                baseline = _rss_bytes()  # after the encoder's own start-up buffers
            growth.append(_rss_bytes())
    whole_clip = chunks * chunk * 3 * height * width * 4
    assert max(growth) - baseline < 32 * 2**20 < whole_clip / 2
    info = probe_video(path)
    assert (info.num_frames, info.height, info.width, info.fps) == (300, height, width, 25.0)
    assert sum(piece.shape[0] for piece in read_chunks(path, 64)) == 300


def test_writer_is_atomic_and_checks_sizes(tmp_path) -> None:
    path = tmp_path / "out.mp4"
    with pytest.raises(InputError, match="like the first chunk"):
        with VideoWriter(path, 10.0) as writer:
            writer.write(torch.zeros(2, 3, 16, 16))
            writer.write(torch.zeros(2, 3, 18, 16))
    assert not path.exists() and not list(tmp_path.iterdir())
    with pytest.raises(InputError, match=".mp4"):
        VideoWriter(tmp_path / "out.avi", 10.0)


def test_iter_frames_matches_read_video(tmp_path) -> None:
    path = write_video(tmp_path / "clip.mp4", _moving_square(12, 32, 48), 12.5)
    whole = read_video(path, start=2, max_frames=7)
    frames = list(iter_frames(path, start=2, max_frames=7))
    assert len(frames) == 7
    streamed = torch.cat(list(read_chunks(path, 3, start=2, max_frames=7)))
    assert torch.equal(streamed, whole.frames)
    assert probe_video(path, start=2, max_frames=7).num_frames == 7
    assert probe_video(path).fps == 12.5


@pytest.mark.parametrize("method", ["telea", "flow-guided", "hnerv"])
def test_chunked_inpaint_keeps_frames_size_fps_and_known_pixels(tmp_path, method) -> None:
    clean = _moving_square(23, 40, 64)
    source = write_video(tmp_path / "in.mp4", clean, 12.0)
    output = tmp_path / "out.mp4"
    job = Job(
        input=source,
        task="inpaint",
        config=preset("smoke", method=method),
        output=output,
        mask="center",
        chunk_frames=9,
        chunk_overlap=3,
    )
    seen = []
    report = run_job(job, on_frames=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (23, 23) and len(seen) == len(report.result.info["chunks"]["plan"]) > 1
    info = probe_video(output)
    assert (info.num_frames, info.height, info.width, info.fps) == (23, 40, 64, 12.0)
    metrics = json.loads(report.outputs["metrics"].read_text())
    assert metrics["chunks"]["count"] == 4 and metrics["frames"] == 23
    scores = metrics["scores"]["restored"]
    assert scores["psnr_known"] == 100.0  # known pixels bit-exact through the cross-fades
    assert scores["psnr_holes"] > metrics["scores"]["input"]["psnr_holes"]


def test_chunked_run_keeps_display_samples_and_stops_after_a_chunk(tmp_path) -> None:
    import restore.streamed as streamed

    source = write_video(tmp_path / "in.mp4", _moving_square(23, 40, 64), 12.0)
    job = _telea_job(source, tmp_path / "out.mp4", mask="center", chunk_frames=9, chunk_overlap=3)
    job.save_frames = True
    report = run_job(job)
    # Up to DISPLAY_SAMPLES (60) frames: all 23 here, in order, the ones written to the file.
    assert report.result.info["sample_indices"] == list(range(23))
    written = read_video(report.outputs["frames"]).frames
    assert torch.allclose(report.result.restored, written, atol=0.5 / 255)
    assert report.prepared.corrupted.shape == (23, 3, 40, 64)
    assert float(report.prepared.corrupted[:, :, 15:25, 24:40].max()) == 0.0  # the centre hole

    job.output = tmp_path / "stopped.mp4"
    job.save_frames = False
    calls = []
    stop_after_first_chunk = lambda: bool(calls)  # noqa: E731 - a flag the run polls
    stopped = run_job(
        job, on_frames=lambda done, total: calls.append(done), should_stop=stop_after_first_chunk
    )
    first_chunk_frames = calls[0]  # the first chunk less the overlap it shares with the next
    assert calls == [first_chunk_frames] and 0 < first_chunk_frames < 23
    assert probe_video(job.output).num_frames == first_chunk_frames
    assert stopped.result.stopped and stopped.result.info["frames_written"] == first_chunk_frames
    notes = " ".join(stopped.result.info["notes"])
    assert f"stopped: the output holds the first {first_chunk_frames} of 23 frames" in notes
    assert streamed.DISPLAY_SAMPLES == 60


def test_whole_clip_and_one_chunk_give_the_same_video(tmp_path) -> None:
    source = write_video(tmp_path / "in.mp4", _moving_square(10, 32, 48), 10.0)
    outputs = []
    for name, chunk_frames in (("whole", None), ("chunked", 50)):
        job = Job(
            input=source,
            task="inpaint",
            config=preset("smoke", method="telea"),
            output=tmp_path / f"{name}.mp4",
            mask="boxes",
            chunk_frames=chunk_frames,
            save_frames=True,  # lossless PNGs: H.264 would blur a difference into its neighbours
        )
        outputs.append(read_video(run_job(job).outputs["frames"]).frames)
    assert torch.equal(outputs[0], outputs[1])


def test_chunked_job_refuses_save_model(tmp_path) -> None:
    source = write_video(tmp_path / "in.mp4", _moving_square(10, 32, 48), 10.0)
    job = _telea_job(source, tmp_path / "out.mp4", mask="boxes", chunk_frames=5, save_model=True)
    with pytest.raises(InputError, match="--save-model"):
        run_job(job)
    assert not (tmp_path / "out.mp4").exists()


def test_only_long_clips_are_chunked_without_being_asked(tmp_path, monkeypatch) -> None:
    import restore.streamed as streamed

    source = write_video(tmp_path / "in.mp4", _moving_square(30, 32, 48), 10.0)
    job = Job(input=source, task="inpaint", config=preset("smoke", method="telea"), mask="boxes")
    job.auto_chunk = True
    assert streamed.wants_chunks(job)[0] is False
    monkeypatch.setattr(streamed, "WHOLE_CLIP_MEMORY", 1000)
    monkeypatch.setattr(streamed, "DEFAULT_CHUNK_MEMORY", 20 * 3 * 32 * 48 * 4 * 10)
    chunked, info = streamed.wants_chunks(job)
    assert chunked and info.num_frames == 30
    plan = streamed.chunk_plan(job, info)  # 10 frames a chunk by memory, overlap cut to 3
    assert [c.length for c in plan] == [9, 10, 10, 10]
    job.auto_chunk = False  # the app's jobs: whole clips, whose frames it shows
    assert streamed.wants_chunks(job) == (False, None)


def test_the_whole_clip_decision_counts_memory_at_the_working_size(tmp_path, monkeypatch) -> None:
    import restore.streamed as streamed

    source = write_video(tmp_path / "in.mp4", _moving_square(30, 32, 48), 10.0)
    config = preset("smoke", method="telea")
    job = Job(input=source, task="inpaint", config=config, mask="boxes", auto_chunk=True)
    # Between the clip's cost at its own size and at half its sides (3 full + 20 quarter buffers).
    monkeypatch.setattr(streamed, "WHOLE_CLIP_MEMORY", 30 * 12 * 3 * 32 * 48 * 4)
    monkeypatch.setattr(streamed, "DEFAULT_CHUNK_MEMORY", 20 * 3 * 32 * 48 * 4 * 10)
    assert streamed.wants_chunks(job)[0] is True
    job.config = dataclasses.replace(config, work_size=(24, 16))
    assert streamed.wants_chunks(job)[0] is False
