"""Classical inpainting baselines on DAVIS blackswan: hole PSNR, whole-frame PSNR, wall time.

Setting: the first 50 frames at 432x240 (INTER_AREA), five fixed 12-px square holes at the centre
and the quarter points, zero-filled. PSNR pools the squared error over all frames (peak 1.0).

Run: ``.venv/bin/python benchmarks/classical_blackswan.py [--davis PATH]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from restore.methods.classical_inpaint import biharmonic, navier_stokes, telea, temporal_fill
from restore.methods.flow_propagation import flow_guided

DEFAULT_DAVIS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "davis"
METHODS = {
    "telea": telea,
    "navier_stokes": navier_stokes,
    "biharmonic": biharmonic,
    "temporal_fill": temporal_fill,
    "flow_guided": flow_guided,
}


def load_frames(davis: Path, sequence: str, count: int, size: tuple[int, int]) -> torch.Tensor:
    """First ``count`` frames, resized to ``size`` (W, H): ``(T, 3, H, W)`` float32 in [0, 1]."""
    paths = sorted((davis / "JPEGImages" / "480p" / sequence).glob("*.jpg"))[:count]
    if not paths:
        raise FileNotFoundError(f"no frames for {sequence!r} under {davis}")
    frames = [
        cv2.cvtColor(
            cv2.resize(cv2.imread(str(path)), size, interpolation=cv2.INTER_AREA),
            cv2.COLOR_BGR2RGB,
        )
        for path in paths
    ]
    return torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).float() / 255.0


def five_boxes(frames: int, height: int, width: int, side: int = 12) -> torch.Tensor:
    """``(T, 1, H, W)`` mask with five ``side``-pixel squares (1 = missing)."""
    mask = torch.zeros(frames, 1, height, width)
    for row, col in [
        (height / 2, width / 2),
        (height / 4, width / 4),
        (height / 4, 3 * width / 4),
        (3 * height / 4, width / 4),
        (3 * height / 4, 3 * width / 4),
    ]:
        top, left = round(row - side / 2), round(col - side / 2)
        mask[:, :, top : top + side, left : left + side] = 1.0
    return mask


def psnr(prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None) -> float:
    """PSNR (peak 1.0) over all pixels, or over the pixels where ``mask`` is 1."""
    squared = (prediction - target) ** 2
    if mask is None:
        mse = squared.mean()
    else:
        mse = (squared * mask).sum() / (mask.sum() * prediction.shape[1])
    return float(10.0 * torch.log10(1.0 / mse))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--davis", type=Path, default=DEFAULT_DAVIS, help="DAVIS root folder")
    arguments = parser.parse_args()
    clean = load_frames(arguments.davis, "blackswan", 50, (432, 240))
    mask = five_boxes(clean.shape[0], clean.shape[2], clean.shape[3])
    corrupted = clean * (1 - mask)
    print(f"blackswan: {clean.shape[0]} frames {clean.shape[3]}x{clean.shape[2]}, five 12-px boxes")
    print(f"{'method':<15} {'hole PSNR':>10} {'frame PSNR':>11} {'seconds':>8}")
    print(
        f"{'zero-filled':<15} {psnr(corrupted, clean, mask):>10.2f} {psnr(corrupted, clean):>11.2f}"
    )
    for name, method in METHODS.items():
        started = time.perf_counter()
        restored = method(corrupted, mask)
        seconds = time.perf_counter() - started
        hole, frame = psnr(restored, clean, mask), psnr(restored, clean)
        print(f"{name:<15} {hole:>10.2f} {frame:>11.2f} {seconds:>8.2f}")


if __name__ == "__main__":
    main()
