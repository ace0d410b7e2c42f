"""The served app driven through `gradio_client`: a restoration, bad inputs, Stop and the queue."""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path

import av
import numpy as np
import pytest
import torch
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from apps.inputs import RunRequest
from apps.limits import Limits
from restore.io import read_video, write_video

OUTPUTS = ("status", "live", "video", "slider", "frame", "metrics", "downloads")


def make_client(app_url: str, tmp_path: Path) -> Client:
    downloads = tmp_path / "downloads"
    downloads.mkdir(exist_ok=True)
    return Client(app_url, verbose=False, download_files=str(downloads), analytics_enabled=False)


def restore_with(client: Client, video: Path, **settings) -> dict:
    values = client.predict(video=handle_file(str(video)), api_name="/restore", **settings)
    return dict(zip(OUTPUTS, values, strict=True))


def metric_row(table: dict, label: str) -> dict:
    rows = {row[0]: dict(zip(table["headers"], row, strict=True)) for row in table["data"]}
    return rows[label]


def noise_clip(path: Path, size: tuple[int, int], frames: int) -> Path:
    """A valid H.264 clip of random pixels, ``size`` = (W, H)."""
    generator = torch.Generator().manual_seed(0)
    return write_video(path, torch.rand(frames, 3, size[1], size[0], generator=generator), 25.0)


def text_as_mp4(path: Path) -> Path:
    path.write_text("this is a text file, not a video\n" * 20)
    return path


def test_boxes_restoration_through_the_api(
    app_url: str, clip_path: Path, clip_shape, small_settings: dict, tmp_path: Path
) -> None:
    frames, size = clip_shape
    client = make_client(app_url, tmp_path)
    result = restore_with(client, clip_path, problem="boxes", **small_settings)

    assert "Done" in result["status"]
    with av.open(result["video"]) as container:
        codec = container.streams.video[0].codec_context
        assert codec.name == "h264"
        assert (codec.width, codec.height) == size
    restored = read_video(result["video"])
    assert (restored.num_frames, restored.width, restored.height) == (frames, *size)

    holes = metric_row(result["metrics"], "PSNR in the holes (dB)")
    assert holes["restored"] > holes["input"] + 3.0, result["metrics"]

    names = sorted(Path(path).name for path in result["downloads"])
    assert names == [
        "blackswan_restored.compare.mp4",
        "blackswan_restored.metrics.json",
        "blackswan_restored.model.pt",
        "blackswan_restored.mp4",
    ]
    before, after = (np.asarray(Image.open(image)) for image in result["slider"])
    assert before.shape == after.shape == (size[1], size[0], 3)
    assert not np.array_equal(before, after)  # the holes were filled


def test_estimate_before_running(
    app_url: str, clip_path: Path, small_settings: dict, tmp_path: Path
) -> None:
    client = make_client(app_url, tmp_path)
    text = client.predict(
        video=handle_file(str(clip_path)), problem="center", api_name="/estimate", **small_settings
    )
    assert text.startswith("Estimated run time: about "), text


def test_a_method_spec_through_the_api(
    app_url: str, clip_path: Path, small_settings: dict, tmp_path: Path
) -> None:
    client = make_client(app_url, tmp_path)
    video = handle_file(str(clip_path))
    settings = {**small_settings, "method": "telea"}
    text = client.predict(video, "center", api_name="/estimate", **settings)
    assert text.startswith("Estimated run time: about ") and "fitting" not in text, text
    with pytest.raises(AppError, match=r"unknown hybrid option\(s\) netwrk; valid: "):
        restore_with(client, clip_path, problem="center", method="hybrid:netwrk=none")


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (
            lambda tmp, limits: text_as_mp4(tmp / "notavideo.mp4"),
            "cannot read video notavideo.mp4",
        ),
        (
            lambda tmp, limits: noise_clip(tmp / "large.mp4", (400, 226), 2),
            "large.mp4 is 400x226; the largest clip the app restores is 320x180 — downscale it "
            "before uploading",
        ),
        (
            lambda tmp, limits: noise_clip(tmp / "long.mp4", (32, 32), limits.max_frames + 8),
            "set 'number of frames' under Advanced to trim it",
        ),
    ],
    ids=["text-renamed-mp4", "too-large-resolution", "too-many-frames"],
)
def test_bad_videos_get_a_readable_message(
    app_url: str,
    app_limits: Limits,
    clip_path: Path,
    small_settings: dict,
    tmp_path: Path,
    make,
    expected: str,
) -> None:
    client = make_client(app_url, tmp_path)
    with pytest.raises(AppError) as raised:
        restore_with(client, make(tmp_path, app_limits), problem="boxes", **small_settings)
    message = str(raised.value)
    assert expected in message
    assert "Traceback" not in message and str(tmp_path) not in message
    # The app is still usable: the same session estimates a valid clip.
    text = client.predict(video=handle_file(str(clip_path)), api_name="/estimate", **small_settings)
    assert "about" in text


