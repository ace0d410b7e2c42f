"""Follow the object (issue 26): a mask drawn on the first frame, tracked over the clip by the
app's handlers, driven without a browser on a tiny clip of a moving disc."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
import torch

import restore.streamed as streamed
from apps.handlers import FOLLOW_NOTE, Handlers
from apps.inputs import RunRequest, UploadGuard, build_job
from apps.runner import Finished, Stopped, Tracked, run_job_events
from apps.sessions import SessionStore
from restore.errors import InputError
from restore.io import read_video

EMPTY_FOLLOW = (
    "the drawn mask is empty: to follow an object, paint over it on the first frame (brush "
    "tool), then try again"
)


def disc_drawing(truth: torch.Tensor) -> dict:
    """The editor's value with the disc of the first frame painted (RGBA layer, the app's red)."""
    layer = np.zeros((*truth.shape[2:], 4), np.uint8)
    painted = truth[0, 0].numpy() > 0.5
    layer[painted] = (255, 48, 48, 255)
    return {"background": None, "layers": [layer], "composite": None}


def follow_fields(clip: Path, truth: torch.Tensor, **fields) -> dict:
    return {
        "video": str(clip),
        "problem": "draw",
        "drawing": disc_drawing(truth),
        "follow": True,
        "method": "telea",  # the mask is the point here, not the fill
        **fields,
    }


class RecordedProgress:
    """A stand-in for `gr.Progress`: records every ``(done, total)`` and can act on one."""

    def __init__(self, on_call=None) -> None:
        self.calls: list = []
        self.on_call = on_call

    def __call__(self, value, desc=None, total=None, unit="steps"):
        self.calls.append(value)
        if self.on_call is not None:
            self.on_call(value)


@pytest.fixture
def handlers(moving_clip, tmp_path: Path) -> Handlers:
    return Handlers(store=SessionStore(tmp_path / "sessions"), example_root=moving_clip[0].parent)


TAB = SimpleNamespace(session_hash="tab")  # what Gradio hands a handler as its gr.Request


def test_the_preview_writes_the_tracked_mask_over_every_frame(handlers, moving_clip) -> None:
    clip, truth = moving_clip
    progress = RecordedProgress()
    path, text = handlers.preview_tracking(
        **follow_fields(clip, truth), request=TAB, progress=progress
    )
    session = handlers.store.get("tab")
    assert Path(path).is_relative_to(session.directory)  # removed with the session
    video = read_video(path)
    assert (video.num_frames, video.width, video.height) == (12, 112, 72)
    frames_done = [call for call in progress.calls if isinstance(call, tuple)]
    assert frames_done == [(done, 12) for done in range(1, 13)]
    assert text.startswith("The object followed over 12 frames at 112x72 (red: to be restored")
    # The disc's pixels are tinted (holes zeroed, then half red) on the first and the last
    # frame; where the disc was at first is plain background again on the last frame.
    for index in (0, 11):
        inside = video.frames[index][:, truth[index, 0] > 0.5].mean(dim=1)
        assert torch.allclose(inside, torch.tensor([0.5, 0.1, 0.1]), atol=0.06), inside
    left_behind = (truth[0, 0] > 0.5) & ~(
        torch.nn.functional.max_pool2d(truth[11], 21, 1, 10)[0] > 0
    )
    assert int(left_behind.sum()) > 300
    behind = video.frames[11][:, left_behind].mean(dim=1)
    assert behind[1] > 0.4 and behind[0] < 0.3, behind  # the green background, untinted
    assert not session.busy
    handlers.store.close("tab")
    assert not Path(path).exists()


def test_stop_ends_the_preview_while_tracking(handlers, moving_clip) -> None:
    clip, truth = moving_clip
    said = []

    def press_stop(value) -> None:
        if value == (2, 12):
            said.append(handlers.stop(TAB))

    progress = RecordedProgress(press_stop)
    path, text = handlers.preview_tracking(
        **follow_fields(clip, truth), request=TAB, progress=progress
    )
    assert path is None and text.startswith("**Stopped** while following the object")
    assert said == ["Stopping: the object is no longer followed…"]
    assert progress.calls[-1] == (2, 12)  # no frame was tracked after the stop
    session = handlers.store.get("tab")
    assert not session.busy and not session.tracking
    assert not list(session.directory.glob("tracked/*.mp4"))


def test_a_run_with_follow_restores_with_a_mask_that_moves(
    handlers, moving_clip, tmp_path: Path
) -> None:
    clip, truth = moving_clip
    session = handlers.store.get("tab")
    guard = UploadGuard([clip.parent])
    request = RunRequest(**follow_fields(clip, truth))
    job, _ = build_job(request, session, guard, output=tmp_path / "out" / "disc_restored.mp4")
    assert job.mask_track and job.mask_resize
    events = list(run_job_events(job, threading.Event()))
    tracked = [(event.done, event.total) for event in events if isinstance(event, Tracked)]
    assert tracked == [(done, 12) for done in range(1, 13)]
    assert isinstance(events[-1], Finished)
    report = events[-1].report
    mask = report.prepared.mask
    assert not torch.equal(mask[0], mask[-1])  # the hole moved with the disc
    for index in (0, 11):  # ... and covers it, on the drawn frame and after 33 px of motion
        disc = truth[index] > 0.5
        assert float(mask[index][disc].mean()) > 0.99
    first_place = (truth[0] > 0.5) & (torch.nn.functional.max_pool2d(truth[11], 21, 1, 10) == 0)
    assert float(mask[11][first_place].mean()) == 0  # the disc's first place is known again
    restored = report.result.restored[11][:, truth[11, 0] > 0.5].mean(dim=1)
    assert restored[0] < 0.4 < restored[1], restored  # red disc gone, green filled in


def test_the_run_handler_says_it_follows_the_object(handlers, moving_clip) -> None:
    clip, truth = moving_clip
    outputs = list(handlers.run(**follow_fields(clip, truth), request=TAB))
    statuses = [output[0] for output in outputs if isinstance(output[0], str)]
    assert statuses[0] == "**Following the object** · 1/12 frames"
    assert "**Following the object** · 12/12 frames" in statuses
    assert statuses[-1].startswith("**Done**")
    before = handlers.store.get("tab").result.before  # the clip as uploaded: the disc is there
    disc = before[11][truth[11, 0].numpy() > 0.5].astype(float)
    assert disc[:, 0].mean() > disc[:, 1].mean() + 50  # red over the green background


def test_a_stop_while_following_restores_nothing(handlers, moving_clip, tmp_path: Path) -> None:
    clip, truth = moving_clip
    guard = UploadGuard([clip.parent])
    output = tmp_path / "out" / "disc_restored.mp4"
    job, _ = build_job(
        RunRequest(**follow_fields(clip, truth)), handlers.store.get("tab"), guard, output=output
    )
    stop = threading.Event()
    stop.set()  # pressed before the first frame was followed
    events = list(run_job_events(job, stop))
    assert isinstance(events[-1], Stopped)
    assert events[-1].message == "while following the object, before restoring"
    assert not output.exists()


def test_follow_with_an_empty_drawing_is_one_line(handlers, moving_clip, tmp_path: Path) -> None:
    clip, truth = moving_clip
    empty = {"background": None, "layers": [np.zeros((72, 112, 4), np.uint8)], "composite": None}
    fields = follow_fields(clip, truth, drawing=empty)
    with pytest.raises(InputError) as raised:
        build_job(
            RunRequest(**fields),
            handlers.store.get("tab"),
            UploadGuard([clip.parent]),
            output=tmp_path / "o.mp4",
        )
    assert str(raised.value) == EMPTY_FOLLOW
    with pytest.raises(gr.Error) as preview_error:
        handlers.preview_tracking(**fields, request=TAB)
    with pytest.raises(gr.Error) as run_error:
        next(handlers.run(**fields, request=TAB))
    assert preview_error.value.message == run_error.value.message == EMPTY_FOLLOW
    assert not handlers.store.get("tab").busy  # the tab can try again
    with pytest.raises(gr.Error) as raised:
        handlers.preview_tracking(**follow_fields(clip, truth, problem="center"), request=TAB)
    assert raised.value.message.startswith("the tracked mask follows a drawn mask: choose 'Draw")


def test_follow_is_refused_for_a_clip_restored_in_pieces(
    handlers, moving_clip, tmp_path: Path, monkeypatch
) -> None:
    clip, truth = moving_clip
    # This "machine" holds 6 frames at a time: the 12-frame clip would be chunked.
    monkeypatch.setattr(streamed, "WHOLE_CLIP_MEMORY", 1000)
    monkeypatch.setattr(streamed, "DEFAULT_CHUNK_MEMORY", 6 * 20 * 3 * 72 * 112 * 4)
    with pytest.raises(InputError, match=r"^Follow the object: this clip is long enough .*fewer"):
        build_job(
            RunRequest(**follow_fields(clip, truth)),
            handlers.store.get("tab"),
            UploadGuard([clip.parent]),
            output=tmp_path / "o.mp4",
        )


def test_the_first_frame_preview_does_not_track(handlers, moving_clip) -> None:
    clip, truth = moving_clip
    image, text = handlers.preview(**follow_fields(clip, truth), request=TAB)
    assert image.shape == (72, 112, 3)
    assert text.endswith(FOLLOW_NOTE) and "Note:" not in text
    image_fixed, text_fixed = handlers.preview(
        **follow_fields(clip, truth, follow=False), request=TAB
    )
    assert np.array_equal(image, image_fixed) and FOLLOW_NOTE not in text_fixed
