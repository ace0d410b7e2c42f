"""The DAVIS dataset as the harness reads it: root checks, resolution folders, sequences, frames.

A DAVIS root has the official layout::

    <root>/JPEGImages/<resolution>/<sequence>/00000.jpg ...
    <root>/Annotations/<resolution>/<sequence>/00000.png ...   (object masks; inpaint-objects only)

where `<resolution>` is `480p`, `1080p` or `Full-Resolution`. Every check here raises a one-line
error naming the argument, what was expected and what was found: `FileNotFoundError` (via
`masks.MissingPathError`, also a `ValueError`) for a missing folder, `ValueError` for an unknown
sequence (listing the available ones). Frames come back in the project's layout, float32
`(T, 3, H, W)` RGB in [0, 1], read with `restore.io.read_video` (resized with `INTER_AREA` when
shrinking).
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

from restore.errors import InputError, MissingPathError
from restore.io import read_video

DEFAULT_RESOLUTION = "480p"
"""The resolution folder every profile except `paper` reads (the DAVIS benchmarks' own)."""

_RESOLUTION_PATTERN = re.compile(r"^(\d+)p$")


def check_root(root: str | Path) -> Path:
    """Checks that `root` is a DAVIS root (a folder holding `JPEGImages/`).

    Args:
        root: The folder given as `--root`.

    Returns:
        `root` as a `Path`.

    Raises:
        MissingPathError: If `root` or `root/JPEGImages` is not an existing folder.
    """
    path = Path(root)
    if not path.is_dir():
        raise MissingPathError(f"--root: expected an existing DAVIS folder, got {str(path)!r}")
    if not (path / "JPEGImages").is_dir():
        raise MissingPathError(
            f"--root: expected the DAVIS layout JPEGImages/<resolution>/<sequence>/*.jpg under "
            f"{path}, but {path / 'JPEGImages'} does not exist"
        )
    return path


def _resolution_rank(name: str) -> float:
    """Sort key of a resolution folder: `480p` -> 480; `Full-Resolution` (or any other) -> inf."""
    match = _RESOLUTION_PATTERN.match(name)
    return float(match.group(1)) if match else float("inf")


def resolution_folders(root: str | Path) -> list[str]:
    """Lists the resolution folders under `root/JPEGImages`, smallest first.

    Args:
        root: A DAVIS root.

    Returns:
        Folder names such as `["480p", "1080p", "Full-Resolution"]`.

    Raises:
        MissingPathError: If the root is not a DAVIS root or has no resolution folder.
    """
    images = check_root(root) / "JPEGImages"
    names = sorted(
        (entry.name for entry in images.iterdir() if entry.is_dir()),
        key=lambda name: (_resolution_rank(name), name),
    )
    if not names:
        raise MissingPathError(
            f"--root: expected a resolution folder such as {images / DEFAULT_RESOLUTION}, "
            f"found none in {images}"
        )
    return names


def choose_resolution(root: str | Path, *, largest: bool = False) -> str:
    """Picks the resolution folder to read: `480p` if present, else (or if `largest`) the largest.

    Args:
        root: A DAVIS root.
        largest: Take the largest folder (the `paper` profile) rather than `480p`.

    Returns:
        The folder name under `JPEGImages/`.

    Raises:
        MissingPathError: If the root is not a DAVIS root or has no resolution folder.
    """
    names = resolution_folders(root)
    if not largest and DEFAULT_RESOLUTION in names:
        return DEFAULT_RESOLUTION
    return names[-1]


def list_sequences(root: str | Path, resolution: str) -> list[str]:
    """Lists the sequences (sub-folders) of `root/JPEGImages/<resolution>`, sorted.

    Raises:
        MissingPathError: If the root or the resolution folder does not exist.
    """
    folder = check_root(root) / "JPEGImages" / resolution
    if not folder.is_dir():
        raise MissingPathError(
            f"resolution: expected one of {', '.join(resolution_folders(root))} under "
            f"{Path(root) / 'JPEGImages'}, got {resolution!r}"
        )
    return sorted(entry.name for entry in folder.iterdir() if entry.is_dir())


def check_sequences(
    root: str | Path, resolution: str, sequences: list[str] | None = None
) -> list[str]:
    """Checks requested sequence names against the root; None or [] means all of them.

    Args:
        root: A DAVIS root.
        resolution: Resolution folder under `JPEGImages/`.
        sequences: Names asked for with `--sequences`, or None for every sequence.

    Returns:
        The names to evaluate, in the order given (duplicates dropped), or all available, sorted.

    Raises:
        ValueError: If a name is not a sequence of the root (the message lists the available
            ones), or the root has no sequence at all.
        MissingPathError: If the root or the resolution folder does not exist.
    """
    available = list_sequences(root, resolution)
    if not available:
        raise InputError(
            f"--root: expected sequence folders in {Path(root) / 'JPEGImages' / resolution}, "
            "found none"
        )
    if not sequences:
        return available
    unknown = [name for name in sequences if name not in available]
    if unknown:
        raise InputError(
            f"--sequences: unknown sequence(s) {', '.join(repr(n) for n in unknown)}; "
            f"available in {Path(root) / 'JPEGImages' / resolution}: {', '.join(available)}"
        )
    return list(dict.fromkeys(sequences))


def load_frames(
    root: str | Path,
    sequence: str,
    resolution: str,
    *,
    size: tuple[int, int] | None = None,
    max_frames: int | None = None,
) -> torch.Tensor:
    """Reads the first frames of a sequence.

    Args:
        root: A DAVIS root.
        sequence: Sequence name, e.g. `"blackswan"`.
        resolution: Resolution folder under `JPEGImages/`.
        size: `(width, height)` to resize to; None keeps the native size.
        max_frames: Read at most this many frames from the first; None reads all.

    Returns:
        float32 `(T, 3, H, W)` RGB in [0, 1], T <= `max_frames`.

    Raises:
        ValueError: If the sequence is unknown or its frames cannot be read.
    """
    check_sequences(root, resolution, [sequence])
    folder = Path(root) / "JPEGImages" / resolution / sequence
    return read_video(folder, max_frames=max_frames, resize=size).frames
