"""The app's parts without a server: limits, request checking, the fit relay, sessions, CLI."""

from __future__ import annotations

import ast
import threading
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image

from apps.cache import without_empty_temp_files
from apps.cli import launch
from apps.estimate import SpeedBook, estimate_run
from apps.handlers import Handlers, takes_request
from apps.inputs import RunRequest, UploadGuard, build_job, job_shape, request_components
from apps.limits import (
    Limits,
    VideoInfo,
    check_request,
    parse_working_resolution,
    probe_video,
    working_size,
)
from apps.runner import (
    Failed,
    Finished,
    Frames,
    Phase,
    Prepared,
    Preview,
    Step,
    run_job_events,
)
from apps.sessions import SessionStore, cache_entry
from restore.config import DEFAULT_METHODS
from restore.errors import InputError
from restore.io import read_video, write_video
from restore.jobs import prepare_input
from restore.methods import method_config

APPS = Path(__file__).resolve().parents[2] / "apps"
INFO = VideoInfo("clip.mp4", 1920, 1080, 25.0, 100)


@pytest.fixture
def store(tmp_path: Path) -> SessionStore:
    return SessionStore(tmp_path / "sessions")


@pytest.fixture
def guard(clip_path: Path, tmp_path: Path) -> UploadGuard:
    """Treats the clip's folder and tmp_path as upload folders (a served app uses Gradio's)."""
    return UploadGuard([clip_path.parent, tmp_path])


def small_request(clip_path: Path, **fields) -> RunRequest:
    """A quick fit's request: for holes, the hybrid with its network, unless ``fields`` say
    otherwise (for noise, the default denoiser)."""
    method = "" if fields.get("problem") == "noise" else "hybrid"
    return RunRequest(
        str(clip_path), **{"epochs": 4, "model_size": 0.05, "method": method, **fields}
    )


# --- limits ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("original", "full"),
        ("", "auto"),
        ("Auto", "auto"),
        ("240p", (426, 240)),
        (" 72P ", (128, 72)),
        ("432x240", (432, 240)),
    ],
)
def test_working_resolution_forms(text: str, expected) -> None:
    assert parse_working_resolution(text, INFO) == expected


@pytest.mark.parametrize("text", ["big", "0x0", "-5p", "../../etc/passwd", "12x"])
def test_working_resolution_rejects_other_text(text: str) -> None:
    with pytest.raises(InputError, match="working resolution"):
        parse_working_resolution(text, INFO)


def test_limits_say_how_to_get_under_them() -> None:
    limits = Limits()
    with pytest.raises(InputError) as raised:
        check_request(INFO, start=0, max_frames=None, limits=limits)
    assert str(raised.value) == (
        "clip.mp4 is 1920x1080; the limit is 1280x720 — choose a working resolution under "
        "Advanced (e.g. 720p); the result keeps the clip's own size"
    )
    # A working resolution within the limits takes the clip; the result keeps its 1920x1080.
    assert check_request(INFO, work_size=(1280, 720), start=0, max_frames=None) == INFO.num_frames
    # "auto" fits a neural method at about 640x360 already; a classical one gets the largest
    # working resolution within the limits.
    assert working_size("auto", INFO, neural=True) == "auto"
    assert working_size("auto", INFO, neural=False) == (1280, 720)
    assert working_size("auto", VideoInfo("s.mp4", 854, 480, 25.0, 9), neural=False) == "auto"
    huge = VideoInfo("huge.mp4", 7680, 4320, 25.0, 10)
    with pytest.raises(InputError) as raised:
        check_request(huge, work_size=(640, 360), start=0, max_frames=None)
    assert str(raised.value) == (
        "huge.mp4 is 7680x4320; the largest clip the app restores is 3840x2160 — downscale it "
        "before uploading"
    )
    long = VideoInfo("long.mp4", 640, 360, 25.0, 4000)
    with pytest.raises(InputError, match="has 4000 frames .* set 'number of frames' under Adv"):
        check_request(long, start=0, max_frames=None, limits=limits)
    assert check_request(long, start=10, max_frames=50, limits=limits) == 50
    with pytest.raises(InputError, match="first frame 4000 is outside the video"):
        check_request(long, start=4000, max_frames=None, limits=limits)


