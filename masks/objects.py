"""Object-shaped holes from DAVIS annotations: moving, realistic masks for inpainting.

Two uses:

- Scored inpainting: the object masks of a *different* sequence are laid over the target video
  (resized, cycled to its length). The target's pixels under the hole stay known in the ground
  truth, so the restoration can be scored, as in video inpainting benchmarks that borrow masks.
- Object removal: the target's *own* annotations mark the object to remove. There is no ground
  truth behind the object, so the result is qualitative only.

Annotations are read from `<root>/Annotations/480p/<sequence>/00000.png ...`; any non-zero label is
an object pixel, so multi-object palettes work too. Masks are float32 tensors `(T, 1, H, W)` with
1 = missing, 0 = known (HNeRV eq. 2).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch

from masks.checks import check_non_negative_int, check_positive_int, check_video_size
from masks.errors import InputError, MissingPathError
from masks.morphology import dilate_mask

DAVIS_SEQUENCES: tuple[str, ...] = (
    "blackswan",
    "bmx-trees",
    "breakdance",
    "camel",
    "car-roundabout",
    "car-shadow",
    "cows",
    "dance-twirl",
    "dog",
)
"""The DAVIS sequences the project ships with, in alphabetical order."""


def _annotation_folder(root: str | Path, resolution: str) -> Path:
    root = Path(root)
    if not root.is_dir():
        raise MissingPathError(f"davis_root: {root} is not an existing folder")
    folder = root / "Annotations" / resolution
    if not folder.is_dir():
        raise MissingPathError(
            f"davis_root: expected {folder} (DAVIS layout Annotations/{resolution}/<sequence>), "
            "it does not exist"
        )
    return folder


def available_sequences(root: str | Path, resolution: str = "480p") -> list[str]:
    """Lists the sequences with annotations under a DAVIS root.

    Args:
        root: DAVIS root folder (the one holding `Annotations/` and `JPEGImages/`).
        resolution: Resolution folder name, `"480p"` by default.

    Returns:
        Sorted sequence names.

    Raises:
        MissingPathError: If `root` or `root/Annotations/<resolution>` does not exist.
    """
    folder = _annotation_folder(root, resolution)
    return sorted(p.name for p in folder.iterdir() if p.is_dir())


def default_object_source(target_sequence: str) -> str:
    """Returns the fixed sequence whose object masks are laid over `target_sequence`.

    The pairing is the next sequence of `DAVIS_SEQUENCES` in alphabetical order, wrapping around
    (blackswan -> bmx-trees, ..., dog -> blackswan), so a video never gets its own masks and every
    run of the benchmark uses the same holes.

    Args:
        target_sequence: One of `DAVIS_SEQUENCES`.

    Returns:
        A different sequence name from `DAVIS_SEQUENCES`.

    Raises:
        ValueError: If `target_sequence` is not one of `DAVIS_SEQUENCES`.
    """
    if target_sequence not in DAVIS_SEQUENCES:
        raise InputError(
            f"sequence {target_sequence!r} has no default object source; "
            f"expected one of {', '.join(DAVIS_SEQUENCES)}"
        )
    index = DAVIS_SEQUENCES.index(target_sequence)
    return DAVIS_SEQUENCES[(index + 1) % len(DAVIS_SEQUENCES)]


def load_davis_annotations(
    root: str | Path,
    sequence: str,
    num_frames: int | None = None,
    start: int = 0,
    size: tuple[int, int] | None = None,
    resolution: str = "480p",
) -> torch.Tensor:
    """Loads a DAVIS sequence's object annotations as a binary mask.

    Args:
        root: DAVIS root folder (the one holding `Annotations/`).
        sequence: Sequence name, e.g. `"blackswan"`.
        num_frames: Number of frames to read; `None` reads from `start` to the end.
        start: Index of the first annotation to read (in sorted file order).
        size: `(H, W)` to resize to with nearest-neighbour interpolation (the result stays binary);
            `None` keeps the annotation size (480 x 854 for most 480p sequences).
        resolution: Resolution folder name, `"480p"` by default.

    Returns:
        Float32 mask `(T, 1, H, W)`, 1 on object pixels (any non-zero label), 0 elsewhere.

    Raises:
        MissingPathError: If the root or its `Annotations/<resolution>` folder does not exist.
        ValueError: If the sequence is unknown (the message lists the available ones), has no PNG
            annotations, or holds fewer than `start + num_frames` of them, or an argument is bad.
    """
    folder = _annotation_folder(root, resolution)
    sequence_folder = folder / sequence
    if not sequence_folder.is_dir():
        names = sorted(p.name for p in folder.iterdir() if p.is_dir())
        raise InputError(
            f"sequence {sequence!r} not found in {folder}; available: {', '.join(names) or 'none'}"
        )
    check_non_negative_int("start", start)
    if num_frames is not None:
        check_positive_int("num_frames", num_frames)
    if size is not None:
        if len(size) != 2:
            raise InputError(f"size must be (height, width), got {size!r}")
        check_video_size(1, size[0], size[1])
    files = sorted(sequence_folder.glob("*.png"))
    if not files:
        raise InputError(f"sequence {sequence!r}: no PNG annotations in {sequence_folder}")
    stop = len(files) if num_frames is None else start + num_frames
    if start >= len(files) or stop > len(files):
        raise InputError(
            f"sequence {sequence!r} has {len(files)} annotated frames, "
            f"asked for frames {start}..{stop - 1}"
        )
    frames = []
    for file in files[start:stop]:
        labels = cv2.imread(str(file), cv2.IMREAD_GRAYSCALE)
        if labels is None:
            raise InputError(f"sequence {sequence!r}: OpenCV cannot read {file}")
        if size is not None:
            labels = cv2.resize(labels, (size[1], size[0]), interpolation=cv2.INTER_NEAREST)
        frames.append(labels > 0)
    return torch.from_numpy(np.stack(frames).astype(np.float32))[:, None]


def ping_pong_indices(source_length: int, num_frames: int) -> list[int]:
    """Returns `num_frames` source indices that play forward, then backward, then forward...

    Ping-pong (0, 1, ..., n-1, n-2, ..., 1, 0, 1, ...) rather than wrap-around, so the hole moves
    smoothly with no jump where the source restarts. A one-frame source repeats frame 0.

    Args:
        source_length: Number of source frames n >= 1.
        num_frames: Number of indices to return.

    Returns:
        List of `num_frames` indices in `[0, n)`.

    Raises:
        ValueError: If either argument is not a positive integer.
    """
    check_positive_int("source_length", source_length)
    check_positive_int("num_frames", num_frames)
    if source_length == 1:
        return [0] * num_frames
    period = 2 * (source_length - 1)
    indices = []
    for frame in range(num_frames):
        phase = frame % period
        indices.append(phase if phase < source_length else period - phase)
    return indices


def object_masks(
    root: str | Path,
    source_sequence: str,
    num_frames: int,
    height: int,
    width: int,
    dilate: int = 0,
    resolution: str = "480p",
) -> torch.Tensor:
    """Builds moving object-shaped holes from a DAVIS sequence's annotations.

    The source annotations are resized to `height x width` (nearest neighbour), cycled in
    ping-pong order (forward, then backward; see `ping_pong_indices`) or truncated to `num_frames`,
    and dilated by `dilate` pixels. Pass another sequence (`default_object_source(target)`) for a
    scored benchmark, or the target itself for object removal.

    Args:
        root: DAVIS root folder (the one holding `Annotations/`).
        source_sequence: Sequence whose annotations become the holes.
        num_frames: Frame count T of the target video.
        height: Frame height H of the target video.
        width: Frame width W of the target video.
        dilate: Grow holes by this many pixels (square, see `dilate_mask`).
        resolution: The `Annotations/<resolution>` folder to read (`"480p"` by default).

    Returns:
        Float32 mask `(T, 1, H, W)`, 1 on (resized) object pixels, 0 elsewhere.

    Raises:
        MissingPathError: If the DAVIS root or its annotation folder does not exist.
        ValueError: If the sequence is unknown (the message lists the available ones) or an
            argument is bad.
    """
    check_video_size(num_frames, height, width)
    check_non_negative_int("dilate", dilate)
    source = load_davis_annotations(
        root, source_sequence, size=(height, width), resolution=resolution
    )
    mask = source[ping_pong_indices(source.shape[0], num_frames)]
    return dilate_mask(mask, dilate)
