"""The app driven in a real browser under a time budget, as a visitor would use it.

Serves the app (default limits, CPU) on 127.0.0.1, opens it in Debian's Chromium through
Playwright, uploads a clip, paints a rectangle on its first frame, sets the time budget under
Advanced, reads the plan the app shows before the run, presses Restore and follows the status:
a screenshot when the propagation shows and when the fusion shows, then the result. Prints, per
run, the plan, the wall time from Restore to a playable result against the budget, every phase
seen with its last status line, and the result's size and audio streams (from the file the page
plays). Screenshots go to ``--shots`` (JPEG).

    python benchmarks/app_budget_runs.py --clip ../shared/data/video/bikes.mp4 --budget 2m \
        --shots docs/app-budget

Run it on an otherwise idle machine: the wall time is the claim.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import tempfile
import time
import urllib.request
from pathlib import Path

import av

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
PHASES = {
    "Propagating known pixels": "propagation",
    "Propagating again": "validation propagation",
    "Filling from each frame": "spatial fill",
    "Fitting": "fit",
    "Steadying the holes": "fusion",
    "Denoising": "denoising",
    "Finishing": "finishing",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def paint_rectangle(page, canvas, box: tuple[float, float, float, float]) -> None:
    """Brush strokes filling ``box`` (x0, y0, x1, y1 as fractions of the canvas)."""
    bounds = canvas.bounding_box()
    x0, y0, x1, y1 = box
    rows = 6
    for row in range(rows + 1):
        y = bounds["y"] + (y0 + (y1 - y0) * row / rows) * bounds["height"]
        page.mouse.move(bounds["x"] + x0 * bounds["width"], y)
        page.mouse.down()
        page.mouse.move(bounds["x"] + x1 * bounds["width"], y, steps=4)
        page.mouse.up()


def probe_result(url: str) -> dict:
    """Size, frames and streams of the video the page plays."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "result.mp4"
        urllib.request.urlretrieve(url, path)
        with av.open(str(path)) as container:
            video = container.streams.video[0]
            return {
                "size": f"{video.width}x{video.height}",
                "frames": video.frames,
                "audio": [f"{s.codec_context.name} {s.rate} Hz" for s in container.streams.audio],
                "bytes": path.stat().st_size,
            }


def settled_text(page, selector: str, seconds: float = 30.0) -> str:
    """The text of ``selector`` once it has stopped changing for a second and Gradio's timer
    (an earlier estimate still updating, e.g. "1.4s") is gone from it."""
    last, deadline = None, time.monotonic() + seconds
    while time.monotonic() < deadline:
        page.wait_for_timeout(1000)
        text = page.locator(selector).inner_text()
        if text == last and not re.match(r"^\d+(\.\d+)?s\b", text):
            return text
        last = text
    return last or ""


def run(clip: Path, budget: str, shots: Path, box: tuple[float, float, float, float]) -> dict:
    from playwright.sync_api import sync_playwright

    from apps.app import build_app, launch_app
    from apps.limits import DEFAULT_LIMITS

    port = free_port()
    work = Path(tempfile.mkdtemp(prefix="app-budget-"))
    demo = build_app(DEFAULT_LIMITS, work_dir=work, device="cpu")
    launch_app(demo, host="127.0.0.1", port=port, prevent_thread_lock=True, quiet=True)
    tag = f"{clip.stem}-{budget}"
    shots.mkdir(parents=True, exist_ok=True)
    record: dict = {"clip": clip.name, "budget": budget, "phases": {}}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1500})
            page.set_default_timeout(120_000)
            page.goto(f"http://127.0.0.1:{port}/", wait_until="load")
            page.locator("#input-video input[type=file]").set_input_files(str(clip))
            page.wait_for_selector("#video-info :text('frames')")
            page.get_by_label("Draw on the first frame").check()
            canvas = page.locator("#mask-editor canvas").first
            canvas.wait_for(state="visible")
            page.wait_for_timeout(2000)
            paint_rectangle(page, canvas, box)
            page.wait_for_selector("#mask-info :text('Masked:')", timeout=60_000)
            record["mask"] = page.locator("#mask-info").inner_text()
            page.locator("#advanced").click()
            page.locator("#time-budget input, #time-budget textarea").first.fill(budget)
            page.locator("#time-budget input, #time-budget textarea").first.press("Tab")
            page.locator("#estimate").click()
            page.wait_for_selector("#estimate-text :text('Estimated run time')")
            record["plan"] = settled_text(page, "#estimate-text")
            page.screenshot(path=str(shots / f"{tag}-plan.jpg"), type="jpeg", quality=60)
            started = time.monotonic()
            page.locator("#run").click()
            shot_taken: set[str] = set()
            while True:
                ready = page.evaluate(
                    "() => { const v = document.querySelector('#output-video video');"
                    " return v !== null && v.readyState >= 2 ? v.src : null; }"
                )
                if ready:
                    break
                status = page.locator("#status").inner_text()
                for words, phase in PHASES.items():
                    if words in status:
                        record["phases"].setdefault(phase, {"first_seen_s": 0.0})
                        record["phases"][phase]["first_seen_s"] = record["phases"][phase].get(
                            "first_seen_s"
                        ) or round(time.monotonic() - started, 1)
                        record["phases"][phase]["last_status"] = status.strip()[:160]
                        if phase in ("propagation", "fusion") and phase not in shot_taken:
                            page.wait_for_timeout(1500)  # a few frames in: the ETA is settled
                            page.screenshot(
                                path=str(shots / f"{tag}-{phase}.jpg"), type="jpeg", quality=60
                            )
                            shot_taken.add(phase)
                if time.monotonic() - started > 3600:
                    raise TimeoutError("no result within an hour")
                time.sleep(0.5)
            record["wall_s"] = round(time.monotonic() - started, 1)
            record["status"] = page.locator("#status").inner_text()
            page.locator("#before-after").scroll_into_view_if_needed()
            page.screenshot(path=str(shots / f"{tag}-result.jpg"), type="jpeg", quality=60)
            record["result"] = probe_result(ready)
            browser.close()
    finally:
        demo.close()
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clip", type=Path, required=True)
    parser.add_argument("--budget", required=True, help="the app's time budget, e.g. 2m")
    parser.add_argument("--shots", type=Path, default=Path("docs/app-budget"))
    parser.add_argument(
        "--box", default="0.62,0.12,0.75,0.3", help="rectangle x0,y0,x1,y1 (canvas fractions)"
    )
    args = parser.parse_args()
    box = tuple(float(value) for value in args.box.split(","))
    from restore.config import parse_duration

    record = run(args.clip.resolve(), args.budget, args.shots, box)
    limit = parse_duration(args.budget, "budget")
    record["wall_over_budget"] = round(record["wall_s"] / limit, 3)
    print(json.dumps(record, indent=1))
    print(f"wall {record['wall_s']} s of a {limit:g}-s budget ({record['wall_over_budget']:.0%})")


if __name__ == "__main__":
    main()
