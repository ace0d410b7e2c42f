"""Evaluation profiles: one setting (resolution, frames, model size, epochs) for every method.

- `smoke`: seconds per job on a CPU; for tests and for checking that a batch runs at all.
- `cpu`: 432x240 (the resolution E2FGVI and ProPainter evaluate video inpainting at), the first
  30 frames, a 0.75M-parameter model, 50 epochs.
- `paper`: HNeRV's inpainting setting (Sec. 4.4): 3M parameters, 300 epochs, every frame at the
  native size of the largest resolution folder the DAVIS root has; meant for a GPU.

Every profile fits with the engine's recipe unless `recipe="paper"` asks for each model's
authors' (`restore.models.recipes`; the profile's frames, epochs and batch still hold for every
method, so the protocol stays shared). Values can be overridden (`resolve_profile`); an
overridden profile gets a label such as `cpu_epochs50_frames10` or `cpu_recipepaper`, which names
its records folder, so results of different settings never mix and a rerun of the same command
finds its own finished records. Classical methods ignore the
model size and epochs, but not the clip.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from restore.config import PRESETS
from restore.errors import InputError
from restore.models import RECIPES


@dataclass(frozen=True)
class Profile:
    """The protocol shared by every method of a batch."""

    name: str  # the named profile this one starts from: smoke | cpu | paper
    width: int | None  # frame width in pixels; None (with height None) keeps the native size
    height: int | None  # frame height in pixels; None keeps the native size
    max_frames: int | None  # the first N frames of each sequence; None takes all
    model_size: float  # neural methods: parameters in millions (restore's TotalSize target)
    epochs: int  # neural methods: passes over the clip
    batch_size: int = 1  # neural methods: frames per optimizer step (the engine's; the paper's 2)
    curve_every: int = 5  # neural methods: epochs between ground-truth PSNR checks; 0 = none
    largest_resolution: bool = False  # read the largest JPEGImages/<res> folder, not 480p
    seed: int = 0  # model initialisation, frame order and synthetic noise
    time_budget: float | None = None  # seconds per job: neural fits plan their epochs to it
    recipe: str = "engine"  # neural methods: engine | paper (restore.config.RestoreConfig.recipe)

    @property
    def preset(self) -> str:
        """The engine preset (`restore.config.PRESETS`) the neural settings start from."""
        return PROFILE_PRESETS[self.name]

    @property
    def size(self) -> tuple[int, int] | None:
        """`(width, height)` to resize to, or None for the native size."""
        return None if self.width is None else (self.width, int(self.height))

    @property
    def label(self) -> str:
        """The name, plus every value that differs from the named profile (a folder name)."""
        base = PROFILES[self.name]
        parts = [self.name]
        if (self.width, self.height) != (base.width, base.height):
            parts.append("native" if self.width is None else f"size{self.width}x{self.height}")
        for field, short in _LABEL_FIELDS:
            value = getattr(self, field)
            if value != getattr(base, field):
                shown = value if isinstance(value, str) else f"{value:g}"
                parts.append(f"{short}{'all' if value is None else shown}")
        return "_".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """The values used, plus the label (as stored in records). An unset time budget is left
        out, and so is the engine's recipe, so records made before budgets and recipes existed
        still count as finished."""
        data = {**dataclasses.asdict(self), "label": self.label}
        if data["time_budget"] is None:
            del data["time_budget"]
        if data["recipe"] == "engine":
            del data["recipe"]
        return data


_LABEL_FIELDS = (
    ("max_frames", "frames"),
    ("model_size", "model"),
    ("epochs", "epochs"),
    ("batch_size", "batch"),
    ("curve_every", "curve"),
    ("largest_resolution", "largest"),
    ("seed", "seed"),
    ("time_budget", "budget"),
    ("recipe", "recipe"),
)

PROFILE_PRESETS: dict[str, str] = {"smoke": "smoke", "cpu": "balanced", "paper": "paper"}
"""Profile -> the engine preset (`restore.config.PRESETS`) its model size and epochs come from:
one preset vocabulary for the CLI, the app and the harness."""


def _profile(name: str, **values: Any) -> Profile:
    """A profile whose model size and epochs are its preset's unless ``values`` set them."""
    config = PRESETS[PROFILE_PRESETS[name]]
    values.setdefault("model_size", config.model.size)
    values.setdefault("epochs", config.fit.epochs)
    return Profile(name, **values)


