"""PSNR of each corruption's input on DAVIS blackswan (432x240, first 50 frames, seed 0).

Mean per-frame PSNR against the clean frames, holes filled with zeros; the README's corruption
table comes from this script.

    python benchmarks/corruption_psnr.py [DAVIS_ROOT]
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import torch

from masks import NOISE_KINDS, add_noise, make_mask, masked_fraction


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/data/davis")
    files = sorted((root / "JPEGImages" / "480p" / "blackswan").glob("*.jpg"))[:50]
    if not files:
        sys.exit(f"no blackswan frames under {root}")
    frames = [
        cv2.resize(
            cv2.cvtColor(cv2.imread(str(f)), cv2.COLOR_BGR2RGB),
            (432, 240),
            interpolation=cv2.INTER_AREA,
        )
        for f in files
    ]
    video = torch.stack([torch.from_numpy(f).permute(2, 0, 1) for f in frames]).float() / 255

    def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
        return (10 * torch.log10(1 / ((a - b) ** 2).flatten(1).mean(1))).mean().item()

    num_frames, _, height, width = video.shape
    for spec in ("boxes", "center", "objects"):
        mask = make_mask(spec, num_frames, height, width, davis_root=root, sequence="blackswan")
        print(
            f"{spec:12s} masked {100 * masked_fraction(mask):5.2f}%  "
            f"input PSNR {psnr(video * (1 - mask), video):.2f} dB"
        )
    for kind, level in NOISE_KINDS.items():
        noisy = add_noise(video, kind, seed=0).corrupted
        print(f"{kind:12s} level {level:<7g} input PSNR {psnr(noisy, video):.2f} dB")


if __name__ == "__main__":
    main()
