"""What HNeRV's encoder sees inside the holes.

The encoder computes each frame's embedding from the corrupted frame. Black holes make the
embedding describe the holes; a cheap spatial fill makes the encoder's input look like a natural
frame. The loss still never sees hole pixels (eq. 2), so the fill cannot leak into the output
except through the embedding.
"""

from __future__ import annotations

import numpy as np
import torch

PREFILLS = ("none", "mean", "telea")


def prefill_holes(frames: torch.Tensor, mask: torch.Tensor, kind: str) -> torch.Tensor:
    """Return ``frames`` ``(T,3,H,W)`` with hole pixels (``mask`` ``(T,1,H,W)`` = 1) filled.

    ``none``: zeros (the masked frame as is); ``mean``: each frame's mean known colour;
    ``telea``: OpenCV's Telea inpainting per frame (radius 3).
    """
    if kind not in PREFILLS:
        raise ValueError(f"unknown prefill {kind!r}; valid: {', '.join(PREFILLS)}")
    holes = mask > 0.5
    if kind == "none":
        return torch.where(holes, torch.zeros_like(frames), frames)
    if kind == "mean":
        known = (~holes).float()
        mean = (frames * known).sum((2, 3), keepdim=True) / known.sum((2, 3), keepdim=True).clamp(
            min=1
        )
        return torch.where(holes, mean.expand_as(frames), frames)
    import cv2

    filled = []
    for frame, hole in zip(frames, holes, strict=True):
        image = (frame.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
        hole_u8 = hole[0].numpy().astype(np.uint8)
        result = cv2.inpaint(np.ascontiguousarray(image), hole_u8, 3, cv2.INPAINT_TELEA)
        filled.append(torch.from_numpy(result).permute(2, 0, 1).float() / 255)
    return torch.where(holes, torch.stack(filled), frames)
