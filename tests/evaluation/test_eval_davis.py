"""Tests for evaluation.davis: root checks, resolution folders, sequences and frames."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.davis import (
    check_root,
    check_sequences,
    choose_resolution,
    load_frames,
    resolution_folders,
)


def fake_root(tmp_path: Path, resolutions: list[str], sequences: list[str]) -> Path:
    for resolution in resolutions:
        for sequence in sequences:
            (tmp_path / "JPEGImages" / resolution / sequence).mkdir(parents=True)
    return tmp_path


def test_missing_root_raises_file_not_found_naming_the_option(tmp_path):
    with pytest.raises(FileNotFoundError, match="--root: expected an existing DAVIS folder"):
        check_root(tmp_path / "missing")
    with pytest.raises(ValueError, match="--root"):  # also a ValueError, for front ends
        check_root(tmp_path / "missing")


def test_root_without_jpeg_images_is_rejected(tmp_path):
    with pytest.raises(FileNotFoundError, match="JPEGImages"):
        check_root(tmp_path)


def test_resolution_folders_sort_by_size(tmp_path):
    root = fake_root(tmp_path, ["Full-Resolution", "1080p", "480p"], ["a"])
    assert resolution_folders(root) == ["480p", "1080p", "Full-Resolution"]
    assert choose_resolution(root) == "480p"
    assert choose_resolution(root, largest=True) == "Full-Resolution"


def test_without_480p_the_largest_folder_is_read(tmp_path):
    root = fake_root(tmp_path, ["1080p", "720p"], ["a"])
    assert choose_resolution(root) == "1080p"


def test_check_sequences(tmp_path):
    root = fake_root(tmp_path, ["480p"], ["b", "a"])
    assert check_sequences(root, "480p") == ["a", "b"]
    assert check_sequences(root, "480p", ["b", "a", "b"]) == ["b", "a"]
    with pytest.raises(ValueError, match=r"unknown sequence\(s\) 'c'; available in .*: a, b"):
        check_sequences(root, "480p", ["a", "c"])


def test_empty_resolution_folder_is_rejected(tmp_path):
    (tmp_path / "JPEGImages" / "480p").mkdir(parents=True)
    with pytest.raises(ValueError, match="found none"):
        check_sequences(tmp_path, "480p")


def test_load_frames_resizes_and_truncates(davis_root):
    frames = load_frames(davis_root, "car-shadow", "480p", size=(96, 64), max_frames=3)
    assert frames.shape == (3, 3, 64, 96)
    assert 0.0 <= float(frames.min()) and float(frames.max()) <= 1.0


def test_real_root_has_the_shipped_sequences(davis_root):
    assert {"blackswan", "bmx-trees", "car-shadow"} <= set(check_sequences(davis_root, "480p"))
