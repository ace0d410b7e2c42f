"""BM3D and BM4D: the state of the art among classical denoisers, from their reference packages.

- ``bm3d_video``: BM3D (K. Dabov, A. Foi, V. Katkovnik, K. Egiazarian, "Image denoising by sparse
  3-D transform-domain collaborative filtering", IEEE TIP 2007; colour version CBM3D, ICIP 2007)
  on every frame, RGB in the opponent colour space (``bm3d.bm3d_rgb``).
- ``bm4d_video``: BM4D (M. Maggioni, V. Katkovnik, K. Egiazarian, A. Foi, "Nonlocal
  transform-domain filter for volumetric data denoising and reconstruction", IEEE TIP 2013) on
  overlapping temporal windows of the clip taken as volumes (H, W, T), in the same opponent
  colour space, block matching on the luminance (``bm4d.bm4d_multichannel``); overlapping
  windows are averaged.

Both start from ``restore.methods.noise_level.prepare_noisy``: impulses are detected and filled
as holes, and sigma is estimated from the clip when the user gives none. Their ``profile``
``fast`` (the default) uses sparser reference blocks and a smaller search than the packages'
``np`` profile: about five times faster for a fraction of a dB (docs/denoising.md).

Layout: video ``(T, 3, H, W)`` float32 RGB in [0, 1]; output the same, clipped to [0, 1].
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from masks.checks import fail
from restore.config import RestoreConfig
from restore.methods.base import MethodResult
from restore.methods.noise_level import NoisyInput, prepare_noisy, safety_notes
from restore.methods.temporal_fusion import RADIUS, fuse_temporal
from restore.progress import (
    PhaseClock,
    PhaseStopped,
    frames_done_text,
    stop_or_deadline,
    stopped_info,
)

PROFILES = ("fast", "np")

# Opponent colour transform of BM3D's reference code (rows: luminance, two chroma channels).
_OPPONENT = np.array([[1 / 3, 1 / 3, 1 / 3], [0.5, 0.0, -0.5], [0.25, -0.5, 0.25]])

BM4D_MIN_FRAMES = 5
"""BM4D's Wiener blocks are 5x5x5: a volume needs at least 5 frames."""

SIGMA_FLOOR = 1e-3
"""Below this sigma (in [0, 1] units) the clip is returned as it is: nothing to denoise."""


def _bm3d_profile(name: str):
    import bm3d

    profile = bm3d.BM3DProfile()
    if name == "fast":
        # Reference block every 6 px (np: 3) in a 15 px search window (np: 39): much faster
        # for a small loss (docs/denoising.md).
        profile.step_ht = profile.step_wiener = 6
        profile.search_window_ht = profile.search_window_wiener = 15
    return profile


def _bm4d_profile(name: str):
    import bm4d

    profile = bm4d.BM4DProfile()
    if name == "fast":
        # Reference blocks every 4 px (np: 3), search half-sides 5 px and 2 frames (np: 7, 7):
        # a little below np in about half the time (docs/denoising.md).
        profile.step_ht = profile.step_wiener = (4, 4, 3)
        profile.search_window_ht = profile.search_window_wiener = (5, 5, 2)
    return profile


def _check_options(profile: str, sigma: float | None) -> None:
    if profile not in PROFILES:
        raise fail("profile", f"one of {', '.join(PROFILES)}", repr(profile))
    if sigma is not None and (
        isinstance(sigma, bool) or not isinstance(sigma, int | float) or not 0 <= sigma <= 1
    ):
        raise fail("sigma", "a noise standard deviation in [0, 1] (pixel units)", repr(sigma))


def bm3d_frames(
    video: torch.Tensor, sigma: float, profile: str = "fast", clock: PhaseClock | None = None
) -> torch.Tensor:
    """BM3D on every frame of ``video`` (``(T, 3, H, W)`` in [0, 1]) with noise level ``sigma``.

    ``clock`` is ticked per frame; Stop raises ``PhaseStopped`` carrying the frames denoised so
    far, the others as given."""
    import bm3d

    settings = _bm3d_profile(profile)
    result = video.clone()  # frames not reached by a Stop stay as given
    try:
        if clock is not None:
            clock.check()  # a deadline already passed denoises nothing
        for index, frame in enumerate(video.permute(0, 2, 3, 1).double().numpy()):
            denoised = bm3d.bm3d_rgb(frame, sigma, profile=settings).astype(np.float32)
            result[index] = torch.from_numpy(denoised).permute(2, 0, 1).clamp(0.0, 1.0)
            if clock is not None:
                clock.tick()
    except PhaseStopped as stopped:
        stopped.finished = result
        stopped.what = frames_done_text(clock.done, video.shape[0], "denoised")
        raise
    return result


