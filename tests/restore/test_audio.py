"""Tests for `restore.io.copy_audio` and its use by both job runners: the restored and the
side-by-side videos carry the source's audio for their frames, copied packet for packet."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
import torch

from restore.config import preset
from restore.io import copy_audio, write_frames, write_video
from restore.job import Job
from restore.jobs import run_job

FPS = 12
FRAMES = 12  # one second of video
RATE = 48000  # audio samples per second


def _clip(path: Path, *, audio: str | None = "aac", seconds: float = 1.0) -> Path:
    """A 64x48 clip of `FRAMES` frames at `FPS` (libx264) with ``seconds`` of a 440 Hz tone in
    codec ``audio`` (None: no audio stream)."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        tone = None
        if audio is not None:
            tone = container.add_stream(audio, rate=RATE)
            tone.layout = "mono"
            tone.format = tone.codec_context.codec.audio_formats[0].name
        for index in range(FRAMES):
            image = np.full((48, 64, 3), 20 * index, np.uint8)
            image[10:30, 4 * index : 4 * index + 16] = 250
            for packet in video.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        if tone is not None:
            samples = int(RATE * seconds)
            wave = 0.3 * np.sin(2 * np.pi * 440 * np.arange(samples) / RATE)
            step = tone.codec_context.frame_size or 1024
            for first in range(0, samples, step):
                frame = av.AudioFrame.from_ndarray(
                    _as_format(wave[first : first + step], tone.format.name),
                    format=tone.format.name,
                    layout="mono",
                )
                frame.sample_rate, frame.pts = RATE, first
                for packet in tone.encode(frame):
                    container.mux(packet)
            for packet in tone.encode():
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
    return path


def _as_format(wave: np.ndarray, sample_format: str) -> np.ndarray:
    """One channel of samples in [-1, 1] as the ``(1, n)`` array PyAV takes for the format."""
    if sample_format.startswith("s16"):
        return (wave * 32767).astype(np.int16)[None]
    if sample_format.startswith("u8"):
        return (wave * 127 + 128).astype(np.uint8)[None]
    return wave.astype(np.float32)[None]


def _streams(path: Path) -> dict[str, list]:
    """Per stream type: ``(codec, duration in seconds, payloads)`` of each stream of ``path``."""
    found: dict[str, list] = {"video": [], "audio": []}
    with av.open(str(path)) as container:
        for stream in container.streams:
            if stream.type in found:
                found[stream.type].append(
                    (stream.codec_context.name, stream.duration * stream.time_base, [])
                )
        for packet in container.demux():
            if packet.size and packet.stream.type in found:
                found[packet.stream.type][0][2].append(bytes(packet))
    return found


