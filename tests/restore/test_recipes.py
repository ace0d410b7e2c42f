"""Fitting recipes: `--recipe paper|engine` picks each model's optimiser, lr, loss and clipping,
the choice reaches the fit and is saved with the config."""

from __future__ import annotations

import pytest
import torch
from typer.testing import CliRunner

from restore.api import restore
from restore.config import FRONT_END_OPTIONS, RestoreConfig, preset
from restore.fit import FitConfig
from restore.methods import method_config
from restore.models import MODELS, RECIPES


@pytest.mark.parametrize(
    ("method", "recipe", "optimizer", "lr", "loss", "grad_clip"),
    [
        ("hnerv", "engine", "adam", 3e-3, "l2", 1.0),
        ("hnerv", "paper", "adam", 5e-4, "l2", 1.0),
        ("nerv", "paper", "adam", 5e-4, "l1+ssim", None),
        ("enerv", "paper", "adam", 5e-4, "l1+ssim", None),
        ("hnerv-boost", "engine", "adam", 3e-3, "boost", 1.0),
        ("hnerv-boost", "paper", "adan", 3e-3, "boost", None),
        ("nerv-boost", "paper", "adan", 3e-3, "boost", None),
        ("enerv-boost", "paper", "adan", 1.5e-3, "boost", None),
    ],
)
def test_each_model_declares_its_recipes(method, recipe, optimizer, lr, loss, grad_clip) -> None:
    config = preset("balanced", method=method, recipe=recipe)
    assert (config.fit.optimizer, config.fit.lr) == (optimizer, lr)
    assert (config.fit.loss, config.fit.grad_clip, config.fit.batch_size) == (loss, grad_clip, 1)
    assert config.fit.epochs == (300 if recipe == "paper" else 150)


def test_every_model_has_both_recipes_and_the_caller_wins() -> None:
    assert all(set(spec.recipes) == set(RECIPES) for spec in MODELS.values())
    config = preset("balanced", method="hnerv-boost", recipe="paper", lr=1e-3, epochs=10)
    assert (config.fit.optimizer, config.fit.lr, config.fit.epochs) == ("adan", 1e-3, 10)
    # The paper's HNeRV-Boost conditions its TAT blocks on the frame index only.
    assert config.model.options == {"content_condition": False, "temporal_dim": 32}
    # Non-neural methods ignore the recipe.
    assert preset("balanced", method="telea", recipe="paper").fit == preset("balanced").fit
    with pytest.raises(ValueError, match="--recipe: expected one of engine, paper, got 'mine'"):
        preset("balanced", recipe="mine")


def test_the_recipe_is_saved_and_replayed() -> None:
    config = method_config("smoke", method="enerv-boost", recipe="paper")
    data = config.to_dict()
    assert data["recipe"] == "paper" and data["fit"]["optimizer"] == "adan"
    again = RestoreConfig.from_dict(data)
    assert again.recipe == "paper" and again.fit == config.fit
    old = {key: value for key, value in data.items() if key != "recipe"}
    assert RestoreConfig.from_dict(old).recipe == "engine"  # configs saved before recipes
    assert FitConfig(optimizer="adam", betas=[0.5, 0.999]).betas == (0.5, 0.999)
    with pytest.raises(ValueError, match="adan betas: expected 2 for adam, 3 for adan"):
        FitConfig(optimizer="adan", betas=(0.9, 0.99))


@pytest.mark.parametrize(
    ("method", "recipe", "optimizer", "lr"),
    [("hnerv", "paper", "Adam", 5e-4), ("hnerv-boost", "paper", "Adan", 3e-3)],
)
def test_the_recipe_reaches_the_fit(method, recipe, optimizer, lr) -> None:
    frames = torch.rand(4, 3, 32, 48, generator=torch.Generator().manual_seed(0))
    mask = torch.zeros(4, 1, 32, 48)
    mask[:, :, 8:16, 8:20] = 1
    config = method_config("smoke", method=method, recipe=recipe, epochs=2, device="cpu")
    rates = []
    result = restore(frames, mask, config, task="inpaint", on_progress=lambda p: rates.append(p.lr))
    assert result.info["optimizer"] == optimizer and result.info["lr"] == lr
    # The paper's 10 % warm-up is one step here: the first step runs at the peak rate.
    assert rates[0] == pytest.approx(lr) and max(rates) == pytest.approx(lr)


def test_cli_offers_the_recipe_from_the_config_tree() -> None:
    from restore.cli import app

    assert "recipe" in FRONT_END_OPTIONS and "optimizer" in FRONT_END_OPTIONS
    for command in ("inpaint", "denoise"):
        result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        assert "--recipe" in result.output and "--optimizer" in result.output
