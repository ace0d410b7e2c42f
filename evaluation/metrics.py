"""Scores of the evaluation harness.

Frame-quality metrics live in ``restore.metrics`` (the CLI's ``metrics.json`` uses them too, and
``restore`` may not import ``evaluation``); temporal consistency is in ``evaluation.warp_error``.
"""

from evaluation.warp_error import WARP_ERROR_LABEL, warp_error, warp_error_per_pair  # noqa: F401
from restore.metrics import (  # noqa: F401
    ms_ssim,
    mse,
    psnr,
    psnr_in_holes,
    psnr_in_holes_per_frame,
    psnr_outside_holes,
    psnr_per_frame,
    ssim,
    ssim_in_holes,
    ssim_per_frame,
    summarize,
)
