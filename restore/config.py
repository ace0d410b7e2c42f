"""Run configuration: one tree, passed down to the parts that own each branch, and named presets.

``RestoreConfig`` holds what decides a restoration: the method, the device and seed, the model
to build (``ModelOptions``, read by neural methods) and the optimisation (``FitConfig``, handed
as is to ``restore.fit.fit_representation``). Every field lives in one place. Presets are named
instances, shared by every front end: the CLI's ``--preset``, the app's preset choice and the
harness's profiles all name one of ``PRESETS``. ``preset(name, **overrides)`` applies front-end
options by their flat names (``OVERRIDES``); a None value leaves the preset's.

The resolved config is saved next to every output (``config.json``) so a run can be reproduced.
"""

from __future__ import annotations

import dataclasses
import json
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from masks.checks import fail
from restore.errors import InputError
from restore.fields import option
from restore.fit import FitConfig
from restore.models import MODELS, RECIPES, parse_strides

PREFILLS = ("none", "mean", "telea")
WORK_SIZES = ("auto", "full")  # besides an explicit (W, H): see restore.resolution


_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?:in)?)?(?:(\d+(?:\.\d+)?)s?)?$")


def parse_duration(text: str, name: str = "--time-budget") -> float:
    """Seconds in ``"90"``, ``"90s"``, ``"5m"``, ``"1h30m"`` or ``"2m30s"``; else InputError."""
    match = _DURATION.match(text.strip().lower().replace(" ", ""))
    if not text.strip() or match is None or not any(match.groups()):
        raise fail(name, "a duration such as 90s, 5m or 1h30m", repr(text))
    hours, minutes, seconds = (float(group) if group else 0.0 for group in match.groups())
    total = 3600 * hours + 60 * minutes + seconds
    if total <= 0:
        raise fail(name, "a duration > 0", repr(text))
    return total


def parse_work_size(text: str) -> tuple[int, int] | str:
    """``--work-size``: ``WxH`` (both sides >= 16), ``auto`` or ``full``."""
    value = text.strip().lower()
    if value in WORK_SIZES:
        return value
    parts = value.split("x")
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        raise fail("--work-size", "WxH such as 640x360, auto or full", repr(text))
    size = (int(parts[0]), int(parts[1]))
    if min(size) < 16:
        raise fail("--work-size", "both sides >= 16 pixels", repr(text))
    return size


@dataclass
class ModelOptions:
    """The representation a neural method builds (``restore.models.create_model``)."""

    size: float = option(
        0.75, flag="model_size", help="Model size in millions of parameters (0.35/0.75/1.5/3)."
    )
    strides: tuple[int, ...] | None = option(
        None, parse=parse_strides, help="Decoder strides, e.g. 5,3,2,2,2 (default: by frame size)."
    )
    prefill: str = option(
        "telea", help="What HNeRV's encoder sees in holes: none (zeros) | mean | telea."
    )
    options: dict[str, Any] = field(default_factory=dict)  # model config fields, e.g. k_max

    def __post_init__(self) -> None:
        if isinstance(self.size, bool) or not isinstance(self.size, int | float) or self.size <= 0:
            raise fail("model size", "a positive number of millions of parameters", self.size)
        if self.prefill not in PREFILLS:
            raise fail("prefill", f"one of {', '.join(PREFILLS)}", repr(self.prefill))
        if self.strides is not None:
            self.strides = tuple(self.strides)


