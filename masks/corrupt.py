"""The one way to turn a clip into the input a method gets: holes from a mask spec, or noise.

The CLI, the app (through `restore.jobs`, and `restore.streamed` for each chunk of a long clip)
and the DAVIS harness (`evaluation.tasks`) all build their corrupted inputs here, with the same
generators (`make_mask`, `add_noise`), so a task in the harness and the same `--mask`/`--add-noise`
on the command line give the same input.

Frames `(T, 3, H, W)` float32 in [0, 1]; masks `(T, 1, H, W)`, 1 = missing, binary (values are
thresholded at 0.5 here, once). Hole pixels of the corrupted input are zeroed: no method may peek
at what was behind them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from masks.checks import check_learnable, check_mask, fail
from masks.errors import InputError
from masks.noise import add_noise, parse_noise_spec
from masks.preview import propagation_warning
from masks.spec import is_synthetic, make_mask
from masks.track import TrackingStopped, dilate_for_removal, track_mask


@dataclass
class CorruptedInput:
    """What a method gets, and what is known about how it was made."""

    corrupted: torch.Tensor  # (T, 3, H, W): holes zeroed, or the noisy frames
    mask: torch.Tensor | None  # (T, 1, H, W) binary, 1 = missing; None: blind denoising
    synthetic: bool  # the clean frames are the ground truth (a generated corruption)
    description: str  # e.g. "mask boxes" or "gaussian noise, level 0.04, seed 0"
    notes: list[str] = field(default_factory=list)  # warnings worth showing the user


def corrupt(
    frames: torch.Tensor,
    *,
    mask: str | torch.Tensor | None = None,
    noise: str | None = None,
    noise_mask: bool = False,
    seed: int = 0,
    box_size: int | None = None,
    davis_root: str | Path | None = None,
    resolution: str = "480p",
    threshold: float = 0.5,
    invert: bool = False,
    dilate: int = 0,
    resize: bool = False,
    track: bool = False,
    chunk: bool = False,
    on_tracked: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> CorruptedInput:
    """Builds the corrupted input of a clip: holes (``mask``), or noise (``noise``), or neither.

    Args:
        frames: ``(T, 3, H, W)`` float32 in [0, 1], already checked by the caller. Not modified.
        mask: A ``make_mask`` spec (``boxes``, ``center``, ``objects:<seq>``, a path) or an
            explicit ``(T, 1, H, W)`` tensor; holes are zeroed in the output.
        noise: ``kind[:level]`` synthetic noise to add (``masks.NOISE_KINDS``).
        noise_mask: With impulse noise, hand the hit pixels over as holes.
        seed: Seed of the noise generator.
        box_size, davis_root, resolution, threshold, invert, dilate, resize: passed to
            ``make_mask`` (see there).
        track: ``mask`` is a path whose first image marks an object on the clip's first frame:
            the object is tracked over the clip (``masks.track_mask``) and each frame's hole is
            the tracked object grown by the removal margin (``dilate_for_removal``) and by
            ``dilate``.
        chunk: ``frames`` (and a tensor ``mask``) are one chunk of a longer clip
            (`restore.streamed`): a chunk may have no hole, and whether a hole is ever
            uncovered is a property of the whole clip, so neither is checked or noted here. The
            mask's layout, size and values are still checked, and so is a known pixel.
        on_tracked: With ``track``, called with ``(frames done, frames in all)`` as the object
            is followed.
        should_stop: With ``track``, polled before each tracked frame; True ends tracking and
            raises ``TrackingStopped``.

    Returns:
        The ``CorruptedInput``.

    Raises:
        InputError: For a bad spec, a mask that does not fit the clip, an empty mask (unless
            ``chunk``), a mask that covers everything, or ``noise_mask`` with noise that has no
            mask.
        TrackingStopped: ``should_stop`` ended tracking.
    """
    if mask is not None and noise is not None:
        raise fail("mask/noise", "holes or noise, not both", "both")
    num_frames, _, height, width = frames.shape
    if noise is not None:
        kind, level = parse_noise_spec(noise)
        corruption = add_noise(frames, kind, level, seed=seed)
        if noise_mask and corruption.mask is None:
            raise InputError(f"--noise-mask: {kind} noise changes every pixel; it has no mask")
        holes = corruption.mask if noise_mask else None
        corrupted = corruption.corrupted if holes is None else corruption.corrupted * (1 - holes)
        description = f"{corruption.kind} noise, level {corruption.level:g}, seed {seed}"
        return CorruptedInput(corrupted, holes, True, description, [f"added {description}"])
    if noise_mask:
        raise InputError("--noise-mask needs --add-noise (the hit pixels must be known)")
    if mask is None:
        return CorruptedInput(frames, None, False, "as given")
    if track and (not isinstance(mask, str) or is_synthetic(mask)):
        raise fail("--track", "a mask file or folder (its first image is tracked)", repr(mask))
    notes: list[str] = []
    if isinstance(mask, torch.Tensor):
        check_mask(mask, frames)  # a spec's mask is made to the clip's size by make_mask
        holes, synthetic, description = mask, False, "explicit mask"
    else:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            holes = make_mask(
                mask,
                num_frames,
                height,
                width,
                box_size=box_size,
                davis_root=davis_root,
                threshold=threshold,
                invert=invert,
                dilate=0 if track else dilate,  # tracking starts from the object's own edge
                resize=resize,
                resolution=resolution,
            )
        notes += [str(w.message) for w in caught]
        synthetic, description = is_synthetic(mask), f"mask {mask}"
        if track:
            holes = tracked_holes(
                frames, holes, dilate, progress=on_tracked, should_stop=should_stop
            )
            description = f"mask {mask}, tracked from the first frame"
    holes = (holes > 0.5).to(frames.dtype)
    if not chunk and not bool(holes.any()):
        raise InputError("mask: expected at least one missing pixel, got an empty mask")
    check_learnable(holes)
    warning = None if chunk else propagation_warning(holes)
    if warning:
        notes.append(warning)
    return CorruptedInput(frames * (1 - holes), holes, synthetic, description, notes)


def tracked_holes(
    frames: torch.Tensor,
    loaded: torch.Tensor,
    dilate: int,
    *,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> torch.Tensor:
    """The holes of a tracked user mask: the object of its first frame tracked over the clip,
    grown by the removal margin (``dilate_for_removal``) and then by ``dilate`` pixels.

    ``progress`` and ``should_stop`` go to ``track_mask``; a stop raises ``TrackingStopped``."""
    tracked = track_mask(frames, loaded[0, 0], progress=progress, should_stop=should_stop)
    if tracked is None:
        raise TrackingStopped("stopped while following the object")
    grown = dilate_for_removal(tracked)
    return dilate_for_removal(grown, dilate) if dilate else grown