def test_probe_refuses_large_and_unreadable_files(tmp_path: Path, clip_path: Path) -> None:
    info = probe_video(clip_path, "clip.mp4")
    assert (info.width, info.height, info.num_frames) == (128, 72, 6)
    with pytest.raises(InputError, match=r"clip.mp4 is 0 MB; the limit is 0.001 MB"):
        probe_video(clip_path, "clip.mp4", Limits(max_upload_mb=0.001))
    text = tmp_path / "secret-server-path.mp4"
    text.write_text("not a video")
    with pytest.raises(InputError) as raised:
        probe_video(text, "holiday.mp4")
    assert "holiday.mp4" in str(raised.value) and str(tmp_path) not in str(raised.value)


# --- requests -------------------------------------------------------------------------------


def test_only_uploaded_files_are_read(
    clip_path: Path, store: SessionStore, guard: UploadGuard
) -> None:
    session = store.get("visitor")
    for path in ("/etc/passwd", str(clip_path.parent / ".." / "elsewhere.mp4"), ""):
        with pytest.raises(InputError, match="only files uploaded|no file was uploaded"):
            build_job(RunRequest(path), session, guard, output=session.directory / "o.mp4")
    with pytest.raises(InputError, match="only files uploaded"):
        build_job(
            small_request(clip_path, problem="upload", mask_files=["/etc/hostname"]),
            session,
            guard,
            output=session.directory / "o.mp4",
        )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"problem": "everything"}, "what is wrong: unknown choice"),
        ({"preset": "best"}, "preset: unknown choice"),
        ({"epochs": 2.5}, "epochs: expected a whole number"),
        ({"epochs": 10**6}, "epochs: expected a whole number from 1 to 1000"),
        ({"model_size": 50.0}, "model size: expected 0.01 to 5 million"),
        ({"start_frame": -1}, "first frame: expected a whole number >= 0"),
        ({"time_budget": "soon"}, "time budget: expected a duration such as 90s, 5m"),
        (
            {"problem": "noise", "add_noise": True, "noise_kind": "rm -rf"},
            "noise kind: unknown choice",
        ),
        (
            {"problem": "noise", "add_noise": True, "noise_level": 3},
            "noise level: expected a number from 0 to 1",
        ),
        (
            {"problem": "noise", "add_noise": True, "noise_as_holes": True},
            "gaussian noise changes every pixel",
        ),
        ({"problem": "upload"}, "upload a mask"),
        ({"problem": "draw"}, "the drawn mask is empty"),
    ],
)
def test_every_typed_value_is_checked(
    clip_path: Path, store: SessionStore, guard: UploadGuard, fields: dict, message: str
) -> None:
    session = store.get("visitor")
    request = small_request(clip_path, **fields)
    with pytest.raises(InputError, match=message):
        build_job(request, session, guard, output=session.directory / "o.mp4")


def test_drawing_becomes_a_mask_for_every_frame(
    clip_path: Path, store: SessionStore, guard: UploadGuard
) -> None:
    layer = np.zeros((36, 64, 4), np.uint8)  # drawn at half the video size
    layer[10:20, 20:40, 3] = 255
    request = small_request(clip_path, problem="draw", drawing={"layers": [layer]})
    session = store.get("visitor")
    job, _ = build_job(request, session, guard, output=session.directory / "o.mp4")
    prepared = prepare_input(job)
    assert prepared.mask.shape == (6, 1, 72, 128)
    assert bool((prepared.mask[:, :, 20:40, 40:80] == 1).all())
    assert float(prepared.mask.mean()) == pytest.approx(20 * 40 / (72 * 128), rel=0.1)
    assert prepared.clean is None  # a drawn mask has no ground truth


def test_uploaded_mask_images_one_per_frame(
    clip_path: Path, store: SessionStore, guard: UploadGuard, tmp_path: Path
) -> None:
    files = []
    for index in range(6):
        image = np.zeros((72, 128), np.uint8)
        image[5 * index : 5 * index + 10, 10:30] = 255
        path = tmp_path / "upload" / str(index) / f"mask_{index}.png"
        path.parent.mkdir(parents=True)
        Image.fromarray(image).save(path)
        files.append(str(path))
    request = small_request(clip_path, problem="upload", mask_files=files[::-1])
    session = store.get("visitor")
    job, _ = build_job(request, session, guard, output=session.directory / "o.mp4")
    mask = prepare_input(job).mask
    for index in range(6):  # natural order of the file names, not the upload order
        assert bool((mask[index, 0, 5 * index : 5 * index + 10, 10:30] == 1).all())


