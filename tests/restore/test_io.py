"""Tests for restore.io: reading, writing (H.264 MP4, PNG), atomic writes, padding, comparisons."""

from __future__ import annotations

import os
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
import torch

import restore.io.streaming as streaming
from restore.errors import InputError
from restore.io import (
    Video,
    atomic_write_bytes,
    atomic_write_text,
    check_output_path,
    demo_clip_path,
    parse_resize,
    read_video,
    side_by_side,
    uint8_to_frames,
    write_frames,
    write_video,
)

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
BLACKSWAN = SHARED_DATA / "davis" / "JPEGImages" / "480p" / "blackswan"
BIKES = SHARED_DATA / "video" / "bikes.mp4"


def synthetic_frames(num_frames: int = 4, height: int = 32, width: int = 48) -> torch.Tensor:
    """Smooth gradients with a moving bright square: ``(T, 3, H, W)`` float32 in [0, 1]."""
    y = torch.linspace(0, 1, height).view(1, height, 1)
    x = torch.linspace(0, 1, width).view(1, 1, width)
    frames = torch.empty(num_frames, 3, height, width)
    for t in range(num_frames):
        frames[t, 0] = 0.2 + 0.6 * x.expand(1, height, width)[0]
        frames[t, 1] = 0.2 + 0.6 * y.expand(1, height, width)[0]
        frames[t, 2] = 0.5
        top, left = 4 + t, 6 + 2 * t
        frames[t, :, top : top + 8, left : left + 8] = 0.9
    return frames


def only_entries(folder: Path) -> list[str]:
    """Every name in ``folder``, hidden temporary files included."""
    return sorted(os.listdir(folder))


@pytest.fixture(scope="module")
def demo() -> Video:
    return read_video(demo_clip_path())


# --- demo clip ---------------------------------------------------------------------------------


def test_demo_clip_is_small_h264_24_frames_320x180(demo: Video) -> None:
    path = demo_clip_path()
    assert path.is_file() and path.stat().st_size < 300_000
    assert (demo.num_frames, demo.width, demo.height, demo.fps) == (24, 320, 180, 25.0)
    assert demo.frames.dtype == torch.float32 and demo.frames.shape == (24, 3, 180, 320)
    assert 0.0 <= float(demo.frames.min()) and float(demo.frames.max()) <= 1.0
    # Not a still or a black frame: there is motion and content to restore.
    assert float(demo.frames.mean()) > 0.2
    assert float((demo.frames[1:] - demo.frames[:-1]).abs().mean()) > 0.005


# --- write_video / read_video round trip --------------------------------------------------------


def test_round_trip_keeps_count_size_fps_and_pixels(demo: Video, tmp_path: Path) -> None:
    frames = demo.frames[:8]
    path = write_video(tmp_path / "out.mp4", frames, demo.fps, crf=18)
    assert path == tmp_path / "out.mp4"
    back = read_video(path)
    assert back.frames.shape == frames.shape
    assert back.fps == pytest.approx(25.0)
    assert float((back.frames - frames).abs().mean()) < 0.03


def test_written_file_is_browser_playable_h264(tmp_path: Path) -> None:
    path = write_video(tmp_path / "out.mp4", synthetic_frames(), 25)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
    data = path.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat"), "faststart puts the index first"


@pytest.mark.parametrize("fps", [12.5, 30000 / 1001])
def test_fractional_fps_survive_round_trip(fps: float, tmp_path: Path) -> None:
    path = write_video(tmp_path / "out.mp4", synthetic_frames(3), fps)
    assert read_video(path).fps == pytest.approx(fps, rel=1e-4)


def test_odd_sizes_are_padded_by_one_replicated_pixel(tmp_path: Path) -> None:
    frames = synthetic_frames(3, height=17, width=23)
    back = read_video(write_video(tmp_path / "odd.mp4", frames, 25)).frames
    assert back.shape == (3, 3, 18, 24)
    assert float((back[..., :17, :23] - frames).abs().mean()) < 0.03
    assert float((back[:, :, 17, :23] - frames[:, :, 16]).abs().mean()) < 0.03


