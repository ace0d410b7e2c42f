"""Classical inpainting baselines on DAVIS blackswan: hole PSNR, whole-frame PSNR, wall time.

Setting: the first 50 frames at 432x240 (INTER_AREA), five fixed 12-px square holes at the centre
and the quarter points, zero-filled. PSNR pools the squared error over all frames (peak 1.0).

Run: ``.venv/bin/python benchmarks/classical_blackswan.py [--davis PATH]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from masks import box_masks
from restore.io import read_video
from restore.methods.classical_inpaint import biharmonic, navier_stokes, telea, temporal_fill
from restore.methods.flow_propagation import flow_guided
from restore.metrics import psnr, psnr_in_holes

DEFAULT_DAVIS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "davis"
METHODS = {
    "telea": telea,
    "navier_stokes": navier_stokes,
    "biharmonic": biharmonic,
    "temporal_fill": temporal_fill,
    "flow_guided": flow_guided,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--davis", type=Path, default=DEFAULT_DAVIS, help="DAVIS root folder")
    arguments = parser.parse_args()
    folder = arguments.davis / "JPEGImages" / "480p" / "blackswan"
    clean = read_video(folder, max_frames=50, resize=(432, 240)).frames
    mask = box_masks(clean.shape[0], clean.shape[2], clean.shape[3])
    corrupted = clean * (1 - mask)
    print(f"blackswan: {clean.shape[0]} frames {clean.shape[3]}x{clean.shape[2]}, five 12-px boxes")
    print(f"{'method':<15} {'hole PSNR':>10} {'frame PSNR':>11} {'seconds':>8}")
    hole, frame = psnr_in_holes(corrupted, clean, mask), psnr(corrupted, clean)
    print(f"{'zero-filled':<15} {hole:>10.2f} {frame:>11.2f}")
    for name, method in METHODS.items():
        started = time.perf_counter()
        restored = method(corrupted, mask)
        seconds = time.perf_counter() - started
        hole, frame = psnr_in_holes(restored, clean, mask), psnr(restored, clean)
        print(f"{name:<15} {hole:>10.2f} {frame:>11.2f} {seconds:>8.2f}")


if __name__ == "__main__":
    main()