def test_synthetic_noise_keeps_the_reference(
    clip_path: Path, store: SessionStore, guard: UploadGuard
) -> None:
    request = small_request(
        clip_path, problem="noise", add_noise=True, noise_kind="white", noise_as_holes=True
    )
    session = store.get("visitor")
    job, _ = build_job(request, session, guard, output=session.directory / "o.mp4")
    assert (job.task, job.add_noise, job.noise_mask) == ("denoise", "white", True)
    prepared = prepare_input(job)
    assert prepared.clean is not None and prepared.mask is not None


# --- the request: one declaration, by name ---------------------------------------------------


class RecordingHandlers:
    """Handlers that return what they were given, to see which value reached which field."""

    @takes_request
    def handle(self, fields: RunRequest, request: gr.Request = None):
        return fields, request

    @takes_request
    def stream(
        self,
        fields: RunRequest,
        request: gr.Request = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (Gradio's API)
    ):
        yield fields
        yield request


def test_handlers_take_every_field_by_name_and_gradio_still_injects_request_and_progress() -> None:
    from gradio.utils import get_function_params, get_positional_input_parameters

    names = RunRequest.names()
    values = [f"<{name}>" for name in names]  # a value that says which field it belongs to
    fields, request = RecordingHandlers().handle(*values, "the request")
    assert [getattr(fields, name) for name in names] == values and request == "the request"
    with pytest.raises(TypeError, match="too many positional arguments"):
        RecordingHandlers().handle(*values, "the request", "one value too many")
    streamed = list(RecordingHandlers().stream(video="clip.mp4", method="telea"))
    assert (streamed[0].video, streamed[0].method, streamed[0].preset) == (
        "clip.mp4",
        "telea",
        "fast",
    )
    assert streamed[1] is None
    for handler in (
        Handlers.preview,
        Handlers.preview_tracking,
        Handlers.estimate,
        Handlers.run,
        RecordingHandlers.stream,
    ):
        bound = handler.__get__(object())
        # The components fill exactly the fields; Gradio recognizes the rest as its own.
        assert [p.name for p in get_positional_input_parameters(bound)] == list(names)
        params = {
            name: (has_default, default)
            for name, has_default, default, _ in get_function_params(bound)
        }
        assert [name for name in params if name != "progress"] == list(names)  # API names
        assert params["video"] == (False, None) and params["method"] == (True, "")


def test_the_apps_inputs_are_the_request_fields_in_order(tmp_path: Path) -> None:
    """Fails if an event's inputs list and RunRequest's fields disagree (order included)."""
    from apps.app import build_app

    demo = build_app(work_dir=tmp_path / "sessions", device="cpu")
    components = demo.request_fields
    assert sorted(components) == sorted(RunRequest.names())
    expected = [components[name] for name in RunRequest.names()]
    handlers = demo.restore_handlers
    wired = [
        fn
        for fn in demo.fns.values()
        if fn.fn in (handlers.preview, handlers.preview_tracking, handlers.estimate, handlers.run)
    ]
    assert {fn.fn.__name__ for fn in wired} == {"preview", "preview_tracking", "estimate", "run"}
    for fn in wired:
        assert [block._id for block in fn.inputs] == [block._id for block in expected], fn.name
    api = demo.get_api_info()["named_endpoints"]
    for endpoint in ("/restore", "/estimate", "/preview_tracking"):
        parameters = api[endpoint]["parameters"]
        assert [p["parameter_name"] for p in parameters] == list(RunRequest.names())
        for parameter, component in zip(parameters, expected, strict=True):
            assert parameter["component"] == type(component).__name__.capitalize()
            assert parameter["label"] == component.label or component.label is None
    with pytest.raises(ValueError, match=r"missing \['method'\], not fields \['methods'\]"):
        request_components(
            {**{n: components[n] for n in RunRequest.names() if n != "method"}, "methods": 1}
        )


@pytest.mark.parametrize(
    ("spec", "task", "expected"),
    [
        ("", "inpaint", ("hybrid", {"network": "none"})),  # DEFAULT_METHODS["inpaint"]
        ("  ", "denoise", (DEFAULT_METHODS["denoise"], {})),
        ("hybrid:network=none", "inpaint", ("hybrid", {"network": "none"})),
        ("telea:radius=5", "inpaint", ("telea", {"radius": 5})),
    ],
)
def test_the_method_spec_reaches_the_jobs_config(
    clip_path: Path, store: SessionStore, guard: UploadGuard, spec: str, task: str, expected
) -> None:
    session = store.get("visitor")
    problem = "center" if task == "inpaint" else "noise"
    request = small_request(clip_path, problem=problem, add_noise=True, method=spec)
    job, _ = build_job(request, session, guard, output=session.directory / "o.mp4")
    assert (job.task, job.config.method, job.config.method_options) == (task, *expected)
    assert (job.config.fit.epochs, job.config.model.size) == (4, 0.05)  # the settings still apply
    assert job.save_model == (expected[0] == "hybrid")  # a classical method has no model


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("hybrid:netwrk=none", "unknown hybrid option(s) netwrk; valid: blend, "),
        ("hybrid:temporal_passes=two", "hybrid:temporal_passes: expected an integer, got 'two'"),
        ("telea:radius", "method options: expected key=value items such as network=none"),
        ("hnerf", "unknown method 'hnerf'; valid methods: hnerv, "),
    ],
)
def test_a_bad_method_spec_is_the_engines_one_line_error(
    clip_path: Path, store: SessionStore, guard: UploadGuard, spec: str, message: str
) -> None:
    session = store.get("visitor")
    with pytest.raises(InputError) as raised:
        build_job(
            small_request(clip_path, method=spec, problem="center"),
            session,
            guard,
            output=session.directory / "o.mp4",
        )
    with pytest.raises(InputError) as from_the_engine:
        method_config("fast", spec)  # what the command line reports for the same spec
    assert str(raised.value) == str(from_the_engine.value)
    assert str(raised.value).startswith(message) and "\n" not in str(raised.value)


