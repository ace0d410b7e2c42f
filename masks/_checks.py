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


def _check_float_video(value: object, name: str, channels: int) -> torch.Tensor:
    """A float tensor `(T, channels, H, W)` with values in [0, 1], or ValueError naming `name`."""
    layout = f"(T, {channels}, H, W)"
    if not isinstance(value, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor {layout}, got {type(value).__name__}")
    if value.ndim != 4 or value.shape[1] != channels:
        raise ValueError(f"{name} must have shape {layout}, got {tuple(value.shape)}")
    if not value.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got dtype {value.dtype}")
    if value.numel() and (value.min() < 0 or value.max() > 1):
        raise ValueError(
            f"{name} values must lie in [0, 1], got "
            f"[{value.min().item():g}, {value.max().item():g}]"
        )
    return value


def check_mask_layout(mask: object, name: str = "mask") -> torch.Tensor:
    """Checks that `mask` is a float tensor `(T, 1, H, W)` with values in [0, 1].

    Returns:
        `mask`, unchanged.

    Raises:
        ValueError: If it is not a tensor, has another shape, is not floating point, or has values
            outside [0, 1]; the message names `name`.
    """
    return _check_float_video(mask, name, channels=1)


def check_frames(frames: object, name: str = "video") -> torch.Tensor:
    """Checks that `frames` is a float tensor `(T, 3, H, W)` with values in [0, 1].

    Returns:
        `frames`, unchanged.

    Raises:
        ValueError: If it is not a tensor, has another shape, is not floating point, or has values
            outside [0, 1]; the message names `name`.
    """
    return _check_float_video(frames, name, channels=3)
