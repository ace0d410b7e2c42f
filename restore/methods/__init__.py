"""Method registry: ``get_method(name)`` returns any restoration method behind one interface.

Neural methods fit a video representation with the masked loss and composite; classical methods
are per-frame or flow-based fills and denoisers. Each runner takes ``(frames, mask, config)`` and
returns a ``MethodResult``.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from functools import partial

import torch

from restore.config import RestoreConfig
from restore.errors import InputError
from restore.methods.base import Method, MethodResult
from restore.methods.bm3d_denoise import run_bm3d, run_bm3d_flow, run_bm4d
from restore.methods.hybrid import run_hybrid
from restore.methods.neural import run_neural
from restore.methods.video_prior import run_video_prior
from restore.models import MODELS

__all__ = ["METHODS", "Method", "MethodResult", "get_method", "list_methods"]


def _classical(function_path: str, *, needs_mask: bool) -> Callable[..., MethodResult]:
    """Wrap ``module:function`` (``f(frames, mask, **options)`` or ``f(frames, **options)``)."""
    module_name, function_name = function_path.split(":")

    def run(
        frames: torch.Tensor,
        mask: torch.Tensor | None,
        config: RestoreConfig,
        *,
        on_progress=None,
        should_stop=None,
    ) -> MethodResult:
        function = getattr(importlib.import_module(module_name), function_name)
        started = time.perf_counter()
        if needs_mask:
            restored = function(frames, mask, **config.method_options)
        else:
            restored = function(frames, **config.method_options)
        seconds = time.perf_counter() - started
        timings = {
            "fit_seconds": seconds,
            "decode_fps": frames.shape[0] / seconds if seconds else float("nan"),
        }
        return MethodResult(
            restored=restored, timings=timings, info={"options": config.method_options}
        )

    return run


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
    )
    for name, spec in MODELS.items()
]

METHODS: dict[str, Method] = {
    method.name: method
    for method in _NEURAL
    + [
        Method(
            "telea",
            ("inpaint",),
            _classical(f"{_INPAINT}:telea", needs_mask=True),
            "OpenCV Telea inpainting, per frame",
        ),
        Method(
            "navier-stokes",
            ("inpaint",),
            _classical(f"{_INPAINT}:navier_stokes", needs_mask=True),
            "OpenCV Navier-Stokes inpainting, per frame",
        ),
        Method(
            "biharmonic",
            ("inpaint",),
            _classical(f"{_INPAINT}:biharmonic", needs_mask=True),
            "scikit-image biharmonic inpainting, per frame",
        ),
        Method(
            "temporal-fill",
            ("inpaint",),
            _classical(f"{_INPAINT}:temporal_fill", needs_mask=True),
            "copy each hole pixel from the nearest frame where it is known",
        ),
        Method(
            "flow-guided",
            ("inpaint",),
            _classical(f"{_FLOW}:flow_guided", needs_mask=True),
            "optical-flow-guided propagation (DIS), Telea for the rest",
        ),
        Method(
            "hybrid",
            ("inpaint",),
            run_hybrid,
            "flow-guided propagation where it is confident, HNeRV fitted to it for the rest, holes "
            "steadied over time",
            neural=True,
        ),
        Method(
            "median",
            ("denoise",),
            _classical(f"{_DENOISE}:median_spatial", needs_mask=False),
            "3x3 median filter, per frame",
        ),
        Method(
            "median3d",
            ("denoise",),
            _classical(f"{_DENOISE}:median_spatiotemporal", needs_mask=False),
            "3x3x3 spatio-temporal median filter",
        ),
        Method(
            "gaussian-blur",
            ("denoise",),
            _classical(f"{_DENOISE}:gaussian_blur", needs_mask=False),
            "Gaussian blur",
        ),
        Method(
            "nlmeans",
            ("denoise",),
            _classical(f"{_DENOISE}:nl_means_temporal", needs_mask=False),
            "OpenCV temporal non-local means (strength from the estimated sigma)",
            takes_sigma=True,
        ),
        Method(
            "bm3d",
            ("denoise",),
            run_bm3d,
            "BM3D per frame (RGB, sigma estimated), impulses detected and filled first",
            takes_sigma=True,
        ),
        Method(
            "bm3d-flow",
            ("denoise",),
            run_bm3d_flow,
            "BM3D per frame, then averaged with flow-warped neighbours where they agree",
            takes_sigma=True,
        ),
        Method(
            "bm4d",
            ("denoise",),
            run_bm4d,
            "BM4D on overlapping 8-frame volumes, impulses detected and filled first",
            takes_sigma=True,
        ),
        Method(
            "hnerv-prior",
            ("denoise",),
            run_video_prior,
            "BM3D per frame steadied by a small HNeRV fitted to it (deep video prior)",
            neural=True,
            takes_sigma=True,
        ),
    ]
}


def list_methods(task: str | None = None) -> list[str]:
    """Registered method names, optionally only those for ``task`` (inpaint or denoise)."""
    return [name for name, method in METHODS.items() if task is None or task in method.tasks]


def get_method(name: str) -> Method:
    """The registered method ``name``; InputError listing the valid names otherwise."""
    if name not in METHODS:
        raise InputError(f"unknown method {name!r}; valid methods: {', '.join(METHODS)}")
    return METHODS[name]