def test_a_method_for_the_other_task_is_refused_before_the_run(
    clip_path: Path, store: SessionStore, guard: UploadGuard
) -> None:
    session = store.get("visitor")
    request = small_request(clip_path, problem="noise", add_noise=True, method="telea")
    with pytest.raises(
        InputError,
        match=r"^method: expected a method that can denoise: hnerv, .*, bm3d, .*, got 'telea'$",
    ):
        build_job(request, session, guard, output=session.directory / "o.mp4")


def test_a_bad_method_spec_shows_where_other_input_errors_do(clip_path: Path, tmp_path: Path):
    handlers = Handlers(store=SessionStore(tmp_path / "sessions"), example_root=clip_path.parent)
    settings = {"problem": "center", "epochs": 4, "model_size": 0.05}
    estimate = handlers.estimate(str(clip_path), **settings, method="hybrid:netwrk=none")
    assert estimate.startswith("⚠️ unknown hybrid option(s) netwrk; valid: ")
    assert handlers.estimate(str(clip_path), **settings, method="telea").startswith(
        "Estimated run time: about "
    )
    with pytest.raises(gr.Error, match=r"hybrid:temporal_passes: expected an integer"):
        next(handlers.run(str(clip_path), **settings, method="hybrid:temporal_passes=two"))
    assert not handlers.store.get(None).busy  # the tab can run again


# --- the fit relay, the estimate ------------------------------------------------------------