def bm4d_windows(
    video: torch.Tensor,
    sigma: float,
    window: int = 8,
    overlap: int = 2,
    profile: str = "fast",
    clock: PhaseClock | None = None,
) -> torch.Tensor:
    """BM4D on overlapping temporal windows of ``video`` taken as (H, W, T) volumes.

    Args:
        video: ``(T, 3, H, W)`` in [0, 1].
        sigma: Noise standard deviation per RGB channel.
        window: Frames per volume (the whole clip if it is shorter).
        overlap: Frames shared by consecutive volumes (averaged).
        profile: ``fast`` or the package's ``np``.
        clock: ticked by the frames each volume finishes; Stop raises ``PhaseStopped``
            carrying the frames of the volumes done, the others as given.
    """
    import bm4d

    settings = _bm4d_profile(profile)
    count = video.shape[0]
    window = min(window, count)
    step = max(window - overlap, 1)
    starts = list(range(0, max(count - window, 0) + 1, step))
    if starts[-1] + window < count:
        starts.append(count - window)
    opponent = video.permute(0, 2, 3, 1).double().numpy() @ _OPPONENT.T  # (T, H, W, 3)
    sigmas = [float(sigma * np.sqrt((row**2).sum())) for row in _OPPONENT]
    total = np.zeros_like(opponent)
    weight = np.zeros((count, 1, 1, 1))

    def as_video() -> torch.Tensor:
        done = weight[:, 0, 0, 0] > 0
        rgb = (total[done] / weight[done]) @ np.linalg.inv(_OPPONENT).T
        result = video.clone()  # frames no volume finished stay as given
        result[torch.from_numpy(done)] = torch.from_numpy(rgb.astype(np.float32)).permute(
            0, 3, 1, 2
        )
        return result.clamp(0.0, 1.0).contiguous()

    finished = 0
    try:
        if clock is not None:
            clock.check()  # a deadline already passed denoises nothing
        for start in starts:
            volume = np.transpose(opponent[start : start + window], (3, 1, 2, 0))  # (3, H, W, t)
            denoised = np.asarray(bm4d.bm4d_multichannel(volume, sigmas, settings))
            total[start : start + window] += np.transpose(denoised, (3, 1, 2, 0))
            weight[start : start + window] += 1.0
            if clock is not None:
                clock.tick(start + window - finished)
            finished = start + window
    except PhaseStopped as stopped:
        stopped.finished = as_video()
        stopped.what = frames_done_text(int((weight > 0).sum()), count, "denoised")
        raise
    return as_video()


def _finish(
    frames: torch.Tensor,
    prepared: NoisyInput,
    restored: torch.Tensor,
    started: float,
    options: dict[str, Any],
    extra_notes: list[str] | None = None,
    stop_info: dict[str, Any] | None = None,
) -> MethodResult:
    seconds = time.perf_counter() - started
    notes = prepared.notes + (extra_notes or [])
    notes += safety_notes(frames, restored, prepared.sigma, prepared.impulses)
    info = {"options": options, **prepared.info(), "notes": notes, **(stop_info or {})}
    return MethodResult(
        restored=restored,
        timings={
            "fit_seconds": seconds,
            "seconds_per_frame": seconds / frames.shape[0],
            "decode_fps": frames.shape[0] / seconds if seconds else float("nan"),
        },
        info=info,
        stopped="stopped_phase" in info,
    )


def _denoise_or_skip(
    prepared: NoisyInput, denoise, info: dict[str, Any], should_stop, deadline
) -> tuple[torch.Tensor, list[str]]:
    """``denoise(prepared.frames)`` unless the noise is too weak to bother; a Stop (or the
    deadline) during it returns the finished part and sets ``info["stopped_phase"]`` and
    ``info["budget_stopped"]`` (``stopped_info``)."""
    if prepared.sigma < SIGMA_FLOOR:
        return prepared.frames, [
            f"noise level {prepared.sigma:.4f} is below {SIGMA_FLOOR:g}: no Gaussian denoising"
        ]
    try:
        return denoise(prepared.frames), []
    except PhaseStopped as stopped:
        stop = stopped_info("denoising", stopped.what, should_stop, deadline)
        info.update(stopped_phase=stop["stopped_phase"], budget_stopped=stop["budget_stopped"])
        return stopped.finished, stop["notes"]


def _clock(frames, on_progress, should_stop, deadline, radius: int = 0) -> PhaseClock:
    """The denoising phase's clock (progress and Stop): a tick per frame, and one per frame
    pair and offset of a fusion over ``radius`` neighbours."""
    count = frames.shape[0]
    ticks = count + sum(max(count - offset, 0) for offset in range(1, radius + 1))
    return PhaseClock("denoising", ticks, on_progress, stop_or_deadline(should_stop, deadline))