def test_write_video_rejects_bad_arguments(tmp_path: Path) -> None:
    frames = synthetic_frames(2)
    with pytest.raises(InputError, match=r"\.mp4"):
        write_video(tmp_path / "out.avi", frames, 25)
    with pytest.raises(ValueError, match="crf"):
        write_video(tmp_path / "out.mp4", frames, 25, crf=60)
    with pytest.raises(ValueError, match="fps"):
        write_video(tmp_path / "out.mp4", frames, 0)
    with pytest.raises(ValueError, match=r"\(T, 3, H, W\)"):
        write_video(tmp_path / "out.mp4", frames[:, :1], 25)
    assert only_entries(tmp_path) == []


# --- atomic writes ------------------------------------------------------------------------------


def test_write_video_leaves_no_temporary_files(tmp_path: Path) -> None:
    write_video(tmp_path / "sub" / "out.mp4", synthetic_frames(2), 25)
    assert only_entries(tmp_path / "sub") == ["out.mp4"]


def test_failed_encoding_leaves_no_partial_file(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "out.mp4"
    write_video(target, synthetic_frames(2), 25)
    before = target.read_bytes()
    real = streaming._frame_to_uint8  # write_video encodes through streaming.VideoWriter

    def fail_on_third_frame(frames: torch.Tensor, index: int) -> np.ndarray:
        if index == 2:
            raise RuntimeError("simulated encoder failure")
        return real(frames, index)

    monkeypatch.setattr(streaming, "_frame_to_uint8", fail_on_third_frame)
    with pytest.raises(RuntimeError, match="simulated"):
        write_video(target, synthetic_frames(5), 25)
    with pytest.raises(RuntimeError, match="simulated"):
        write_video(tmp_path / "new.mp4", synthetic_frames(5), 25)
    assert only_entries(tmp_path) == ["out.mp4"]
    assert target.read_bytes() == before


def test_non_finite_frames_are_refused_before_any_file_exists(tmp_path: Path) -> None:
    frames = synthetic_frames(2)
    frames[1, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        write_video(tmp_path / "out.mp4", frames, 25)
    assert only_entries(tmp_path) == []


def test_atomic_write_text_and_bytes(tmp_path: Path) -> None:
    path = atomic_write_text(tmp_path / "a" / "metrics.json", '{"psnr": 30.5}\n')
    assert path.read_text() == '{"psnr": 30.5}\n'
    atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new"
    assert only_entries(path.parent) == ["metrics.json"]
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_atomic_write_failure_keeps_old_content(tmp_path: Path) -> None:
    path = atomic_write_text(tmp_path / "config.json", "old")
    with pytest.raises(TypeError):
        atomic_write_bytes(path, "not bytes")  # type: ignore[arg-type]
    assert path.read_text() == "old"
    assert only_entries(tmp_path) == ["config.json"]


# --- write_frames and frame folders -------------------------------------------------------------


def test_write_frames_then_read_folder_is_lossless(tmp_path: Path) -> None:
    frames = synthetic_frames(3)
    paths = write_frames(tmp_path / "frames", frames)
    assert [p.name for p in paths] == ["00000.png", "00001.png", "00002.png"]
    assert only_entries(tmp_path / "frames") == ["00000.png", "00001.png", "00002.png"]
    video = read_video(tmp_path / "frames")
    assert video.fps == 25.0 and video.source == str(tmp_path / "frames")
    expected = torch.round(frames * 255) / 255
    assert torch.allclose(video.frames, expected, atol=1e-6)


def test_write_frames_prefix_and_start_index(tmp_path: Path) -> None:
    paths = write_frames(tmp_path, synthetic_frames(2), prefix="restored_", start_index=7)
    assert [p.name for p in paths] == ["restored_00007.png", "restored_00008.png"]


def test_folder_frames_are_read_in_natural_name_order(tmp_path: Path) -> None:
    for value, name in [(10, "frame10.png"), (1, "frame1.png"), (2, "frame2.jpg")]:
        cv2.imwrite(str(tmp_path / name), np.full((8, 8, 3), value * 20, np.uint8))
    (tmp_path / "notes.txt").write_text("ignored")
    (tmp_path / ".frame0.tmp-1234.png").write_bytes(b"hidden temporary, ignored")
    video = read_video(tmp_path, fps=12)
    levels = [round(float(v) * 255) for v in video.frames[:, 0, 4, 4]]
    assert levels == [20, 40, 200]
    assert video.fps == 12.0


def test_folder_start_max_frames_and_resize(tmp_path: Path) -> None:
    write_frames(tmp_path, synthetic_frames(6))
    video = read_video(tmp_path, start=2, max_frames=3, resize=(24, 16))
    assert video.frames.shape == (3, 3, 16, 24)
    full = read_video(tmp_path, resize=(24, 16))
    assert torch.equal(video.frames, full.frames[2:5])


@pytest.mark.skipif(not BLACKSWAN.is_dir(), reason="shared DAVIS data not available")
def test_reads_real_davis_jpeg_folder() -> None:
    video = read_video(BLACKSWAN, start=10, max_frames=3, resize=(214, 120))
    assert video.frames.shape == (3, 3, 120, 214)
    assert 0.1 < float(video.frames.mean()) < 0.9


@pytest.mark.parametrize(
    ("source", "options", "shape"),
    [
        (BIKES, {"max_frames": 5}, (5, 3, 272, 640)),
        (BLACKSWAN, {"start": 3, "max_frames": 4, "resize": (160, 90)}, (4, 3, 90, 160)),
    ],
    ids=["bikes-mp4", "blackswan-folder"],
)
def test_read_video_is_the_stack_of_iter_frames(source: Path, options: dict, shape: tuple) -> None:
    if not source.exists():
        pytest.skip(f"shared data not available: {source}")
    video = read_video(source, **options)
    streamed = np.stack(list(streaming.iter_frames(source, **options)))
    assert video.frames.shape == shape
    assert torch.equal(video.frames, uint8_to_frames(streamed))
    assert video.fps == 25.0  # bikes.mp4 declares 25 fps; a folder gets DEFAULT_FOLDER_FPS


# --- start / max_frames / resize on video files -------------------------------------------------


def test_video_start_and_max_frames_select_the_same_frames(demo: Video) -> None:
    part = read_video(demo_clip_path(), start=5, max_frames=4)
    assert torch.equal(part.frames, demo.frames[5:9])
    tail = read_video(demo_clip_path(), start=20, max_frames=100)
    assert tail.num_frames == 4


def test_video_resize_down_and_up_stays_in_range() -> None:
    small = read_video(demo_clip_path(), max_frames=2, resize=(160, 90))
    assert small.frames.shape == (2, 3, 90, 160)
    large = read_video(demo_clip_path(), max_frames=1, resize=(400, 226))
    assert large.frames.shape == (1, 3, 226, 400)
    assert 0.0 <= float(large.frames.min()) and float(large.frames.max()) <= 1.0


def test_opencv_fallback_reads_when_pyav_fails(demo: Video, monkeypatch) -> None:
    def broken(*args: object) -> None:
        raise av.FFmpegError(1, "simulated PyAV failure")

    monkeypatch.setattr(streaming, "_decode_with_pyav", broken)  # read_video decodes there
    video = read_video(demo_clip_path(), start=1, max_frames=3)
    assert video.frames.shape == (3, 3, 180, 320)
    assert video.fps == pytest.approx(25.0)
    assert float((video.frames - demo.frames[1:4]).abs().mean()) < 0.02


@pytest.mark.parametrize(("text", "expected"), [("432x240", (432, 240)), (" 320X180 ", (320, 180))])
def test_parse_resize(text: str, expected: tuple[int, int]) -> None:
    assert parse_resize(text) == expected


@pytest.mark.parametrize("text", ["432", "432x", "x240", "-4x3", "0x240", "4.5x3", "abc", ""])
def test_parse_resize_rejects_bad_strings(text: str) -> None:
    with pytest.raises(ValueError, match="--resize"):
        parse_resize(text)


# --- bad input ----------------------------------------------------------------------------------


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="video not found: .*nothing.mp4"):
        read_video(tmp_path / "nothing.mp4")


def test_folder_without_frames(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no frames here")
    with pytest.raises(InputError, match=r"no \.jpg/\.jpeg/\.png frames in"):
        read_video(tmp_path)


def test_corrupt_video(tmp_path: Path) -> None:
    fake = tmp_path / "fake.mp4"
    fake.write_text("this is not a video\n")
    with pytest.raises(InputError, match="cannot read video .*fake.mp4"):
        read_video(fake)


def test_start_beyond_the_end() -> None:
    with pytest.raises(InputError, match="video .* has 24 frames; --start 50 leaves none"):
        read_video(demo_clip_path(), start=50)


def test_start_beyond_the_end_of_a_folder(tmp_path: Path) -> None:
    write_frames(tmp_path, synthetic_frames(2))
    with pytest.raises(InputError, match="has 2 frames; --start 2 leaves none"):
        read_video(tmp_path, start=2)


def test_folder_frames_of_different_sizes(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "00000.png"), np.zeros((8, 8, 3), np.uint8))
    cv2.imwrite(str(tmp_path / "00001.png"), np.zeros((8, 10, 3), np.uint8))
    with pytest.raises(InputError, match="00001.png is 10x8, but 00000.png is 8x8"):
        read_video(tmp_path)


def test_unreadable_image_in_folder(tmp_path: Path) -> None:
    (tmp_path / "00000.png").write_bytes(b"not a png")
    with pytest.raises(InputError, match="cannot read image .*00000.png"):
        read_video(tmp_path)


def test_unsupported_extension(tmp_path: Path) -> None:
    document = tmp_path / "clip.txt"
    document.write_text("hello")
    with pytest.raises(InputError, match=r"unsupported video extension '\.txt' for .*clip.txt"):
        read_video(document)


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"start": -1}, "--start"),
        ({"max_frames": 0}, "--max-frames"),
        ({"resize": (0, 10)}, "--resize"),
        ({"fps": -5.0}, "--fps"),
    ],
)
def test_invalid_read_options(options: dict, words: str) -> None:
    with pytest.raises(InputError, match=words):
        read_video(demo_clip_path(), **options)


