"""Chunked restoration of long clips: a plan of overlapping chunks and the cross-fade between them.

A clip of ``T`` frames is cut into ``K`` chunks of at most ``chunk_frames`` frames; neighbours
share ``overlap`` frames, so a chunk's propagation (or its fitted representation) sees the
frames its neighbour also sees. Each chunk is restored on its own (`restore.api.restore`); in an
overlap the two results are cross-faded linearly (the later chunk's weight rises from
``1 / (overlap + 1)`` to ``overlap / (overlap + 1)``), so the weights of every frame sum to 1 and
no cut is visible; known pixels are then composited back, bit-exact (`restore.composite`).

`ChunkBlender` takes the restored chunks in order and hands back finished frames as soon as no
later chunk can change them: memory is one chunk plus one overlap, whatever ``T``.

Layout: frames ``(n, 3, H, W)`` float32 in [0, 1]; masks ``(n, 1, H, W)``, 1 = missing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from masks.checks import fail
from restore.composite import composite

DEFAULT_OVERLAP = 8
"""Frames shared by neighbouring chunks (cross-faded); ``--chunk-overlap`` overrides it."""

DEFAULT_CHUNK_MEMORY = 2**30
"""Working memory (bytes) the automatic chunk length plans a chunk's restoration to fit in."""

# Working memory of a chunk, per frame, in float32 frame-sized (3 x H x W) buffers: the chunk's
# clean, corrupted and restored frames, the blender's pending overlap, the mask, and the method's
# own buffers (flow-guided: float64 frames and four flow fields; neural: the prediction, its
# gradient and the optimizer's batch). Measured with `/usr/bin/time -v` on bikes.mp4 (640x272):
# a flow-guided run in chunks of 50 frames peaked at 1.65 GB: (1.65 - 0.4 GB of interpreter and
# libraries) / 50 = 25 MB = 12 frame-buffers per frame; 20 leaves room for the blender, the
# scores and the writer. Neural fits are given the same figure (their model is small here).
FRAME_BUFFERS = {"classical": 20, "neural": 20}

FULL_SIZE_BUFFERS = 3
"""Frame-sized float32 buffers per frame that stay at the clip's own size when the method works
at a smaller working size (the input, the upscaled output and its composite; the working-size
buffers are `FRAME_BUFFERS`). Measured with `/usr/bin/time -v`: the hybrid on all 132 frames of
bigbuckbunny.mp4 (1280x720) at 640x360 peaked at 9.7 GB, 70 MB a frame; 13 working-size buffers
(what bikes.mp4 measures whole) are 36 MB of it, the rest is 3.1 buffers at 1280x720
(docs/app-budget-runs.md)."""


@dataclass(frozen=True)
class Chunk:
    """Frames ``start:stop`` of the clip (end-exclusive), the ``index``-th chunk of the plan."""

    index: int
    start: int
    stop: int

    @property
    def length(self) -> int:
        return self.stop - self.start