def test_run_relays_progress_previews_and_the_result(
    clip_path: Path, store: SessionStore, guard: UploadGuard
) -> None:
    session = store.get("visitor")
    job, _ = build_job(
        small_request(clip_path, problem="center"),
        session,
        guard,
        output=session.directory / "o.mp4",
    )
    events = list(run_job_events(job, threading.Event(), previews=2))
    kinds = [type(event) for event in events]
    assert kinds[0] is Prepared and kinds[-1] is Finished
    steps = [event for event in events if isinstance(event, Step)]
    assert [step.step for step in steps] == list(range(1, 25))  # 6 steps x 4 epochs
    previews = [event for event in events if isinstance(event, Preview)]
    # A preview right after the first step (seconds into the fit), then every 2 epochs.
    assert [preview.epoch for preview in previews] == [1, 1, 2, 4]
    first_preview = next(i for i, e in enumerate(events) if isinstance(e, Preview))
    first_epoch_end = next(i for i, e in enumerate(events) if isinstance(e, Step) and e.step == 3)
    assert first_preview < first_epoch_end
    phases = [event.name for event in events if isinstance(event, Phase)]
    assert phases[0] == "decoding the restored frames" and "writing the restored video" in phases
    assert previews[0].image.shape == (72, 128, 3) and previews[0].image.dtype == np.uint8
    assert events[-1].report.outputs["video"].is_file()


def test_stop_flag_ends_the_fit_with_a_result(
    clip_path: Path, store: SessionStore, guard: UploadGuard
) -> None:
    session = store.get("visitor")
    request = small_request(clip_path, problem="center", epochs=500)
    job, _ = build_job(request, session, guard, output=session.directory / "o.mp4")
    stop = threading.Event()
    for event in run_job_events(job, stop):
        if isinstance(event, Step) and event.step == 5:
            stop.set()
    assert isinstance(event, Finished) and event.report.result.stopped
    assert event.report.outputs["video"].is_file()


def test_a_long_clip_is_restored_in_chunks_with_frame_progress(
    clip_path: Path, store: SessionStore, guard: UploadGuard, tmp_path: Path, monkeypatch
) -> None:
    import restore.streamed as streamed
    from apps.handlers import Handlers

    six = read_video(clip_path).frames
    long_clip = write_video(tmp_path / "long.mp4", torch.cat([six, six.flip(0), six, six[:2]]), 6)
    # This machine "holds" 8 frames at a time: the 20-frame clip is chunked, as a long one is.
    monkeypatch.setattr(streamed, "WHOLE_CLIP_MEMORY", 1000)
    monkeypatch.setattr(streamed, "DEFAULT_CHUNK_MEMORY", 8 * 20 * 3 * 72 * 128 * 4)
    session = store.get("visitor")
    request = small_request(long_clip, problem="center", epochs=2)
    job, _ = build_job(request, session, guard, output=session.directory / "o.mp4")
    assert job.auto_chunk and not job.save_model  # no single model to download
    events = list(run_job_events(job, threading.Event()))
    assert isinstance(events[-1], Finished)
    progress = [(event.done, event.total) for event in events if isinstance(event, Frames)]
    assert progress[-1] == (20, 20) and len(progress) == 3  # one event per chunk
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    report = events[-1].report
    assert report.result.info["chunks"]["count"] == 3
    assert report.result.restored.shape == (20, 3, 72, 128)  # all 20 kept for the slider
    status, _, video, pair, _, metrics, downloads = Handlers()._finished(report, session, "long")
    assert status.startswith("**Done**: 20 frames restored in 3 chunks")
    assert Path(video).is_file() and Path(pair[0]).is_file() and Path(pair[1]).is_file()
    assert not any(path.endswith(".model.pt") for path in downloads)


def test_engine_errors_become_messages(clip_path: Path, store: SessionStore, guard) -> None:
    session = store.get("visitor")
    request = small_request(clip_path, problem="center", model_size=0.01)
    job, _ = build_job(request, session, guard, output=session.directory / "o.mp4")
    events = list(run_job_events(job, threading.Event()))
    assert isinstance(events[-1], Failed) and events[-1].bad_input
    assert "model size" in events[-1].message


def test_a_time_budget_reaches_the_engine_and_shortens_the_plan(
    clip_path: Path, store: SessionStore, guard: UploadGuard
) -> None:
    session = store.get("visitor")
    request = small_request(clip_path, problem="center", epochs=1000, time_budget="2m")
    job, info = build_job(request, session, guard, output=session.directory / "o.mp4")
    assert job.config.time_budget == 120
    estimate = estimate_run(job, job_shape(job, info), SpeedBook())
    assert estimate.plan.budget_seconds is not None and estimate.total_seconds <= 120 + 1


