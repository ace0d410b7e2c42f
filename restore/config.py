"""Run configuration and named presets.

The resolved ``RestoreConfig`` is saved next to every output (``config.json``) so a run can be
reproduced.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RestoreConfig:
    """Everything that decides a restoration, for any method."""

    method: str = "hnerv"  # registered method name (restore.methods.list_methods())
    model_size: float = 0.75  # neural methods: TotalSize target in millions of parameters
    epochs: int = 150  # neural methods: passes over the video
    batch_size: int = 2  # neural methods: frames per optimizer step
    lr: float = 1e-3  # neural methods: Adam learning rate
    warmup_fraction: float = 0.2  # neural methods: share of steps warming the learning rate up
    loss: str = "l2"  # neural methods: l2 | l1 | ssim | ms-ssim | l1+ssim
    strides: tuple[int, ...] | None = None  # neural methods: decoder strides (auto when None)
    model_options: dict[str, Any] = field(default_factory=dict)  # e.g. {"k_max": 3}
    prefill: str = "telea"  # what HNeRV's encoder sees in holes: none (zeros) | mean | telea
    channels_last: bool = False  # neural methods: NHWC convolutions (measure before enabling)
    seed: int = 0  # initialisation, frame order and synthetic corruption
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    method_options: dict[str, Any] = field(default_factory=dict)  # classical methods' keywords

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["strides"] = list(self.strides) if self.strides else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RestoreConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown config field(s) {sorted(unknown)}")
        data = dict(data)
        if data.get("strides"):
            data["strides"] = tuple(data["strides"])
        return cls(**data)


PRESETS: dict[str, RestoreConfig] = {
    # Minutes on a laptop CPU for a short clip at 432x240.
    "fast": RestoreConfig(model_size=0.35, epochs=40, batch_size=2),
    # The default: the paper's 0.75M model, 150 epochs.
    "balanced": RestoreConfig(model_size=0.75, epochs=150, batch_size=2),
    # The paper's largest setting (3M, 300 epochs): meant for a GPU.
    "paper": RestoreConfig(model_size=3.0, epochs=300, batch_size=2),
}


def preset(name: str, **overrides: Any) -> RestoreConfig:
    """A copy of preset ``name`` with ``overrides`` applied (None values are ignored)."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; valid presets: {', '.join(PRESETS)}")
    values = {key: value for key, value in overrides.items() if value is not None}
    return dataclasses.replace(PRESETS[name], **values)
