"""The same fit in fp32 and in bf16: raw and hole PSNR, and speed (is bf16 the same result?).

blackswan, first 10 frames at 432x240, the five HNeRV boxes, the balanced preset cut to 30
epochs; variants fp32, bf16 with channels_last, bf16.

    python benchmarks/precision_quality.py [out.json]
"""

from __future__ import annotations

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

BLACKSWAN = ROOT.parent / "shared" / "data" / "davis" / "JPEGImages" / "480p" / "blackswan"


def main() -> None:
    clean = read_video(BLACKSWAN, max_frames=10, resize=(432, 240)).frames
    made = masks.corrupt(clean, mask="boxes")
    out = {}
    for precision, channels_last in [("fp32", False), ("bf16", True), ("bf16", False)]:
        config = preset(
            "balanced", method="hnerv", epochs=30, precision=precision, channels_last=channels_last
        )
        started = time.perf_counter()
        result = restore(made.corrupted, made.mask, config, task="inpaint")
        key = f"{precision}{'_channels_last' if channels_last else ''}"
        out[key] = {
            "raw_psnr": psnr(result.raw, clean),
            "hole_psnr": psnr_in_holes(result.restored, clean, made.mask),
            "s_per_frame_epoch": result.timings["seconds_per_frame_epoch"],
            "wall": time.perf_counter() - started,
        }
        print(key, out[key], flush=True)
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "precision_quality.json")
    target.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
