"""Fitting a video representation to one corrupted video (masked loss, HNeRV eq. 2)."""

from restore.fit.loop import FitConfig, FitProgress, FitResult, fit_representation, predict_video
from restore.fit.losses import LOSSES, reconstruction_loss, resolve_loss
from restore.fit.plan import FitPlan, format_duration, plan_epochs

__all__ = [
    "FitConfig",
    "FitPlan",
    "FitProgress",
    "FitResult",
    "LOSSES",
    "fit_representation",
    "format_duration",
    "plan_epochs",
    "predict_video",
    "reconstruction_loss",
    "resolve_loss",
]
