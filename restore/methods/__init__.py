"""Method registry: ``get_method(name)`` returns any restoration method behind one interface.

Neural methods fit a video representation with the masked loss and composite; classical methods
are per-frame or flow-based fills and denoisers. Each runner takes ``(frames, mask, config)`` and
returns a ``MethodResult``.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import torch

from restore.config import RestoreConfig, preset
from restore.errors import InputError
from restore.methods.base import Method, MethodResult
from restore.methods.bm3d_denoise import (
    BM3D_FLOW_OPTIONS,
    BM3D_OPTIONS,
    BM4D_OPTIONS,
    run_bm3d,
    run_bm3d_flow,
    run_bm4d,
)
from restore.methods.hybrid import HYBRID_OPTIONS, run_hybrid
from restore.methods.neural import run_neural
from restore.methods.spec import MethodSpec, resolve_options, split_name, split_specs
from restore.methods.video_prior import DEFAULTS as PRIOR_OPTIONS
from restore.methods.video_prior import run_video_prior
from restore.models import MODELS
from restore.progress import (
    PhaseClock,
    PhaseStopped,
    frames_done_text,
    stop_or_deadline,
    stopped_info,
)

__all__ = [
    "METHODS",
    "Method",
    "MethodResult",
    "MethodSpec",
    "get_method",
    "list_methods",
    "method_config",
    "parse_method",
    "split_specs",
]

_PLAIN = (bool, int, float, str, type(None))


def _keyword_options(function: Callable[..., Any]) -> dict[str, Any]:
    """A function's tunable keywords: parameters with a plain default (callbacks excluded)."""
    return {
        name: parameter.default
        for name, parameter in inspect.signature(function).parameters.items()
        if parameter.default is not inspect.Parameter.empty
        and isinstance(parameter.default, _PLAIN)
        and not name.startswith(("on_", "should_"))
        and name != "clock"  # progress and Stop (``_classical``), not a tunable option
    }


def _classical(
    function_path: str, *, needs_mask: bool, phase: str
) -> tuple[Callable[..., MethodResult], dict]:
    """Wrap ``module:function`` (``f(frames, mask, **options)`` or ``f(frames, **options)``);
    returns the runner and the function's options (its keyword defaults).

    A function with a ``clock`` parameter reports its frames as ``phase`` and can be stopped
    (Stop or the deadline): the result is then its finished part if it hands one over
    (``PhaseStopped.finished``), else a Telea fill of the holes or, for a denoiser, the clip as
    given."""
    module_name, function_name = function_path.split(":")
    public = getattr(importlib.import_module(module_name), function_name)
    # restore() checked the inputs: run the body without the public function's own check.
    function = getattr(public, "unchecked", public)
    takes_clock = "clock" in inspect.signature(function).parameters

    def run(
        frames: torch.Tensor,
        mask: torch.Tensor | None,
        config: RestoreConfig,
        *,
        deadline=None,
        on_progress=None,
        should_stop=None,
    ) -> MethodResult:
        started = time.perf_counter()
        options = dict(config.method_options)
        if takes_clock:
            stop = stop_or_deadline(should_stop, deadline)
            options["clock"] = PhaseClock(phase, frames.shape[0], on_progress, stop)
        info: dict[str, Any] = {"options": config.method_options}
        try:
            restored = (
                function(frames, mask, **options) if needs_mask else function(frames, **options)
            )
        except PhaseStopped as stopped:
            restored, what = _stopped_fill(frames, mask, stopped)
            info |= stopped_info(phase, what, should_stop, deadline)
        seconds = time.perf_counter() - started
        timings = {
            "fit_seconds": seconds,
            "decode_fps": frames.shape[0] / seconds if seconds else float("nan"),
        }
        return MethodResult(
            restored=restored, timings=timings, info=info, stopped="stopped_phase" in info
        )

    return run, _keyword_options(function)


def _stopped_fill(
    frames: torch.Tensor, mask: torch.Tensor | None, stopped: PhaseStopped
) -> tuple[torch.Tensor, str]:
    """What a classical method stopped part-way returns, and what it holds in words."""
    if stopped.finished is not None:
        return stopped.finished, stopped.what
    if mask is None:
        return frames.clone(), frames_done_text(0, frames.shape[0], "denoised")
    from restore.methods.classical_inpaint import telea

    return telea.unchecked(frames, mask), "the holes hold a Telea fill"


def _classical_method(
    name: str,
    task: str,
    function_path: str,
    description: str,
    *,
    phase: str | None = None,
    **flags: Any,
) -> Method:
    """A classical method; ``phase`` names its progress (default: inpainting or denoising)."""
    phase = phase or ("inpainting" if task == "inpaint" else "denoising")
    run, options = _classical(function_path, needs_mask=task == "inpaint", phase=phase)
    return Method(name, (task,), run, description, options=options, **flags)


_INPAINT = "restore.methods.classical_inpaint"
_FLOW = "restore.methods.flow_propagation"
_DENOISE = "restore.methods.classical_denoise"

# Every registered model is a method: fitted with the masked loss (eq. 2), then composited.
_NEURAL = [
    Method(
        name,
        ("inpaint", "denoise"),
        partial(run_neural, model_name=name),
        f"{spec.description}; fitted with the masked loss, composited",
        neural=True,
        options={},
    )
    for name, spec in MODELS.items()
]

