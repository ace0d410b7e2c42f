"""What every restoration method takes and returns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch

from restore.config import RestoreConfig
from restore.deadline import Deadline
from restore.fit import FitProgress


@dataclass
class MethodResult:
    """A restored video and how it was made.

    ``restored`` is what the user gets: for inpainting the composite (known pixels unchanged),
    for denoising the method's output. ``raw`` is a neural method's uncomposited output.
    """

    restored: torch.Tensor  # (T, 3, H, W) in [0, 1]
    raw: torch.Tensor | None = None  # (T, 3, H, W) network output before compositing
    timings: dict[str, float] = field(default_factory=dict)  # fit_seconds, decode_fps, ...
    info: dict[str, Any] = field(default_factory=dict)  # model size, strides, history, notes
    model: torch.nn.Module | None = None  # fitted network (neural methods)
    stopped: bool = False  # the stop flag ended the fit early


class MethodRunner(Protocol):
    def __call__(
        self,
        frames: torch.Tensor,
        mask: torch.Tensor | None,
        config: RestoreConfig,
        *,
        deadline: Deadline | None = None,
        on_progress: Callable[[FitProgress], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> MethodResult: ...


@dataclass(frozen=True)
class Method:
    """A registered method: its task(s) and its runner."""

    name: str
    tasks: tuple[str, ...]  # "inpaint", "denoise"
    run: MethodRunner
    description: str
    neural: bool = False
    takes_sigma: bool = False  # denoisers with a ``sigma`` option (noise level; else estimated)
    # The options a spec may give (``name:key=value``), with their defaults, which type them
    options: Mapping[str, Any] = field(default_factory=dict)
