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

import functools

import cv2
import numpy as np
import torch

from masks.checks import boundary, fail
from restore.methods.flow_cache import ClipFlows
from restore.progress import PhaseClock

FB_SCALE = 1.0  # pixels of forward-backward flow error for a weight factor 1/e
COLOUR_SCALE = 1.0  # local RMS difference, in units of the input sigma, for a factor 1/e
WINDOW = 5  # side of the box over which the colour difference is averaged
RADIUS = 1  # neighbours on each side
# Chosen on 10 frames of blackswan, breakdance and car-roundabout at 432x240, sigma 0.04 (BM3D
# 34.78 / 34.60 / 35.79 dB): radius 1, colour scale 1 gave 35.50 / 36.11 / 36.37; radius 2 or 3
# and colour scales 0.5 or 2 were lower on average (2 blurs: -0.1 to -1.7 dB against 1).


def _gray_uint8(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor((frame * 255.0).round().clip(0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)


# Row length of the map a list of positions is folded into: cv2.remap takes maps of fewer than
# 32767 rows, and a (N, 1) list of a large hole has more.
_LIST_WIDTH = 1024


def _warp(image: np.ndarray, flow: np.ndarray, grid: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    map_x = grid[0] + flow[..., 0]
    map_y = grid[1] + flow[..., 1]
    if map_x.shape[1:] == (1,) and map_x.shape[0] > _LIST_WIDTH:
        # A list of positions: fold it into rows (each output pixel depends on its own position
        # only, so the values are those of the list) and unfold the result.
        count = map_x.shape[0]
        rows = -(-count // _LIST_WIDTH)
        padded = rows * _LIST_WIDTH - count

        def fold(values: np.ndarray) -> np.ndarray:
            return np.pad(values[:, 0], (0, padded)).reshape(rows, _LIST_WIDTH)

        warped = cv2.remap(
            image, fold(map_x), fold(map_y), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        return warped.reshape(rows * _LIST_WIDTH, 1, *warped.shape[2:])[:count]
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


@boundary()
def fuse_temporal(
    video: torch.Tensor,
    sigma: float,
    *,
    radius: int = RADIUS,
    fb_scale: float = FB_SCALE,
    colour_scale: float = COLOUR_SCALE,
    flows: ClipFlows | None = None,
    where: torch.Tensor | None = None,
    clock: PhaseClock | None = None,
) -> torch.Tensor:
    """Averages every frame with its flow-warped neighbours where they agree with it.

    Args:
        video: ``(T, 3, H, W)`` denoised frames in [0, 1].
        sigma: Noise level of the input the frames were denoised from (sets the colour scale).
        radius: Neighbours on each side (0 returns ``video`` unchanged).
        fb_scale: Forward-backward flow error, in pixels, for a weight factor 1/e.
        colour_scale: Local RMS difference to the frame, in units of ``sigma``, for 1/e.
        flows: Fields to warp with instead of DIS fields computed on ``video`` (the hybrid
            passes its propagation's completed flows, ``ClipFlows``); radius 1 only.
        where: ``(T, 1, H, W)``, nonzero where the fused value is wanted (a fill's holes); the
            work is limited to the box around each frame's ``where`` pixels, and other pixels
            keep ``video``'s value. The values inside ``where`` are the same as without it.
        clock: ticked once per frame (with ``flows`` or ``where``) or per frame pair and
            offset (progress, and Stop: ``PhaseStopped`` ends the pass).

    Returns:
        ``(T, 3, H, W)`` float32 in [0, 1].
    """
    if isinstance(radius, bool) or not isinstance(radius, int) or radius < 0:
        raise fail("radius", "an integer >= 0 (frames on each side)", repr(radius))
    if flows is not None and radius != 1:
        raise fail("radius", "1 when flows are given (they join neighbouring frames)", radius)
    if not sigma > 0 or radius == 0 or video.shape[0] < 2:
        return video.clone()
    if flows is not None or where is not None:
        return _fuse_where(video, sigma, fb_scale, colour_scale, flows, where, clock)
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
            if clock is not None:
                clock.tick()
    fused = (total / weight).astype(np.float32)
    return torch.from_numpy(fused).permute(0, 3, 1, 2).clamp(0.0, 1.0).contiguous()


def clip_flows(video: torch.Tensor, clock: PhaseClock | None = None) -> ClipFlows:
    """DIS fields between consecutive frames of ``video`` ``(T, 3, H, W)``, both ways, as fusion
    computes them (``clock`` ticked per frame pair)."""
    # One frame at a time to grey: no channels-last copy of the whole clip.
    gray = [_gray_uint8(frame.permute(1, 2, 0).numpy()) for frame in video]
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    count, _, height, width = video.shape
    forward = np.empty((count - 1, height, width, 2), dtype=np.float32)
    backward = np.empty_like(forward)
    for t in range(count - 1):
        forward[t] = dis.calc(gray[t], gray[t + 1], None)
        backward[t] = dis.calc(gray[t + 1], gray[t], None)
        if clock is not None:
            clock.tick()
    return ClipFlows(forward, backward)


def _fuse_where(
    video: torch.Tensor,
    sigma: float,
    fb_scale: float,
    colour_scale: float,
    flows: ClipFlows | None,
    where: torch.Tensor | None,
    clock: PhaseClock | None = None,
) -> torch.Tensor:
    """``fuse_temporal`` with radius 1, frame by frame, at the pixels of ``where`` only.

    A neighbour's contribution to a pixel depends only on the pixel's own flow vector and on the
    colour difference averaged over its ``WINDOW`` box, so warping just the pixels within half a
    window of ``where`` (``cv2.remap`` on a list of positions) gives the pixels of ``where`` the
    values of the whole-frame computation with the same flows, at a cost that follows the holes'
    area instead of the frame's.
    """
    count, _, height, width = video.shape
    wanted = np.ones((count, height, width), dtype=bool)
    if where is not None:
        wanted = where[:, 0].numpy() > 0.5
    if flows is None:
        flows = clip_flows(video)
    colour_limit = (colour_scale * sigma) ** 2
    window = np.ones((WINDOW, WINDOW), dtype=np.uint8)
    # The output is written through a channels-last view of its own storage, and the frames a
    # target reads (itself and its two neighbours) are made channels-last one at a time: no
    # whole-clip copy beyond the output itself.
    output = video.clamp(0.0, 1.0)
    fused = output.numpy().transpose(0, 2, 3, 1)

    @functools.lru_cache(maxsize=3)
    def channels_last(index: int) -> np.ndarray:
        return np.ascontiguousarray(video[index].permute(1, 2, 0).numpy())

    for target in range(count):
        if clock is not None:
            clock.tick()
        if not wanted[target].any():
            continue
        # The pixels whose colour difference the window average of a wanted pixel reads.
        near = cv2.dilate(wanted[target].astype(np.uint8), window) > 0
        rows, cols = np.nonzero(near)
        positions = (cols.astype(np.float32)[:, None], rows.astype(np.float32)[:, None])
        own = channels_last(target)[rows, cols]
        total = own.astype(np.float64)
        weight = np.ones((rows.size, 1))
        difference_image = np.zeros((height, width), dtype=np.float32)
        # Same order as the whole-clip loop: the earlier neighbour first.
        for source in (target - 1, target + 1):
            if not 0 <= source < count:
                continue
            flow = flows.towards(target, source)[rows, cols][:, None, :]  # (N, 1, 2)
            reverse = flows.towards(source, target)
            warped = _warp(channels_last(source), flow, positions)[:, 0]
            returned = _warp(reverse, flow, positions)[:, 0]
            fb_error = np.square(flow[:, 0] + returned).sum(axis=-1)
            difference_image[rows, cols] = np.square(warped - own).mean(axis=-1)
            local = cv2.blur(difference_image, (WINDOW, WINDOW))[rows, cols]
            trust = np.exp(-fb_error / fb_scale**2 - local / colour_limit)[..., None]
            total += trust * warped
            weight += trust
        inside = wanted[target, rows, cols, None]
        values = np.where(inside, (total / weight).astype(np.float32), own)
        fused[target, rows, cols] = np.clip(values, 0.0, 1.0)
    return output