def test_oversized_upload_is_refused(
    app_url: str, app_limits: Limits, small_settings: dict, tmp_path: Path
) -> None:
    big = tmp_path / "big.mp4"
    big.write_bytes(b"\0" * int(app_limits.max_upload_bytes * 1.5))
    client = make_client(app_url, tmp_path)
    with pytest.raises(ValueError, match="exceeds the maximum file size"):
        restore_with(client, big, problem="boxes", **small_settings)


def test_too_large_video_runs_at_a_working_resolution_and_keeps_its_size(
    app_url: str, small_settings: dict, tmp_path: Path
) -> None:
    large = noise_clip(tmp_path / "large.mp4", (320, 180), 4)
    client = make_client(app_url, tmp_path)
    settings = {**small_settings, "epochs": 2}
    result = restore_with(client, large, problem="center", resolution="72p", **settings)
    assert "4 frames at 320x180" in result["status"]
    assert "restored at the working size 128x72" in result["status"]
    assert "--" not in result["status"]  # no CLI flags in what a visitor reads
    with av.open(result["video"]) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (320, 180)
    # "original" is over the test limits (160x90): refused, naming the setting that helps.
    with pytest.raises(AppError, match="choose a working resolution under Advanced"):
        restore_with(client, large, problem="center", resolution="original", **settings)


def test_empty_drawing_is_refused(
    app_url: str, clip_path: Path, clip_shape, small_settings: dict, tmp_path: Path
) -> None:
    _, (width, height) = clip_shape
    blank = tmp_path / "layer.png"
    Image.fromarray(np.zeros((height, width, 4), np.uint8)).save(blank)
    background = tmp_path / "background.png"
    Image.fromarray(np.full((height, width, 3), 128, np.uint8)).save(background)
    drawing = {
        "background": handle_file(str(background)),
        "layers": [handle_file(str(blank))],
        "composite": handle_file(str(background)),
        "id": None,
    }
    client = make_client(app_url, tmp_path)
    with pytest.raises(AppError, match="the drawn mask is empty"):
        restore_with(client, clip_path, problem="draw", drawing=drawing, **small_settings)


def test_stop_returns_the_result_so_far_and_the_queue_shows_places(
    app_url: str, clip_path: Path, clip_shape, small_settings: dict, tmp_path: Path
) -> None:
    first, second = make_client(app_url, tmp_path), make_client(app_url, tmp_path)
    long_run = first.submit(
        video=handle_file(str(clip_path)),
        problem="boxes",
        api_name="/restore",
        **{**small_settings, "epochs": 2000},
    )
    _wait_for(lambda: long_run.status().progress_data, "the long run to start fitting")
    waiting = second.submit(
        video=handle_file(str(clip_path)),
        problem="boxes",
        api_name="/restore",
        **{**small_settings, "epochs": 2},
    )
    _wait_for(lambda: waiting.status().rank is not None, "the second visitor's queue place")
    assert waiting.status().rank == 0  # first in line, behind the running fit

    assert "Stopping" in first.predict(api_name="/stop")
    stop_pressed = time.monotonic()
    stopped = dict(zip(OUTPUTS, long_run.result(timeout=120), strict=True))
    assert time.monotonic() - stop_pressed < 15  # the result comes seconds after Stop
    assert re.search(r"Stopped\*\* at step \d+ of 12000", stopped["status"]), stopped["status"]
    assert read_video(stopped["video"]).num_frames == clip_shape[0]

    done = dict(zip(OUTPUTS, waiting.result(timeout=120), strict=True))
    assert "Done" in done["status"]


