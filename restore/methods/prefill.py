"""What HNeRV's encoder sees inside the holes.

The encoder computes each frame's embedding from the corrupted frame. Black holes make the
embedding describe the holes; a cheap spatial fill makes the encoder's input look like a natural
frame. The loss still never sees hole pixels (eq. 2), so the fill cannot leak into the output
except through the embedding.
"""

from __future__ import annotations

import torch

from restore.config import PREFILLS


def prefill_holes(frames: torch.Tensor, mask: torch.Tensor, kind: str) -> torch.Tensor:
    """Return ``frames`` ``(T,3,H,W)`` with hole pixels (``mask`` ``(T,1,H,W)`` = 1) filled.

    ``none``: zeros (the masked frame as is); ``mean``: each frame's mean known colour;
    ``telea``: OpenCV's Telea inpainting per frame (radius 3). Inputs are trusted: the config
    (``ModelOptions``) checked ``kind`` and ``restore()`` the layouts.
    """
    assert kind in PREFILLS, kind
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

    from restore.methods.classical_inpaint import (
        composite_holes,
        mask_to_numpy,
        opencv_inpaint_frames,
        video_to_uint8,
    )

    fill = opencv_inpaint_frames(video_to_uint8(frames), mask_to_numpy(mask), 3, cv2.INPAINT_TELEA)
    return composite_holes(frames, mask, fill)
