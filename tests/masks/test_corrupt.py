"""Tests for masks.corrupt with a ready mask tensor, whole clip and one chunk of a clip."""

from __future__ import annotations

import pytest
import torch

from masks import InputError, corrupt


def _frames(num_frames: int = 4) -> torch.Tensor:
    return torch.linspace(0.1, 0.9, num_frames * 3 * 8 * 12).reshape(num_frames, 3, 8, 12)


def _static_hole(num_frames: int = 4) -> torch.Tensor:
    mask = torch.zeros(num_frames, 1, 8, 12)
    mask[:, :, 2:5, 3:7] = 1.0
    return mask


def test_a_chunk_mask_zeroes_its_holes_like_a_clip_mask() -> None:
    frames, mask = _frames(), _static_hole()
    whole = corrupt(frames, mask=mask)
    chunk = corrupt(frames, mask=mask, chunk=True)
    assert torch.equal(chunk.corrupted, whole.corrupted)
    assert torch.equal(chunk.corrupted, frames * (1 - mask))
    assert torch.equal(chunk.mask, mask)
    # The hole never moves: a clip is warned, a chunk leaves that to the clip.
    assert any("masked at the same place in every frame" in note for note in whole.notes)
    assert chunk.notes == []


def test_a_chunk_may_have_no_hole_but_a_clip_may_not() -> None:
    frames, empty = _frames(), torch.zeros(4, 1, 8, 12)
    with pytest.raises(InputError, match="got an empty mask"):
        corrupt(frames, mask=empty)
    made = corrupt(frames, mask=empty, chunk=True)
    assert torch.equal(made.corrupted, frames) and not bool(made.mask.any())


def test_a_chunk_mask_keeps_the_boundary_checks() -> None:
    frames = _frames()
    with pytest.raises(InputError, match=r"mask: expected 4 frames \(the video's\), got 3"):
        corrupt(frames, mask=_static_hole(3), chunk=True)
    with pytest.raises(InputError, match="at least one known pixel"):
        corrupt(frames, mask=torch.ones(4, 1, 8, 12), chunk=True)
    with pytest.raises(InputError, match=r"values in \[0, 1\]"):
        corrupt(frames, mask=2 * _static_hole(), chunk=True)
