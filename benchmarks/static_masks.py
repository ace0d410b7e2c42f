"""Static, logo-sized rectangles over real footage, scored against the original inside them.

A user removing a logo or a watermark draws one rectangle that stays put for the whole clip.
This script cuts such rectangles (3-8 % of the frame, over sky, foliage, a face, a sign) into
the bundled real clips, restores them with each method through the engine's ``restore()`` and
prints the PSNR inside the rectangle against the original footage, one row per rectangle.

    python benchmarks/static_masks.py --methods hybrid,hybrid:network=none,telea,flow-guided \\
        --out runs/static-masks

Writes ``results.csv`` and, per rectangle, a PNG of the middle frame: input | each method.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from restore.api import restore
from restore.io import read_video
from restore.methods import method_config, split_specs
from restore.metrics import psnr_in_holes

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "video"

# name: (clip, frames, resize (W, H) or None, (x, y, w, h) as fractions of the frame)
RECTANGLES: dict[str, tuple[str, int, tuple[int, int] | None, tuple[float, ...]]] = {
    "bunny-sky": ("bigbuckbunny.mp4", 24, (640, 360), (0.82, 0.02, 0.16, 0.28)),
    "bunny-tree": ("bigbuckbunny.mp4", 24, (640, 360), (0.55, 0.05, 0.20, 0.25)),
    "bunny-face": ("bigbuckbunny.mp4", 24, (640, 360), (0.28, 0.02, 0.17, 0.23)),
    "bunny-corner-grass": ("bigbuckbunny.mp4", 24, (640, 360), (0.78, 0.80, 0.20, 0.17)),
    "bikes-corner": ("bikes.mp4", 48, None, (0.75, 0.78, 0.22, 0.19)),
    "bikes-top-left": ("bikes.mp4", 48, None, (0.02, 0.03, 0.20, 0.22)),
    "bikes-sign": ("bikes.mp4", 48, None, (0.35, 0.55, 0.20, 0.25)),
}


def rectangle_mask(frames: int, height: int, width: int, box: tuple[float, ...]) -> torch.Tensor:
    """``(T, 1, H, W)``: 1 inside the rectangle ``(x, y, w, h)`` (fractions), every frame."""
    x, y, w, h = box
    mask = torch.zeros(frames, 1, height, width)
    top, left = round(y * height), round(x * width)
    mask[:, :, top : top + round(h * height), left : left + round(w * width)] = 1.0
    return mask


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", default="hybrid,hybrid:network=none,telea,flow-guided")
    parser.add_argument("--rectangles", default=",".join(RECTANGLES))
    parser.add_argument("--preset", default="fast")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=Path("runs/static-masks"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    methods = split_specs(args.methods)
    rows = []
    print("rectangle         area   " + "  ".join(f"{m:>22s}" for m in methods))
    for name in split_specs(args.rectangles):
        clip, count, size, box = RECTANGLES[name]
        video = read_video(args.data / clip, max_frames=count, resize=size).frames
        mask = rectangle_mask(*video.shape[:1], *video.shape[2:], box)
        corrupted = video * (1 - mask)
        panels = [corrupted[count // 2]]
        scores = []
        for spec in methods:
            config = method_config(args.preset, method=spec, epochs=args.epochs)
            started = time.perf_counter()
            result = restore(corrupted, mask, config, task="inpaint")
            seconds = time.perf_counter() - started
            score = psnr_in_holes(result.restored, video, mask)
            scores.append(score)
            panels.append(result.restored[count // 2])
            rows.append(
                {
                    "rectangle": name,
                    "clip": clip,
                    "area": float(mask.mean()),
                    "method": spec,
                    "hole_psnr": round(score, 2),
                    "seconds": round(seconds, 1),
                    "network_used": result.info.get("network_used"),
                }
            )
        area = float(mask.mean())
        print(f"{name:17s} {area:5.1%}  " + "  ".join(f"{s:22.2f}" for s in scores), flush=True)
        strip = torch.cat(panels, dim=2).permute(1, 2, 0).clamp(0, 1).numpy()
        image = cv2.cvtColor((strip * 255 + 0.5).astype(np.uint8), cv2.COLOR_RGB2BGR)
        cv2.imwrite(str(args.out / f"{name}.png"), image)
    with open(args.out / "results.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {args.out / 'results.csv'} and one PNG per rectangle (input | each method)")


if __name__ == "__main__":
    main()
