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
import re
from dataclasses import dataclass, field
from typing import Any

from masks.checks import fail
from restore.errors import InputError
from restore.fit import FitConfig
from restore.models import MODELS

PREFILLS = ("none", "mean", "telea")
WORK_SIZES = ("auto", "full")  # besides an explicit (W, H): see restore.resolution


@dataclass
class ModelOptions:
    """The representation a neural method builds (``restore.models.create_model``)."""

    size: float = 0.75  # TotalSize target in millions of parameters (HNeRV's 0.35/0.75/1.5/3)
    strides: tuple[int, ...] | None = None  # decoder strides; chosen from the frame size if None
    prefill: str = "telea"  # what HNeRV's encoder sees in holes: none (zeros) | mean | telea
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

    method: str = "hnerv"  # registered method name (restore.methods.list_methods())
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    seed: int = 0  # initialisation, frame order and synthetic corruption
    time_budget: float | None = None  # seconds for the whole run; the fit plans its epochs to it
    work_size: tuple[int, int] | str = "auto"  # neural methods fit at (W, H) | "auto" | "full"
    model: ModelOptions = field(default_factory=ModelOptions)  # neural methods: what to build
    fit: FitConfig = field(default_factory=FitConfig)  # neural methods: how to fit it
    method_options: dict[str, Any] = field(default_factory=dict)  # classical methods' keywords

    def __post_init__(self) -> None:
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
        fit = FitConfig(**data.pop("fit", {}))
        return cls(model=model, fit=fit, **data)


OVERRIDES: dict[str, tuple[str | None, str]] = {
    "method": (None, "method"),
    "device": (None, "device"),
    "seed": (None, "seed"),
    "time_budget": (None, "time_budget"),
    "work_size": (None, "work_size"),
    "model_size": ("model", "size"),
    "strides": ("model", "strides"),
    "prefill": ("model", "prefill"),
    "epochs": ("fit", "epochs"),
    "batch_size": ("fit", "batch_size"),
    "lr": ("fit", "lr"),
    "loss": ("fit", "loss"),
    "channels_last": ("fit", "channels_last"),
    "precision": ("fit", "precision"),
    "grad_clip": ("fit", "grad_clip"),
}
"""Front-end option name -> (branch of the tree, field): the one mapping every front end uses."""


def _preset(method: str = "hybrid", size: float = 0.75, epochs: int = 150) -> RestoreConfig:
    return RestoreConfig(method=method, model=ModelOptions(size=size), fit=FitConfig(epochs=epochs))


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

DEFAULT_METHODS: dict[str, str] = {"inpaint": "hybrid", "denoise": "bm3d-flow"}
"""Task -> the method a front end runs when none is named. Inpainting: ``hybrid`` (propagate,
then fit; 15.73 dB against flow-guided's 14.80 and Telea's 14.65 in DAVIS centre holes, ahead of
flow-guided on all 9 sequences; README), also the presets' method; ``hnerv`` stays the paper's
method. Denoising: ``bm3d-flow`` (BM3D, then flow-compensated temporal fusion: 35.56 dB against
BM3D's 35.15 on the 9 DAVIS sequences at sigma 0.04, E_warp 0.83e-3 against 1.30e-3; README);
``hnerv-prior`` did not beat BM3D on the DAVIS cpu profile."""


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


def preset(name: str, **overrides: Any) -> RestoreConfig:
    """A copy of preset ``name`` with front-end ``overrides`` (``OVERRIDES`` names) applied.

    None values leave the preset's value. Every value is checked by the branch that owns it.
    A model whose registry entry has ``fit_defaults`` (the boost models: ``loss="boost"``) gets
    them for the fit fields the caller leaves None; the other models keep the preset's.

    Raises:
        InputError: an unknown preset or option name, or a bad value.
    """
    if name not in PRESETS:
        raise fail("preset", f"one of {', '.join(PRESETS)}", repr(name))
    unknown = set(overrides) - set(OVERRIDES)
    if unknown:
        raise InputError(f"preset overrides: unknown option(s) {sorted(unknown)}")
    base = PRESETS[name]
    values: dict[str | None, dict[str, Any]] = {None: {}, "model": {}, "fit": {}}
    for option, value in overrides.items():
        if value is not None:
            branch, field_name = OVERRIDES[option]
            values[branch][field_name] = value
    spec = MODELS.get(values[None].get("method", base.method))
    if spec is not None:
        for field_name, value in spec.fit_defaults.items():
            values["fit"].setdefault(field_name, value)
    return dataclasses.replace(
        base,
        model=dataclasses.replace(base.model, **values["model"]),
        fit=dataclasses.replace(base.fit, **values["fit"]),
        method_options=dict(base.method_options),
        **values[None],
    )
