"""Time to quality: hole PSNR and raw PSNR against wall-clock seconds, for fitting recipes.

The issue's question: how long do the new defaults take to reach the hole PSNR and raw PSNR that
the old 100-epoch recipe reaches at its end? Each recipe fits the harness's `cpu`-profile clip
(432x240, first 30 frames, the five HNeRV boxes) and the decoded output is scored against the
clean clip every few seconds of fitting (the scoring time is left out of the clock). Results go
to a JSON file; `--plot` draws hole PSNR against seconds, one line per recipe.

    python benchmarks/time_to_quality.py --sequences blackswan,bmx-trees,car-shadow \\
        --recipe old:method=hnerv,epochs=100,precision=fp32,batch_size=2,lr=0.001,grad_clip=off \\
        --recipe new:method=hnerv,epochs=50 \\
        --out runs/time_to_quality.json --plot docs/time-to-quality.png

A recipe is `name:key=value,...` with keys of `restore.config.preset` overrides (epochs,
model_size, batch_size, lr, loss, precision, channels_last=on|off, time_budget=SECONDS,
grad_clip=NORM|off).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import masks  # noqa: E402
from restore.api import restore  # noqa: E402
from restore.config import preset  # noqa: E402
from restore.io import read_video  # noqa: E402
from restore.metrics import psnr, psnr_in_holes  # noqa: E402


def parse_recipe(text: str) -> tuple[str, dict]:
    name, _, values = text.partition(":")
    overrides: dict = {}
    for item in filter(None, values.split(",")):
        key, _, value = item.partition("=")
        if key in ("epochs", "batch_size"):
            overrides[key] = int(value)
        elif key == "grad_clip" and value == "off":
            overrides[key] = "off"
        elif key in ("model_size", "lr", "time_budget", "grad_clip"):
            overrides[key] = float(value)
        elif key == "channels_last":
            overrides[key] = value == "on"
        else:
            overrides[key] = value
    return name, overrides


def run(sequence: str, name: str, overrides: dict, args) -> dict:
    folder = args.davis_root / "JPEGImages" / "480p" / sequence
    clean = read_video(folder, max_frames=args.frames, resize=(432, 240)).frames
    made = masks.corrupt(clean, mask="boxes")
    no_clip = overrides.get("grad_clip") == "off"
    config = preset(
        "balanced", **{k: v for k, v in overrides.items() if not no_clip or k != "grad_clip"}
    )
    if no_clip:
        config.fit = dataclasses.replace(config.fit, grad_clip=None)
    curve: list[dict] = []
    spent = {"scoring": 0.0, "next": 0.0}

    def on_progress(progress) -> None:
        if progress.predict is None or progress.elapsed < spent["next"]:
            return
        started = time.perf_counter()
        raw = progress.predict(None, raw=True)
        curve.append(
            {
                "seconds": progress.elapsed - spent["scoring"],
                "epoch": progress.epoch,
                "psnr_raw": psnr(raw, clean),
                "psnr_holes": psnr_in_holes(raw, clean, made.mask),
            }
        )
        spent["scoring"] += time.perf_counter() - started
        spent["next"] = progress.elapsed + args.every

    result = restore(made.corrupted, made.mask, config, task="inpaint", on_progress=on_progress)
    final = {
        "seconds": result.timings["fit_seconds"] - spent["scoring"],
        "psnr_raw": psnr(result.raw, clean),
        "psnr_holes": psnr_in_holes(result.restored, clean, made.mask),
    }
    return {
        "sequence": sequence,
        "recipe": name,
        "overrides": overrides,
        "curve": curve,
        "final": final,
    }


def time_to_reach(record: dict, hole: float, raw: float) -> dict:
    """Seconds until ``record``'s curve first reaches ``hole``, ``raw`` and both (None: never)."""
    points = record["curve"] + [record["final"]]

    def first(test) -> float | None:
        return next((p["seconds"] for p in points if test(p)), None)

    return {
        "hole": first(lambda p: p["psnr_holes"] >= hole),
        "raw": first(lambda p: p["psnr_raw"] >= raw),
        "both": first(lambda p: p["psnr_holes"] >= hole and p["psnr_raw"] >= raw),
    }


def summarize(results: list[dict], baseline: str) -> None:
    """Prints, per sequence and recipe, the time to reach the baseline's final hole and raw PSNR
    and the baseline's time divided by it (the speed-up to quality)."""
    print(
        f"{'sequence':12s} {'recipe':10s} {'final s':>8s} {'hole':>6s} {'raw':>6s} "
        f"{'to hole':>8s} {'to raw':>8s} {'to both':>8s} {'speed-up':>8s}"
    )
    for sequence in sorted({r["sequence"] for r in results}):
        records = [r for r in results if r["sequence"] == sequence]
        base = next((r for r in records if r["recipe"] == baseline), None)
        for record in records:
            final = record["final"]
            cells = ["-"] * 4
            if base is not None:
                reach = time_to_reach(
                    record, base["final"]["psnr_holes"], base["final"]["psnr_raw"]
                )
                cells = [f"{v:8.1f}" if v is not None else "   never" for v in reach.values()]
                both = reach["both"]
                cells.append(f"{base['final']['seconds'] / both:8.2f}" if both else "       -")
            print(
                f"{sequence:12s} {record['recipe']:10s} {final['seconds']:8.1f} "
                f"{final['psnr_holes']:6.2f} {final['psnr_raw']:6.2f} " + " ".join(cells[-4:]),
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--davis-root", type=Path, default=ROOT.parent / "shared/data/davis")
    parser.add_argument("--sequences", default="blackswan")
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--recipe", action="append", required=True)
    parser.add_argument("--every", type=float, default=30.0, help="seconds between scores")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--plot", type=Path, default=None)
    parser.add_argument(
        "--baseline", default="old", help="recipe whose final hole and raw PSNR are the targets"
    )
    args = parser.parse_args()
    results = json.loads(args.out.read_text()) if args.out.exists() else []
    done = {(r["sequence"], r["recipe"]) for r in results}
    for sequence in args.sequences.split(","):
        for text in args.recipe:
            name, overrides = parse_recipe(text)
            if (sequence, name) in done:
                continue
            record = run(sequence, name, overrides, args)
            results.append(record)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(results, indent=1))
            final = record["final"]
            print(
                f"{sequence:12s} {name:10s} {final['seconds']:7.1f} s  "
                f"hole {final['psnr_holes']:.2f} dB  raw {final['psnr_raw']:.2f} dB",
                flush=True,
            )
    summarize(results, args.baseline)
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        sequences = sorted({r["sequence"] for r in results})
        figure, axes = plt.subplots(1, len(sequences), figsize=(5 * len(sequences), 3.5))
        axes = [axes] if len(sequences) == 1 else list(axes)
        for axis, sequence in zip(axes, sequences, strict=True):
            for record in (r for r in results if r["sequence"] == sequence):
                points = record["curve"] + [record["final"]]
                axis.plot(
                    [p["seconds"] for p in points],
                    [p["psnr_holes"] for p in points],
                    label=record["recipe"],
                )
            axis.set(title=sequence, xlabel="seconds of fitting", ylabel="hole PSNR (dB)")
            axis.legend()
        figure.tight_layout()
        args.plot.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(args.plot, dpi=120)


if __name__ == "__main__":
    main()
