"""Boosting-NeRV ablation (slides' Tables 8 and 15) on one small DAVIS inpainting setting.

Variants, all fitted through ``restore.api.restore`` with the same epochs, size and seed:
``hnerv`` (L2), ``+tat`` (hnerv-boost with GELU and 5x5 blocks, L2), ``+tat+snerv`` (TAT and
sine SNeRV blocks, L2), ``hnerv+loss`` (hnerv with the boost loss), ``boost`` (hnerv-boost, all
parts, boost loss), ``hnerv@time``: hnerv given as many epochs as fit in boost's wall time,
the ``nerv`` / ``nerv-boost`` pair, and ``boost@lr1e-3``: the full boost at the old recipe's lr.
Scores: raw whole-frame PSNR (network output against the clean frames), composited whole-frame
PSNR, hole PSNR, and seconds per frame per epoch. It also times one 5x5 HNeRV block against the
two 3x3 SNeRV convolutions that replace it, at equal widths (forward + backward).

Run (CPU-heavy: nice it): ``nice -n 19 python benchmarks/boost_ablation.py --out DIR``.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import torch

from masks import corrupt
from restore.api import restore
from restore.config import preset
from restore.io import read_video
from restore.metrics import psnr, psnr_in_holes
from restore.models.boost import DecoderStage, Stage

DEFAULT_DAVIS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "davis"

# name -> (method, model options, loss)
VARIANTS: dict[str, tuple[str, dict, str]] = {
    "hnerv": ("hnerv", {}, "l2"),
    "+tat": ("hnerv-boost", {"sine": False, "snerv": False}, "l2"),
    "+tat+snerv": ("hnerv-boost", {}, "l2"),
    "hnerv+loss": ("hnerv", {}, "boost"),
    "boost": ("hnerv-boost", {}, "boost"),
    "nerv": ("nerv", {}, "l2"),
    "nerv-boost": ("nerv-boost", {}, "boost"),
    "boost@lr1e-3": ("hnerv-boost", {}, "boost"),
}
LEARNING_RATES = {"boost@lr1e-3": 1e-3}  # other variants: the engine's default (FitConfig.lr)


def block_timing(width: int, size: int, repeats: int) -> dict[str, float]:
    """Seconds per forward + backward of one 5x5 block and of its two-3x3 SNeRV replacement."""
    torch.manual_seed(0)
    features = torch.rand(2, width, size, size)
    times = {}
    for name, split in (("hnerv_5x5", False), ("snerv_2x3x3", True)):
        block = DecoderStage(Stage(width, int(round(width / 1.2)), 5, 2, split), sine=split)
        block(features).mean().backward()  # warm-up
        started = time.perf_counter()
        for _ in range(repeats):
            block(features).mean().backward()
        times[name] = (time.perf_counter() - started) / repeats
    times["ratio_snerv_over_hnerv"] = times["snerv_2x3x3"] / times["hnerv_5x5"]
    return times


def run_variant(clean, made, method, options, loss, epochs, size, seed, lr=None) -> dict:
    config = preset(
        "balanced", method=method, epochs=epochs, model_size=size, loss=loss, seed=seed, lr=lr
    )
    config.model.options = dict(options)
    config.work_size = "full"
    result = restore(made.corrupted, made.mask, config, task="inpaint")
    timings = result.timings
    return {
        "method": method,
        "options": options,
        "loss": loss,
        "lr": config.fit.lr,
        "epochs": epochs,
        "parameters": result.info["size"]["total"],
        "recoveries": result.info["recoveries"],
        "notes": result.info["notes"],
        "raw_psnr": psnr(result.raw, clean),
        "psnr": psnr(result.restored, clean),
        "hole_psnr": psnr_in_holes(result.restored, clean, made.mask),
        "fit_seconds": timings["fit_seconds"],
        "seconds_per_frame_epoch": timings["seconds_per_frame_epoch"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--davis", type=Path, default=DEFAULT_DAVIS)
    parser.add_argument("--sequence", default="blackswan")
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--resize", default="432x240")
    parser.add_argument("--mask", default="boxes")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--size", type=float, default=0.35)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--variants", default="hnerv,+tat,+tat+snerv,hnerv+loss,boost,hnerv@time,nerv,nerv-boost"
    )
    parser.add_argument("--out", type=Path, required=True)
    arguments = parser.parse_args()
    width, height = (int(v) for v in arguments.resize.split("x"))
    folder = arguments.davis / "JPEGImages" / "480p" / arguments.sequence
    clean = read_video(folder, max_frames=arguments.frames, resize=(width, height)).frames
    made = corrupt(clean, mask=arguments.mask)
    arguments.out.mkdir(parents=True, exist_ok=True)
    report = {
        "setting": {
            "sequence": arguments.sequence,
            "frames": clean.shape[0],
            "size": f"{width}x{height}",
            "mask": arguments.mask,
            "epochs": arguments.epochs,
            "model_size": arguments.size,
            "threads": torch.get_num_threads(),
        },
        "blocks": block_timing(48, 30, 10),
        "variants": {},
    }
    print(json.dumps(report["blocks"]), flush=True)
    for name in arguments.variants.split(","):
        if name == "hnerv@time":
            boost = report["variants"].get("boost")
            hnerv = report["variants"].get("hnerv")
            if boost is None or hnerv is None:
                continue
            epochs = max(
                1, math.floor(arguments.epochs * boost["fit_seconds"] / hnerv["fit_seconds"])
            )
            method, options, loss = "hnerv", {}, "l2"
        else:
            method, options, loss = VARIANTS[name]
            epochs = arguments.epochs
        lr = LEARNING_RATES.get(name)
        row = run_variant(
            clean, made, method, options, loss, epochs, arguments.size, arguments.seed, lr
        )
        report["variants"][name] = row
        print(name, json.dumps(row), flush=True)
        (arguments.out / "ablation.json").write_text(json.dumps(report, indent=2))
    print(
        f"{'variant':<12} {'epochs':>6} {'raw PSNR':>9} {'PSNR':>7} {'hole':>7} {'s/frame/ep':>10}"
    )
    for name, row in report["variants"].items():
        print(
            f"{name:<12} {row['epochs']:>6} {row['raw_psnr']:>9.2f} {row['psnr']:>7.2f} "
            f"{row['hole_psnr']:>7.2f} {row['seconds_per_frame_epoch']:>10.3f}"
        )


if __name__ == "__main__":
    main()
