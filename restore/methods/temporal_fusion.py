"""Flow-compensated temporal fusion: steadies a per-frame denoiser with its own neighbours.

A per-frame denoiser such as BM3D leaves a residual error that is largely independent from one
frame to the next (it comes from the frame's own noise), which is what the eye sees as flicker.
Each output frame is therefore averaged with its ``radius`` neighbours on either side (1), warped
onto it by optical flow (DIS, T. Kroeger et al., ECCV 2016), each neighbour weighted per pixel by
how far it can be trusted:

- the flow's forward-backward consistency (occlusions and wrong flow do not come back), and
- the local colour difference between the warped neighbour and the frame itself, measured on
  the denoised frames, in units of the input noise level (what is left is misalignment, not
  noise: a pixel whose neighbour disagrees keeps its own value).

This is the temporal half of video BM3D (K. Dabov, A. Foi, K. Egiazarian, "Video denoising by
sparse 3D transform-domain collaborative filtering", EUSIPCO 2007) and of the motion-compensated
filters before it, done after the spatial filter instead of inside it, so it costs a few DIS
flows per frame on top of BM3D.

Layout: video ``(T, 3, H, W)`` float32 RGB in [0, 1].
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from masks.checks import boundary, fail

FB_SCALE = 1.0  # pixels of forward-backward flow error for a weight factor 1/e
COLOUR_SCALE = 1.0  # local RMS difference, in units of the input sigma, for a factor 1/e
WINDOW = 5  # side of the box over which the colour difference is averaged
RADIUS = 1  # neighbours on each side
# Chosen on 10 frames of blackswan, breakdance and car-roundabout at 432x240, sigma 0.04 (BM3D
# 34.78 / 34.60 / 35.79 dB): radius 1, colour scale 1 gave 35.50 / 36.11 / 36.37; radius 2 or 3
# and colour scales 0.5 or 2 were lower on average (2 blurs: -0.1 to -1.7 dB against 1).


def _gray_uint8(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor((frame * 255.0).round().clip(0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)


def _warp(image: np.ndarray, flow: np.ndarray, grid: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    map_x = grid[0] + flow[..., 0]
    map_y = grid[1] + flow[..., 1]
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


@boundary()
def fuse_temporal(
    video: torch.Tensor,
    sigma: float,
    *,
    radius: int = RADIUS,
    fb_scale: float = FB_SCALE,
    colour_scale: float = COLOUR_SCALE,
) -> torch.Tensor:
    """Averages every frame with its flow-warped neighbours where they agree with it.

    Args:
        video: ``(T, 3, H, W)`` denoised frames in [0, 1].
        sigma: Noise level of the input the frames were denoised from (sets the colour scale).
        radius: Neighbours on each side (0 returns ``video`` unchanged).
        fb_scale: Forward-backward flow error, in pixels, for a weight factor 1/e.
        colour_scale: Local RMS difference to the frame, in units of ``sigma``, for 1/e.

    Returns:
        ``(T, 3, H, W)`` float32 in [0, 1].
    """
    if isinstance(radius, bool) or not isinstance(radius, int) or radius < 0:
        raise fail("radius", "an integer >= 0 (frames on each side)", repr(radius))
    if not sigma > 0 or radius == 0 or video.shape[0] < 2:
        return video.clone()
    frames = video.permute(0, 2, 3, 1).contiguous().numpy()  # (T, H, W, 3)
    count, height, width = frames.shape[:3]
    gray = [_gray_uint8(frame) for frame in frames]
    grid = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    total = frames.astype(np.float64).copy()
    weight = np.ones((count, height, width, 1))
    colour_limit = (colour_scale * sigma) ** 2
    for offset in range(1, radius + 1):
        for first in range(count - offset):
            second = first + offset
            ahead = dis.calc(gray[first], gray[second], None)  # first -> second
            back = dis.calc(gray[second], gray[first], None)  # second -> first
            for target, source, flow, reverse in (
                (first, second, ahead, back),
                (second, first, back, ahead),
            ):
                warped = _warp(frames[source], flow, grid)
                returned = _warp(reverse, flow, grid)
                fb_error = np.square(flow + returned).sum(axis=-1)
                difference = np.square(warped - frames[target]).mean(axis=-1)
                local = cv2.blur(difference, (WINDOW, WINDOW))
                trust = np.exp(-fb_error / fb_scale**2 - local / colour_limit)[..., None]
                total[target] += trust * warped
                weight[target] += trust
    fused = (total / weight).astype(np.float32)
    return torch.from_numpy(fused).permute(0, 3, 1, 2).clamp(0.0, 1.0).contiguous()
