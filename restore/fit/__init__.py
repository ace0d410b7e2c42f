"""Fitting a video representation to one corrupted video (masked loss, HNeRV eq. 2)."""

from restore.fit.loop import FitConfig, FitProgress, FitResult, fit_representation, predict_video
from restore.fit.losses import LOSSES, reconstruction_loss, resolve_loss

__all__ = [
    "FitConfig",
    "FitProgress",
    "FitResult",
    "LOSSES",
    "fit_representation",
    "predict_video",
    "reconstruction_loss",
    "resolve_loss",
]
