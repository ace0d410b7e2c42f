"""One entry point from a `--mask` string to a mask tensor, shared by the CLI, app and harness.

A spec is one of:

- `boxes`: the HNeRV five-box protocol (`box_masks`, side from `box_size` or the frame height);
- `center`: the Boosting-NeRV central mask (`center_mask`);
- `objects:<sequence>`: that DAVIS sequence's object masks (`object_masks`, needs `davis_root`);
  bare `objects` uses `default_object_source(sequence)` when the target `sequence` is given;
- a path to a folder of mask images, a mask image or a mask video (`load_mask`).

Names win over paths: a file called `boxes` in the working directory is reached as `./boxes`.
Masks are float32 tensors `(T, 1, H, W)` with 1 = missing, 0 = known (HNeRV eq. 2).
"""

from __future__ import annotations

from pathlib import Path

import torch

from masks.boxes import box_masks, center_mask
from masks.checks import check_non_negative_int, check_video_size
from masks.errors import InputError
from masks.objects import default_object_source, object_masks
from masks.user import load_mask

SYNTHETIC_MASKS: tuple[str, ...] = ("boxes", "center", "objects")
"""Named mask kinds a spec may give instead of a path: generated, so the clip is the truth."""


def is_synthetic(spec: str) -> bool:
    """Whether ``spec`` names a generated mask (the clip itself is then the ground truth)."""
    return spec.partition(":")[0] in SYNTHETIC_MASKS


def make_mask(
    spec: str,
    num_frames: int,
    height: int,
    width: int,
    *,
    box_size: int | None = None,
    davis_root: str | Path | None = None,
    sequence: str | None = None,
    threshold: float = 0.5,
    invert: bool = False,
    dilate: int = 0,
    resize: bool = False,
    resolution: str = "480p",
) -> torch.Tensor:
    """Builds the mask a `--mask` spec names, sized for a `(num_frames, height, width)` video.

    Args:
        spec: `"boxes"`, `"center"`, `"objects:<source_sequence>"`, `"objects"` (with `sequence`),
            or a path to a mask folder, image or video.
        num_frames: Frame count T of the video.
        height: Frame height H of the video.
        width: Frame width W of the video.
        box_size: Box side for `boxes` (`--box-size`); None scales 50 px at 960 rows.
        davis_root: DAVIS root folder, needed by `objects`.
        sequence: Target DAVIS sequence; lets bare `objects` pick `default_object_source`.
        threshold: Gray level above which a user-mask pixel is a hole (paths only).
        invert: Swap holes and known pixels of a user mask (paths only).
        dilate: Grow holes by this many pixels (objects and paths; ignored by boxes and center,
            whose geometry is fixed by the protocol).
        resize: Rescale a user mask of another size to the video (paths only).
        resolution: `Annotations/<resolution>` folder for `objects` (`"480p"` by default).

    Returns:
        Float32 mask `(T, 1, H, W)`, 1 = missing, 0 = known.

    Raises:
        ValueError: If the spec is neither a known name nor an existing path ("--mask: 'foo' is
            not boxes, center, objects:<sequence> or an existing file/folder"), if `objects` lacks
            `davis_root` or a source sequence, or on any error of the generator it delegates to.
    """
    check_video_size(num_frames, height, width)
    check_non_negative_int("dilate", dilate)
    name, separator, argument = spec.partition(":")
    if spec == "boxes":
        return box_masks(num_frames, height, width, box_size=box_size)
    if spec == "center":
        return center_mask(num_frames, height, width)
    if name == "objects":
        source = argument if separator else None
        if source is None and sequence is not None:
            source = default_object_source(sequence)
        if not source:
            raise InputError(
                "--mask: 'objects' needs a source sequence, as objects:<sequence> "
                "(e.g. objects:bmx-trees)"
            )
        if davis_root is None:
            raise InputError(f"--mask: {spec!r} needs davis_root, the DAVIS dataset folder")
        return object_masks(
            davis_root, source, num_frames, height, width, dilate=dilate, resolution=resolution
        )
    if spec and Path(spec).exists():
        return load_mask(
            spec,
            num_frames,
            height,
            width,
            threshold=threshold,
            invert=invert,
            dilate=dilate,
            resize=resize,
        )
    raise InputError(
        f"--mask: {spec!r} is not boxes, center, objects:<sequence> or an existing file/folder"
    )