PROFILES: dict[str, Profile] = {
    # Seconds per job: 4 tiny frames, the smoke preset's 0.07M model and 3 epochs.
    "smoke": _profile("smoke", width=96, height=64, max_frames=4, curve_every=1),
    # The balanced preset's 0.75M model, cut to 50 epochs: with the engine's recipe (batch 1,
    # lr 3e-3, clipping, bf16) as good in holes as the paper's recipe at 100 epochs, 4x sooner.
    "cpu": _profile("cpu", width=432, height=240, max_frames=30, epochs=50, curve_every=5),
    # The paper preset (3M, 300 epochs) on every frame at the largest resolution.
    "paper": _profile(
        "paper", width=None, height=None, max_frames=None, curve_every=10, largest_resolution=True
    ),
}

_SIZE_PATTERN = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")


def parse_size(text: str) -> tuple[int, int] | None:
    """Parses `--size`: `"432x240"` -> (432, 240); `"native"` -> None.

    Raises:
        ValueError: If `text` is neither WIDTHxHEIGHT with both sides >= 16 nor `native`.
    """
    if text.strip().lower() == "native":
        return None
    match = _SIZE_PATTERN.match(text)
    if match is None:
        raise InputError(f"--size: expected WIDTHxHEIGHT such as 432x240, or native, got {text!r}")
    width, height = int(match.group(1)), int(match.group(2))
    if min(width, height) < 16:
        raise InputError(f"--size: expected both sides >= 16 pixels, got {text!r}")
    return width, height


def _check_positive(name: str, value: float | None, minimum: float = 1) -> None:
    if value is not None and (isinstance(value, bool) or value < minimum):
        raise InputError(f"{name}: expected a number >= {minimum:g}, got {value!r}")


def resolve_profile(
    name: str,
    *,
    size: str | None = None,
    frames: int | None = None,
    model_size: float | None = None,
    epochs: int | None = None,
    batch_size: int | None = None,
    curve_every: int | None = None,
    seed: int | None = None,
    time_budget: float | None = None,
    recipe: str | None = None,
) -> Profile:
    """A named profile with command-line overrides applied (None keeps the profile's value).

    Args:
        name: smoke | cpu | paper.
        size: `--size`, `WIDTHxHEIGHT` or `native`.
        frames: `--frames`, the first N frames.
        model_size: `--model-size`, millions of parameters.
        epochs: `--epochs`.
        batch_size: `--batch-size`.
        curve_every: `--curve-every`, epochs between ground-truth checks (0 = none).
        seed: `--seed`.
        time_budget: `--time-budget`, seconds per job (neural fits plan their epochs to it).
        recipe: `--recipe`, engine | paper (how neural methods are fitted).

    Returns:
        The resolved `Profile`.

    Raises:
        ValueError: If the name is unknown or an override is out of range.
    """
    if name not in PROFILES:
        raise InputError(f"--profile: expected one of {', '.join(PROFILES)}, got {name!r}")
    _check_positive("--frames", frames)
    _check_positive("--epochs", epochs)
    _check_positive("--batch-size", batch_size)
    _check_positive("--curve-every", curve_every, minimum=0)
    if recipe is not None and recipe not in RECIPES:
        raise InputError(f"--recipe: expected one of {', '.join(RECIPES)}, got {recipe!r}")
    if model_size is not None and not model_size > 0:
        raise InputError(f"--model-size: expected millions of parameters > 0, got {model_size!r}")
    changes: dict[str, Any] = {
        "max_frames": frames,
        "model_size": model_size,
        "epochs": epochs,
        "batch_size": batch_size,
        "curve_every": curve_every,
        "seed": seed,
        "time_budget": time_budget,
        "recipe": recipe,
    }
    changes = {key: value for key, value in changes.items() if value is not None}
    if size is not None:
        parsed = parse_size(size)
        changes["width"], changes["height"] = (None, None) if parsed is None else parsed
    return dataclasses.replace(PROFILES[name], **changes)