def test_the_estimate_of_a_drawn_mask_plans_no_scoring(
    clip_path: Path, store: SessionStore, guard: UploadGuard
) -> None:
    """A visitor's own mask has no ground truth: the plan reserves writing, not scoring (a
    generated mask such as the centre box does have one)."""
    from restore.estimate import SCORING_SECONDS_PER_MEGAPIXEL

    session = store.get("visitor")
    plans = {}
    for problem in ("draw", "center"):
        job, info = build_job(
            small_request(clip_path, problem=problem, time_budget="2m"),
            session,
            guard,
            output=session.directory / "o.mp4",
            check_mask=False,
        )
        plans[problem] = estimate_run(job, job_shape(job, info), SpeedBook())
    frames, height, width = job_shape(job, info)
    scoring = SCORING_SECONDS_PER_MEGAPIXEL * frames * height * width / 1e6
    drawn, generated = (plans[key].phases["scoring and writing"] for key in ("draw", "center"))
    assert generated - drawn == pytest.approx(scoring)


def test_estimate_plans_without_fitting_then_uses_the_measured_speed(
    clip_path: Path, store: SessionStore, guard: UploadGuard
) -> None:
    session = store.get("visitor")
    job, info = build_job(
        small_request(clip_path, problem="center"),
        session,
        guard,
        output=session.directory / "o.mp4",
    )
    shape = job_shape(job, info)
    book = SpeedBook()
    first = estimate_run(job, shape, book)
    assert first.plan.epochs * first.plan.steps_per_epoch == 24 and first.total_seconds > 0
    assert first.source == "model" and first.describe().startswith("about ")
    assert "fitting" in first.describe() and "scoring and writing" in first.describe()
    book.record_run(job, shape, {"fit_seconds": 6.0}, steps=24)
    second = estimate_run(job, shape, book)
    assert second.source == "measured" and second.plan.step_seconds == pytest.approx(0.25)
    assert not list(session.directory.glob("*.mp4"))  # an estimate writes nothing


# --- sessions, CLI, layering ----------------------------------------------------------------


def test_session_files_are_removed_when_the_tab_closes(store: SessionStore) -> None:
    session = store.get("tab")
    run = session.new_run_directory()
    (run / "x.mp4").write_bytes(b"x")
    assert store.get("tab") is session
    store.close("tab")
    assert not session.directory.exists() and session.stop.is_set()

    busy = store.get("busy-tab")
    busy.busy = True
    store.close("busy-tab")
    assert busy.directory.exists()  # the fit still writes there
    store.release(busy)
    assert not busy.directory.exists()

    store.get("another")
    store.close_all()
    assert not store.root.exists()


def test_idle_sessions_are_swept(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "sessions", idle_seconds=0.0)
    old = store.get("client-that-never-unloads")
    store.get("new-visitor")
    assert not old.directory.exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"host": "example.com"}, "--host: expected an IP address"),
        ({"port": 0}, "--port: expected a number from 1 to 65535"),
        ({"port": 70000}, "--port"),
        ({"device": "tpu"}, "--device"),
    ],
)
def test_launch_checks_its_options_before_serving(arguments: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        launch(**arguments)


FORBIDDEN = ("torch", "evaluation", "cv2")


def test_apps_hold_no_maths_and_import_one_way() -> None:
    """apps/ imports restore and masks (never evaluation) and never torch: the engine computes.

    The console script (apps/console.py) mounts `restore eval` and is the one exception for
    evaluation (tests/test_layering.py); it imports no torch either."""
    for source in APPS.glob("*.py"):
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                root = name.split(".")[0]
                forbidden = ("torch", "cv2") if source.name == "console.py" else FORBIDDEN
                assert root not in forbidden, f"{source.name} imports {name}"


def test_cache_entries_are_the_top_level_items_of_gradios_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert cache_entry(cache / "abc" / "clip.mp4", cache) == cache / "abc"
    assert cache_entry(cache / "abc" / "sub" / "x.png", cache) == cache / "abc"
    assert cache_entry(cache / "tmpfile", cache) == cache / "tmpfile"
    assert cache_entry(cache, cache) is None
    assert cache_entry(tmp_path / "elsewhere" / "clip.mp4", cache) is None
    assert cache_entry("relative/clip.mp4", cache) is None


def test_recorded_cache_files_go_with_their_session_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(cache))
    files = {}
    for name in ("own", "shared", "example", "late", "stray"):
        files[name] = cache / name / f"{name}.png"
        files[name].parent.mkdir(parents=True)
        files[name].write_bytes(b"png")
    store = SessionStore(tmp_path / "sessions")
    store.kept = lambda: {cache / "example"}
    store.record("leaving", [str(files["own"]), str(files["shared"]), str(files["example"])])
    store.record("leaving", [str(tmp_path / "outside.png")])  # not Gradio's: never recorded
    store.record("staying", [str(files["shared"])])
    assert store.get("leaving").cache_entries == {
        cache / "own",
        cache / "shared",
        cache / "example",
    }

    store.close("leaving")
    assert not (cache / "own").exists()
    assert files["shared"].is_file() and files["example"].is_file()
    store.record("leaving", [str(files["late"])])  # a result handed out after the tab closed
    assert not (cache / "late").exists() and len(store) == 1
    store.record(None, [str(files["stray"])])  # no session: Gradio's delete_cache has it
    assert files["stray"].is_file()

    store.close("staying")
    assert not (cache / "shared").exists() and files["example"].is_file()


