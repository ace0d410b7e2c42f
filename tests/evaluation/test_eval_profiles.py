"""Tests for evaluation.profiles: named profiles, overrides, labels and --size parsing."""

from __future__ import annotations

import pytest

from evaluation.profiles import PROFILES, parse_size, resolve_profile


def test_named_profiles_have_the_documented_settings():
    cpu = PROFILES["cpu"]
    assert (cpu.width, cpu.height, cpu.max_frames) == (432, 240, 30)
    assert (cpu.model_size, cpu.epochs, cpu.batch_size) == (0.75, 50, 1)
    paper = PROFILES["paper"]
    assert (paper.model_size, paper.epochs, paper.size) == (3.0, 300, None)
    assert paper.largest_resolution
    assert PROFILES["smoke"].epochs <= 5


def test_unchanged_profile_keeps_its_name_as_label():
    profile = resolve_profile("cpu")
    assert profile == PROFILES["cpu"]
    assert profile.label == "cpu"
    assert profile.to_dict()["label"] == "cpu"


def test_overrides_are_applied_and_named_in_the_label():
    profile = resolve_profile("cpu", size="216x120", frames=10, epochs=20, model_size=0.35, seed=3)
    assert (profile.width, profile.height, profile.max_frames) == (216, 120, 10)
    assert (profile.epochs, profile.model_size, profile.seed) == (20, 0.35, 3)
    assert profile.label == "cpu_size216x120_frames10_model0.35_epochs20_seed3"


def test_override_equal_to_the_profile_keeps_the_label():
    assert resolve_profile("cpu", epochs=50, size="432x240").label == "cpu"


def test_the_paper_recipe_gets_its_own_label_and_records():
    profile = resolve_profile("cpu", recipe="paper", epochs=8)
    assert profile.recipe == "paper" and profile.label == "cpu_epochs8_recipepaper"
    assert profile.to_dict()["recipe"] == "paper"
    engine = resolve_profile("cpu", recipe="engine")
    assert engine.label == "cpu" and "recipe" not in engine.to_dict()  # older records match


def test_native_size_override():
    profile = resolve_profile("smoke", size="native")
    assert profile.size is None
    assert profile.label == "smoke_native"


def test_parse_size():
    assert parse_size("432x240") == (432, 240)
    assert parse_size(" 96X64 ") == (96, 64)
    assert parse_size("native") is None


@pytest.mark.parametrize("text", ["432", "432x", "axb", "8x8", "432x240x3"])
def test_parse_size_rejects_bad_values(text):
    with pytest.raises(ValueError, match="--size"):
        parse_size(text)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"frames": 0}, "--frames"),
        ({"epochs": -1}, "--epochs"),
        ({"batch_size": 0}, "--batch-size"),
        ({"curve_every": -1}, "--curve-every"),
        ({"model_size": 0.0}, "--model-size"),
        ({"recipe": "authors"}, "--recipe: expected one of engine, paper, got 'authors'"),
    ],
)
def test_resolve_profile_rejects_bad_overrides(overrides, message):
    with pytest.raises(ValueError, match=message):
        resolve_profile("smoke", **overrides)


def test_unknown_profile_lists_the_valid_ones():
    with pytest.raises(ValueError, match="expected one of smoke, cpu, paper, got 'fast'"):
        resolve_profile("fast")