def _wait_for(condition, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_closed_session_leaves_no_file_and_its_result_url_is_gone(
    served_app, small_settings: dict, tmp_path: Path
) -> None:
    import urllib.error
    import urllib.request

    from gradio.processing_utils import hash_file

    from apps.sessions import gradio_cache

    url, demo = served_app
    store = demo.restore_handlers.store
    # A clip of its own (random pixels, seeded), so no other test's session shares its cache.
    clip = noise_clip(tmp_path / "own_clip.mp4", (128, 72), 6)
    client = make_client(url, tmp_path)
    before = set(store.root.iterdir())
    result = restore_with(client, clip, problem="boxes", **small_settings)
    new_folders = set(store.root.iterdir()) - before
    assert len(new_folders) == 1  # this client's session folder
    session_folder = new_folders.pop()
    served = gradio_cache() / hash_file(result["video"]) / Path(result["video"]).name
    upload = gradio_cache() / hash_file(clip)
    assert served.is_file() and upload.is_dir() and session_folder.is_dir()
    file_url = f"{url}gradio_api/file={served}"
    with urllib.request.urlopen(file_url, timeout=30) as response:
        assert response.status == 200

    client.close()  # the heartbeat stops: Gradio runs the app's unload handler
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (served.exists() or session_folder.exists()):
        time.sleep(0.2)
    assert not session_folder.exists()
    assert not served.exists() and not upload.exists()
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(file_url, timeout=30)
    assert error.value.code in (403, 404)  # Gradio answers 403 Forbidden for a removed file


def request_values(**values) -> list:
    """Every `RunRequest` field in order (defaults but for ``values``): the app's light events
    (inspect, preview) are undocumented endpoints, which take their inputs by position only."""
    fields = dataclasses.fields(RunRequest)
    return [values.get(item.name, item.default) for item in fields]


def cache_listing(cache: Path) -> set[str]:
    """Every folder and file under Gradio's cache folder, relative to it (listed again when a
    folder vanishes mid-walk: the app may be deleting a closed tab's files right then)."""
    for _ in range(50):
        try:
            return {str(path.relative_to(cache)) for path in cache.rglob("*")}
        except FileNotFoundError:
            time.sleep(0.05)
    raise AssertionError(f"the cache under {cache} kept changing while it was listed")


def test_a_closed_tab_leaves_nothing_in_gradios_cache_and_an_open_one_keeps_its_files(
    app_with_own_cache, tmp_path: Path
) -> None:
    url, demo, cache = app_with_own_cache
    store = demo.restore_handlers.store
    width, height = 128, 72
    clip = noise_clip(tmp_path / "clip.mp4", (width, height), 6)
    not_a_video = text_as_mp4(tmp_path / "notavideo.mp4")
    background = tmp_path / "background.png"
    Image.fromarray(np.full((height, width, 3), 128, np.uint8)).save(background)
    layer = np.zeros((height, width, 4), np.uint8)
    layer[20:40, 30:60] = (255, 48, 48, 255)  # a brush stroke
    Image.fromarray(layer).save(tmp_path / "layer_0.png")
    Image.fromarray((layer[..., 3] > 0).astype(np.uint8) * 255).save(tmp_path / "mask.png")
    Image.fromarray((layer[..., 3] == 0).astype(np.uint8) * 255).save(tmp_path / "other.png")
    at_start = cache_listing(cache)  # the app's own: the example clip's copy

    # The tab that stays open uploads the same clip and a mask of its own.
    staying = make_client(url, tmp_path)
    staying.predict(handle_file(str(clip)), 0, api_name="/inspect")
    mask = handle_file(str(tmp_path / "other.png"))
    staying.predict(
        *request_values(video=handle_file(str(clip)), problem="upload", mask_files=[mask]),
        api_name="/preview",
    )
    before_leaving = cache_listing(cache)
    assert len(store) == 1

    leaving = make_client(url, tmp_path)
    info, _ = leaving.predict(handle_file(str(not_a_video)), 0, api_name="/inspect")
    assert "cannot read video notavideo.mp4" in info  # rejected, yet in the cache
    leaving.predict(handle_file(str(clip)), 0, api_name="/inspect")  # first frame to the editor
    mask = handle_file(str(tmp_path / "mask.png"))
    leaving.predict(
        *request_values(video=handle_file(str(clip)), problem="upload", mask_files=[mask]),
        api_name="/preview",
    )
    drawing = {
        "background": handle_file(str(background)),
        "layers": [handle_file(str(tmp_path / "layer_0.png"))],
        "composite": handle_file(str(background)),
        "id": None,
    }
    result = restore_with(
        leaving, clip, problem="draw", drawing=drawing, method="telea", preset="fast"
    )
    assert "Done" in result["status"]
    leaving.predict(1, api_name="/show_frame")
    added = cache_listing(cache) - before_leaving
    names = {Path(path).name for path in added}
    expected = {"notavideo.mp4", "image.webp", "mask.png", "background.png", "layer_0.png"}
    assert expected | {"clip_restored.mp4", "before.png", "after.png"} <= names, names
    assert len(store) == 2
    staying_folder, leaving_folder = (session.directory for session in store._sessions.values())

    leaving.close()  # the heartbeat stops: Gradio runs the app's unload handler
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and cache_listing(cache) != before_leaving:
        time.sleep(0.2)
    assert cache_listing(cache) == before_leaving  # all of its files, none of the other tab's
    assert len(store) == 1 and not leaving_folder.exists() and staying_folder.is_dir()

    staying.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and cache_listing(cache) != at_start:
        time.sleep(0.2)
    assert cache_listing(cache) == at_start  # the example clip's copy serves the next visitor
    assert len(store) == 0 and not staying_folder.exists()


def test_the_tracked_mask_preview_through_the_api(
    app_url: str, moving_clip, tmp_path: Path
) -> None:
    clip, truth = moving_clip
    layer = np.zeros((*truth.shape[2:], 4), np.uint8)
    layer[truth[0, 0].numpy() > 0.5] = (255, 48, 48, 255)
    Image.fromarray(layer).save(tmp_path / "layer.png")
    Image.fromarray(np.zeros((*truth.shape[2:], 3), np.uint8)).save(tmp_path / "background.png")
    drawing = {
        "background": handle_file(str(tmp_path / "background.png")),
        "layers": [handle_file(str(tmp_path / "layer.png"))],
        "composite": None,
        "id": None,
    }
    client = make_client(app_url, tmp_path)
    video, text = client.predict(
        video=handle_file(str(clip)),
        problem="draw",
        drawing=drawing,
        follow=True,
        api_name="/preview_tracking",
    )
    tracked = read_video(video["video"] if isinstance(video, dict) else video)
    assert (tracked.num_frames, tracked.width, tracked.height) == (12, 112, 72)
    assert text.startswith("The object followed over 12 frames at 112x72"), text