@dataclass
class RestoreConfig:
    """Everything that decides a restoration, for any method."""

    method: str = option(
        "hnerv",
        help="Method, with options if any: telea:radius=5, hybrid:network=none (see "
        "`restore methods`; default: the preset's).",
    )
    device: str = option("auto", help="auto | cpu | cuda | cuda:N | mps.")
    seed: int = option(0, help="Random seed (initialisation, frame order, synthetic noise).")
    recipe: str = option(
        "engine",
        help="How neural methods are fitted: engine (ours: Adam, lr 3e-3) | paper (each model's "
        "authors': optimiser, lr, loss, clipping; restore.models.recipes).",
    )
    time_budget: float | None = option(
        None,
        parse=parse_duration,
        help="Finish within this time, e.g. 5m or 90s: the fit plans its epochs.",
    )
    work_size: tuple[int, int] | str = option(
        "auto",
        parse=parse_work_size,
        help="Work at WxH (any method), auto (neural methods, above 640x360) or full; the "
        "result keeps the clip's size, holes upscaled.",
    )
    model: ModelOptions = field(default_factory=ModelOptions)  # neural methods: what to build
    fit: FitConfig = field(default_factory=FitConfig)  # neural methods: how to fit it
    method_options: dict[str, Any] = field(default_factory=dict)  # classical methods' keywords

    def __post_init__(self) -> None:
        if self.recipe not in RECIPES:
            raise fail("--recipe", f"one of {', '.join(RECIPES)}", repr(self.recipe))
        if self.time_budget is not None and not self.time_budget > 0:
            raise fail("--time-budget", "a duration > 0", self.time_budget)
        if isinstance(self.work_size, list):
            self.work_size = tuple(self.work_size)
        if self.work_size not in WORK_SIZES and not (
            isinstance(self.work_size, tuple)
            and len(self.work_size) == 2
            and all(isinstance(v, int) and v >= 16 for v in self.work_size)
        ):
            raise fail("--work-size", "WxH with both sides >= 16, auto or full", self.work_size)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["model"]["strides"] = list(self.model.strides) if self.model.strides else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RestoreConfig:
        data = dict(data)
        unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise InputError(f"config: unknown field(s) {sorted(unknown)}")
        model = ModelOptions(**data.pop("model", {}))
        fit_data = dict(data.pop("fit", {}))
        fit_data.pop("time_budget", None)  # saved before the budget became one Deadline
        fit = FitConfig(**fit_data)
        return cls(model=model, fit=fit, **data)


@dataclass(frozen=True)
class FrontEndOption:
    """A config field that front ends offer: its flat name, where it lives, its type and help."""

    name: str  # flat name: model_size (the CLI's --model-size)
    branch: str | None  # None (RestoreConfig), "model" or "fit"
    field: str  # the field's name in its branch
    type: Any  # the field's value type without None (int, float, str, bool, tuple)
    help: str
    parse: Callable[[str], Any] | None  # text -> value, where the type alone cannot say


def _front_end_options() -> dict[str, FrontEndOption]:
    options: dict[str, FrontEndOption] = {}
    branches = {None: RestoreConfig, "model": ModelOptions, "fit": FitConfig}
    for branch, cls in branches.items():
        hints = typing.get_type_hints(cls)
        for item in dataclasses.fields(cls):
            if "help" not in item.metadata:
                continue
            kinds = [k for k in typing.get_args(hints[item.name]) if k is not type(None)]
            kind = kinds[0] if kinds else hints[item.name]
            name = item.metadata["flag"] or item.name
            options[name] = FrontEndOption(
                name, branch, item.name, kind, item.metadata["help"], item.metadata["parse"]
            )
    return options


FRONT_END_OPTIONS: dict[str, FrontEndOption] = _front_end_options()
"""Every option a front end may set, read off the config tree's field metadata: the CLI's run
options are generated from it and ``preset`` maps its flat names into the tree."""

OVERRIDES: dict[str, tuple[str | None, str]] = {
    "method_options": (None, "method_options"),
    **{name: (entry.branch, entry.field) for name, entry in FRONT_END_OPTIONS.items()},
}
"""Front-end option name -> (branch of the tree, field): the one mapping every front end uses."""


def _preset(size: float = 0.75, epochs: int = 150) -> RestoreConfig:
    # The default inpainting method: the network-free hybrid (docs/network-share.md: the fitted
    # network adds +0.10 dB on the centre box for 15x the time); ``--method hybrid`` fits it,
    # at the preset's model size and epochs.
    return RestoreConfig(
        method="hybrid",
        method_options={"network": "none"},
        model=ModelOptions(size=size),
        fit=FitConfig(epochs=epochs),
    )


