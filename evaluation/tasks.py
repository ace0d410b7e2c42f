"""Evaluation tasks: from a clean clip to the corrupted input every method gets, and its mask.

- `inpaint-boxes`: HNeRV's protocol (Sec. 4.4, Table 8): five fixed squares, 50 px at 960 rows
  scaled with the height (`masks.box_masks`).
- `inpaint-center`: Boosting-NeRV's Mask-C: one centred H/4 x W/4 box (`masks.center_mask`).
- `inpaint-objects`: moving object-shaped holes borrowed from *another* sequence's annotations
  (`masks.default_object_source` pairing; ping-pong cycled, resized with nearest neighbour), so
  the ground truth behind the hole is known.
- `denoise-<kind>` for each kind of `masks.NOISE_KINDS`, at its default level, seeded: blind
  denoising, so the methods get no mask and are scored on whole frames.

Inpainting inputs have their holes zeroed (no method may peek at the ground truth there). Every
function is pure: the same clip, task and seed give the same corruption, so all methods of a
batch are scored under one protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from masks import DAVIS_SEQUENCES, NOISE_KINDS, check_video, corrupt, default_object_source
from restore.errors import InputError, MissingPathError

INPAINT_TASKS: tuple[str, ...] = ("inpaint-boxes", "inpaint-center", "inpaint-objects")
DENOISE_TASKS: tuple[str, ...] = tuple(f"denoise-{kind}" for kind in NOISE_KINDS)
TASKS: tuple[str, ...] = INPAINT_TASKS + DENOISE_TASKS


@dataclass(frozen=True)
class TaskInput:
    """What one task makes of a clean clip."""

    corrupted: torch.Tensor  # (T, 3, H, W) in [0, 1]: the input every method gets
    mask: torch.Tensor | None  # (T, 1, H, W), 1 = hole, given to the methods; None to denoise
    description: str  # e.g. "5 boxes of 12 px" or "gaussian noise, sigma 0.04, seed 0"


def check_task(task: str) -> str:
    """Returns `task` if it is a known task name.

    Raises:
        ValueError: Naming the valid tasks otherwise.
    """
    if task not in TASKS:
        raise InputError(f"--task: expected one of {', '.join(TASKS)}, got {task!r}")
    return task


def task_kind(task: str) -> str:
    """`"inpaint"` or `"denoise"`: the method capability (`restore.methods.Method.tasks`) a task
    needs.

    Raises:
        ValueError: If `task` is unknown.
    """
    return "inpaint" if check_task(task) in INPAINT_TASKS else "denoise"


def annotation_resolution(root: str | Path, resolution: str) -> str:
    """The `Annotations/` resolution folder to take object masks from: `resolution` if present,
    else `480p`, else any (they are resized to the clip anyway).

    Raises:
        FileNotFoundError: If `root/Annotations` has no resolution folder.
    """
    folder = Path(root) / "Annotations"
    names = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    if not names:
        raise MissingPathError(
            f"--root: inpaint-objects expected DAVIS annotations in {folder}/<resolution>/"
            "<sequence>/*.png, found none"
        )
    for candidate in (resolution, "480p"):
        if candidate in names:
            return candidate
    return names[0]


def object_source(sequence: str, annotated: list[str]) -> str:
    """The sequence whose annotations become `sequence`'s holes, never `sequence` itself.

    The project's fixed pairing (`masks.default_object_source`) when it applies; otherwise the next
    annotated sequence in alphabetical order, wrapping around.

    Args:
        sequence: The target sequence.
        annotated: Sequences with annotations under the root.

    Raises:
        ValueError: If no other sequence has annotations.
    """
    if sequence in DAVIS_SEQUENCES and default_object_source(sequence) in annotated:
        return default_object_source(sequence)
    others = sorted(name for name in annotated if name != sequence)
    if not others:
        raise InputError(
            f"inpaint-objects: expected annotations of a sequence other than {sequence!r}, "
            f"got only {annotated}"
        )
    later = [name for name in others if name > sequence]
    return (later or others)[0]


def make_task_input(
    task: str,
    clean: torch.Tensor,
    *,
    seed: int = 0,
    davis_root: str | Path | None = None,
    sequence: str | None = None,
    resolution: str = "480p",
) -> TaskInput:
    """Builds the corrupted input and mask of `task` for a clean clip.

    Args:
        task: One of `TASKS`.
        clean: Ground truth `(T, 3, H, W)` float32 in [0, 1]. Not modified.
        seed: Seed of the noise (denoise tasks).
        davis_root: DAVIS root (inpaint-objects only: the masks come from its annotations).
        sequence: The clip's sequence name (inpaint-objects only: picks the mask source).
        resolution: The clip's resolution folder (inpaint-objects: which annotations to read).

    Returns:
        The `TaskInput`.

    Raises:
        ValueError: If `task` is unknown, `clean` is not `(T, 3, H, W)`, or inpaint-objects lacks
            `davis_root`/`sequence`.
    """
    check_task(task)
    check_video(clean, "clean")
    if task.startswith("denoise-"):
        made = corrupt(clean, noise=task.removeprefix("denoise-"), seed=seed)
        return TaskInput(made.corrupted, None, made.description)
    if task == "inpaint-boxes":
        made = corrupt(clean, mask="boxes")
        return TaskInput(
            made.corrupted, made.mask, "HNeRV boxes: 5 squares, 50 px at 960 rows (scaled)"
        )
    if task == "inpaint-center":
        made = corrupt(clean, mask="center")
        return TaskInput(made.corrupted, made.mask, "Boosting-NeRV Mask-C: centred H/4 x W/4 box")
    if davis_root is None or sequence is None:
        raise InputError("inpaint-objects: expected davis_root and sequence, got None")
    annotations = annotation_resolution(davis_root, resolution)
    folder = Path(davis_root) / "Annotations" / annotations
    source = object_source(sequence, sorted(p.name for p in folder.iterdir() if p.is_dir()))
    made = corrupt(clean, mask=f"objects:{source}", davis_root=davis_root, resolution=annotations)
    description = f"object masks of {source} (Annotations/{annotations}, ping-pong)"
    return TaskInput(made.corrupted, made.mask, description)
