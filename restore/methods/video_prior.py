"""HNeRV as a deep video prior over BM3D: per-frame denoising made steady over time.

Deep Video Prior (C. Lei, Y. Xing, Q. Chen, "Blind Video Temporal Consistency via Deep Video
Prior", NeurIPS 2020) fits one network to the frames a per-frame method produced: a network fitted
to a whole clip reproduces what the frames share before what flickers between them, so stopped
early it keeps the per-frame result and drops its flicker. Here the per-frame result is BM3D
(``restore.methods.bm3d_denoise``) and the network is the project's HNeRV, fitted by
``restore.methods.neural.run_neural`` (the same padding, fit loop and decoding as ``hnerv``):

1. impulses detected and filled, sigma estimated (``noise_level.prepare_noisy``);
2. ``B`` = BM3D of every frame;
3. HNeRV fitted (L2) to ``(1 - noisy_weight) * B + noisy_weight * x``: for an L2 loss this is the
   same as BM3D as the target and the noisy frames ``x`` as weak supervision;
4. output ``B + w * lowpass(N - B)``: the network's own content ``N`` in the low spatial
   frequencies (a Gaussian of ``blend_sigma`` px), where BM3D's leftover noise is blotchy and
   flickers; BM3D's detail above it. ``blend`` = ``auto`` (default) picks ``w`` per frame by least
   squares against the noisy frames (``blend_weights``), ``lowpass`` takes ``w = 1``,
   ``network`` returns ``N`` as is (plain DVP), ``bm3d`` returns ``B``.

Its budget is its own (``method_options`` ``epochs`` and ``model_size``, default 20 epochs of a
0.1M model; the preset's and the harness profile's epochs and size are not used): the fit is
there to steady BM3D within minutes on a CPU, not to represent the clip on its own. At that
budget the network alone is far below BM3D and every fixed blend loses (docs/denoising.md), so
``auto`` keeps BM3D's frames (``w`` near 0) and ``bm3d-flow`` is the default denoiser.

Layout: ``(T, 3, H, W)`` float32 RGB in [0, 1].
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import torch

from masks.checks import fail
from restore.config import RestoreConfig
from restore.methods.base import MethodResult
from restore.methods.bm3d_denoise import SIGMA_FLOOR, bm3d_frames
from restore.methods.classical_denoise import gaussian_blur
from restore.methods.neural import run_neural
from restore.methods.noise_level import prepare_noisy, safety_notes
from restore.progress import PhaseClock, PhaseStopped, stop_or_deadline, stopped_info

BLENDS = ("auto", "lowpass", "network", "bm3d")

DEFAULTS: dict[str, Any] = {
    "sigma": None,  # noise level; None: estimated
    "impulses": True,  # detect and fill impulse noise first
    "profile": "fast",  # BM3D profile (fast | np)
    "noisy_weight": 0.1,  # weight of the noisy frames in the target
    "epochs": 20,  # the prior's own budget
    "model_size": 0.1,  # millions of parameters
    "blend": "auto",  # auto | lowpass | network | bm3d
    "blend_sigma": 2.0,  # px, Gaussian of the low-pass blend
}


def blend_weights(
    noisy: torch.Tensor, bm3d: torch.Tensor, difference: torch.Tensor
) -> torch.Tensor:
    """Per-frame weight ``w`` in [0, 1] of ``difference`` (the low-passed ``N - B``).

    Least squares against the noisy frames, ``argmin_w |x - B - w D|^2``. BM3D keeps a little of
    the noise, so ``x - B`` correlates with ``-B``'s share of ``D``: the estimate leans towards 0
    (towards BM3D), the safe side.
    """
    residual = (noisy - bm3d).flatten(1)
    flat = difference.flatten(1)
    weights = (residual * flat).sum(1) / flat.pow(2).sum(1).clamp_min(1e-12)
    return weights.clamp(0.0, 1.0)


def blend_outputs(
    bm3d: torch.Tensor,
    network: torch.Tensor,
    blend: str,
    blend_sigma: float,
    noisy: torch.Tensor | None = None,
) -> tuple[torch.Tensor, list[float]]:
    """The output from BM3D's frames and the network's (both ``(T, 3, H, W)``) and the per-frame
    weight given to the network's low frequencies (``auto`` needs ``noisy``)."""
    count = bm3d.shape[0]
    if blend == "network":
        return network, [1.0] * count
    if blend == "bm3d":
        return bm3d, [0.0] * count
    difference = gaussian_blur((network - bm3d + 1.0) / 2.0, blend_sigma) * 2.0 - 1.0
    if blend == "auto":
        weights = blend_weights(noisy, bm3d, difference)
    else:
        weights = torch.ones(count)
    restored = (bm3d + weights.view(-1, 1, 1, 1) * difference).clamp(0.0, 1.0)
    return restored, [float(w) for w in weights]