PRESETS: dict[str, RestoreConfig] = {
    # Seconds: checks that a run works end to end (tests, the harness's smoke profile).
    "smoke": _preset(size=0.07, epochs=3),
    # Minutes on a laptop CPU for a short clip at 432x240.
    "fast": _preset(size=0.35, epochs=40),
    # The paper's 0.75M model, 150 epochs.
    "balanced": _preset(size=0.75, epochs=150),
    # The paper's largest setting (3M, 300 epochs): meant for a GPU.
    "paper": _preset(size=3.0, epochs=300),
}

DEFAULT_PRESET = "balanced"

DEFAULT_METHODS: dict[str, str] = {"inpaint": "hybrid:network=none", "denoise": "bm3d-flow"}
"""Task -> the method a front end runs when none is named, chosen by the harness's measurements
(docs/network-share.md, docs/denoising.md). Inpainting: the hybrid without its network, also
the presets' method (``hybrid`` fits the network too; ``hnerv`` stays the paper's method).
Denoising: ``bm3d-flow`` (BM3D, then flow-compensated temporal fusion)."""


def preset(name: str | RestoreConfig, **overrides: Any) -> RestoreConfig:
    """A copy of preset ``name`` (or of a config, e.g. a saved run's) with front-end
    ``overrides`` (``OVERRIDES`` names) applied.

    None values leave the preset's value. Every value is checked by the branch that owns it.
    A registered model's method gets its recipe (``recipe``: ``engine`` or ``paper``,
    ``ModelSpec.recipes``) for the fit fields the caller leaves None, and the recipe's model
    fields under the options the caller gives; other methods keep the preset's.

    Raises:
        InputError: an unknown preset or option name, or a bad value.
    """
    if isinstance(name, RestoreConfig):
        base = name
    elif name in PRESETS:
        base = PRESETS[name]
    else:
        raise fail("preset", f"one of {', '.join(PRESETS)}", repr(name))
    unknown = set(overrides) - set(OVERRIDES)
    if unknown:
        raise InputError(f"preset overrides: unknown option(s) {sorted(unknown)}")
    values: dict[str | None, dict[str, Any]] = {None: {}, "model": {}, "fit": {}}
    for option_name, value in overrides.items():
        if value is not None:
            branch, field_name = OVERRIDES[option_name]
            values[branch][field_name] = value
    spec = MODELS.get(values[None].get("method", base.method))
    if spec is not None:
        recipe = spec.recipes[values[None].get("recipe", base.recipe)]
        for field_name, value in recipe.fit.items():
            values["fit"].setdefault(field_name, value)
        if recipe.model:
            given = values["model"].get("options", base.model.options)
            values["model"]["options"] = {**recipe.model, **given}
    return dataclasses.replace(
        base,
        model=dataclasses.replace(base.model, **values["model"]),
        fit=dataclasses.replace(base.fit, **values["fit"]),
        # A method named here comes with its own options (none unless given), not the base's.
        **(
            {"method_options": {} if "method" in values[None] else dict(base.method_options)}
            | values[None]
        ),
    )


def load_config(path: str | Path) -> RestoreConfig:
    """The configuration saved with a run (``*.config.json``, or a bare config dict) to replay.

    Raises:
        InputError: a missing or unreadable file, or fields the config does not have.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise fail("--config", "an existing *.config.json file", str(path)) from None
    except (OSError, ValueError) as error:
        raise fail("--config", "a readable JSON config", f"{path} ({error})") from None
    if isinstance(data, dict) and isinstance(data.get("config"), dict):
        data = data["config"]  # a run's sidecar holds the job and the config
    if not isinstance(data, dict):
        raise fail("--config", "a JSON object", type(data).__name__)
    return RestoreConfig.from_dict(data)
