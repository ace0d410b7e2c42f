"""Boundary checks shared by the mask and noise generators.

Every public function in `masks/` validates its inputs once, here, and raises `ValueError` naming
the argument, the expected and the actual value (see ARCHITECTURE.md, "Errors").
"""

from __future__ import annotations

import torch


def check_positive_int(name: str, value: object) -> int:
    """Checks that `value` is an int >= 1 (bools rejected) and returns it.

    Args:
        name: Argument name used in the error message.
        value: The value to check.

    Returns:
        `value`, unchanged.

    Raises:
        ValueError: If `value` is not an int or is below 1.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return value


def check_non_negative_int(name: str, value: object) -> int:
    """Checks that `value` is an int >= 0 (bools rejected) and returns it.

    Args:
        name: Argument name used in the error message.
        value: The value to check.

    Returns:
        `value`, unchanged.

    Raises:
        ValueError: If `value` is not an int or is negative.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    return value


def check_video_size(num_frames: int, height: int, width: int) -> None:
    """Checks the `(T, H, W)` size a generator is asked to produce.

    Raises:
        ValueError: If any of the three is not a positive integer.
    """
    check_positive_int("num_frames", num_frames)
    check_positive_int("height", height)
    check_positive_int("width", width)


def check_mask_layout(mask: object, name: str = "mask") -> torch.Tensor:
    """Checks that `mask` is a float tensor `(T, 1, H, W)` with values in [0, 1].

    Args:
        mask: The candidate mask.
        name: Argument name used in the error message.

    Returns:
        `mask`, unchanged.

    Raises:
        ValueError: If it is not a tensor, has another shape, is not floating point, or has values
            outside [0, 1].
    """
    if not isinstance(mask, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor (T, 1, H, W), got {type(mask).__name__}")
    if mask.ndim != 4 or mask.shape[1] != 1:
        raise ValueError(f"{name} must have shape (T, 1, H, W), got {tuple(mask.shape)}")
    if not mask.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got dtype {mask.dtype}")
    if mask.numel() and (mask.min() < 0 or mask.max() > 1):
        raise ValueError(
            f"{name} values must lie in [0, 1], got [{mask.min().item():g}, {mask.max().item():g}]"
        )
    return mask


def check_frames(frames: object, name: str = "video") -> torch.Tensor:
    """Checks that `frames` is a float tensor `(T, 3, H, W)` with values in [0, 1].

    Args:
        frames: The candidate video.
        name: Argument name used in the error message.

    Returns:
        `frames`, unchanged.

    Raises:
        ValueError: If it is not a tensor, has another shape, is not floating point, or has values
            outside [0, 1].
    """
    if not isinstance(frames, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor (T, 3, H, W), got {type(frames).__name__}")
    if frames.ndim != 4 or frames.shape[1] != 3:
        raise ValueError(f"{name} must have shape (T, 3, H, W), got {tuple(frames.shape)}")
    if not frames.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got dtype {frames.dtype}")
    if frames.numel() and (frames.min() < 0 or frames.max() > 1):
        raise ValueError(
            f"{name} values must lie in [0, 1], got "
            f"[{frames.min().item():g}, {frames.max().item():g}]"
        )
    return frames
