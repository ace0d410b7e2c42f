"""Ablation of the hybrid's parts on the DAVIS harness's own clips (``cpu`` profile inputs).

Each variant is ``hybrid_inpaint`` with one ``HybridOptions`` field changed from the defaults,
fitted with the same network, epochs and seed:

- ``default``: every part on;
- ``passes0``: no temporal fusion of the holes (``temporal_passes=0``);
- ``passes8``: up to 8 fusion passes instead of 4 (still kept only while they help);
- ``seam-off``: no harmonic seam correction of the network's output (``seam=False``);
- ``telea-off``: no Telea candidate (``spatial_candidate=False``);
- ``weight0``: propagated hole pixels out of the loss (``pseudo_weight=0``);
- ``weight0.3``: propagated hole pixels at 0.3 x their confidence;
- ``flat``: propagated hole pixels at weight 1 whatever their confidence
  (``confidence_weighting=False``).

Scores: hole PSNR, hole SSIM and hole E_warp (DIS) against the clean clip, and the run's
seconds. Clips are built exactly as ``restore eval davis`` builds them (``evaluation.davis``,
``evaluation.tasks``), so rows compare with the harness's tables.

Run (CPU-heavy: one fit per variant and clip):
``python benchmarks/hybrid_ablation.py --clips inpaint-boxes:blackswan,inpaint-center:breakdance
--out DIR``. Results go to ``DIR/hybrid_ablation.json`` after every row; rows already there are
not run again.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch

from evaluation.davis import load_frames
from evaluation.tasks import make_task_input
from evaluation.warp_error import warp_error
from restore.config import ModelOptions
from restore.fit import FitConfig
from restore.methods.hybrid import HybridOptions, hybrid_inpaint
from restore.metrics import psnr_in_holes, ssim_in_holes

DEFAULT_DAVIS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "davis"

VARIANTS: dict[str, dict] = {
    "default": {},
    "passes0": {"temporal_passes": 0},
    "passes8": {"temporal_passes": 8},
    "seam-off": {"seam": False},
    "telea-off": {"spatial_candidate": False},
    "weight0": {"pseudo_weight": 0.0},
    "weight0.3": {"pseudo_weight": 0.3},
    "flat": {"confidence_weighting": False},
}


def run_row(clean, corrupted, mask, options: dict, epochs: int, size: float) -> dict:
    started = time.perf_counter()
    result = hybrid_inpaint(
        corrupted,
        mask,
        FitConfig(epochs=epochs, batch_size=1, lr=3e-3),
        model=ModelOptions(size=size),
        options=HybridOptions(**options),
    )
    return {
        "options": options,
        "hole_psnr": psnr_in_holes(result.restored, clean, mask),
        "hole_ssim": ssim_in_holes(result.restored, clean, mask),
        "hole_warp_error": warp_error(result.restored, mask=mask),
        "seconds": time.perf_counter() - started,
        "fusion_passes": result.info["fusion_passes"],
        "spatial_share": result.info["spatial_share"],
    }


def write_atomically(path: Path, report: dict) -> None:
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(report, indent=2))
    os.replace(partial, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--davis", type=Path, default=DEFAULT_DAVIS)
    parser.add_argument(
        "--clips",
        default="inpaint-boxes:blackswan,inpaint-boxes:breakdance,inpaint-center:car-roundabout",
        help="task:sequence pairs, comma-separated",
    )
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--resize", default="432x240")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--size", type=float, default=0.35)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--out", type=Path, required=True)
    arguments = parser.parse_args()
    unknown = sorted(set(arguments.variants.split(",")) - set(VARIANTS))
    if unknown:
        parser.error(f"--variants: unknown {unknown}; valid: {', '.join(VARIANTS)}")
    width, height = (int(v) for v in arguments.resize.split("x"))
    arguments.out.mkdir(parents=True, exist_ok=True)
    path = arguments.out / "hybrid_ablation.json"
    report = json.loads(path.read_text()) if path.exists() else {"rows": {}}
    report["setting"] = {
        "frames": arguments.frames,
        "size": f"{width}x{height}",
        "epochs": arguments.epochs,
        "model_size": arguments.size,
        "threads": torch.get_num_threads(),
    }
    for clip in arguments.clips.split(","):
        task, sequence = clip.split(":")
        clean = load_frames(
            arguments.davis, sequence, "480p", size=(width, height), max_frames=arguments.frames
        )
        made = make_task_input(task, clean, davis_root=arguments.davis, sequence=sequence)
        for name in arguments.variants.split(","):
            key = f"{clip}/{name}"
            if key in report["rows"]:
                continue
            row = run_row(
                clean, made.corrupted, made.mask, VARIANTS[name], arguments.epochs, arguments.size
            )
            report["rows"][key] = row
            write_atomically(path, report)
            print(key, json.dumps(row), flush=True)
    print(f"{'clip / variant':<44} {'hole PSNR':>9} {'SSIM':>7} {'E_warp e3':>9} {'s':>6}")
    for key, row in report["rows"].items():
        print(
            f"{key:<44} {row['hole_psnr']:>9.2f} {row['hole_ssim']:>7.4f} "
            f"{row['hole_warp_error'] * 1e3:>9.3f} {row['seconds']:>6.0f}"
        )


if __name__ == "__main__":
    main()