def _audio_packets(path: Path) -> list[tuple[Fraction, Fraction, bytes]]:
    """``(start, duration, payload)`` of each packet of the first audio stream, in seconds."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        return [
            (p.pts * p.time_base, p.duration * p.time_base, bytes(p))
            for p in container.demux(stream)
            if p.size
        ]


def _job(source: Path, output: Path, **fields) -> Job:
    config = preset("smoke", method="telea")
    return Job(input=source, task="inpaint", config=config, output=output, mask="center", **fields)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name)


@pytest.fixture
def with_audio(tmp_path: Path) -> Path:
    return _clip(tmp_path / "with_audio.mp4")


def test_copy_audio_keeps_the_video_packets_and_copies_the_audio_packets(
    with_audio, tmp_path
) -> None:
    video = write_video(tmp_path / "out" / "video.mp4", torch.rand(FRAMES, 3, 48, 64), FPS)
    before = _streams(video)
    copied = copy_audio(with_audio, video)
    assert (copied.summary, copied.note) == ("aac, 1 stream copied", None)
    after = _streams(video)
    assert after["video"] == before["video"]  # never re-encoded: the same packets, bit for bit
    source_payloads = [payload for _, _, payload in _audio_packets(with_audio)]
    [(codec, duration, payloads)] = after["audio"]
    assert codec == "aac"
    assert payloads == source_payloads  # the whole second: every packet, the priming one too
    packet = Fraction(1024, RATE)
    assert abs(duration - Fraction(FRAMES, FPS)) < packet
    assert _leftovers(video.parent) == []


def test_restored_and_compare_videos_keep_the_audio(with_audio, tmp_path) -> None:
    report = run_job(_job(with_audio, tmp_path / "restored.mp4", compare=True))
    packet = max(duration for _, duration, _ in _audio_packets(with_audio))
    for name in ("video", "compare"):
        streams = _streams(report.outputs[name])
        [(_, video_duration, frames)] = streams["video"]
        [(codec, audio_duration, _)] = streams["audio"]
        assert len(frames) == FRAMES
        assert codec == "aac"
        assert abs(audio_duration - video_duration) < packet, name
    record = json.loads(report.outputs["metrics"].read_text())
    assert record["audio"] == "aac, 1 stream copied"
    assert not [note for note in record["notes"] if note.startswith("audio:")]
    assert _leftovers(tmp_path) == []


def test_start_trims_the_audio_to_the_restored_frames(with_audio, tmp_path) -> None:
    start = 6
    report = run_job(_job(with_audio, tmp_path / "restored.mp4", start=start))
    streams = _streams(report.outputs["video"])
    [(_, video_duration, frames)] = streams["video"]
    [(codec, audio_duration, payloads)] = streams["audio"]
    assert len(frames) == FRAMES - start and codec == "aac"
    source = _audio_packets(with_audio)
    packet = max(duration for _, duration, _ in source)
    assert abs(audio_duration - video_duration) < packet
    # The packets overlapping the restored frames' span, and one before them (pre-roll).
    begin = Fraction(start, FPS)
    first = next(i for i, (at, length, _) in enumerate(source) if at + length > begin)
    assert first > 1
    assert payloads == [payload for _, _, payload in source[first - 1 :]]


def test_the_chunked_runner_keeps_the_audio(with_audio, tmp_path) -> None:
    report = run_job(
        _job(with_audio, tmp_path / "chunked.mp4", chunk_frames=8, chunk_overlap=2, compare=True)
    )
    assert report.record["chunks"]["count"] > 1
    packet = max(duration for _, duration, _ in _audio_packets(with_audio))
    for name in ("video", "compare"):
        streams = _streams(report.outputs[name])
        [(_, video_duration, _)] = streams["video"]
        [(codec, audio_duration, _)] = streams["audio"]
        assert codec == "aac"
        assert abs(audio_duration - video_duration) < packet, name
    assert json.loads(report.outputs["metrics"].read_text())["audio"] == "aac, 1 stream copied"


def test_a_source_without_audio_gives_a_video_without_audio_and_a_note(tmp_path) -> None:
    silent = _clip(tmp_path / "silent.mp4", audio=None)
    report = run_job(_job(silent, tmp_path / "restored.mp4", compare=True))
    for name in ("video", "compare"):
        streams = _streams(report.outputs[name])
        assert len(streams["video"][0][2]) == FRAMES and streams["audio"] == []
    record = json.loads(report.outputs["metrics"].read_text())
    assert record["audio"] is None
    assert "audio: the input has no audio stream; the video has none" in record["notes"]
    assert _leftovers(tmp_path) == []


def test_a_folder_of_frames_gives_a_video_without_audio_and_a_note(tmp_path) -> None:
    folder = tmp_path / "frames"
    write_frames(folder, torch.rand(4, 3, 48, 64))
    report = run_job(_job(folder, tmp_path / "restored.mp4"))
    assert _streams(report.outputs["video"])["audio"] == []
    record = json.loads(report.outputs["metrics"].read_text())
    assert record["audio"] is None
    assert "audio: the input is a folder of frames; the video has none" in record["notes"]


def test_audio_an_mp4_cannot_hold_is_left_out_with_a_note(tmp_path) -> None:
    mulaw = _clip(tmp_path / "mulaw.mov", audio="pcm_mulaw")
    assert _streams(mulaw)["audio"][0][0] == "pcm_mulaw"
    report = run_job(_job(mulaw, tmp_path / "restored.mp4"))
    assert _streams(report.outputs["video"])["audio"] == []
    record = json.loads(report.outputs["metrics"].read_text())
    assert record["audio"] is None
    assert (
        "audio: an MP4 cannot hold the input's audio (pcm_mulaw) without re-encoding it; "
        "the video has none"
    ) in record["notes"]
    assert _leftovers(tmp_path) == []


def test_audio_that_ends_before_the_restored_frames_is_not_copied(tmp_path) -> None:
    short = _clip(tmp_path / "short.mp4", seconds=0.25)
    report = run_job(_job(short, tmp_path / "restored.mp4", start=6))
    assert _streams(report.outputs["video"])["audio"] == []
    assert report.record["audio"] is None
    assert (
        "audio: the input's audio ends before the restored frames; the video has none"
        in report.record["notes"]
    )
    assert _leftovers(tmp_path) == []
