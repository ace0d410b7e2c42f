"""Synthetic noise for denoising benchmarks, with the clean video kept as the reference.

Kinds (all pure functions of the video, the level and a seed):

- `gaussian`: additive white Gaussian noise of standard deviation `level` (in [0, 1] pixel units,
  per channel), clipped to [0, 1]. Every pixel changes, so there is no mask.
- `salt-pepper`: impulse noise: a fraction `level` (the density) of pixels, drawn independently,
  turns black or white (equal odds; all three channels). This is also NeRV's "salt & pepper".
- `white`, `black`, `random`: the other impulse noises of the NeRV denoising experiment (Table 5
  of `nerv-slides.txt`): a fraction `level` of pixels turns white, black, or a uniformly random RGB
  colour (each channel drawn independently).

Impulse kinds also return the mask of the pixels they hit, so the engine can treat a known mask as
inpainting (HNeRV eq. 2). NeRV does not publish its noise densities; the default levels here were
chosen so that they give corrupted inputs close to NeRV's "baseline" row (its Table 5) on DAVIS
blackswan; the levels and the input PSNRs they give are in docs/corruptions.md.

PSNR depends on the content (white noise costs more on a dark frame), so other videos differ.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from masks.checks import check_video
from masks.errors import InputError

NOISE_KINDS: dict[str, float] = {
    "gaussian": 0.04,
    "salt-pepper": 0.005,
    "white": 0.0035,
    "black": 0.0085,
    "random": 0.005,
}
"""Noise kind -> default level (sigma for `gaussian`, fraction of pixels hit for the others)."""

IMPULSE_KINDS: tuple[str, ...] = ("salt-pepper", "white", "black", "random")
"""Kinds that replace a subset of pixels and report it as a mask."""


@dataclass(frozen=True)
class Corruption:
    """A corrupted video and what is known about the corruption.

    The clean video passed to `add_noise` is left untouched and serves as the reference for scoring.
    """

    corrupted: torch.Tensor
    """Noisy frames `(T, 3, H, W)`, float32 RGB in [0, 1]."""
    mask: torch.Tensor | None
    """Pixels the noise replaced `(T, 1, H, W)` (1 = replaced), or None when every pixel changed."""
    kind: str
    """Noise kind, a key of `NOISE_KINDS`."""
    level: float
    """Level used: sigma for `gaussian`, density (fraction of pixels) for impulse kinds."""


def _check_kind(kind: object, argument: str) -> str:
    if kind not in NOISE_KINDS:
        raise InputError(
            f"{argument}: unknown noise kind {kind!r}; expected one of {', '.join(NOISE_KINDS)}"
        )
    return kind  # type: ignore[return-value]


def _check_level(kind: str, level: float) -> float:
    name = "sigma" if kind == "gaussian" else "density"
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0.0 <= level <= 1.0:
        raise InputError(f"{kind} noise level ({name}) must be a number in [0, 1], got {level!r}")
    return float(level)


def parse_noise_spec(spec: str) -> tuple[str, float | None]:
    """Parses a `--noise` value: `"kind"` or `"kind:level"`.

    Args:
        spec: For example `"gaussian"`, `"gaussian:0.1"` or `"white:0.01"`.

    Returns:
        `(kind, level)`, with `level` None when the spec gives none (use `NOISE_KINDS[kind]`).

    Raises:
        ValueError: If the kind is unknown (the message lists the valid kinds) or the level is not
            a number in [0, 1].
    """
    kind, separator, level_text = spec.strip().partition(":")
    kind = _check_kind(kind.strip().lower(), "--noise")
    if not separator:
        return kind, None
    try:
        level = float(level_text)
    except ValueError:
        raise InputError(
            f"--noise: level in {spec!r} must be a number, got {level_text!r}"
        ) from None
    return kind, _check_level(kind, level)


def add_noise(
    video: torch.Tensor, kind: str, level: float | None = None, seed: int = 0
) -> Corruption:
    """Corrupts a video with synthetic noise; the same seed gives the same noise.

    Random numbers come from a CPU `torch.Generator` seeded with `seed`, drawn in a fixed order,
    so the result does not depend on the global RNG or on the device of `video`.

    Args:
        video: Clean frames `(T, 3, H, W)`, float RGB in [0, 1]. Not modified.
        kind: A key of `NOISE_KINDS`: `gaussian`, `salt-pepper`, `white`, `black` or `random`.
        level: Sigma for `gaussian`, fraction of pixels hit for impulse kinds, in [0, 1];
            None uses `NOISE_KINDS[kind]`.
        seed: Seed of the generator.

    Returns:
        A `Corruption` with the noisy frames (same shape, dtype and device as `video`), the mask
        of replaced pixels for impulse kinds (None for `gaussian`), the kind and the level used.

    Raises:
        ValueError: If `video` is not `(T, 3, H, W)` in [0, 1], or `kind` or `level` is invalid.
    """
    check_video(video)
    kind = _check_kind(kind, "kind")
    level = NOISE_KINDS[kind] if level is None else _check_level(kind, level)
    generator = torch.Generator(device="cpu").manual_seed(seed)
    frames, _, height, width = video.shape

    def draw(*shape: int) -> torch.Tensor:
        return torch.rand(shape, generator=generator).to(device=video.device, dtype=video.dtype)

    if kind == "gaussian":
        noise = torch.randn(video.shape, generator=generator, dtype=torch.float32)
        noise = noise.to(device=video.device, dtype=video.dtype)
        return Corruption((video + level * noise).clamp(0.0, 1.0), None, kind, level)

    hit = draw(frames, 1, height, width) < level
    if kind == "white":
        values = torch.ones_like(video)
    elif kind == "black":
        values = torch.zeros_like(video)
    elif kind == "salt-pepper":
        values = (draw(frames, 1, height, width) < 0.5).to(video.dtype).expand_as(video)
    else:  # random
        values = draw(frames, 3, height, width)
    corrupted = torch.where(hit, values, video)
    return Corruption(corrupted, hit.to(video.dtype), kind, level)