def run_video_prior(
    frames: torch.Tensor,
    mask: torch.Tensor | None,
    config: RestoreConfig,
    *,
    deadline=None,
    on_progress=None,
    should_stop=None,
) -> MethodResult:
    """Registered runner of ``hnerv-prior`` (see the module docstring for ``method_options``)."""
    unknown = set(config.method_options) - set(DEFAULTS)
    if unknown:
        raise fail("method options", f"names among {', '.join(DEFAULTS)}", sorted(unknown))
    options = {**DEFAULTS, **config.method_options}
    if options["blend"] not in BLENDS:
        raise fail("blend", f"one of {', '.join(BLENDS)}", repr(options["blend"]))
    if not 0 <= options["noisy_weight"] <= 1:
        raise fail("noisy_weight", "a number in [0, 1]", options["noisy_weight"])
    started = time.perf_counter()
    prepared = prepare_noisy(frames, mask, sigma=options["sigma"], impulses=options["impulses"])
    if prepared.sigma < SIGMA_FLOOR:
        # Nothing flickers once the impulses are filled: no BM3D and no prior to fit.
        restored = prepared.frames
        notes = prepared.notes + [f"noise level below {SIGMA_FLOOR:g}: no BM3D, no prior fit"]
        notes += safety_notes(frames, restored, prepared.sigma, prepared.impulses)
        seconds = time.perf_counter() - started
        return MethodResult(
            restored=restored,
            timings={"fit_seconds": seconds, "seconds_per_frame": seconds / frames.shape[0]},
            info={"options": options, **prepared.info(), "notes": notes, "epochs_run": 0},
        )
    stop = stop_or_deadline(should_stop, deadline)
    clock = PhaseClock("denoising", frames.shape[0], on_progress, stop)
    try:
        per_frame = bm3d_frames(prepared.frames, prepared.sigma, options["profile"], clock)
    except PhaseStopped as stopped:
        # No time or no wish to fit the prior: the frames BM3D finished are the result.
        stop = stopped_info("denoising", f"{stopped.what}; no prior fit", should_stop, deadline)
        seconds = time.perf_counter() - started
        return MethodResult(
            restored=stopped.finished,
            timings={"fit_seconds": seconds, "seconds_per_frame": seconds / frames.shape[0]},
            info={
                "options": options,
                **prepared.info(),
                **stop,
                "notes": prepared.notes + stop["notes"],
                "epochs_run": 0,
            },
            stopped=True,
        )
    bm3d_seconds = time.perf_counter() - started
    weight = options["noisy_weight"]
    target = ((1.0 - weight) * per_frame + weight * prepared.frames).clamp(0.0, 1.0)
    prior_config = dataclasses.replace(
        config,
        model=dataclasses.replace(config.model, size=options["model_size"]),
        fit=dataclasses.replace(config.fit, epochs=options["epochs"]),
        method_options={},
    )
    fitted = run_neural(
        target,
        None,
        prior_config,
        model_name="hnerv",
        deadline=deadline,
        on_progress=on_progress,
        should_stop=should_stop,
    )
    network = fitted.raw if fitted.raw is not None else fitted.restored
    restored, weights = blend_outputs(
        per_frame, network, options["blend"], options["blend_sigma"], prepared.frames
    )
    seconds = time.perf_counter() - started
    notes = prepared.notes + list(fitted.info.get("notes", []))
    notes += safety_notes(frames, restored, prepared.sigma, prepared.impulses)
    timings = dict(fitted.timings)
    timings.update(
        {
            "bm3d_seconds": bm3d_seconds,
            "prior_fit_seconds": fitted.timings.get("fit_seconds", 0.0),
            "fit_seconds": seconds,
            "seconds_per_frame": seconds / frames.shape[0],
        }
    )
    info = {k: v for k, v in fitted.info.items() if k != "notes"}
    info.update({"options": options, **prepared.info(), "notes": notes, "blend_weights": weights})
    return MethodResult(
        restored=restored,
        raw=network,
        timings=timings,
        info=info,
        model=fitted.model,
        stopped=fitted.stopped,
    )
