"""Tests for restore.chunks: the chunk plan, the cross-fade weights and the blender."""

from __future__ import annotations

import pytest
import torch

from restore.chunks import (
    ChunkBlender,
    auto_chunk_frames,
    chunk_weights,
    plan_chunks,
    working_bytes,
)
from restore.errors import InputError


@pytest.mark.parametrize(
    "num_frames, chunk_frames, overlap",
    [(1, 5, 2), (10, 10, 3), (11, 10, 3), (100, 24, 8), (250, 37, 8), (3000, 150, 8), (57, 9, 0)],
)
def test_chunks_cover_every_frame_once_after_blending(num_frames, chunk_frames, overlap) -> None:
    chunks = plan_chunks(num_frames, chunk_frames, overlap)
    assert chunks[0].start == 0 and chunks[-1].stop == num_frames
    assert all(chunk.length <= chunk_frames for chunk in chunks)
    coverage = torch.zeros(num_frames, dtype=torch.float64)
    for chunk in chunks:
        weights = chunk_weights(chunks, chunk.index)
        assert weights.shape == (chunk.length,)
        assert bool((weights > 0).all()) and bool((weights <= 1).all())
        coverage[chunk.start : chunk.stop] += weights
    torch.testing.assert_close(coverage, torch.ones(num_frames, dtype=torch.float64))
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert before.stop - after.start == min(overlap, chunk_frames // 3)
    for before, beyond in zip(chunks, chunks[2:], strict=False):
        assert beyond.start >= before.stop  # an overlap never reaches the next-but-one chunk


def test_plan_rejects_bad_counts() -> None:
    with pytest.raises(InputError, match="--chunk-frames"):
        plan_chunks(10, 0, 2)
    with pytest.raises(InputError, match="--chunk-overlap"):
        plan_chunks(10, 4, -1)


def test_auto_chunk_frames_follows_memory() -> None:
    small = auto_chunk_frames(272, 640, neural=False, memory_bytes=256 * 2**20)
    large = auto_chunk_frames(272, 640, neural=False, memory_bytes=1024 * 2**20)
    assert 8 <= small < large
    assert auto_chunk_frames(2160, 3840, neural=True, memory_bytes=2**20) == 8


def test_a_working_size_counts_the_method_small_and_the_clip_full() -> None:
    full = working_bytes(10, 720, 1280, neural=True)
    small = working_bytes(10, 720, 1280, neural=True, work_size=(640, 360))
    # 20 buffers at a quarter of the pixels plus 3 at full size: (20 / 4 + 3) / 20 of the cost.
    assert small * 20 == full * 8
    assert working_bytes(10, 720, 1280, neural=True, work_size=(1280, 720)) > full
    assert auto_chunk_frames(720, 1280, neural=True, memory_bytes=full, work_size=(640, 360)) == 25


def _blend(frames, mask, chunks, restore_chunk):
    blender = ChunkBlender(chunks)
    pieces = []
    for chunk in chunks:
        corrupted = frames[chunk.start : chunk.stop] * (1 - mask[chunk.start : chunk.stop])
        restored = restore_chunk(chunk, corrupted)
        finished = blender.add(chunk, restored, corrupted, mask[chunk.start : chunk.stop])
        assert finished.start == sum(piece.shape[0] for piece in pieces)
        pieces.append(finished.restored)
    return torch.cat(pieces)


def test_blender_keeps_known_pixels_bit_exact_and_cross_fades_holes() -> None:
    generator = torch.Generator().manual_seed(0)
    frames = torch.rand(40, 3, 8, 10, generator=generator)
    mask = torch.zeros(40, 1, 8, 10)
    mask[:, :, 2:5, 3:7] = 1
    chunks = plan_chunks(40, 12, 4)

    def constant_per_chunk(chunk, corrupted):
        # each chunk fills its holes with its own grey level: the seam is then a known ramp
        fill = torch.full_like(corrupted, 0.1 * (chunk.index + 1))
        return torch.where(mask[chunk.start : chunk.stop] > 0.5, fill, corrupted)

    blended = _blend(frames, mask, chunks, constant_per_chunk)
    assert blended.shape == frames.shape
    known = (mask < 0.5).expand_as(frames)
    assert torch.equal(blended[known], frames[known])
    first, second = chunks[0], chunks[1]
    ramp = blended[second.start : first.stop, 0, 3, 4]
    assert bool((ramp[1:] > ramp[:-1]).all())  # rises from chunk 0's level to chunk 1's
    assert 0.1 < float(ramp[0]) and float(ramp[-1]) < 0.2


def test_blender_of_identical_chunks_is_the_identity_in_holes() -> None:
    frames = torch.rand(30, 3, 6, 6, generator=torch.Generator().manual_seed(1))
    mask = torch.zeros(30, 1, 6, 6)
    mask[:, :, 1:3, 1:3] = 1
    chunks = plan_chunks(30, 9, 3)
    blended = _blend(frames, mask, chunks, lambda chunk, _: frames[chunk.start : chunk.stop])
    torch.testing.assert_close(blended, frames, atol=1e-6, rtol=0)


def test_blender_refuses_chunks_out_of_order() -> None:
    chunks = plan_chunks(20, 8, 2)
    blender = ChunkBlender(chunks)
    frames = torch.zeros(chunks[1].length, 3, 4, 4)
    with pytest.raises(ValueError, match="out of order"):
        blender.add(chunks[1], frames, frames, None)