BM3D_OPTIONS: dict[str, Any] = {"sigma": None, "profile": "fast", "impulses": True}
"""``bm3d``'s options: noise level (None: estimated), BM3D profile (fast | np), and whether
impulse noise is detected and filled first."""
BM3D_FLOW_OPTIONS: dict[str, Any] = {**BM3D_OPTIONS, "radius": RADIUS}
BM4D_OPTIONS: dict[str, Any] = {**BM3D_OPTIONS, "window": 8, "overlap": 2}


def run_bm3d(
    frames: torch.Tensor,
    mask: torch.Tensor | None,
    config: RestoreConfig,
    *,
    deadline=None,
    on_progress=None,
    should_stop=None,
    fuse: bool = False,
) -> MethodResult:
    """Registered runner of ``bm3d``. ``method_options``: ``sigma`` (None: estimated),
    ``profile`` (fast | np), ``impulses`` (detect and fill impulse noise first, default True).
    With ``fuse`` (``bm3d-flow``) BM3D's frames are then fused over time (``fuse_temporal``), and
    ``radius`` (neighbours on each side, default 1) is an option too."""
    options = dict(BM3D_FLOW_OPTIONS if fuse else BM3D_OPTIONS) | config.method_options
    _check_options(options["profile"], options["sigma"])
    started = time.perf_counter()
    prepared = prepare_noisy(frames, mask, sigma=options["sigma"], impulses=options["impulses"])
    clock = _clock(frames, on_progress, should_stop, deadline, options["radius"] if fuse else 0)

    def denoise(video: torch.Tensor) -> torch.Tensor:
        denoised = bm3d_frames(video, prepared.sigma, options["profile"], clock)
        if fuse:
            try:
                denoised = fuse_temporal.unchecked(
                    denoised, prepared.sigma, radius=options["radius"], clock=clock
                )
            except PhaseStopped as stopped:
                stopped.finished = denoised
                stopped.what = "every frame is denoised by BM3D; the fusion over time was cut short"
                raise
        return denoised

    stop_info: dict[str, Any] = {}
    restored, notes = _denoise_or_skip(prepared, denoise, stop_info, should_stop, deadline)
    return _finish(frames, prepared, restored, started, options, notes, stop_info)


def run_bm4d(
    frames: torch.Tensor,
    mask: torch.Tensor | None,
    config: RestoreConfig,
    *,
    deadline=None,
    on_progress=None,
    should_stop=None,
) -> MethodResult:
    """Registered runner of ``bm4d``. ``method_options``: ``sigma``, ``profile``, ``impulses`` as
    for ``bm3d``; ``window`` (frames per volume, default 8) and ``overlap`` (default 2)."""
    options = dict(BM4D_OPTIONS) | config.method_options
    _check_options(options["profile"], options["sigma"])
    window = options["window"]
    if isinstance(window, bool) or not isinstance(window, int) or window < BM4D_MIN_FRAMES:
        raise fail("window", f"an integer >= {BM4D_MIN_FRAMES} (frames)", repr(window))
    started = time.perf_counter()
    prepared = prepare_noisy(frames, mask, sigma=options["sigma"], impulses=options["impulses"])
    clock = _clock(frames, on_progress, should_stop, deadline)
    stop_info: dict[str, Any] = {}
    if frames.shape[0] < BM4D_MIN_FRAMES:
        restored, notes = _denoise_or_skip(
            prepared,
            lambda video: bm3d_frames(video, prepared.sigma, options["profile"], clock),
            stop_info,
            should_stop,
            deadline,
        )
        notes.append(f"fewer than {BM4D_MIN_FRAMES} frames: BM3D per frame instead of BM4D")
        return _finish(frames, prepared, restored, started, options, notes, stop_info)
    restored, notes = _denoise_or_skip(
        prepared,
        lambda video: bm4d_windows(
            video, prepared.sigma, window, options["overlap"], options["profile"], clock
        ),
        stop_info,
        should_stop,
        deadline,
    )
    return _finish(frames, prepared, restored, started, options, notes, stop_info)


def run_bm3d_flow(
    frames: torch.Tensor,
    mask: torch.Tensor | None,
    config: RestoreConfig,
    *,
    deadline=None,
    on_progress=None,
    should_stop=None,
) -> MethodResult:
    """Registered runner of ``bm3d-flow``: ``run_bm3d`` with flow-compensated temporal fusion
    (``restore.methods.temporal_fusion``)."""
    return run_bm3d(
        frames,
        mask,
        config,
        deadline=deadline,
        on_progress=on_progress,
        should_stop=should_stop,
        fuse=True,
    )