# --- check_output_path --------------------------------------------------------------------------


def test_check_output_path_refuses_the_input(tmp_path: Path) -> None:
    source = tmp_path / "in.mp4"
    source.write_bytes(b"x")
    with pytest.raises(InputError, match="is the input video; choose another -o"):
        check_output_path(source, [source])
    with pytest.raises(InputError, match="is the input video"):
        check_output_path(tmp_path / "sub" / ".." / "in.mp4", [str(source)])
    link = tmp_path / "link.mp4"
    link.symlink_to(source)
    with pytest.raises(InputError, match="is the input video"):
        check_output_path(link, [source])
    mask = tmp_path / "mask.png"
    with pytest.raises(InputError, match=r"is an input file \(.*mask.png\)"):
        check_output_path(mask, [source, None, mask])


def test_check_output_path_creates_parents(tmp_path: Path) -> None:
    source = tmp_path / "in.mp4"
    source.write_bytes(b"x")
    output = check_output_path(tmp_path / "new" / "dir" / "out.mp4", [source])
    assert output == tmp_path / "new" / "dir" / "out.mp4"
    assert output.parent.is_dir() and not output.exists()


def test_side_by_side_layout() -> None:
    left, right = synthetic_frames(2), 1.0 - synthetic_frames(2)
    combined = side_by_side(left, right, gap=3)
    assert combined.shape == (2, 3, 32, 48 * 2 + 3)
    assert torch.equal(combined[..., :48], left)
    assert torch.equal(combined[..., 51:], right)
    assert torch.equal(combined[..., 48:51], torch.ones(2, 3, 32, 3))


def test_side_by_side_labels_touch_only_the_top_left() -> None:
    left, right = synthetic_frames(2, 90, 160), synthetic_frames(2, 90, 160)
    plain = side_by_side(left, right)
    labelled = side_by_side(left, right, labels=("input", "restored"))
    changed = (labelled - plain).abs().sum(dim=(0, 1)) > 0
    assert changed[:30, :80].any() and changed[:30, 164:244].any()
    assert not changed[45:].any()
    assert 0.0 <= float(labelled.min()) and float(labelled.max()) <= 1.0


def test_side_by_side_rejects_different_shapes() -> None:
    with pytest.raises(ValueError, match="right: expected the shape of left"):
        side_by_side(synthetic_frames(2), synthetic_frames(3))


def test_video_dataclass_validates_and_reports_size() -> None:
    video = Video(frames=synthetic_frames(5, 20, 30), fps=25.0, source="test")
    assert (video.num_frames, video.height, video.width) == (5, 20, 30)
    with pytest.raises(ValueError, match="fps"):
        Video(frames=synthetic_frames(1), fps=0.0, source="test")
    with pytest.raises(ValueError, match="float32"):
        Video(frames=synthetic_frames(1).double(), fps=25.0, source="test")
