"""`restore eval track`: masks tracked from the first frame's annotation, scored on DAVIS-2016.

For each sequence, `masks.track_mask` tracks the first annotated frame's object over the clip
and the result is scored against the annotations of the other frames:

- **J**, region similarity: the mean IoU over the frames after the first, in % (the DAVIS-2016
  measure; frames where both masks are empty count 100);
- **coverage**: the share of the object's pixels (all frames after the first) inside the
  removal mask (`masks.dilate_for_removal` of the tracked mask), what removal needs: a pixel
  left out is a visible ghost;
- **area ratio**: the removal mask's area over the object's (how much more is restored);
- **seconds per frame** of tracking.

Results go to a CSV (one row per sequence, then the mean) and a printed table. Measured figures:
docs/tracking.md.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from evaluation.davis import DEFAULT_RESOLUTION, check_sequences, load_frames
from masks import dilate_for_removal, load_davis_annotations, track_mask
from restore.io import atomic_write_text


@dataclass(frozen=True)
class TrackScore:
    """One sequence's scores."""

    sequence: str
    frames: int
    j: float  # mean IoU over frames 1..T-1, in %
    coverage: float  # share of object pixels inside the removal mask
    area_ratio: float  # removal mask area / object area
    seconds_per_frame: float


def region_similarity(tracked: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """Per-frame IoU of two binary masks ``(T, 1, H, W)``; 1 where both are empty."""
    tracked, truth = tracked > 0.5, truth > 0.5
    intersection = (tracked & truth).sum((1, 2, 3)).double()
    union = (tracked | truth).sum((1, 2, 3)).double()
    return torch.where(union > 0, intersection / union.clamp(min=1), torch.ones_like(union))


def score_tracking(
    tracked: torch.Tensor, truth: torch.Tensor, removal: torch.Tensor
) -> tuple[float, float, float]:
    """``(J in %, coverage, area ratio)`` over the frames after the first (the annotated one)."""
    tracked, truth, removal = tracked[1:], truth[1:] > 0.5, removal[1:] > 0.5
    j = 100.0 * float(region_similarity(tracked, truth).mean()) if len(truth) else 100.0
    object_pixels = max(int(truth.sum()), 1)
    coverage = int((removal & truth).sum()) / object_pixels
    return j, coverage, int(removal.sum()) / object_pixels


def evaluate_sequence(root: Path, sequence: str, resolution: str = DEFAULT_RESOLUTION):
    """Tracks one sequence from its first annotation and scores it (`TrackScore`)."""
    frames = load_frames(root, sequence, resolution)
    truth = load_davis_annotations(
        root, sequence, num_frames=frames.shape[0], resolution=resolution
    )
    started = time.perf_counter()
    tracked = track_mask(frames, truth[0])
    seconds = (time.perf_counter() - started) / frames.shape[0]
    j, coverage, area_ratio = score_tracking(tracked, truth, dilate_for_removal(tracked))
    return TrackScore(sequence, frames.shape[0], j, coverage, area_ratio, seconds)


def mean_score(scores: list[TrackScore]) -> TrackScore:
    """The mean of every score over sequences (frames summed)."""
    count = len(scores)
    return TrackScore(
        "mean",
        sum(s.frames for s in scores),
        sum(s.j for s in scores) / count,
        sum(s.coverage for s in scores) / count,
        sum(s.area_ratio for s in scores) / count,
        sum(s.seconds_per_frame for s in scores) / count,
    )


def evaluate_tracking(
    root: Path,
    sequences: list[str] | None = None,
    *,
    resolution: str = DEFAULT_RESOLUTION,
    on_sequence: Callable[[TrackScore], None] | None = None,
) -> list[TrackScore]:
    """Scores every sequence (all of the root by default), then appends the mean."""
    names = check_sequences(root, resolution, sequences)
    scores = []
    for name in names:
        scores.append(evaluate_sequence(root, name, resolution))
        if on_sequence is not None:
            on_sequence(scores[-1])
    return scores + [mean_score(scores)]


def format_table(scores: list[TrackScore]) -> str:
    """A Markdown table of the scores."""
    lines = [
        "| sequence | frames | J (%) | coverage | area ratio | s/frame |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for s in scores:
        lines.append(
            f"| {s.sequence} | {s.frames} | {s.j:.1f} | {s.coverage:.3f} | "
            f"{s.area_ratio:.2f} | {s.seconds_per_frame:.3f} |"
        )
    return "\n".join(lines)


def write_csv(path: Path, scores: list[TrackScore]) -> Path:
    """Writes the scores as CSV (atomically)."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(asdict(scores[0])))
    writer.writeheader()
    for score in scores:
        writer.writerow(asdict(score))
    return atomic_write_text(path, text.getvalue())