METHODS: dict[str, Method] = {
    method.name: method
    for method in _NEURAL
    + [
        _classical_method(
            "telea",
            "inpaint",
            f"{_INPAINT}:telea",
            "OpenCV Telea inpainting, per frame",
        ),
        _classical_method(
            "navier-stokes",
            "inpaint",
            f"{_INPAINT}:navier_stokes",
            "OpenCV Navier-Stokes inpainting, per frame",
        ),
        _classical_method(
            "biharmonic",
            "inpaint",
            f"{_INPAINT}:biharmonic",
            "scikit-image biharmonic inpainting, per frame",
        ),
        _classical_method(
            "temporal-fill",
            "inpaint",
            f"{_INPAINT}:temporal_fill",
            "copy each hole pixel from the nearest frame where it is known",
        ),
        _classical_method(
            "flow-guided",
            "inpaint",
            f"{_FLOW}:flow_guided",
            "optical-flow-guided propagation (DIS), Telea for the rest",
            phase="propagation",
        ),
        Method(
            "hybrid",
            ("inpaint",),
            run_hybrid,
            "flow-guided propagation where it is confident, HNeRV fitted to it for the rest, holes "
            "steadied over time",
            neural=True,
            options=HYBRID_OPTIONS,
        ),
        _classical_method(
            "median",
            "denoise",
            f"{_DENOISE}:median_spatial",
            "3x3 median filter, per frame",
        ),
        _classical_method(
            "median3d",
            "denoise",
            f"{_DENOISE}:median_spatiotemporal",
            "3x3x3 spatio-temporal median filter",
        ),
        _classical_method(
            "gaussian-blur",
            "denoise",
            f"{_DENOISE}:gaussian_blur",
            "Gaussian blur",
        ),
        _classical_method(
            "uniform",
            "denoise",
            f"{_DENOISE}:uniform_filter",
            "3x3 mean (box) filter, per frame",
        ),
        _classical_method(
            "minimum",
            "denoise",
            f"{_DENOISE}:minimum_filter",
            "3x3 minimum filter (erosion), per frame",
        ),
        _classical_method(
            "maximum",
            "denoise",
            f"{_DENOISE}:maximum_filter",
            "3x3 maximum filter (dilation), per frame",
        ),
        _classical_method(
            "nlmeans",
            "denoise",
            f"{_DENOISE}:nl_means_temporal",
            "OpenCV temporal non-local means (strength from the estimated sigma)",
            takes_sigma=True,
        ),
        Method(
            "bm3d",
            ("denoise",),
            run_bm3d,
            "BM3D per frame (RGB, sigma estimated), impulses detected and filled first",
            takes_sigma=True,
            options=BM3D_OPTIONS,
        ),
        Method(
            "bm3d-flow",
            ("denoise",),
            run_bm3d_flow,
            "BM3D per frame, then averaged with flow-warped neighbours where they agree",
            takes_sigma=True,
            options=BM3D_FLOW_OPTIONS,
        ),
        Method(
            "bm4d",
            ("denoise",),
            run_bm4d,
            "BM4D on overlapping 8-frame volumes, impulses detected and filled first",
            takes_sigma=True,
            options=BM4D_OPTIONS,
        ),
        Method(
            "hnerv-prior",
            ("denoise",),
            run_video_prior,
            "BM3D per frame steadied by a small HNeRV fitted to it (deep video prior)",
            neural=True,
            takes_sigma=True,
            options=PRIOR_OPTIONS,
        ),
    ]
}


def list_methods(task: str | None = None) -> list[str]:
    """Registered method names, optionally only those for ``task`` (inpaint or denoise)."""
    return [name for name, method in METHODS.items() if task is None or task in method.tasks]


def get_method(name: str) -> Method:
    """The registered method ``name`` (a spec's options are ignored here: ``parse_method``);
    InputError listing the valid names otherwise."""
    base = name.partition(":")[0].strip()
    if base not in METHODS:
        raise InputError(f"unknown method {base!r}; valid methods: {', '.join(METHODS)}")
    return METHODS[base]


def parse_method(spec: str) -> MethodSpec:
    """``"hybrid:network=none,temporal_passes=0"`` -> its method and typed options.

    Raises:
        InputError: an unknown method, an option it does not take or a value of the wrong type.
    """
    name, raw = split_name(spec)
    method = get_method(name)
    return MethodSpec(name, resolve_options(name, raw, method.options))


def method_config(
    base: str | RestoreConfig, method: str | None = None, **overrides: Any
) -> RestoreConfig:
    """``restore.config.preset`` for a method spec: what every front end builds its config with.

    ``base`` is a preset name or a config (a saved run's). ``method`` may carry options
    (``telea:radius=5``); they become ``config.method_options``, typed and checked here.
    """
    if method is None:
        config = preset(base, **overrides)
        options = resolve_options(
            config.method, config.method_options, get_method(config.method).options
        )
        return dataclasses.replace(config, method_options=options)
    spec = parse_method(method)
    return preset(base, method=spec.name, method_options=spec.options, **overrides)
