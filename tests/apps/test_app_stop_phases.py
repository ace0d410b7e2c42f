"""Stop pressed in the phases that are not the fit, through the app's API (`gradio_client`):
the spatial fill and the fusion of the network-free hybrid, and a denoiser's frames. Each gives
a playable result of the whole clip within 10 s of Stop, and the status names the phase it
stopped in. (Stop during propagation is the browser test's, Stop during the fit
`test_app_client`'s.)"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from restore.io import read_video, write_video
from tests.apps.conftest import free_port
from tests.apps.test_app_client import OUTPUTS

BIKES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "video" / "bikes.mp4"
STOP_SECONDS = 10.0  # the bound from Stop to a playable result


@pytest.fixture(scope="module")
def bikes_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bikes.mp4's 250 frames at 320x136: every phase lasts the seconds a click needs."""
    if not BIKES.is_file():
        pytest.skip(f"{BIKES} is missing")
    video = read_video(BIKES, resize=(320, 136))
    return write_video(tmp_path_factory.mktemp("bikes") / "bikes_250.mp4", video.frames, video.fps)


@pytest.fixture(scope="module")
def full_size_app(tmp_path_factory: pytest.TempPathFactory):
    """The app with its default limits on 127.0.0.1 (closed at the end)."""
    from apps.app import build_app, launch_app
    from apps.limits import DEFAULT_LIMITS

    demo = build_app(DEFAULT_LIMITS, work_dir=tmp_path_factory.mktemp("stop-app"), device="cpu")
    port = free_port()
    launch_app(demo, host="127.0.0.1", port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


@pytest.mark.parametrize(
    ("settings", "title", "phase"),
    [
        ({"problem": "boxes"}, "Filling from each frame's own surroundings", "spatial fill"),
        ({"problem": "boxes"}, "Steadying the holes over time", "fusion"),
        (
            {"problem": "noise", "add_noise": True, "noise_kind": "gaussian"},
            "Denoising frame by frame",
            "denoising",
        ),
    ],
    ids=["spatial-fill", "fusion", "denoising"],
)
def test_stop_in_a_phase_gives_the_whole_clip_within_seconds(
    full_size_app: str, bikes_clip: Path, tmp_path: Path, settings: dict, title: str, phase: str
) -> None:
    client = Client(
        full_size_app, verbose=False, download_files=str(tmp_path), analytics_enabled=False
    )
    try:
        job = client.submit(video=handle_file(str(bikes_clip)), api_name="/restore", **settings)
        started = time.monotonic()
        seen: list[str] = []
        while not any(title in status for status in seen):
            assert time.monotonic() - started < 300, f"{title!r} never showed: {seen[-3:]}"
            assert not job.done(), f"the run ended before {title!r}: {seen[-3:]}"
            seen = [values[0] for values in job.outputs() if values and values[0]]
            time.sleep(0.2)
        assert "frames" in seen[-1] and "left" in seen[-1], seen[-1]  # counts and an ETA
        assert "Stopping" in client.predict(api_name="/stop")
        pressed = time.monotonic()
        result = dict(zip(OUTPUTS, job.result(timeout=120), strict=True))
        after_stop = time.monotonic() - pressed
    finally:
        client.close()
    print(f"\n{phase}: result {after_stop:.1f} s after Stop; status: {result['status'][:200]}")
    assert after_stop < STOP_SECONDS
    assert f"**Stopped** during the {phase}" in result["status"], result["status"]
    assert read_video(result["video"]).num_frames == 250
