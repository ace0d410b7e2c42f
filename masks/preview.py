"""Mask previews and diagnostics: tinted overlays, masked fraction, holes that never uncover.

`overlay` tints the holes of a video for the CLI's `--preview` and the app. `masked_fraction` and
`never_visible_fraction` summarise a mask; `check_propagation` warns when some hole pixels are
masked at the same place in every frame: over a static camera no frame shows the background there,
so nothing can be propagated from other frames and only spatial inpainting can fill them (a moving
camera or scene can still reveal it, which flow-guided propagation exploits).

Frames are float32 `(T, 3, H, W)` RGB in [0, 1]; masks are `(T, 1, H, W)`, 1 = missing.
"""

from __future__ import annotations

import torch

from masks.checks import check_mask
from masks.errors import InputError


def overlay(
    frames: torch.Tensor,
    mask: torch.Tensor,
    color: tuple[float, float, float] = (1.0, 0.2, 0.2),
    alpha: float = 0.5,
) -> torch.Tensor:
    """Tints the masked pixels of frames for previews.

    Per pixel: `out = frame * (1 - alpha * m) + color * alpha * m`, so known pixels (m = 0) pass
    through unchanged and holes are blended towards `color`.

    Args:
        frames: Video `(T, 3, H, W)` or one frame `(3, H, W)`, float RGB in [0, 1].
        mask: `(T, 1, H, W)` for a video (or `(1, 1, H, W)`, applied to every frame); `(1, H, W)`
            or `(1, 1, H, W)` for one frame. 1 = missing, values in [0, 1].
        color: RGB tint in [0, 1]; reddish by default.
        alpha: Tint strength in [0, 1]; 1 paints holes solid `color`.

    Returns:
        Tinted frames, same shape, dtype and device as `frames`.

    Raises:
        ValueError: If shapes do not match, or `color` or `alpha` is out of range.
    """
    if not isinstance(frames, torch.Tensor) or frames.ndim not in (3, 4):
        raise InputError(
            "frames must be a tensor (T, 3, H, W) or (3, H, W), got "
            f"{tuple(frames.shape) if isinstance(frames, torch.Tensor) else type(frames).__name__}"
        )
    single = frames.ndim == 3
    video = frames[None] if single else frames
    if video.shape[1] != 3:
        raise InputError(f"frames must have 3 channels (RGB), got shape {tuple(frames.shape)}")
    if isinstance(mask, torch.Tensor) and mask.ndim == 3:
        mask = mask[None]
    check_mask(mask)
    if mask.shape[2:] != video.shape[2:] or mask.shape[0] not in (1, video.shape[0]):
        raise InputError(
            f"mask has shape {tuple(mask.shape)}, expected ({video.shape[0]} or 1, 1, "
            f"{video.shape[2]}, {video.shape[3]}) to match frames {tuple(frames.shape)}"
        )
    if len(color) != 3 or not all(0.0 <= c <= 1.0 for c in color):
        raise InputError(f"color must be three values in [0, 1], got {color!r}")
    if not 0.0 <= alpha <= 1.0:
        raise InputError(f"alpha must be in [0, 1], got {alpha!r}")
    weight = alpha * mask.to(device=video.device, dtype=video.dtype)
    tint = torch.tensor(color, dtype=video.dtype, device=video.device).view(1, 3, 1, 1)
    tinted = video * (1.0 - weight) + tint * weight
    return tinted[0] if single else tinted


def masked_fraction(mask: torch.Tensor) -> float:
    """Returns the fraction of pixels masked, over all frames (mean of the mask).

    Args:
        mask: `(T, 1, H, W)`, 1 = missing, values in [0, 1].

    Returns:
        A float in [0, 1]; soft values count in proportion.

    Raises:
        ValueError: If `mask` is not a `(T, 1, H, W)` float tensor in [0, 1].
    """
    check_mask(mask)
    return float(mask.double().mean()) if mask.numel() else 0.0


def never_visible_fraction(mask: torch.Tensor) -> float:
    """Returns the fraction of the frame area that is masked in every frame.

    A pixel counts when its mask is > 0 in all T frames: no frame shows what lies behind it.

    Args:
        mask: `(T, 1, H, W)`, 1 = missing, values in [0, 1].

    Returns:
        A float in [0, 1], relative to the `H * W` pixels of one frame.

    Raises:
        ValueError: If `mask` is not a `(T, 1, H, W)` float tensor in [0, 1].
    """
    check_mask(mask)
    return _never_visible(mask)


def _never_visible(mask: torch.Tensor) -> float:
    return float((mask > 0).all(dim=0).double().mean())


def check_propagation(mask: torch.Tensor) -> str | None:
    """Returns a warning when some hole pixels are masked in every frame, else None.

    Args:
        mask: `(T, 1, H, W)`, 1 = missing, values in [0, 1].

    Returns:
        A one-line message giving the share of the frame (and of the hole) that no frame uncovers,
        or None when every hole pixel is visible in at least one frame (or there is no hole).

    Raises:
        ValueError: If `mask` is not a `(T, 1, H, W)` float tensor in [0, 1].
    """
    check_mask(mask)
    return propagation_warning(mask)


def propagation_warning(mask: torch.Tensor) -> str | None:
    """`check_propagation` for a mask its caller has already checked (no second check)."""
    never = _never_visible(mask)
    if never == 0.0:
        return None
    ever = float((mask > 0).any(dim=0).double().mean())
    return (
        f"{100 * never:.2f}% of the frame ({100 * never / ever:.0f}% of the hole area) is masked "
        "at the same place in every frame: unless the camera or the scene moves, no frame shows "
        "what is behind it, and only spatial inpainting can fill it"
    )
