"""Tests for masks.spec: `--mask` strings to tensors."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from masks.boxes import box_masks, center_mask
from masks.objects import object_masks
from masks.spec import make_mask


def test_named_benchmark_masks():
    assert torch.equal(make_mask("boxes", 4, 240, 432), box_masks(4, 240, 432))
    assert torch.equal(
        make_mask("boxes", 4, 240, 432, box_size=30), box_masks(4, 240, 432, box_size=30)
    )
    assert torch.equal(make_mask("center", 4, 240, 432), center_mask(4, 240, 432))


def test_objects_spec(davis_root):
    mask = make_mask("objects:car-shadow", 6, 120, 216, davis_root=davis_root, dilate=1)
    assert torch.equal(mask, object_masks(davis_root, "car-shadow", 6, 120, 216, dilate=1))
    default = make_mask("objects", 3, 120, 216, davis_root=davis_root, sequence="blackswan")
    assert torch.equal(default, object_masks(davis_root, "bmx-trees", 3, 120, 216))


def test_objects_spec_needs_a_source_and_a_root(davis_root):
    with pytest.raises(ValueError, match="'objects' needs a source sequence"):
        make_mask("objects", 3, 24, 32, davis_root=davis_root)
    with pytest.raises(ValueError, match="'objects:dog' needs davis_root"):
        make_mask("objects:dog", 3, 24, 32)
    with pytest.raises(ValueError, match="sequence 'cat' not found"):
        make_mask("objects:cat", 3, 24, 32, davis_root=davis_root)


def test_path_spec_delegates_to_load_mask(tmp_path):
    image = np.zeros((24, 32), np.uint8)
    image[4:8, 4:8] = 255
    path = tmp_path / "hole.png"
    cv2.imwrite(str(path), image)
    mask = make_mask(str(path), 3, 24, 32, dilate=1)
    assert mask.shape == (3, 1, 24, 32)
    assert mask[0].sum().item() == 36
    inverted = make_mask(str(path), 3, 24, 32, invert=True)
    assert inverted[0].sum().item() == 24 * 32 - 16


def test_unknown_spec_message():
    message = "--mask: 'foo' is not boxes, center, objects:<sequence> or an existing file/folder"
    with pytest.raises(ValueError, match=f"^{message}$"):
        make_mask("foo", 3, 24, 32)