def test_a_cache_folder_above_the_sessions_root_is_never_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))  # the sessions' root lies in the cache
    store = SessionStore(tmp_path / "work" / "sessions")
    session = store.get("tab")
    shown = session.directory / "shown" / "before.png"
    shown.parent.mkdir()
    shown.write_bytes(b"png")
    store.record("tab", [str(shown)])
    store.close("tab")
    assert store.root.is_dir() and not session.directory.exists()


def test_the_file_upload_hands_over_the_uploads_without_temporary_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gradio.data_classes import FileData, ListFiles

    cache = tmp_path / "cache"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(cache))
    upload = cache / "abc" / "mask.png"
    upload.parent.mkdir(parents=True)
    upload.write_bytes(b"png")
    files = without_empty_temp_files(
        gr.File(file_count="multiple", file_types=["image"], render=False)
    )
    assert files.preprocess(ListFiles(root=[FileData(path=str(upload))])) == [str(upload)]
    assert sorted(path.name for path in cache.iterdir()) == ["abc"]
    with pytest.raises(gr.Error, match="Invalid file type"):
        files.preprocess(ListFiles(root=[FileData(path=str(cache / "abc" / "notes.txt"))]))


def test_a_run_without_a_fit_reports_how_long_the_restoration_took(
    clip_path: Path, store: SessionStore, guard: UploadGuard
) -> None:
    """The network-free hybrid fits nothing: its headline gives the restoration's seconds, not
    the fit's (the app once said "Done in 0 s" after a run of minutes)."""
    from apps.handlers import Handlers

    session = store.get("visitor")
    request = small_request(clip_path, problem="center", method="hybrid:network=none")
    job, _ = build_job(request, session, guard, output=session.directory / "o.mp4")
    events = list(run_job_events(job, threading.Event()))
    assert isinstance(events[-1], Finished)
    report = events[-1].report
    report.record["job_timings"]["restore_seconds"] = 75.0  # what a longer clip takes
    status = Handlers()._finished(report, session, "clip")[0]
    assert status.startswith("**Done** in 75 s."), status


def test_scratch_folders_of_handlers_running_at_once_do_not_collide(
    store: SessionStore, monkeypatch
) -> None:
    """The mask preview, the estimate and a run each save the drawing, at the same time."""
    import apps.sessions
    from apps.sessions import SCRATCH_KEPT

    session = store.get("visitor")
    failures: list[BaseException] = []

    def save() -> None:
        try:
            for _ in range(20):
                folder = session.scratch_directory("drawing")
                (folder / "drawn_mask.png").write_bytes(b"png")
        except BaseException as error:  # noqa: BLE001 - the test reports any failure
            failures.append(error)

    threads = [threading.Thread(target=save) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert len(list((session.directory / "drawing").iterdir())) == 60  # all young: all kept
    monkeypatch.setattr(apps.sessions, "SCRATCH_GRACE_SECONDS", 0.0)  # a minute later
    newest = session.scratch_directory("drawing")
    assert not any(newest.iterdir())  # a fresh, empty folder
    assert len(list((session.directory / "drawing").iterdir())) <= SCRATCH_KEPT + 1
