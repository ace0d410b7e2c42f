"""The Gradio app's layout and wiring: upload, say what is wrong, restore, compare, download.

Only components and events live here; `apps.handlers` does the work through the engine.
One fit runs at a time per process (the "fit" concurrency group); later visitors wait in a
bounded queue and Gradio shows them their place. Everything else (inspecting an upload, the mask
preview, the run-time estimate) bypasses the queue, so it answers at once even when it is full.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import gradio as gr

from apps.cache import SessionBlocks, without_empty_temp_files
from apps.handlers import BRUSH_COLOR, METRIC_COLUMNS, Handlers
from apps.inputs import APP_PRESETS, DEFAULT_PROBLEM, NOISE_KINDS, PROBLEMS, request_components
from apps.limits import DEFAULT_LIMITS, Limits
from apps.sessions import SessionStore
from restore.config import DEFAULT_METHODS, PRESETS
from restore.io import demo_clip_path

TITLE = "hnerv-restore"
RESOLUTIONS = ["auto", "original", "720p", "480p", "360p", "240p", "180p", "120p", "72p"]
PRESET_CHOICES = [
    ("fast", "fast"),
    ("balanced", "balanced"),
    ("paper (the paper's 3M model, 300 epochs: for a GPU)", "paper"),
]
CACHE_SECONDS = 3600  # Gradio's copies of uploads and results are deleted after an hour

INTRO = """# hnerv-restore
Remove boxes, logos or passers-by from a short clip, or clean up noise: the app fits a small
neural video representation (HNeRV) to your video, with the damaged pixels left out of the loss,
and fills them from what it learned. Upload a clip, say what is wrong, press **Restore**.
"""


def build_app(
    limits: Limits = DEFAULT_LIMITS,
    *,
    work_dir: Path | None = None,
    device: str = "auto",
) -> gr.Blocks:
    """Build the app (not launched; see `launch_app`).

    Args:
        limits: upload size, frames, resolution, epochs, model size and queue length.
        work_dir: where session folders go (default: a new temporary folder, removed at exit).
        device: the engine's device for every fit (``auto``, ``cpu``, ``cuda``...).
    """
    store = SessionStore(work_dir)
    example_root = store.root / "examples"
    example_root.mkdir(exist_ok=True)
    example = example_root / "bunny_demo.mp4"
    shutil.copyfile(demo_clip_path(), example)  # served from the app's own folder, not the package
    handlers = Handlers(limits, store=store, example_root=example_root, device=device)
    fast = PRESETS["fast"]

    fields: dict[str, gr.Component] = {}  # RunRequest field -> its component, filled as created
    with SessionBlocks(
        title=TITLE,
        delete_cache=(CACHE_SECONDS, CACHE_SECONDS),  # a backstop for tabs that never close
        analytics_enabled=False,
        on_files=store.record,  # every cached file of a tab's events goes when the tab closes
    ) as demo:
        gr.Markdown(INTRO)
        with gr.Row(equal_height=False):
            with gr.Column(scale=1):
                gr.Markdown("### 1. Video")
                video = fields["video"] = gr.Video(
                    label="Video to restore", sources=["upload"], height=260, elem_id="input-video"
                )
                gr.Examples(
                    [[str(example)]], inputs=[video], label="Example: Big Buck Bunny, 24 frames"
                )
                video_info = gr.Markdown(elem_id="video-info")

                gr.Markdown("### 2. What is wrong")
                problem = fields["problem"] = gr.Radio(
                    [(label, value) for value, label in PROBLEMS.items()],
                    value=DEFAULT_PROBLEM,
                    show_label=False,
                    elem_id="problem",
                )
                with gr.Group(visible=DEFAULT_PROBLEM == "draw") as draw_group:
                    drawing = fields["drawing"] = gr.ImageEditor(
                        label="Paint over what should go (the mask stays where it is drawn, on "
                        "every frame, unless it follows the object)",
                        type="numpy",
                        image_mode="RGBA",
                        sources=[],
                        transforms=[],
                        layers=False,
                        brush=gr.Brush(colors=[BRUSH_COLOR], color_mode="fixed"),
                        eraser=gr.Eraser(),
                        elem_id="mask-editor",
                    )
                    follow = fields["follow"] = gr.Checkbox(
                        False,
                        label="Follow the object: it moves, so its mask moves with it (paint over "
                        "all of it on this first frame)",
                        elem_id="follow",
                    )
                    with gr.Row():
                        tracking_button = gr.Button(
                            "Preview the tracked mask", size="sm", elem_id="preview-tracking"
                        )
                        tracking_stop = gr.Button(
                            "Stop", variant="stop", size="sm", elem_id="stop-tracking"
                        )
                    tracked_video = gr.Video(
                        label="The followed object on every frame (red = to restore)",
                        interactive=False,
                        height=240,
                        elem_id="tracked-video",
                    )
                    tracked_info = gr.Markdown(elem_id="tracked-info")
                with gr.Group(visible=False) as upload_group:
                    mask_files = fields["mask_files"] = without_empty_temp_files(
                        gr.File(
                            label="Mask: one image for all frames, one image per frame, or a "
                            "mask video (white = to restore)",
                            file_count="multiple",
                            file_types=["image", "video"],
                        )
                    )
                    mask_invert = fields["mask_invert"] = gr.Checkbox(
                        False, label="My mask marks holes in black (invert)"
                    )
                with gr.Group(visible=False) as noise_group:
                    add_noise = fields["add_noise"] = gr.Checkbox(
                        False,
                        label="Try it on a synthetic problem: add noise to the clip first (the "
                        "metrics are then known)",
                    )
                    with gr.Row():
                        noise_kind = fields["noise_kind"] = gr.Dropdown(
                            list(NOISE_KINDS), value="gaussian", label="Noise"
                        )
                        noise_level = fields["noise_level"] = gr.Number(
                            0, label="Level (0: the kind's default)", minimum=0, maximum=1
                        )
                    noise_as_holes = fields["noise_as_holes"] = gr.Checkbox(
                        False, label="Treat the noisy pixels as holes (impulse noises only)"
                    )
                mask_preview = gr.Image(
                    label="What the method sees (first frame; red = to restore)",
                    interactive=False,
                    height=240,
                    elem_id="mask-preview",
                )
                mask_info = gr.Markdown(elem_id="mask-info")

            with gr.Column(scale=1):
                gr.Markdown("### 3. Settings")
                preset = fields["preset"] = gr.Radio(
                    PRESET_CHOICES, value="fast", label="Preset", elem_id="preset"
                )
                with gr.Accordion("Advanced", open=False, elem_id="advanced"):
                    epochs = fields["epochs"] = gr.Number(
                        fast.fit.epochs,
                        label="Epochs",
                        precision=0,
                        minimum=1,
                        maximum=limits.max_epochs,
                        elem_id="epochs",
                    )
                    model_size = fields["model_size"] = gr.Number(
                        fast.model.size,
                        label="Model size (millions of parameters)",
                        minimum=limits.min_model_size,
                        maximum=limits.max_model_size,
                        elem_id="model-size",
                    )
                    resolution = fields["resolution"] = gr.Dropdown(
                        RESOLUTIONS,
                        value="auto",
                        allow_custom_value=True,
                        label="Working resolution, the size the restoration works at (the result "
                        "keeps your clip's size): auto (smaller for the network on large "
                        "clips), original, a height (240p) or WxH (432x240); at most "
                        f"{limits.resolution_text}",
                        elem_id="resolution",
                    )
                    with gr.Row():
                        start_frame = fields["start_frame"] = gr.Number(
                            0, label="First frame", precision=0, minimum=0, elem_id="start-frame"
                        )
                        num_frames = fields["num_frames"] = gr.Number(
                            0,
                            label=f"Number of frames (0: all, at most {limits.max_frames})",
                            precision=0,
                            minimum=0,
                            maximum=limits.max_frames,
                            elem_id="num-frames",
                        )
                    time_budget = fields["time_budget"] = gr.Textbox(
                        "",
                        label="Time budget (e.g. 5m or 90s; blank: the preset's epochs): the fit "
                        "plans its epochs to finish in time",
                        elem_id="time-budget",
                    )
                    method = fields["method"] = gr.Textbox(
                        "",
                        label="Method, with options if wanted (e.g. telea:radius=5, or hybrid "
                        "to also fit the neural network: slower, rarely better); blank: "
                        f"{DEFAULT_METHODS['inpaint']} to fill holes, "
                        f"{DEFAULT_METHODS['denoise']} to remove noise",
                        elem_id="method",
                    )
                estimate_button = gr.Button("Estimate the run time", elem_id="estimate")
                estimate_text = gr.Markdown(elem_id="estimate-text")

                gr.Markdown("### 4. Restore")
                with gr.Row():
                    run_button = gr.Button("Restore", variant="primary", elem_id="run")
                    stop_button = gr.Button("Stop", variant="stop", elem_id="stop")
                # Gradio draws the queue place and the tqdm progress bar here, over nothing else.
                progress_area = gr.Markdown(min_height=64, elem_id="progress")
                status = gr.Markdown(elem_id="status")
                live = gr.Image(
                    label="Current restoration of the first frame (first step, then every few s)",
                    interactive=False,
                    height=240,
                    elem_id="live-preview",
                )

        gr.Markdown("### 5. Result")
        with gr.Row(equal_height=False):
            with gr.Column(scale=1):
                output_video = gr.Video(
                    label="Restored video", interactive=False, elem_id="output-video"
                )
                downloads = gr.File(
                    label="Downloads: restored video, side-by-side video, fitted model, metrics",
                    file_count="multiple",
                    interactive=False,
                    elem_id="downloads",
                )
            with gr.Column(scale=1):
                before_after = gr.ImageSlider(
                    label="Before / after", interactive=False, elem_id="before-after"
                )
                frame = gr.Slider(
                    0, 1, value=0, step=1, label="Frame", interactive=False, elem_id="frame"
                )
                metrics = gr.DataFrame(
                    headers=METRIC_COLUMNS,
                    label="Metrics against the ground truth (synthetic masks or noise only)",
                    interactive=False,
                    elem_id="metrics",
                )

        request_inputs = request_components(fields)  # in RunRequest's field order
        # Light events (inspect, preview, estimate, frame slider) bypass the queue: a visitor can
        # upload, draw and see an estimate even while the queue for restorations is full.
        light = {"queue": False, "api_visibility": "undocumented"}
        preview = {
            "fn": handlers.preview,
            "inputs": request_inputs,
            "outputs": [mask_preview, mask_info],
            "show_progress": "minimal",
            "trigger_mode": "always_last",
            **light,
        }

        def show_groups(choice: str):
            return (
                gr.update(visible=choice == "draw"),
                gr.update(visible=choice == "upload"),
                gr.update(visible=choice == "noise"),
            )

        def preset_values(choice: str):
            config = PRESETS[choice if choice in APP_PRESETS else "fast"]
            return config.fit.epochs, config.model.size

        estimate = {
            "fn": handlers.estimate,
            "inputs": request_inputs,
            "outputs": estimate_text,
            "show_progress": "hidden",
            "trigger_mode": "always_last",
            "queue": False,
            "api_name": "estimate_live",  # keeps /estimate for the button (the documented API)
            "api_visibility": "private",
        }
        result_outputs = [status, live, output_video, before_after, frame, metrics, downloads]
        video.change(
            handlers.clear,
            None,
            [*result_outputs, estimate_text, tracked_video, tracked_info],
            **light,
        ).then(handlers.inspect, [video, start_frame], [video_info, drawing], **light).then(
            **preview
        ).then(**estimate)
        start_frame.change(
            handlers.inspect, [video, start_frame], [video_info, drawing], **light
        ).then(**preview)
        problem.change(
            show_groups,
            problem,
            [draw_group, upload_group, noise_group],
            queue=False,
            api_visibility="private",
        ).then(**preview).then(**estimate)
        # The estimate follows every setting that changes the cost.
        for component in (preset, epochs, model_size, resolution, start_frame, num_frames):
            component.change(**estimate)
        time_budget.change(**estimate)
        method.change(**estimate)  # a classical method has no fit
        add_noise.change(**estimate)
        for component in (mask_files, mask_invert, add_noise, noise_kind, noise_level):
            component.change(**preview)
        noise_as_holes.change(**preview)
        follow.change(**preview)
        for component in (start_frame, resolution, num_frames):  # a tracked mask shown goes stale
            component.change(lambda: (None, ""), None, [tracked_video, tracked_info], **light)
        drawing.input(lambda: (None, ""), None, [tracked_video, tracked_info], **light)
        drawing.input(**preview)  # brush strokes fire "input", not "change"
        resolution.change(**preview)
        num_frames.change(**preview)
        preset.change(
            preset_values, preset, [epochs, model_size], queue=False, api_visibility="private"
        )

        estimate_button.click(  # also the /estimate API (queued, never behind a fit)
            handlers.estimate,
            request_inputs,
            estimate_text,
            concurrency_id="estimate",
            concurrency_limit=4,
            api_name="estimate",
        )
        run_button.click(handlers.admit, None, None, queue=False, api_visibility="private").success(
            handlers.run,
            request_inputs,
            result_outputs,
            concurrency_id="fit",
            concurrency_limit=1,
            api_name="restore",
            show_progress_on=[progress_area],
        )
        stop_button.click(handlers.stop, None, status, queue=False, api_name="stop")
        # The tracker alone, in a queue of its own (it is short, and never waits behind a fit).
        tracking_button.click(
            handlers.preview_tracking,
            request_inputs,
            [tracked_video, tracked_info],
            concurrency_id="track",
            concurrency_limit=1,
            api_name="preview_tracking",
        )
        tracking_stop.click(
            handlers.stop, None, tracked_info, queue=False, api_visibility="private"
        )
        frame.change(handlers.show_frame, frame, before_after, show_progress="hidden", **light)
        demo.unload(handlers.close)

    # Handlers.admit turns visitors away at limits.max_queue with a clear message; Gradio's own
    # bound (for API clients, which call /restore directly) is a backstop above it.
    store.kept = demo.kept_in_cache  # the example's cached copy serves every tab
    demo.queue(default_concurrency_limit=1, max_size=2 * limits.max_queue)
    demo.restore_handlers = handlers  # for launch_app and tests: the limits and session store
    demo.request_fields = fields  # for tests: each RunRequest field's component
    return demo


def launch_app(
    demo: gr.Blocks,
    *,
    host: str = "127.0.0.1",
    port: int | None = 7860,
    share: bool = False,
    prevent_thread_lock: bool = False,
    quiet: bool = False,
):
    """Serve ``demo`` (from `build_app`) with its upload limit; bound to 127.0.0.1 by default."""
    limits: Limits = demo.restore_handlers.limits
    return demo.launch(
        server_name=host,
        server_port=port,
        share=share,
        max_file_size=limits.max_upload_bytes,
        prevent_thread_lock=prevent_thread_lock,
        show_error=False,
        quiet=quiet,
        ssr_mode=False,
        inbrowser=False,
    )
