"""What every denoiser needs to know about the noise: its level, its impulses, and a safety check.

- ``estimate_sigma``: the standard deviation of additive white Gaussian noise, estimated from the
  clip (D. L. Donoho, I. M. Johnstone, "Ideal spatial adaptation by wavelet shrinkage",
  Biometrika 1994: the median absolute deviation of the finest diagonal wavelet coefficients /
  0.6745, scikit-image's ``estimate_sigma``), on a few evenly spaced frames, channels averaged.
- ``prepare_noisy``: the common front of the denoisers: impulses detected
  (``masks.detect_impulses``) and filled by the inpainting path (flow-guided propagation, Telea
  for the rest), then the level of the remaining Gaussian noise (none after impulses unless the
  user gives it: see there).
- ``safety_notes``: a denoiser should not return a clip worse than its input without saying so.
  If the output ``y`` is independent of the noise, ``E|x - y|^2 = sigma^2 + MSE(y, clean)``, so a
  residual ``x - y`` of rms above ``sqrt(2) * sigma`` means ``MSE(y, clean) > sigma^2``: worse
  than the input. (A denoiser that keeps some noise correlates with it and lowers the residual,
  so the test errs on the side of silence.)

Layout: frames ``(T, 3, H, W)`` float32 RGB in [0, 1]; impulse masks ``(T, 1, H, W)``, 1 = hit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from masks.impulses import detect_impulses

SIGMA_FRAMES = 5
"""Frames (evenly spaced) the noise level is estimated on."""

IMPULSE_MIN_FRACTION = 2e-4
"""Below this fraction of detected pixels the clip is taken to have no impulse noise (clean
DAVIS clips give 0-0.005 % false detections, sigma-0.04 Gaussian ones 0.001-0.02 %, impulse
clips at the default densities 0.3-0.85 %)."""

SAFETY_RATIO = math.sqrt(2.0)
"""Residual rms above this many sigmas: the output is likely worse than the input."""


def estimate_sigma(frames: torch.Tensor, count: int = SIGMA_FRAMES) -> float:
    """Standard deviation of the white Gaussian noise of a clip, in [0, 1] pixel units.

    Args:
        frames: ``(T, 3, H, W)`` float video in [0, 1].
        count: How many evenly spaced frames to estimate on; their median is returned.

    Returns:
        The estimated sigma (>= 0). Clean frames give a small positive value (texture and JPEG
        artefacts look like noise to the estimator: 0.002-0.01 on DAVIS at 432x240).
    """
    from skimage.restoration import estimate_sigma as wavelet_sigma

    indices = np.unique(np.linspace(0, frames.shape[0] - 1, min(count, frames.shape[0])).round())
    estimates = [
        wavelet_sigma(
            frames[int(i)].permute(1, 2, 0).double().numpy(), channel_axis=-1, average_sigmas=True
        )
        for i in indices
    ]
    return float(np.median(estimates))


@dataclass
class NoisyInput:
    """A noisy clip after the common front of the denoisers."""

    frames: torch.Tensor  # (T, 3, H, W): impulses filled, Gaussian noise left
    impulses: torch.Tensor | None  # (T, 1, H, W), 1 = detected impulse; None if none were found
    sigma: float  # level of the Gaussian noise left (given, or estimated on ``frames``)
    sigma_estimated: bool  # True if ``sigma`` was estimated
    notes: list[str] = field(default_factory=list)

    def info(self) -> dict:
        return {
            "sigma": self.sigma,
            "sigma_estimated": self.sigma_estimated,
            "impulse_fraction": 0.0 if self.impulses is None else float(self.impulses.mean()),
        }


def prepare_noisy(
    frames: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    sigma: float | None = None,
    impulses: bool = True,
) -> NoisyInput:
    """Impulses found and filled, then the Gaussian level: what every denoiser starts from.

    Args:
        frames: ``(T, 3, H, W)`` noisy video in [0, 1].
        mask: ``(T, 1, H, W)`` pixels known to be hit (``--noise-mask``); used instead of the
            detector.
        sigma: The Gaussian noise level if the user knows it; None estimates it, except after
            impulses (found or given), where it is 0: no Gaussian stage.
        impulses: Look for impulse noise (``masks.detect_impulses``) when no mask is given.

    Returns:
        The ``NoisyInput``.
    """
    from restore.methods.flow_propagation import flow_guided

    notes: list[str] = []
    holes = mask
    if holes is None and impulses:
        rough = estimate_sigma(frames) if sigma is None else sigma
        found = detect_impulses(frames, min(rough, 0.1))
        fraction = float(found.mean())
        if fraction >= IMPULSE_MIN_FRACTION:
            holes = found
            notes.append(
                f"impulse noise: {100 * fraction:.2f}% of pixels detected and filled as holes "
                "(flow-guided propagation)"
            )
    if holes is not None and bool((holes > 0.5).any()):
        frames = flow_guided(frames, holes)
    else:
        holes = None
    if sigma is None and holes is not None:
        # Filled impulse clips look noisy to the estimator through their texture alone (clean
        # DAVIS clips: sigma 0.004-0.026), and BM3D at that level removes texture: skip it.
        notes.append(
            "no Gaussian denoising after the impulses (give --sigma to denoise the rest as well)"
        )
        return NoisyInput(frames, holes, 0.0, False, notes)
    estimated = sigma is None
    level = estimate_sigma(frames) if estimated else float(sigma)
    if estimated:
        notes.append(
            f"noise level estimated from the clip: sigma = {level:.4f} ({255 * level:.1f}/255)"
        )
    return NoisyInput(frames, holes, level, estimated, notes)


def safety_notes(
    noisy: torch.Tensor, restored: torch.Tensor, sigma: float, impulses: torch.Tensor | None
) -> list[str]:
    """A note if the output is likely worse than its input (see the module docstring).

    Args:
        noisy: ``(T, 3, H, W)`` the denoiser's input, impulses not yet filled.
        restored: ``(T, 3, H, W)`` its output.
        sigma: Level of the Gaussian noise of ``noisy`` (outside the impulses).
        impulses: ``(T, 1, H, W)`` pixels hit by impulses, left out of the test; or None.

    Returns:
        ``[]``, or one note saying how far the output is from its input.
    """
    squared = (noisy - restored).pow(2).mean(dim=1, keepdim=True)
    if impulses is not None:
        keep = impulses < 0.5
        rms = float(squared[keep].mean().sqrt()) if bool(keep.any()) else 0.0
    else:
        rms = float(squared.mean().sqrt())
    limit = SAFETY_RATIO * max(sigma, 0.0)
    if rms <= limit:
        return []
    return [
        f"warning: the output is probably WORSE than the input: it differs from the input by "
        f"{rms:.4f} rms ({255 * rms:.1f}/255), more than sqrt(2) x the noise level "
        f"{sigma:.4f}, so it removed image content as well as noise; try another method "
        "(bm3d) or give the noise level"
    ]
