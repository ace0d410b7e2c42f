"""Tests for evaluation.records: paths, JSON safety, atomic writes, loading, finished checks."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from evaluation.profiles import PROFILES
from evaluation.records import (
    code_version,
    input_digest,
    is_finished,
    json_safe,
    load_records,
    read_png,
    record_path,
    write_png,
    write_record,
)


def test_record_path_layout(tmp_path):
    path = record_path(tmp_path, "inpaint-boxes", "cpu", "blackswan", "hnerv")
    assert path == tmp_path / "records" / "inpaint-boxes" / "cpu" / "blackswan__hnerv.json"


def test_json_safe_turns_non_finite_numbers_into_none():
    value = json_safe(
        {"a": math.inf, "b": [float("nan"), np.float32(1.5)], "c": torch.tensor([1.0, 2.0])}
    )
    assert value == {"a": None, "b": [None, 1.5], "c": [1.0, 2.0]}
    assert json_safe((np.int64(3), True, None, "x")) == [3, True, None, "x"]


def test_write_record_is_strict_json_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "deep" / "r.json"
    write_record(path, {"score": float("nan"), "method": "hnerv"})
    assert json.loads(path.read_text()) == {"score": None, "method": "hnerv"}
    assert [p.name for p in path.parent.iterdir()] == ["r.json"]


def test_is_finished_needs_an_ok_record_with_the_same_profile(tmp_path):
    profile = PROFILES["smoke"].to_dict()
    path = tmp_path / "r.json"
    assert not is_finished(path, profile)
    write_record(path, {"schema": 1, "status": "ok", "profile": profile})
    assert is_finished(path, profile)
    assert not is_finished(path, PROFILES["cpu"].to_dict())
    write_record(path, {"schema": 1, "status": "error", "profile": profile})
    assert not is_finished(path, profile)
    path.write_text("{truncated")
    assert not is_finished(path, profile)


def test_load_records_sorts_and_skips_hidden_files(tmp_path):
    for sequence, method in [("b", "telea"), ("a", "hnerv")]:
        write_record(
            record_path(tmp_path, "inpaint-boxes", "smoke", sequence, method),
            {
                "method": method,
                "sequence": sequence,
                "task": "inpaint-boxes",
                "profile": {"label": "smoke"},
            },
        )
    hidden = record_path(tmp_path, "inpaint-boxes", "smoke", "c", "x").with_name(".c__x.json")
    hidden.write_text("{}")
    records = load_records(tmp_path)
    assert [(r["sequence"], r["method"]) for r in records] == [("a", "hnerv"), ("b", "telea")]
    assert records[0]["_path"].endswith("a__hnerv.json")


def test_load_records_without_records_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="expected evaluation records"):
        load_records(tmp_path)


def test_png_round_trip(tmp_path):
    frame = torch.zeros(3, 8, 10)
    frame[0] = 1.0
    write_png(tmp_path / "f.png", frame)
    image = read_png(tmp_path / "f.png")
    assert image.shape == (8, 10, 3)
    assert image[..., 0].min() == 255 and image[..., 1:].max() == 0
    write_png(tmp_path / "m.png", torch.ones(1, 8, 10))
    assert read_png(tmp_path / "m.png").min() == 255


def test_input_digest_tells_inputs_apart():
    video = torch.rand(2, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    mask = torch.zeros(2, 1, 8, 8)
    assert input_digest(video, mask) == input_digest(video.clone(), mask.clone())
    assert input_digest(video, mask) != input_digest(video, mask + 1)
    assert input_digest(video, None) != input_digest(video * 0.5, None)


def test_code_version_is_a_commit_or_a_package_version():
    version = code_version()
    assert len(version.split("+")[0]) == 40 or version.startswith("hnerv-restore")
