"""Tests for evaluation.tasks: every task's corrupted input and mask."""

from __future__ import annotations

import pytest
import torch

from evaluation.tasks import (
    DENOISE_TASKS,
    TASKS,
    check_task,
    make_task_input,
    object_source,
    task_kind,
)
from masks import box_masks, center_mask


def clean_clip(frames: int = 3, height: int = 48, width: int = 64) -> torch.Tensor:
    return torch.rand(frames, 3, height, width, generator=torch.Generator().manual_seed(0))


def test_task_names_cover_every_noise_kind():
    assert TASKS[:3] == ("inpaint-boxes", "inpaint-center", "inpaint-objects")
    assert DENOISE_TASKS == (
        "denoise-gaussian",
        "denoise-salt-pepper",
        "denoise-white",
        "denoise-black",
        "denoise-random",
    )
    assert task_kind("inpaint-center") == "inpaint"
    assert task_kind("denoise-white") == "denoise"


def test_unknown_task_lists_the_valid_ones():
    with pytest.raises(ValueError, match="--task: expected one of inpaint-boxes, .*got 'deblur'"):
        check_task("deblur")


@pytest.mark.parametrize(
    ("task", "expected_mask"),
    [("inpaint-boxes", box_masks(3, 48, 64)), ("inpaint-center", center_mask(3, 48, 64))],
)
def test_inpaint_tasks_zero_the_holes_and_keep_known_pixels(task, expected_mask):
    clean = clean_clip()
    task_input = make_task_input(task, clean)
    assert torch.equal(task_input.mask, expected_mask)
    holes = task_input.mask.expand_as(clean) > 0.5
    assert torch.all(task_input.corrupted[holes] == 0)
    assert torch.equal(task_input.corrupted[~holes], clean[~holes])


@pytest.mark.parametrize("task", DENOISE_TASKS)
def test_denoise_tasks_are_blind_and_seeded(task):
    clean = clean_clip()
    first = make_task_input(task, clean, seed=1)
    again = make_task_input(task, clean, seed=1)
    other = make_task_input(task, clean, seed=2)
    assert first.mask is None
    assert torch.equal(first.corrupted, again.corrupted)
    assert not torch.equal(first.corrupted, other.corrupted)
    assert not torch.equal(first.corrupted, clean)


def test_object_source_never_picks_the_target():
    assert object_source("blackswan", ["blackswan", "bmx-trees", "dog"]) == "bmx-trees"
    assert object_source("dog", ["blackswan", "dog"]) == "blackswan"
    assert object_source("zebra", ["ant", "zebra"]) == "ant"
    assert object_source("mouse", ["ant", "mouse", "zebra"]) == "zebra"
    with pytest.raises(ValueError, match="other than 'solo'"):
        object_source("solo", ["solo"])


def test_object_task_borrows_another_sequences_masks(davis_root):
    clean = clean_clip(frames=3, height=60, width=108)
    task_input = make_task_input(
        "inpaint-objects", clean, davis_root=davis_root, sequence="blackswan"
    )
    assert task_input.mask.shape == (3, 1, 60, 108)
    assert 0 < float(task_input.mask.mean()) < 0.5
    assert "bmx-trees" in task_input.description
    assert torch.all(task_input.corrupted[task_input.mask.expand_as(clean) > 0.5] == 0)


def test_object_task_needs_a_root():
    with pytest.raises(ValueError, match="davis_root and sequence"):
        make_task_input("inpaint-objects", clean_clip())