def plan_chunks(num_frames: int, chunk_frames: int, overlap: int = DEFAULT_OVERLAP) -> list[Chunk]:
    """Cuts ``num_frames`` frames into chunks of at most ``chunk_frames`` sharing ``overlap``.

    The chunks are as even as integer frame counts allow (no short tail chunk). One chunk covers
    a clip that fits. An overlap larger than a third of the chunk is reduced to that third: an
    overlap must never reach into the next-but-one chunk.

    Args:
        num_frames: ``T`` >= 1.
        chunk_frames: frames per chunk, overlaps included, >= 1.
        overlap: frames shared by neighbours, >= 0.

    Returns:
        Chunks in frame order; ``chunks[k + 1].start == chunks[k].stop - overlap`` (overlap as
        reduced), the first starts at 0 and the last stops at ``num_frames``.

    Raises:
        InputError: a count out of range.
    """
    for name, value, least in (
        ("num_frames", num_frames, 1),
        ("--chunk-frames", chunk_frames, 1),
        ("--chunk-overlap", overlap, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise fail(name, f"an integer >= {least}", repr(value))
    if num_frames <= chunk_frames:
        return [Chunk(0, 0, num_frames)]
    overlap = min(overlap, chunk_frames // 3)
    count = math.ceil((num_frames - overlap) / (chunk_frames - overlap))
    span = num_frames - overlap  # the frames owned by exactly one chunk's start..next start
    starts = [index * span // count for index in range(count)] + [span]
    return [Chunk(k, starts[k], starts[k + 1] + overlap) for k in range(count)]


def chunk_weights(chunks: list[Chunk], index: int) -> torch.Tensor:
    """Cross-fade weight of each frame of ``chunks[index]``, float64 ``(length,)``.

    1 outside overlaps; in the overlap with the previous chunk the weight rises linearly, in the
    overlap with the next one it falls, so that the two chunks' weights of a frame sum to 1.
    """
    chunk = chunks[index]
    weights = torch.ones(chunk.length, dtype=torch.float64)
    if index > 0:
        shared = chunks[index - 1].stop - chunk.start
        weights[:shared] = torch.arange(1, shared + 1, dtype=torch.float64) / (shared + 1)
    if index + 1 < len(chunks):
        shared = chunk.stop - chunks[index + 1].start
        rising = torch.arange(1, shared + 1, dtype=torch.float64) / (shared + 1)
        weights[chunk.length - shared :] = 1.0 - rising
    return weights


def auto_chunk_frames(
    height: int,
    width: int,
    *,
    neural: bool,
    memory_bytes: int = DEFAULT_CHUNK_MEMORY,
    model_bytes: int = 0,
    work_size: tuple[int, int] | None = None,
) -> int:
    """Frames per chunk such that a chunk's restoration fits in ``memory_bytes``.

    Args:
        height, width: the clip's frame size.
        neural: a neural method (its per-frame cost, `FRAME_BUFFERS`).
        memory_bytes: the budget.
        model_bytes: fixed memory of the method (weights, optimizer state) taken off the budget.
        work_size: ``(W, H)`` the method works at, if smaller than the clip
            (`restore.resolution.method_work_size`); None: the clip's size.

    Returns:
        At least 8 frames (a chunk shorter than that gives propagation nothing to look at).
    """
    per_frame = working_bytes(1, height, width, neural=neural, work_size=work_size)
    return max((memory_bytes - model_bytes) // per_frame, 8)


def working_bytes(
    num_frames: int,
    height: int,
    width: int,
    *,
    neural: bool,
    work_size: tuple[int, int] | None = None,
) -> int:
    """Planned working memory (bytes) of restoring ``num_frames`` frames of ``width`` x
    ``height`` at once; with a ``work_size`` ``(W, H)``, the method's buffers are that size and
    `FULL_SIZE_BUFFERS` stay at the clip's."""
    buffers = FRAME_BUFFERS["neural" if neural else "classical"]
    if work_size is None:
        return num_frames * buffers * 3 * height * width * 4
    full = FULL_SIZE_BUFFERS * height * width
    return num_frames * (full + buffers * work_size[0] * work_size[1]) * 3 * 4


@dataclass
class FinishedFrames:
    """Consecutive final frames ``start:start + n`` with what scoring and writing need."""

    start: int
    restored: torch.Tensor  # (n, 3, H, W)
    corrupted: torch.Tensor  # (n, 3, H, W): the input the method saw
    mask: torch.Tensor | None  # (n, 1, H, W) or None (denoising)
    clean: torch.Tensor | None  # (n, 3, H, W) reference, when the corruption is synthetic


class ChunkBlender:
    """Cross-fades restored chunks, given in plan order, into finished frames.

    ``add`` returns the frames of a chunk that no later chunk overlaps (blended with the previous
    chunk where they share frames); the overlap with the next chunk waits, weighted, until that
    chunk arrives. Known pixels are composited back after blending, so they stay bit-exact.
    """

    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks
        self._next = 0
        self._pending: torch.Tensor | None = None  # weighted tail of the previous chunk

    def add(
        self,
        chunk: Chunk,
        restored: torch.Tensor,
        corrupted: torch.Tensor,
        mask: torch.Tensor | None,
        clean: torch.Tensor | None = None,
    ) -> FinishedFrames:
        """Takes chunk ``chunk`` (the next in the plan) and returns its finished frames."""
        if chunk != self.chunks[self._next]:
            raise ValueError(f"chunk {chunk} out of order: expected {self.chunks[self._next]}")
        weights = chunk_weights(self.chunks, chunk.index).to(torch.float32).view(-1, 1, 1, 1)
        weighted = restored * weights
        head = 0 if self._pending is None else self._pending.shape[0]
        if head:
            weighted[:head] += self._pending
        last = chunk.index + 1 == len(self.chunks)
        tail = 0 if last else chunk.stop - self.chunks[chunk.index + 1].start
        done = chunk.length - tail
        self._pending = weighted[done:].clone() if tail else None
        self._next += 1
        blended = weighted[:done]
        if head and mask is not None:
            # w_prev * a + w_next * a is a up to rounding only: known pixels go back exactly.
            blended[:head] = composite.unchecked(blended[:head], corrupted[:head], mask[:head])
        if head and mask is None:
            blended[:head] = blended[:head].clamp_(0.0, 1.0)
        return FinishedFrames(
            start=chunk.start,
            restored=blended,
            corrupted=corrupted[:done],
            mask=None if mask is None else mask[:done],
            clean=None if clean is None else clean[:done],
        )
