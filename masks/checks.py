"""The project's one family of boundary checks (kornia's ``KORNIA_CHECK_*`` is the model).

Every front end, the engine's ``restore()`` and the mask generators validate videos, masks and
integers through these helpers, at their boundary and once; inner functions trust their inputs.
Every message has one shape, ``<name>: expected <what>, got <actual>``, and every failure raises
``InputError`` (a ``ValueError``), which the front ends turn into one ``error:`` line and exit
code 2. This module sits in ``masks/``, the lowest layer, so that every package can use it.

Layouts (see ARCHITECTURE.md): frames ``(T, 3, H, W)`` float in [0, 1]; masks ``(T, 1, H, W)``
float in [0, 1], 1 = missing. Sizes in messages are written ``WxH``, as users state them.
"""

from __future__ import annotations

import torch

from masks.errors import InputError


def fail(name: str, expected: str, actual: object) -> InputError:
    """The error for ``name``: ``<name>: expected <expected>, got <actual>`` (raise it)."""
    return InputError(f"{name}: expected {expected}, got {actual}")


def describe_size(height: int, width: int) -> str:
    """``WxH``, the way a user writes a frame size (``432x240``)."""
    return f"{width}x{height}"


def check_positive_int(name: str, value: object) -> int:
    """Returns ``value`` if it is an int >= 1 (bools rejected); InputError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise fail(name, "an integer >= 1", repr(value))
    return value


def check_non_negative_int(name: str, value: object) -> int:
    """Returns ``value`` if it is an int >= 0 (bools rejected); InputError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise fail(name, "an integer >= 0", repr(value))
    return value


def check_video_size(num_frames: int, height: int, width: int) -> None:
    """Checks the ``(T, H, W)`` a generator is asked to produce: three positive integers."""
    check_positive_int("num_frames", num_frames)
    check_positive_int("height", height)
    check_positive_int("width", width)


def _check_layout(value: object, name: str, channels: int, values: bool) -> torch.Tensor:
    layout = f"(T, {channels}, H, W)"
    if not isinstance(value, torch.Tensor):
        raise fail(name, f"a torch.Tensor {layout}", type(value).__name__)
    if value.ndim != 4 or value.shape[1] != channels:
        raise fail(name, f"shape {layout}", tuple(value.shape))
    if value.numel() == 0:
        raise fail(name, f"at least 1 frame of at least 1x1 {layout}", tuple(value.shape))
    if not value.is_floating_point():
        raise fail(name, "a floating-point tensor with values in [0, 1]", f"dtype {value.dtype}")
    if values:
        low, high = float(value.min()), float(value.max())
        if not (0.0 <= low and high <= 1.0):  # also catches NaN
            raise fail(name, "values in [0, 1]", f"[{low:g}, {high:g}]")
    return value


def check_video(video: object, name: str = "video", *, values: bool = True) -> torch.Tensor:
    """Checks a video ``(T, 3, H, W)``, floating point, non-empty, values in [0, 1].

    Args:
        video: The object to check.
        name: The argument's name in the message.
        values: Also check the value range (one pass over the data).

    Returns:
        ``video``, unchanged.

    Raises:
        InputError: ``<name>: expected ..., got ...``.
    """
    return _check_layout(video, name, 3, values)


def check_mask(
    mask: object,
    video: torch.Tensor | None = None,
    *,
    name: str = "mask",
    size: tuple[int, int, int] | None = None,
    values: bool = True,
) -> torch.Tensor:
    """Checks a mask ``(T, 1, H, W)``, floating point, values in [0, 1], matching a video.

    Args:
        mask: The object to check.
        video: The ``(T, 3, H, W)`` video it belongs to (frame count and size must match).
        name: The argument's name in the message.
        size: ``(T, H, W)`` to match instead of ``video``'s.
        values: Also check the value range.

    Returns:
        ``mask``, unchanged.

    Raises:
        InputError: e.g. ``mask: expected 50 frames (the video's), got 40`` or
            ``mask: expected the video's size 432x240, got 854x480 (use --mask-resize ...)``.
    """
    _check_layout(mask, name, 1, values)
    if video is not None:
        size = (video.shape[0], video.shape[2], video.shape[3])
    if size is not None:
        num_frames, height, width = size
        if mask.shape[0] != num_frames:
            raise fail(name, f"{num_frames} frames (the video's)", mask.shape[0])
        if tuple(mask.shape[2:]) != (height, width):
            raise fail(
                name,
                f"the video's size {describe_size(height, width)}",
                f"{describe_size(*mask.shape[2:])} (use --mask-resize to rescale)",
            )
    return mask


def check_same_shape(first: torch.Tensor, second: torch.Tensor, names: tuple[str, str]) -> None:
    """Checks that two tensors have one shape; the message names both."""
    if first.shape != second.shape:
        raise fail(names[1], f"the shape of {names[0]} {tuple(first.shape)}", tuple(second.shape))


def check_learnable(mask: torch.Tensor, name: str = "mask") -> None:
    """Checks that a binary mask leaves at least one known pixel to learn from."""
    if bool((mask > 0.5).all()):
        raise fail(name, "at least one known pixel", "a mask covering every pixel of every frame")


def checked_by(check):
    """Marks a public function as a boundary whose arguments ``check(*args, **kwargs)`` validates
    once; ``function.unchecked`` is the body without the check (see ``boundary``)."""

    def decorate(function):
        import functools

        @functools.wraps(function)
        def checked(*args, **kwargs):
            check(*args, **kwargs)
            return function(*args, **kwargs)

        checked.unchecked = function
        return checked

    return decorate


def boundary(*, mask: bool = False, values: bool = True):
    """Marks a public function as a boundary: its ``(video[, mask])`` is checked once, here.

    The function itself trusts its inputs; ``function.unchecked`` is the body without the
    check, for callers inside the engine that received checked inputs (``restore()`` checked
    them, or another boundary did). ``tests/test_layering.py`` keeps the check family out of
    the engine's inner modules, so each input is checked once, at the edge.

    Args:
        mask: The second argument is a mask ``(T, 1, H, W)`` that must match the video.
        values: Also check the video's value range.
    """

    def check(video, *args, **kwargs):
        check_video(video, values=values)
        if mask:
            check_mask(args[0] if args else kwargs["mask"], video)

    return checked_by(check)


def check_composite(prediction: object, corrupted: object, mask: object, **_: object) -> None:
    """Checks ``composite``'s arguments: a prediction of the input's shape and its mask."""
    check_video(corrupted, "input", values=False)
    check_same_shape(prediction, corrupted, ("prediction", "input"))
    check_mask(mask, corrupted, values=False)
