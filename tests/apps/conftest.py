"""Fixtures for the app tests: a few real frames as a small H.264 clip, and a served app.

The app under test is built with small limits (so "too large" inputs stay cheap to make) and
served on 127.0.0.1 on a free port, in this process, for the whole test session.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from apps.limits import Limits
from restore.io import demo_clip_path, read_video, write_video

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Gradio's queue (not our code) uses pandas options that pandas 3 deprecates.
    for item in items:
        if "tests/apps/" in str(item.path):
            item.add_marker(pytest.mark.filterwarnings("ignore::DeprecationWarning:gradio"))


DAVIS_ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "davis"
CLIP_FRAMES = 6
CLIP_SIZE = (128, 72)  # (W, H)
# Tiny settings for a fit that still shows a gain: ~5 s on two busy cores.
TEST_EPOCHS = 15
TEST_MODEL_SIZE = 0.05
TEST_LIMITS = Limits(
    max_upload_mb=1.0,
    max_frames=12,
    max_long_side=160,
    max_short_side=90,
    max_input_long_side=320,
    max_input_short_side=180,
    max_epochs=2000,
    max_queue=4,
)


@pytest.fixture(scope="session")
def app_limits() -> Limits:
    """The limits the served app enforces (small, so oversized inputs are cheap to make)."""
    return TEST_LIMITS


@pytest.fixture(scope="session")
def small_settings() -> dict:
    """Settings of a quick fit, as the /restore and /estimate endpoints take them (the hybrid
    with its network: the default is the network-free hybrid, which fits nothing)."""
    return {
        "preset": "fast",
        "epochs": TEST_EPOCHS,
        "model_size": TEST_MODEL_SIZE,
        "method": "hybrid",
    }


@pytest.fixture(scope="session")
def clip_shape() -> tuple[int, tuple[int, int]]:
    """Frames and (W, H) of `clip_path`."""
    return CLIP_FRAMES, CLIP_SIZE


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """Fit with one thread: on two cores shared with other jobs, two torch threads that spin
    waiting for each other make a tiny fit ten times slower. Restored after each module."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def clip_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six real frames at 128x72 as an H.264 MP4: DAVIS blackswan, else the bundled Bunny clip."""
    source = DAVIS_ROOT / "JPEGImages" / "480p" / "blackswan"
    if not source.is_dir():
        source = demo_clip_path()
    video = read_video(source, max_frames=CLIP_FRAMES, resize=CLIP_SIZE)
    return write_video(tmp_path_factory.mktemp("clips") / "blackswan.mp4", video.frames, video.fps)


@pytest.fixture(scope="session")
def moving_clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, torch.Tensor]:
    """A 12-frame 112x72 H.264 clip of a textured red disc moving 3 px right a frame
    (`tests.conftest.textured_clip`), and the disc's true masks ``(12, 1, 72, 112)``."""
    from tests.conftest import textured_clip

    frames, truth = textured_clip(12, 72, 112, shift=3)
    path = write_video(tmp_path_factory.mktemp("moving") / "disc.mp4", frames, 10.0)
    return path, truth


@pytest.fixture(scope="session")
def served_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object]]:
    """The app, built with `TEST_LIMITS` on the CPU and served on 127.0.0.1 (closed at the end):
    its URL and its Blocks (whose `restore_handlers.store` holds the sessions)."""
    from apps.app import build_app, launch_app

    demo = build_app(TEST_LIMITS, work_dir=tmp_path_factory.mktemp("sessions"), device="cpu")
    port = free_port()
    launch_app(demo, host="127.0.0.1", port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/", demo
    finally:
        demo.close()


@pytest.fixture(scope="session")
def app_url(served_app) -> str:
    return served_app[0]


@pytest.fixture
def app_with_own_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, object, Path]]:
    """A second served app (`TEST_LIMITS`, CPU) whose Gradio cache is a fresh folder of its own
    (``GRADIO_TEMP_DIR``, set while the test runs), so a test can list every file it holds: its
    URL, its Blocks and the cache folder. Its heartbeat is every second (Gradio's default is 15),
    so a closed client's unload runs soon after."""
    from apps.app import build_app, launch_app

    cache = tmp_path / "gradio-cache"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(cache))
    monkeypatch.setenv("GRADIO_HEARTBEAT_INTERVAL", "1")
    demo = build_app(TEST_LIMITS, work_dir=tmp_path / "sessions", device="cpu")
    port = free_port()
    launch_app(demo, host="127.0.0.1", port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/", demo, cache.resolve()
    finally:
        demo.close()
