"""Tests for masks.objects: DAVIS annotations as moving object-shaped holes."""

from __future__ import annotations

import pytest
import torch

from masks.objects import (
    DAVIS_SEQUENCES,
    MissingPathError,
    default_object_source,
    load_davis_annotations,
    object_masks,
    ping_pong_indices,
)


def test_default_object_source_is_the_next_sequence_wrapping():
    assert default_object_source("blackswan") == "bmx-trees"
    assert default_object_source("cows") == "dance-twirl"
    assert default_object_source("dog") == "blackswan"
    sources = [default_object_source(s) for s in DAVIS_SEQUENCES]
    assert all(source != target for source, target in zip(sources, DAVIS_SEQUENCES, strict=True))
    assert sorted(sources) == sorted(DAVIS_SEQUENCES)


def test_default_object_source_rejects_unknown_sequence():
    with pytest.raises(ValueError, match="sequence 'bike' has no default object source; expected"):
        default_object_source("bike")


def test_ping_pong_indices():
    assert ping_pong_indices(4, 10) == [0, 1, 2, 3, 2, 1, 0, 1, 2, 3]
    assert ping_pong_indices(5, 3) == [0, 1, 2]
    assert ping_pong_indices(1, 3) == [0, 0, 0]


def test_load_davis_annotations_full_size_is_binary(davis_root):
    mask = load_davis_annotations(davis_root, "car-shadow")
    assert mask.shape == (40, 1, 480, 854)
    assert mask.dtype == torch.float32
    assert set(mask.unique().tolist()) == {0.0, 1.0}
    assert 0.0 < mask.mean().item() < 0.5


def test_load_davis_annotations_resized_and_sliced(davis_root):
    full = load_davis_annotations(davis_root, "blackswan", num_frames=3, start=10)
    small = load_davis_annotations(davis_root, "blackswan", num_frames=3, start=10, size=(240, 432))
    assert small.shape == (3, 1, 240, 432)
    assert set(small.unique().tolist()) == {0.0, 1.0}
    # Nearest-neighbour downscaling keeps the object's share of the frame.
    assert small.mean().item() == pytest.approx(full.mean().item(), rel=0.05)


def test_load_davis_annotations_rejects_too_many_frames(davis_root):
    with pytest.raises(
        ValueError, match=r"'car-shadow' has 40 annotated frames, asked for frames 0\.\.49"
    ):
        load_davis_annotations(davis_root, "car-shadow", num_frames=50)


def test_unknown_sequence_lists_available_ones(davis_root):
    with pytest.raises(ValueError, match="sequence 'bike' not found") as error:
        load_davis_annotations(davis_root, "bike")
    assert "available: blackswan, bmx-trees, breakdance, camel" in str(error.value)


def test_missing_root_is_both_file_not_found_and_value_error(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(MissingPathError, match="is not an existing folder") as error:
        object_masks(missing, "blackswan", 5, 24, 32)
    assert isinstance(error.value, FileNotFoundError)
    assert isinstance(error.value, ValueError)
    with pytest.raises(ValueError, match="Annotations/480p"):
        load_davis_annotations(tmp_path, "blackswan")


def test_object_masks_have_target_length_and_move(davis_root):
    source = default_object_source("blackswan")
    mask = object_masks(davis_root, source, 50, 240, 432)
    assert mask.shape == (50, 1, 240, 432)
    assert set(mask.unique().tolist()) == {0.0, 1.0}
    assert all(mask[t].sum() > 0 for t in range(50))
    changed = [not torch.equal(mask[t], mask[t + 1]) for t in range(49)]
    assert sum(changed) == 49  # the hole moves in every frame


def test_object_masks_cycle_ping_pong(davis_root):
    source = load_davis_annotations(davis_root, "car-shadow", size=(240, 432))  # 40 frames
    mask = object_masks(davis_root, "car-shadow", 85, 240, 432)
    assert mask.shape == (85, 1, 240, 432)
    assert torch.equal(mask[:40], source)
    assert torch.equal(mask[40], source[38])  # plays backwards after the last frame
    assert torch.equal(mask[78], source[0])
    assert torch.equal(mask[79], source[1])  # and forwards again


def test_object_masks_dilation_grows_holes(davis_root):
    plain = object_masks(davis_root, "car-shadow", 3, 240, 432)
    grown = object_masks(davis_root, "car-shadow", 3, 240, 432, dilate=3)
    assert torch.all(grown >= plain)
    assert grown.sum() > plain.sum()
