"""Print a Markdown table from the CLI's ``*.metrics.json`` files (one row per run).

python benchmarks/summarize_runs.py runs/blackswan/*.metrics.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(paths: list[str]) -> None:
    rows = []
    for path in paths:
        report = json.loads(Path(path).read_text())
        scores = report.get("scores") or {}
        restored, before = scores.get("restored", {}), scores.get("input", {})
        fit = report.get("fit", {})
        timings = report.get("timings", {})
        rows.append(
            (
                Path(path).name.removesuffix(".metrics.json"),
                restored.get("psnr_holes"),
                restored.get("psnr"),
                restored.get("psnr_raw"),
                timings.get("fit_seconds"),
                timings.get("seconds_per_frame_epoch"),
                (fit.get("size") or {}).get("total"),
                before.get("psnr_holes"),
                before.get("psnr"),
            )
        )
    rows.sort(key=lambda row: -(row[1] or 0))

    def cell(value, fmt):
        return "–" if value is None else format(value, fmt)

    print(
        "| method | hole PSNR (dB) | frame PSNR, composited (dB) | raw output PSNR (dB) "
        "| fit time (s) | s / frame / epoch | parameters |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, holes, frame, raw, seconds, per_frame, size, _, _ in rows:
        print(
            f"| {name} | {cell(holes, '.2f')} | {cell(frame, '.2f')} | {cell(raw, '.2f')} "
            f"| {cell(seconds, '.1f')} | {cell(per_frame, '.3f')} "
            f"| {cell(size and size / 1e6, '.3f') + 'M' if size else '–'} |"
        )
    if rows:
        print(f"| masked input | {cell(rows[0][7], '.2f')} | {cell(rows[0][8], '.2f')} | | | | |")


if __name__ == "__main__":
    main(sys.argv[1:])
